"""What a workload run measures: each chat's wait, who held it, and each agent's load.

The book follows the engine's records as the driver feeds them. A chat's
*wait* is from the buyer's first message to the moment an agent first holds
it (0 when the route assigns it at once; a queue pull, staging or pool release
later); chats the route gives no agent (excluded, assistant) are not offered
to agents and not counted. *Service level* is the share of offered chats an
agent held within the model's target wait (a chat nobody took by the end
counts as missed). *Occupancy* is an agent's open chats per unit of capacity,
averaged over its online time between the model's start and end.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from ..runtime.engine import Engine
from ..runtime.records import DECIDED, Record
from ..runtime.router import Router

HELD = ("assigned", "main_account")
NOT_OFFERED = ("excluded", "assistant")


@dataclass(slots=True)
class Chat:
    """One chat: from its buyer's first message until it is closed."""

    buyer: str
    arrived: float
    outcome: str  # the route's first outcome
    reason: str
    served: float | None = None  # when an agent first held it
    agent: str | None = None  # its first holder
    first_reply: float | None = None
    closed: float | None = None

    @property
    def wait(self) -> float | None:
        return None if self.served is None else self.served - self.arrived


@dataclass
class Book:
    """Chats, holds and statuses of one run (see the module docstring)."""

    start: float
    end: float
    router: Router
    chats: list[Chat] = field(default_factory=list)
    current: dict[str, Chat] = field(default_factory=dict)
    holds: dict[str, tuple[str, float]] = field(default_factory=dict)  # buyer -> agent, since
    held_spans: dict[str, list[tuple[float, float]]] = field(default_factory=dict)
    statuses: dict[str, list[tuple[float, str]]] = field(default_factory=dict)
    assigned: Counter[str] = field(default_factory=Counter)
    groups: Counter[str] = field(default_factory=Counter)
    reasons: Counter[str] = field(default_factory=Counter)
    ignored: int = 0
    capacity: dict[str, int | None] = field(default_factory=dict)

    def record(self, rec: Record, at: float) -> None:
        """Follow one engine record."""
        kind, buyer = rec["kind"], rec.get("buyer")
        if kind == "ignored":
            self.ignored += 1
        if kind in DECIDED:
            self.reasons[rec["reason"]] += 1
            if rec["outcome"] in HELD:
                self.assigned[rec["agent"] or str(self.router.main_id)] += 1
                if rec["group"]:
                    self.groups[rec["group"]] += 1
        if kind == "route" and buyer is not None:
            chat = Chat(buyer, at, rec["outcome"], rec["reason"])
            if rec["outcome"] not in NOT_OFFERED:
                self.chats.append(chat)
                self.current[buyer] = chat
        elif kind == "closed" and buyer is not None:
            self.closed(buyer, at)

    def held(self, buyer: str, agent: str, at: float) -> None:
        """An agent holds the buyer's chat from now (the previous holder, if any, no more)."""
        self._unhold(buyer, at)
        self.holds[buyer] = (agent, at)
        chat = self.current.get(buyer)
        if chat is not None and chat.served is None:
            chat.served, chat.agent = at, agent

    def replied(self, buyer: str, at: float) -> None:
        chat = self.current.get(buyer)
        if chat is not None and chat.first_reply is None:
            chat.first_reply = at

    def closed(self, buyer: str, at: float) -> None:
        self._unhold(buyer, at)
        chat = self.current.pop(buyer, None)
        if chat is not None:
            chat.closed = at

    def status(self, agent: str, status: str, at: float) -> None:
        self.statuses.setdefault(agent, []).append((at, status))

    def _unhold(self, buyer: str, at: float) -> None:
        held = self.holds.pop(buyer, None)
        if held is not None:
            self.held_spans.setdefault(held[0], []).append((held[1], at))

    def finish(self, engine: Engine) -> None:
        """End the holds still open at the model's end; note each agent's capacity."""
        for buyer in list(self.holds):
            self._unhold(buyer, max(self.end, self.holds[buyer][1]))
        if engine.state is not None:
            self.capacity = {a.id: a.capacity for a in engine.shop.agents.values()}


def percentile(values: list[float], share: float) -> float | None:
    """The nearest-rank percentile (`share` 0.9: the p90); None without values."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def online_spans(rows: list[tuple[float, str]], start: float,
                 end: float) -> list[tuple[float, float]]:
    """The agent's online spans, clipped to [start, end]."""
    spans: list[tuple[float, float]] = []
    for (at, status), nxt in zip(rows, [*rows[1:], (end, "")], strict=True):
        a, b = max(at, start), min(nxt[0], end)
        if status == "online" and b > a:
            spans.append((a, b))
    return spans


def _overlap(span: tuple[float, float], spans: list[tuple[float, float]]) -> float:
    return sum(max(0.0, min(span[1], b) - max(span[0], a)) for a, b in spans)


def agent_rows(book: Book) -> dict[str, dict[str, Any]]:
    """Per agent: chats received, hours online, mean open chats and occupancy."""
    out: dict[str, dict[str, Any]] = {}
    for agent in sorted(set(book.assigned) | set(book.statuses)):
        spans = online_spans(book.statuses.get(agent, []), book.start, book.end)
        online = sum(b - a for a, b in spans)
        held = sum(_overlap(s, spans) for s in book.held_spans.get(agent, []))
        cap = book.capacity.get(agent)
        out[agent] = {
            "chats": book.assigned.get(agent, 0),
            "online_hours": round(online / 3600, 3),
            "mean_open": round(held / online, 4) if online else None,
            "occupancy": round(held / online / cap, 4) if online and cap else None,
        }
    return out


def summary(book: Book, target: float) -> dict[str, Any]:
    """The figures a planner reads for one run (times in seconds)."""
    offered = book.chats
    waits = [c.wait for c in offered if c.wait is not None]
    replies = [c.first_reply - c.arrived for c in offered if c.first_reply is not None]
    agents = agent_rows(book)
    occupied = [row["occupancy"] for row in agents.values() if row["occupancy"] is not None]
    return {
        "chats": len(offered),
        "served": len(waits),
        "unserved": len(offered) - len(waits),
        "service_level": (round(sum(w <= target for w in waits) / len(offered), 4)
                          if offered else None),
        "target": target,
        "waited_share": round(sum(w > 0 for w in waits) / len(waits), 4) if waits else None,
        "mean_wait": _round(_mean(waits)),
        "p90_wait": _round(percentile(waits, 0.9)),
        "max_wait": _round(max(waits, default=None)),
        "mean_first_reply": _round(_mean(replies)),
        "occupancy": round(sum(occupied) / len(occupied), 4) if occupied else None,
        "abandoned": None,  # the engine has no event for a buyer who gives up waiting
        "ignored": book.ignored,
        "agents": agents,
        "groups": dict(sorted(book.groups.items())),
        "reasons": dict(sorted(book.reasons.items())),
    }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)
