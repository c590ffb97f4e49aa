"""Hypothesis properties of single decisions over random shops, states and events (G2, G3)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from policyc.api import decide, load, state
from policyc.runtime.engine import Engine
from policyc.runtime.router import Router
from policyc.runtime.trace import LEVELS, TraceStep, view
from policyc.runtime.vocabulary import DROP_WHYS, ORDER_STATES, STATUSES

ROOT = Path(__file__).resolve().parents[1]
POLICIES = ("shopee.yaml", "youzan.yaml", "taobao.yaml", "cosmetics.yaml",
            "../tests/variants/s4d.yaml")


@cache
def router(name: str) -> Router:
    return load(ROOT / "policies" / name)


@st.composite
def situations(draw: st.DrawFn) -> tuple[str, dict[str, Any], dict[str, Any]]:
    name = draw(st.sampled_from(POLICIES))
    r = router(name)
    ids = [a["id"] for a in r.agent_specs]
    rows = []
    for agent_id in draw(st.lists(st.sampled_from(ids), unique=True)):
        rows.append({"id": agent_id, "status": draw(st.sampled_from(STATUSES)),
                     "unread": draw(st.integers(0, 30)), "pending": draw(st.integers(0, 30)),
                     "open": draw(st.integers(0, 30)), "assigned": draw(st.integers(0, 30)),
                     "offline_since": draw(st.sampled_from(
                         [None, "2026-11-23T09:55:00+08:00", "2026-11-20T09:00:00+08:00"]))})
    buyers = ["b-1", "b-2", *list(r.pins)[:3]]
    contacts = [{"buyer": draw(st.sampled_from(buyers)), "agent": draw(st.sampled_from(ids)),
                 "at": draw(st.sampled_from(["2026-11-22T10:00:00+08:00",
                                             "2026-11-10T10:00:00+08:00"]))}
                for _ in range(draw(st.integers(0, 3)))]
    sources = [s for s in ("product_page", "order_page", "live_story", "micro_mall",
                           "mini_program", "own_app", "wechat_oa", "distribution", "unknown")]
    event = {"type": "message", "at": draw(st.sampled_from(
                 ["2026-11-23T10:00:00+08:00", "2026-11-22T23:30:00+08:00"])),
             "buyer": draw(st.sampled_from(buyers)), "source": draw(st.sampled_from(sources)),
             "order_state": draw(st.sampled_from([None, *ORDER_STATES])),
             "intent": draw(st.sampled_from([None, "refund", "size_advice"])),
             "wants_human": draw(st.booleans())}
    snapshot = {"at": "2026-11-23T10:00:00+08:00", "agents": rows, "contacts": contacts}
    return name, snapshot, event


@settings(max_examples=150, deadline=None)
@given(situations())
def test_decisions_are_deterministic_eligible_and_traced(
        situation: tuple[str, dict[str, Any], dict[str, Any]]) -> None:
    name, snapshot, event = situation
    r = router(name)
    first = decide(r, snapshot, event, trace=True)
    again = decide(r, json.loads(json.dumps(snapshot)), dict(event), trace=True)
    # G3: byte-identical decision and trace for the same input.
    assert json.dumps(first.to_dict()) == json.dumps(again.to_dict())
    # Trace on and off decide the same.
    plain = decide(r, snapshot, event)
    assert {k: v for k, v in first.to_dict().items() if k != "trace"} == plain.to_dict()
    # A trace made for the summary alone is the full trace's summary (issue 13).
    summary = r.decide(state(r, snapshot), event, trace=True, level="summary")
    assert summary.to_dict("summary") == first.to_dict("summary")
    # Every dropped candidate says why in the contract's words.
    for step in first.to_dict()["trace"]:  # type: ignore[union-attr]
        for dropped in step.get("dropped", []):  # type: ignore[union-attr]
            assert dropped["why"] in DROP_WHYS, dropped
    # The trace's final step agrees with the decision.
    final = [s for s in first.to_dict()["trace"] if s["kind"] == "outcome"][-1]  # type: ignore[union-attr,index]
    assert (final["result"], final["reason"], final["agent"]) == (
        first.outcome, first.reason, first.agent)
    # G2: only an eligible agent is chosen (online, permitted, under capacity, not excluded).
    if first.outcome == "assigned":
        shop = state(r, snapshot)
        chosen = shop.agents[first.agent]  # type: ignore[index]
        assert chosen.eligible, (chosen.id, chosen.why, chosen.static_why)
    if first.agent is not None:
        assert first.outcome == "assigned"


@st.composite
def days(draw: st.DrawFn) -> tuple[str, list[dict[str, Any]]]:
    """A policy and a short stream of messages and status and capacity changes."""
    name = draw(st.sampled_from(POLICIES))
    r = router(name)
    ids = [a["id"] for a in r.agent_specs]
    buyers = ["b-1", "b-2", "b-3", *list(r.pins)[:2]]
    events: list[dict[str, Any]] = []
    for second in range(draw(st.integers(1, 25))):
        at = f"2026-11-23T10:{second // 60:02d}:{second % 60:02d}+08:00"
        kind = draw(st.sampled_from(["message", "message", "agent_status", "set_capacity"]))
        if kind == "message":
            events.append({"type": "message", "at": at, "buyer": draw(st.sampled_from(buyers)),
                           "source": draw(st.sampled_from(["product_page", "order_page",
                                                           "live_story", "unknown"])),
                           "wants_human": True})
        elif kind == "agent_status":
            events.append({"type": "agent_status", "at": at, "agent": draw(st.sampled_from(ids)),
                           "status": draw(st.sampled_from(STATUSES))})
        else:
            events.append({"type": "set_capacity", "at": at, "agent": draw(st.sampled_from(ids)),
                           "capacity": draw(st.sampled_from([None, 0, 1, 3]))})
    return name, events


@settings(max_examples=60, deadline=None)
@given(days())
def test_trace_on_and_off_make_the_same_records(day: tuple[str, list[dict[str, Any]]]) -> None:
    """Over a stream, engines with no trace and with a trace at each level make the same
    records but for their traces, and each level's trace is that level's view of the
    full one (the summary level builds only the outcome step: runtime/router.py)."""
    name, events = day
    r = router(name)
    engines = {level: Engine(r, trace=level) for level in (None, "summary", "fails", "full")}
    for event in events:
        made = {level: e.feed(dict(event)) for level, e in engines.items()}
        plain = made[None]
        for records in made.values():
            assert [{k: v for k, v in rec.items() if k != "trace"} for rec in records] == plain
        want = [level_view(rec, level) for level in LEVELS for rec in made["full"]]
        assert [rec.get("trace") for level in LEVELS for rec in made[level]] == want


FIXED = ("step", "node", "span", "kind", "result")


def level_view(record: dict[str, Any], level: str) -> list[dict[str, Any]] | None:
    """The `level` view of a record's full trace, as CONTRACT entries."""
    steps = record.get("trace")
    if steps is None:
        return None
    tuples = tuple(TraceStep(s["step"], s["node"], s["span"], s["kind"], s["result"],
                             {k: v for k, v in s.items() if k not in FIXED}) for s in steps)
    return [t.to_dict() for t in view(tuples, level)]
