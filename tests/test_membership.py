"""S12, S2: groups change while the shop runs (`membership` events), through the engine.

The shopee policy: presale [chrissy, elly] takes product_page, aftersale
[fanny, gavin] order_page; hank is in no group; intern has no chat permission;
one group per agent (S2). After every sequence the group pools must agree with
the agents' groups (tests/pools.py).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from pools import assert_pools_agree
from test_engine import SHOPEE, _artifact, brief, conv, engine, feed, msg, status, t, tick

from policyc.cli import main
from policyc.runtime.engine import Engine
from policyc.runtime.router import Router

Record = dict[str, Any]
GROUPS = ["presale", "aftersale"]


def member(m: float, agent: str, group: str, joins: bool = True) -> dict[str, Any]:
    return {"type": "membership", "at": t(m), "agent": agent, "group": group, "member": joins}


def agree(e: Engine) -> None:
    assert_pools_agree(e.shop, list(e.router.groups), e.router.busy_threshold)


# -- S12 joining and leaving -----------------------------------------------------------------

def test_S12_a_new_member_keeps_its_chats_and_gets_the_groups_next_ones() -> None:
    e = engine()
    recs = feed(e, *[status(0, a, "online") for a in ("chrissy", "elly", "hank")],
                msg(1, "b1"), msg(2, "b2"), msg(3, "b9", "order_page"))
    assert brief(recs)[-1] == ("route", "b9", "hank", "fallback_other_online")
    before = {b: c.agent for b, c in e.conversations.items()}
    recs = feed(e, member(4, "hank", "presale"))
    assert [r["kind"] for r in recs] == ["membership"]  # nothing handed out by the change
    assert (recs[0]["agent"], recs[0]["group"], recs[0]["groups"]) == ("hank", "presale",
                                                                         ["presale"])
    assert {b: c.agent for b, c in e.conversations.items()} == before
    agree(e)
    feed(e, conv("read", 5, "hank", "b9"))  # hank 0 unread, chrissy and elly 1 each
    recs = feed(e, msg(6, "b3"))
    assert brief(recs) == [("route", "b3", "hank", "source_group")]
    assert recs[0]["group"] == "presale"


def test_S12_a_member_who_leaves_keeps_its_open_chats_and_gets_no_more_of_the_group() -> None:
    e = engine()
    feed(e, status(0, "chrissy", "online"), status(0, "elly", "online"), msg(1, "b1"),
         conv("read", 2, "chrissy", "b1"))
    recs = feed(e, member(3, "chrissy", "presale", joins=False))
    assert (recs[0]["kind"], recs[0]["groups"], recs[0]["left"]) == ("membership", [], [])
    agree(e)
    assert e.conversations["b1"].agent == "chrissy"
    recs = feed(e, msg(4, "b2"), msg(5, "b3"), msg(6, "b1"))
    assert brief(recs) == [("route", "b2", "elly", "source_group"),
                           ("route", "b3", "elly", "source_group"),
                           ("continued", "b1", "chrissy", "source_group")]
    feed(e, member(7, "elly", "presale", joins=False))
    recs = feed(e, msg(8, "b4"))  # S6: the group is empty now, any other online agent
    assert brief(recs) == [("route", "b4", "chrissy", "fallback_other_online")]
    agree(e)


def test_S2_adding_to_another_group_removes_from_the_first() -> None:
    e = engine()
    feed(e, *[status(0, a, "online") for a in ("chrissy", "elly", "fanny")])
    recs = feed(e, member(1, "chrissy", "aftersale"))
    assert (recs[0]["left"], recs[0]["groups"]) == (["presale"], ["aftersale"])
    assert e.shop.agents["chrissy"].groups == ["aftersale"]
    agree(e)
    recs = feed(e, msg(2, "b1"), msg(3, "b2"), msg(4, "b3", "order_page"),
                msg(5, "b4", "order_page"))
    assert [(r["agent"], r["group"]) for r in recs] == [
        ("elly", "presale"), ("elly", "presale"), ("chrissy", "aftersale"),
        ("fanny", "aftersale")]


def test_S2_with_several_groups_allowed_an_agent_joins_a_second() -> None:
    artifact = copy.deepcopy(_artifact("shopee"))
    artifact["shop"]["one_group_per_agent"] = False
    e = Engine(Router(artifact))
    feed(e, status(0, "chrissy", "online"), status(0, "fanny", "online"))
    recs = feed(e, member(1, "chrissy", "aftersale"))
    assert (recs[0]["left"], recs[0]["groups"]) == ([], ["presale", "aftersale"])
    agree(e)
    recs = feed(e, msg(2, "b1"), msg(3, "b2", "order_page"), msg(4, "b3", "order_page"))
    assert [(r["agent"], r["group"]) for r in recs] == [
        ("chrissy", "presale"), ("fanny", "aftersale"), ("chrissy", "aftersale")]


def test_S12_the_artifact_carries_the_S2_flag() -> None:
    assert _artifact("shopee")["shop"]["one_group_per_agent"] is True


def test_S12_staged_chats_wait_for_the_usual_moment_not_the_change() -> None:
    e = engine()
    feed(e, msg(0, "b1"))
    recs = feed(e, member(1, "hank", "presale"))
    assert [r["kind"] for r in recs] == ["membership"]
    assert [x["buyer"] for x in e.waiting()["staging"]] == ["b1"]
    recs = feed(e, status(2, "hank", "online"))
    assert brief(recs) == [("release", "b1", "hank", "staging_release")]


def test_S12_a_transfer_to_the_group_reaches_its_new_member() -> None:
    e = engine()
    feed(e, status(0, "chrissy", "online"), status(0, "hank", "online"), msg(1, "b1"),
         member(2, "hank", "aftersale"))
    recs = feed(e, conv("transfer", 3, "chrissy", "b1", to_group="aftersale"))
    assert (recs[0]["kind"], recs[0]["agent"], recs[0]["group"]) == ("transfer", "hank",
                                                                     "aftersale")


def test_S12_a_pool_run_to_groups_reaches_the_new_member() -> None:
    artifact = copy.deepcopy(_artifact("taobao"))
    artifact["settings"]["offline_pool"].update(target="groups", groups=["general"],
                                                min_online=1)
    e = Engine(Router(artifact))
    feed(e, msg(-60, "p1", order_state="unpaid", wants_human=True),
         status(-5, "a-chen", "online"))
    recs = feed(e, member(-4, "a-chen", "general"), tick(0))
    assert [(r["kind"], r.get("buyer"), r.get("agent")) for r in recs] == [
        ("membership", None, "a-chen"), ("pool_run", None, None), ("release", "p1", "a-chen")]
    assert e.shop.agents["a-chen"].groups == ["general"]  # S2: it left presale


@pytest.mark.parametrize(("event", "why"), [
    (member(1, "chrissy", "presale"), "chrissy is already a member of presale"),
    (member(1, "hank", "presale", joins=False), "hank is not a member of presale"),
    (member(1, "intern", "presale"), "intern has no chat permission (S2"),
    (member(1, "shop-main", "presale"), "the main account's groups are a policy setting (S4)"),
])
def test_S12_a_change_that_changes_nothing_is_ignored_with_why(event: dict[str, Any],
                                                                why: str) -> None:
    e = engine()
    feed(e, tick(0))
    recs = feed(e, event)
    assert [r["kind"] for r in recs] == ["ignored"]
    assert recs[0]["why"].startswith(why)
    agree(e)


def test_S12_random_joins_and_leaves_keep_the_pools_consistent() -> None:
    e = engine()
    agents = ["chrissy", "elly", "fanny", "gavin", "hank"]
    feed(e, *[status(0, a, "online") for a in agents])
    m = 1.0
    for i in range(60):
        agent, group = agents[(i * 7) % 5], GROUPS[(i * 3) % 2]
        feed(e, member(m, agent, group, joins=i % 3 != 2), msg(m + 0.1, f"b{i}",
             "order_page" if i % 2 else "product_page"))
        if i % 4 == 0:
            feed(e, conv("read", m + 0.2, e.conversations[f"b{i}"].agent, f"b{i}"))
        m += 1
        agree(e)
    assert all(len(a.groups) <= 1 for a in e.shop.agents.values())  # S2


# -- bad input --------------------------------------------------------------------------------

@pytest.mark.parametrize(("extra", "message"), [
    ({"group": "vip"}, "group: unknown group 'vip'"),
    ({"member": "yes"}, "member: expected true (joins) or false (leaves)"),
    ({"member": None}, "member: expected true (joins) or false (leaves)"),
    ({"group": ""}, "group: expected a non-empty string"),
    ({"agent": "zed"}, "agent: unknown agent 'zed'"),
])
def test_simulate_rejects_a_bad_membership_line(tmp_path: Path, extra: dict[str, Any],
                                                message: str,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    log = tmp_path / "bad.jsonl"
    log.write_text(json.dumps(tick(0)) + "\n" + json.dumps({**member(1, "hank", "presale"),
                                                            **extra}) + "\n", encoding="utf-8")
    assert main(["simulate", str(SHOPEE), "--log", str(log)]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.startswith(f"{log}:2: ")
    assert message in err


@pytest.mark.parametrize("missing", ["agent", "group", "member"])
def test_simulate_rejects_a_membership_line_lacking_a_field(
        tmp_path: Path, missing: str, capsys: pytest.CaptureFixture[str]) -> None:
    event = member(1, "hank", "presale")
    del event[missing]
    log = tmp_path / "bad.jsonl"
    log.write_text(json.dumps(event) + "\n", encoding="utf-8")
    assert main(["simulate", str(SHOPEE), "--log", str(log)]) == 2
    assert f"{log}:1: {missing}: `membership` event lacks `{missing}`" in capsys.readouterr().err


def test_policy_test_file_rejects_an_unknown_group_where_it_is(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "shopee.yaml").write_text(SHOPEE.read_text(encoding="utf-8"), encoding="utf-8")
    tests = tmp_path / "shopee.test.yaml"
    tests.write_text("cases:\n"
                     "  - name: S12 join\n"
                     "    events:\n"
                     "      - {type: tick, at: '2026-11-23T09:00:00+08:00'}\n"
                     "      - {type: membership, at: '2026-11-23T09:01:00+08:00', agent: hank,\n"
                     "         group: vip, member: true}\n"
                     "    expect_records: [{kind: ignored}]\n", encoding="utf-8")
    assert main(["test", str(tests)]) == 2
    err = capsys.readouterr().err
    assert "shopee.test.yaml:6:" in err and "events/1/group: unknown group 'vip'" in err


def test_simulate_runs_a_log_with_membership_changes(tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    log = tmp_path / "day.jsonl"
    log.write_text("".join(json.dumps(e) + "\n" for e in (
        status(0, "hank", "online"), member(1, "hank", "presale"), msg(2, "b1"),
        member(3, "hank", "aftersale"), member(4, "hank", "aftersale"))), encoding="utf-8")
    assert main(["simulate", str(SHOPEE), "--log", str(log)]) == 0
    text = capsys.readouterr().out
    assert "membership 2" in text
    assert "ignored: 2026-11-23T09:04:00+08:00 membership: hank is already a member of" in text
