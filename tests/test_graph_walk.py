"""The graph is the truth: every recorded decision path is a walk of the compiled graph.

From `entry` to the outcome node of the decision's outcome and reason, each step an edge
of the artifact's graph: for random shops, states and messages on every shipped policy,
and for every routed record of the shipped day logs replayed by the engine. So
`graph --state --event` can highlight a real decision edge by edge.
"""

from __future__ import annotations

import itertools
import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policyc.api import decide, load, state
from policyc.commands.check import policy_files
from policyc.runtime.engine import Engine
from policyc.runtime.router import Router
from policyc.runtime.vocabulary import ORDER_STATES, SOURCES, STATUSES

REPO = Path(__file__).resolve().parents[1]
POLICIES = sorted(p.relative_to(REPO).as_posix() for p in policy_files([REPO / "policies"])[0])
TIMES = ["2026-11-23T10:00:00+08:00", "2026-11-22T23:30:00+08:00", "2026-11-24T03:10:00+08:00"]


@cache
def router(policy: str) -> Router:
    return load(REPO / policy)


@cache
def edges(policy: str) -> frozenset[tuple[str, str]]:
    return frozenset((e["from"], e["to"]) for e in router(policy).artifact["graph"]["edges"])


def assert_walk(policy: str, record: dict[str, Any]) -> None:
    path = record["path"]
    assert path[0] == "entry", path
    # A release (pool run, queue pull) routes the chat again; `routed_by` is the reason that
    # routing ended in, the record's own reason says what released it.
    reason = record.get("routed_by") or record["reason"]
    # An offered chat (runtime/offers.py) is the route's assignment, waiting for an accept.
    outcome = "assigned" if record["outcome"] == "offered" else record["outcome"]
    assert path[-1] == f"outcome:{outcome}:{reason}", path
    missing = [(a, b) for a, b in itertools.pairwise(path) if (a, b) not in edges(policy)]
    assert not missing, f"{policy}: path {path} leaves the graph at {missing}"


@st.composite
def situations(draw: st.DrawFn, policy: str) -> tuple[dict[str, Any], dict[str, Any]]:
    r = router(policy)
    ids = [a["id"] for a in r.agent_specs]
    rows = [{"id": agent, "status": draw(st.sampled_from(STATUSES)),
             "unread": draw(st.integers(0, 30)), "pending": draw(st.integers(0, 30)),
             "open": draw(st.integers(0, 30)),
             "offline_since": draw(st.sampled_from([None, "2026-11-23T09:55:00+08:00"]))}
            for agent in draw(st.lists(st.sampled_from(ids), unique=True))]
    buyers = ["b-1", "b-2", *list(r.pins)[:3]]
    contacts = [{"buyer": draw(st.sampled_from(buyers)), "agent": draw(st.sampled_from(ids)),
                 "at": draw(st.sampled_from(["2026-11-22T10:00:00+08:00",
                                             "2026-11-10T10:00:00+08:00"]))}
                for _ in range(draw(st.integers(0, 3)))]
    intents = [None, *r.artifact.get("intents", [])]
    event = {"type": "message", "at": draw(st.sampled_from(TIMES)),
             "buyer": draw(st.sampled_from(buyers)), "source": draw(st.sampled_from(SOURCES)),
             "order_state": draw(st.sampled_from([None, *ORDER_STATES])),
             "intent": draw(st.sampled_from(intents)), "wants_human": draw(st.booleans())}
    return {"at": TIMES[0], "agents": rows, "contacts": contacts}, event


@pytest.mark.parametrize("policy", POLICIES)
def test_every_decision_path_is_a_walk_of_the_graph(policy: str) -> None:
    @settings(max_examples=200, deadline=None, database=None)
    @given(situations(policy))
    def check(situation: tuple[dict[str, Any], dict[str, Any]]) -> None:
        snapshot, event = situation
        r = router(policy)
        assert_walk(policy, decide(r, state(r, snapshot), event).to_dict("summary"))

    check()


@pytest.mark.parametrize("policy", POLICIES)
def test_every_routed_record_of_a_day_is_a_walk_of_the_graph(policy: str) -> None:
    log = REPO / "policies" / "logs" / f"{Path(policy).stem}-day.jsonl"
    if not log.exists():
        pytest.skip(f"no day log for {policy}")
    engine = Engine(router(policy))
    routed = 0
    for line in log.read_text(encoding="utf-8").splitlines():
        for record in engine.feed(json.loads(line)):
            if record.get("path"):
                assert_walk(policy, dict(record))
                routed += 1
    assert routed > 0
