"""Single-decision conformance: each shipped policy behaves as its seed document says.

Table-driven; every case names the rule id it proves (ROUTING.md) and goes
through the public API (policyc.api.load / decide).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, cast

import pytest

from policyc.api import decide, load
from policyc.runtime.router import Router

ROOT = Path(__file__).resolve().parents[1]
NOW = "2026-11-23T10:00:00+08:00"  # a Monday, inside working hours


@cache
def router(name: str) -> Router:
    path = ROOT / "policies" / name if not name.startswith("tests/") else ROOT / name
    return load(path)


def agent(agent_id: str, status: str = "online", **facts: Any) -> dict[str, Any]:
    row = {"id": agent_id, "status": status, "unread": 0, "pending": 0, "open": 0,
           "offline_since": None}
    row.update(facts)
    return row


@dataclass
class Case:
    rule: str
    policy: str
    agents: list[dict[str, Any]]
    expect: tuple[str, str | None, str]  # outcome, agent, reason
    event: dict[str, Any] = field(default_factory=dict)
    contacts: list[dict[str, Any]] = field(default_factory=list)
    selection: str | None = None
    replies: tuple[str, ...] | None = None
    at: str = NOW


def message(**overrides: Any) -> dict[str, Any]:
    event = {"type": "message", "at": NOW, "buyer": "b-1", "source": "product_page",
             "item_id": None, "order_id": None, "order_state": None, "intent": None,
             "wants_human": True}
    event.update(overrides)
    return event


SHOPEE_ALL_OFF = [agent(a, "offline") for a in ("chrissy", "elly", "fanny", "gavin", "hank")]

CASES = [
    # --- Shopee (seeds 000, 001) ---
    Case("S5 fewest unread in the source's group", "shopee.yaml",
         [agent("chrissy", unread=3), agent("elly", unread=1), agent("hank")],
         ("assigned", "elly", "source_group"), selection="fewest_unread"),
    Case("S5 tie on unread goes to the earliest created account", "shopee.yaml",
         [agent("chrissy", unread=2), agent("elly", unread=2)],
         ("assigned", "chrissy", "source_group"), selection="earliest_created"),
    Case("S5 order page goes to the group bound to it", "shopee.yaml",
         [agent("chrissy"), agent("fanny", unread=4), agent("gavin", unread=2)],
         ("assigned", "gavin", "source_group"), event={"source": "order_page"}),
    Case("S6 group offline goes to any other online agent", "shopee.yaml",
         [agent("chrissy", "offline"), agent("elly", "offline"), agent("fanny", unread=2),
          agent("hank", unread=1)],
         ("assigned", "hank", "fallback_other_online")),
    Case("S6 never an agent without chat permission", "shopee.yaml",
         [*SHOPEE_ALL_OFF, agent("intern"), agent("shop-main")],
         ("assigned", "shop-main", "main_account_fallback")),
    Case("S4-C main account only when every other agent is offline", "shopee.yaml",
         [*SHOPEE_ALL_OFF[:-1], agent("hank", unread=9), agent("shop-main")],
         ("assigned", "hank", "fallback_other_online")),
    Case("S7 nobody online: the chat is staged", "shopee.yaml", SHOPEE_ALL_OFF,
         ("staged", None, "staged_nobody_online")),
    Case("S8 returning buyer within 3 days goes to the same agent", "shopee.yaml",
         [agent("chrissy"), agent("fanny", unread=7)], ("assigned", "fanny", "recent_contact"),
         contacts=[{"buyer": "b-1", "agent": "fanny", "at": "2026-11-21T12:00:00+08:00"}]),
    Case("S8 returning buyer after more than 3 days is routed normally", "shopee.yaml",
         [agent("chrissy"), agent("fanny")], ("assigned", "chrissy", "source_group"),
         contacts=[{"buyer": "b-1", "agent": "fanny", "at": "2026-11-19T12:00:00+08:00"}]),
    Case("S8 agent offline under 10 minutes: the chat waits for it", "shopee.yaml",
         [agent("chrissy"), agent("fanny", "offline", offline_since="2026-11-23T09:55:00+08:00")],
         ("waiting", None, "recent_contact_waiting"),
         contacts=[{"buyer": "b-1", "agent": "fanny", "at": "2026-11-22T12:00:00+08:00"}]),
    Case("S8 agent offline over 10 minutes: normal rules", "shopee.yaml",
         [agent("chrissy"), agent("fanny", "offline", offline_since="2026-11-23T09:45:00+08:00")],
         ("assigned", "chrissy", "source_group"),
         contacts=[{"buyer": "b-1", "agent": "fanny", "at": "2026-11-22T12:00:00+08:00"}]),
    Case("S4-C S8 a buyer the main account served as last resort is routed afresh",
         "shopee.yaml", [agent("chrissy"), agent("shop-main")],
         ("assigned", "chrissy", "source_group"),
         contacts=[{"buyer": "b-1", "agent": "shop-main", "at": "2026-11-22T12:00:00+08:00"}]),
    Case("S9 hidden agent receives no new chats", "shopee.yaml",
         [agent("chrissy", "hidden"), agent("elly", unread=6)],
         ("assigned", "elly", "source_group"), selection="only_candidate"),
    Case("S1 S4-A grouping off: only the main account", "tests/variants/s4a.yaml",
         [agent("chrissy"), agent("shop-main")], ("main_account", None, "grouping_off")),
    Case("S4-B main account never receives unless forwarded", "tests/variants/s4b.yaml",
         [*SHOPEE_ALL_OFF[:-1], agent("shop-main")], ("staged", None, "staged_nobody_online")),
    Case("S4-C main account is the last resort", "tests/variants/s4c.yaml",
         [*SHOPEE_ALL_OFF[:-1], agent("shop-main")],
         ("assigned", "shop-main", "main_account_fallback")),
    Case("S4-D main account in a group is an ordinary agent", "tests/variants/s4d.yaml",
         [agent("chrissy", unread=2), agent("elly", unread=2), agent("shop-main", unread=2)],
         ("assigned", "shop-main", "source_group"), selection="earliest_created"),
    # --- Youzan (seed 002) ---
    Case("Y1 busy agents keep their chats but get no new ones", "youzan.yaml",
         [agent("lou-chengfeng", "busy"), agent("guodong")],
         ("assigned", "guodong", "source_group"), event={"source": "micro_mall"}),
    Case("Y2 an agent at its max concurrent chats gets none", "youzan.yaml",
         [agent("lou-chengfeng", open=20), agent("guodong", open=19)],
         ("assigned", "guodong", "source_group"), event={"source": "micro_mall"}),
    Case("Y3 recent contact first", "youzan.yaml",
         [agent("lou-chengfeng"), agent("jason")], ("assigned", "jason", "recent_contact"),
         event={"source": "micro_mall"},
         contacts=[{"buyer": "b-1", "agent": "jason", "at": "2026-11-01T12:00:00+08:00"}]),
    Case("Y4 admins and the main account take no automatic chats", "youzan.yaml",
         [agent("lina"), agent("shop-owner")], ("staged", None, "staged_nobody_online"),
         event={"source": "micro_mall"}),
    Case("Y5 excluded channel is not distributed", "youzan.yaml", [agent("guodong")],
         ("excluded", None, "excluded_channel"), event={"source": "wechat_oa"}),
    Case("Y6 weighted: fewer assignments per unit of weight wins", "youzan.yaml",
         [agent("lou-chengfeng", assigned=10), agent("guodong", assigned=8)],
         ("assigned", "lou-chengfeng", "source_group"), event={"source": "micro_mall"},
         selection="weighted"),
    Case("Y7 channel designated to one agent", "youzan.yaml",
         [agent("lou-chengfeng", unread=9), agent("guodong")],
         ("assigned", "lou-chengfeng", "source_group"), event={"source": "mini_program"}),
    Case("Y7 designated agent offline: other online agents", "youzan.yaml",
         [agent("lou-chengfeng", "offline"), agent("guodong")],
         ("assigned", "guodong", "fallback_other_online"), event={"source": "mini_program"}),
    Case("Y7 switched-off designation is ignored", "youzan.yaml",
         [agent("lytous"), agent("guodong")],
         ("assigned", "guodong", "fallback_other_online"), event={"source": "own_app"}),
    Case("Y8 customer pinned to an agent waits for it", "youzan.yaml",
         [agent("lou-chengfeng", "offline"), agent("guodong")],
         ("waiting", None, "pinned_agent_waiting"),
         event={"source": "micro_mall", "buyer": "18767120425"}),
    Case("Y8 customer pinned to an online agent goes to it", "youzan.yaml",
         [agent("xiao-yijian", unread=5), agent("guodong")],
         ("assigned", "xiao-yijian", "pinned_agent"),
         event={"source": "micro_mall", "buyer": "18058195211"}),
    Case("Y9 everyone at capacity: the chat queues", "youzan.yaml",
         [agent("lou-chengfeng", open=20), agent("guodong", open=20)],
         ("queued", None, "queued_all_busy"), event={"source": "micro_mall"},
         replies=("welcome", "queued")),
    Case("Y10 after hours with everyone offline", "youzan.yaml", [],
         ("staged", None, "staged_nobody_online"), event={"source": "micro_mall"},
         at="2026-11-22T23:00:00+08:00", replies=("welcome", "after_hours")),
    # --- Taobao (seeds 003, 004) ---
    Case("T9 intent bound to a group", "taobao.yaml",
         [agent("d-zhao"), agent("e-sun"), agent("a-chen")],
         ("assigned", "d-zhao", "source_group"), event={"intent": "refund"},
         selection="best_reception_rate"),
    Case("T9 order state bound to a group", "taobao.yaml",
         [agent("a-chen"), agent("b-lin"), agent("d-zhao")],
         ("assigned", "a-chen", "source_group"), event={"order_state": "unpaid"},
         selection="best_conversion_rate"),
    Case("T9 unmatched state is split across the groups: b-4 draws the unbound one",
         "taobao.yaml",
         [agent("a-chen"), agent("f-zhou", pending=6), agent("g-he", pending=5)],
         ("assigned", "g-he", "source_group"), event={"order_state": "completed",
                                                       "buyer": "b-4"}),
    Case("T10 recent contact within 72 hours has the highest priority", "taobao.yaml",
         [agent("a-chen"), agent("c-wu", unread=9)], ("assigned", "c-wu", "recent_contact"),
         contacts=[{"buyer": "b-1", "agent": "c-wu", "at": "2026-11-21T12:00:00+08:00"}]),
    Case("T11 busy agents (pending over 4) receive fewer chats", "taobao.yaml",
         [agent("tb-main"), agent("f-zhou", pending=5, unread=0),
          agent("g-he", pending=2, unread=3)],
         ("assigned", "g-he", "source_group"), event={"order_state": "completed"},
         selection="least_busy"),
    Case("T1 S4-C main account alone online is the last resort, not 'only one online'",
         "taobao.yaml", [agent("tb-main")], ("assigned", "tb-main", "main_account_fallback")),
    Case("T12 only one agent online", "taobao.yaml", [agent("b-lin")],
         ("assigned", "b-lin", "only_one_online")),
    Case("T14 group bot first unless the buyer asks for a person", "taobao.yaml",
         [agent("a-chen"), agent("d-zhao")], ("assistant", None, "bot_first"),
         event={"wants_human": False, "intent": "size_advice"}),
    Case("T14 group bot first hands a buyer who asks to the group", "taobao.yaml",
         [agent("a-chen"), agent("d-zhao")], ("assigned", "a-chen", "source_group"),
         event={"wants_human": True, "intent": "size_advice"}),
    Case("T14 shop bot first unless the buyer asks for a person", "taobao-zh.yaml",
         [agent("小陈")], ("assistant", None, "bot_first"), event={"wants_human": False}),
    Case("T14 exclusive agent priority (prefer pin)", "taobao.yaml",
         [agent("d-zhao", unread=9), agent("a-chen"), agent("b-lin")],
         ("assigned", "d-zhao", "pinned_agent"), event={"buyer": "tb-vip-7781"}),
    Case("T14 exclusive agent priority falls through when it is away", "taobao.yaml",
         [agent("d-zhao", "offline"), agent("a-chen"), agent("b-lin")],
         ("assigned", "a-chen", "source_group"), event={"buyer": "tb-vip-7781"}),
    Case("T14 exclusive agent one-to-one (strict pin) waits", "taobao.yaml",
         [agent("f-zhou", "offline"), agent("a-chen"), agent("b-lin")],
         ("waiting", None, "pinned_agent_waiting"), event={"buyer": "tb-wholesale-55"}),
    Case("T1 everyone offline or suspended: offline pool", "taobao.yaml",
         [agent("a-chen", "hidden"), agent("tb-main", "offline")],
         ("pooled", None, "offline_pool")),
]


@pytest.mark.parametrize("case", CASES, ids=[c.rule for c in CASES])
def test_rule(case: Case) -> None:
    r = router(case.policy)
    snapshot = {"at": case.at, "agents": case.agents, "contacts": case.contacts}
    decision = decide(r, snapshot, message(**{"at": case.at, **case.event}))
    assert (decision.outcome, decision.agent, decision.reason) == case.expect
    if case.selection:
        assert decision.selection == case.selection
    if case.replies is not None:
        assert decision.auto_replies == case.replies
    with_trace = decide(r, snapshot, message(**{"at": case.at, **case.event}), trace=True)
    steps = cast("list[dict[str, Any]]", with_trace.to_dict("summary")["trace"])
    assert steps[-1]["reason"] == decision.reason
    without = {k: v for k, v in with_trace.to_dict().items() if k != "trace"}
    assert without == decision.to_dict()


def test_S3_groups_without_members_disable_grouping(tmp_path: Path) -> None:
    text = (ROOT / "tests/variants/s4c.yaml").read_text(encoding="utf-8")
    policy = tmp_path / "empty.yaml"
    lines = [line for line in text.splitlines() if "members:" not in line]
    policy.write_text("\n".join(lines) + "\n", encoding="utf-8")
    r = load(policy)
    d = decide(r, {"at": NOW, "agents": [agent("chrissy"), agent("shop-main")]}, message())
    assert (d.outcome, d.reason) == ("main_account", "grouping_off")


def test_S5_snapshot_created_at_override_decides_the_tie() -> None:
    """A snapshot may override `created_at`; the S5 tie-break follows the override."""
    r = router("shopee.yaml")
    agents = [agent("chrissy", unread=2), agent("elly", unread=2,
                                                 created_at="2020-01-01T00:00:00+08:00")]
    d = decide(r, {"at": NOW, "agents": agents}, message())
    assert (d.agent, d.selection) == ("elly", "earliest_created")


def test_snapshot_created_at_override_is_checked() -> None:
    with pytest.raises(ValueError, match="agents/0/created_at"):
        decide(router("shopee.yaml"), {"at": NOW, "agents": [agent("elly", created_at="soon")]},
               message())
