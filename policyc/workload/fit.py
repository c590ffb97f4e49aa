"""Handling behaviour fitted from a log's own durations, replayed under the policy.

The log is fed to the engine as it is; its records say when each chat reached
the agent who then acted on it, so the times to first read, first reply, a
buyer's next message, a follow-up's read and reply, and the close are
measured where the log's actions fit (ignored ones are skipped). Each duration
with samples becomes an `empirical` distribution of them; the others keep the
model's own.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from ..dsl.span import Span
from ..runtime.clock import parse_instant
from ..runtime.engine import Engine
from ..runtime.router import Router
from .distributions import Distribution
from .model import Handling

FITTED = ("first_read", "first_reply", "buyer_gap", "read", "reply", "close")


@dataclass(slots=True)
class _Chat:
    agent: str
    since: float  # when it reached the agent, or the buyer's last follow-up
    stage: str = "new"  # new -> read -> replied -> follow -> follow_read -> replied
    last: float = 0.0  # the last read or reply


def fit(router: Router, events: list[dict[str, Any]], handling: Handling,
        span: Span) -> tuple[Handling, dict[str, int]]:
    """`handling` with every duration the log has samples of replaced by them; and the
    number of samples of each."""
    samples: dict[str, list[float]] = {name: [] for name in FITTED}
    chats: dict[str, _Chat] = {}
    engine = Engine(router)
    for event in events:
        at = parse_instant(event["at"])
        records = engine.feed(event)
        if any(r["kind"] == "ignored" for r in records):
            continue
        _action(event, at, chats, samples)
        for rec in records:
            _record(rec, at, chats, samples, engine)
    fitted: dict[str, Any] = {name: Distribution("empirical", tuple(sorted(values)), span)
              for name, values in samples.items() if values}
    return replace(handling, **fitted), {name: len(v) for name, v in samples.items()}


def _action(event: dict[str, Any], at: float, chats: dict[str, _Chat],
            samples: dict[str, list[float]]) -> None:
    chat = chats.get(event.get("buyer", ""))
    if chat is None or event.get("agent") != chat.agent:
        return
    match event["type"], chat.stage:
        case "read", "new":
            samples["first_read"].append(at - chat.since)
            chat.stage, chat.last = "read", at
        case "read", "follow":
            samples["read"].append(at - chat.since)
            chat.stage, chat.last = "follow_read", at
        case "reply", "read":
            samples["first_reply"].append(at - chat.last)
            chat.stage, chat.last = "replied", at
        case "reply", "follow_read":
            samples["reply"].append(at - chat.last)
            chat.stage, chat.last = "replied", at
        case "close", "replied":
            samples["close"].append(at - chat.last)
        case _:
            pass


def _record(rec: dict[str, Any], at: float, chats: dict[str, _Chat],
            samples: dict[str, list[float]], engine: Engine) -> None:
    buyer = rec.get("buyer")
    if buyer is None:
        return
    if rec["kind"] in ("route", "release", "transfer") and rec.get("outcome") in (
            "assigned", "main_account"):
        conv = engine.conversations.get(buyer)
        if conv is not None:
            chats[buyer] = _Chat(conv.agent, at)
    elif rec["kind"] == "continued" and buyer in chats and chats[buyer].stage == "replied":
        chat = chats[buyer]
        samples["buyer_gap"].append(at - chat.last)
        chat.stage, chat.since = "follow", at
    if buyer not in engine.conversations:
        chats.pop(buyer, None)
