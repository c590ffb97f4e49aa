"""Agents a decision must leave out (`Router.decide(avoid=...)`, `policyc.api.decide`):
declined or timed-out offers and `reassign_unreplied`'s current agent go through it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from policyc.api import decide, load, state
from policyc.runtime.explain import decision_text

ROOT = Path(__file__).resolve().parent.parent
SHOPEE = load(ROOT / "policies" / "shopee.yaml")
SNAPSHOT: dict[str, Any] = json.loads((ROOT / "policies/examples/shopee-state.json").read_text())
EVENT: dict[str, Any] = json.loads((ROOT / "policies/examples/shopee-event.json").read_text())


def dropped(trace: Any) -> list[dict[str, str]]:
    return [d for step in trace for d in step.detail.get("dropped", [])]


def test_avoided_agent_is_passed_over_with_its_why_in_trace_and_record() -> None:
    shop = state(SHOPEE, SNAPSHOT)
    assert decide(SHOPEE, shop, EVENT).agent == "chrissy"  # the S5 tie goes to chrissy
    d = decide(SHOPEE, shop, EVENT, trace=True, avoid={"chrissy": "declined"})
    assert (d.outcome, d.agent, d.reason, d.selection) == \
        ("assigned", "elly", "source_group", "only_candidate")
    assert {"agent": "chrissy", "why": "declined"} in dropped(d.trace)
    assert d.to_dict("summary")["avoided"] == [{"agent": "chrissy", "why": "declined"}]
    text = decision_text(d, "full")
    assert "chrissy (declined the offer of this chat)" in text
    # Only that decision: the state is as it was, chrissy is picked again without avoid.
    assert shop.agents["chrissy"].why is None
    assert shop.pools["group:presale"].counts[None] == 2
    assert decide(SHOPEE, shop, EVENT).agent == "chrissy"


def test_every_step_honours_avoid_bound_group_then_other_online() -> None:
    shop = state(SHOPEE, SNAPSHOT)
    d = decide(SHOPEE, shop, EVENT, trace=True,
               avoid={"chrissy": "declined", "elly": "offer_timed_out"})
    assert (d.agent, d.reason) == ("hank", "fallback_other_online")
    assert {"agent": "elly", "why": "offer_timed_out"} in dropped(d.trace)


def test_recent_contact_to_an_avoided_agent_passes_the_chat_on() -> None:
    snap = dict(SNAPSHOT, contacts=[{"buyer": "b-1042", "agent": "elly",
                                     "at": "2026-11-23T08:00:00+08:00"}])
    shop = state(SHOPEE, snap)
    assert decide(SHOPEE, shop, EVENT).reason == "recent_contact"
    d = decide(SHOPEE, shop, EVENT, trace=True, avoid={"elly": "current_agent"})
    assert (d.agent, d.reason) == ("chrissy", "source_group")
    assert {"agent": "elly", "why": "current_agent"} in dropped(d.trace)


def test_an_avoided_agent_still_counts_as_online_S4_C() -> None:
    """The main account takes chats only when every other agent is offline (S4-C): one
    left out of this chat is online all the same, so the chat is staged, not given to it."""
    agents = [dict(a, status="offline") if a["id"] not in ("shop-main", "chrissy") else a
              for a in SNAPSHOT["agents"]]
    shop = state(SHOPEE, dict(SNAPSHOT, agents=agents))
    assert decide(SHOPEE, shop, EVENT).agent == "chrissy"
    d = decide(SHOPEE, shop, EVENT, avoid={"chrissy": "declined"})
    assert (d.outcome, d.reason) == ("staged", "staged_nobody_online")


def test_avoid_names_roster_agents_and_known_whys() -> None:
    with pytest.raises(ValueError, match="avoid"):
        decide(SHOPEE, SNAPSHOT, EVENT, avoid={"nobody": "declined"})
    with pytest.raises(ValueError, match="avoid"):
        decide(SHOPEE, SNAPSHOT, EVENT, avoid={"elly": "tired"})
