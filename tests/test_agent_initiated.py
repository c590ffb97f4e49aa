"""T12 "agent-initiated (not routed)" (Taobao 千牛端发起聊天(不分流)) through the CLI.

A `pick` naming a buyer who is not waiting anywhere and has no conversation is
a chat the agent starts itself: an `initiated` record (outcome `assigned`,
reason `agent_initiated`, the agent's first group, no source), opened at once
even with `offers:`. The picker's checks are those of any pick; a buyer already
talking with someone keeps that chat. Afterwards the chat is like any other:
messages join it, its agent closes it or a timeout does, and the buyer's next
chat finds the agent by recent contact.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import jsonschema.validators
import pytest
from replay import simulate_records, write_log

from policyc.cli import main

ROOT = Path(__file__).resolve().parents[1]
T = "2026-11-23T09:{:02d}:00+08:00"

# ann (cap 2) and bo in `presale` bound to the product page; cy in `care`, no cap.
POLICY = """\
policyc: 1
shop:
  id: t12-initiated
  timezone: Asia/Shanghai
  grouping: on
  include_main_account: false
  sources: [product_page, order_page]
roster:
  - {{id: boss, role: main, created_at: "2020-01-01T09:00:00+08:00"}}
  - {{id: ann, created_at: "2020-02-01T09:00:00+08:00", capacity: 2}}
  - {{id: bo, created_at: "2020-03-01T09:00:00+08:00"}}
  - {{id: cy, created_at: "2020-04-01T09:00:00+08:00"}}
  - {{id: di, created_at: "2020-05-01T09:00:00+08:00", chat_permission: false}}
groups:
  presale: {{members: [ann, bo], sources: [product_page]}}
  care: {{members: [cy], sources: [order_page]}}
route:
  - {{step: recent_contact, window: 72h}}
  - bindings
  - other_online
  - {{step: queue, when: shop.online > 0}}
  - stage
{extra}"""


def status(minute: int, agent: str, value: str = "online") -> dict[str, Any]:
    return {"type": "agent_status", "at": T.format(minute), "agent": agent, "status": value}


def message(minute: int, buyer: str, source: str = "order_page") -> dict[str, Any]:
    return {"type": "message", "at": T.format(minute), "buyer": buyer, "source": source}


def pick(minute: int, agent: str, buyer: str | None = None) -> dict[str, Any]:
    event = {"type": "pick", "at": T.format(minute), "agent": agent}
    if buyer is not None:
        event["buyer"] = buyer
    return event


def act(minute: int, kind: str, agent: str, buyer: str) -> dict[str, Any]:
    return {"type": kind, "at": T.format(minute), "agent": agent, "buyer": buyer}


def write(tmp_path: Path, events: list[dict[str, Any]], extra: str = "") -> tuple[Path, Path]:
    policy = tmp_path / "shop.yaml"
    policy.write_text(POLICY.format(extra=extra), encoding="utf-8")
    return policy, write_log(tmp_path, events)


def simulate(tmp_path: Path, events: list[dict[str, Any]], extra: str = "",
             name: str = "out.jsonl") -> list[dict[str, Any]]:
    """`policyc simulate` the shop over these events: its records."""
    policy, log = write(tmp_path, events, extra)
    return simulate_records(policy, log, tmp_path / name)


def of_pick(records: list[dict[str, Any]], event: dict[str, Any]) -> list[dict[str, Any]]:
    """The records the pick `event` made."""
    return [r for r in records if r.get("event") == event]


ONLINE = [status(0, "ann"), status(0, "bo"), status(0, "cy"), status(0, "di")]


def test_T12_a_pick_of_a_buyer_with_no_chat_starts_one(tmp_path: Path) -> None:
    started = pick(1, "ann", "b1")
    records = simulate(tmp_path, [*ONLINE, started])
    (rec,) = of_pick(records, started)
    assert {k: rec[k] for k in ("kind", "buyer", "outcome", "agent", "group", "source",
                                "reason", "selection", "path", "auto_replies")} == {
        "kind": "initiated", "buyer": "b1", "outcome": "assigned", "agent": "ann",
        "group": "presale", "source": None, "reason": "agent_initiated", "selection": None,
        "path": [], "auto_replies": []}
    # every line stays valid against the published record schema
    schema = json.loads((ROOT / "policyc" / "schemas" / "record.schema.json").read_text())
    validator = jsonschema.validators.validator_for(schema)(schema)
    for r in records:
        validator.validate(r)


def test_T12_the_group_is_the_agents_first_and_none_for_an_agent_in_no_group(
        tmp_path: Path) -> None:
    events = [*ONLINE, status(0, "boss"), pick(1, "cy", "b1"), pick(2, "boss", "b2")]
    records = simulate(tmp_path, events)
    got = {r["buyer"]: (r["agent"], r["group"]) for r in records if r["kind"] == "initiated"}
    assert got == {"b1": ("cy", "care"), "b2": ("boss", None)}


def test_T12_with_offers_the_started_chat_opens_at_once(tmp_path: Path) -> None:
    started = pick(1, "ann", "b1")
    records = simulate(tmp_path, [*ONLINE, started, message(2, "b1")],
                       extra="offers:\n  push_timeout: 30s\n")
    assert [(r["kind"], r["outcome"], r["reason"]) for r in records
            if r.get("buyer") == "b1"] == [("initiated", "assigned", "agent_initiated"),
                                           ("continued", "assigned", "agent_initiated")]
    assert "offer_due" not in of_pick(records, started)[0]


@pytest.mark.parametrize(("events", "why"), [
    ([status(0, "ann", "offline")], "ann cannot pick: offline"),
    ([message(1, "x1", "product_page"), message(1, "x2", "product_page"),
      message(1, "x3", "product_page")], "ann cannot pick: at_capacity"),
], ids=["offline", "at_capacity"])
def test_T12_the_picker_is_checked_as_for_any_pick(events: list[dict[str, Any]], why: str,
                                                    tmp_path: Path) -> None:
    """Offline agents cannot start chats; the cap holds for started chats too (Y2)."""
    started = pick(3, "ann", "b1")
    records = simulate(tmp_path, [status(0, "ann"), status(0, "bo"), *events, started])
    assert [(r["kind"], r["why"]) for r in of_pick(records, started)] == [("ignored", why)]
    assert not [r for r in records if r["kind"] == "initiated"]


def test_T12_an_agent_without_chat_permission_cannot_start_a_chat(tmp_path: Path) -> None:
    started = pick(1, "di", "b1")
    records = simulate(tmp_path, [*ONLINE, started])
    assert [r["why"] for r in of_pick(records, started)] == ["di cannot pick: "
                                                             "no_chat_permission"]


def test_T12_a_busy_or_hidden_agent_may_start_a_chat(tmp_path: Path) -> None:
    """As for picks from the queue (S9, Y1 keep them from automatic chats only)."""
    events = [*ONLINE, status(1, "ann", "busy"), status(1, "bo", "hidden"),
              pick(2, "ann", "b1"), pick(2, "bo", "b2")]
    records = simulate(tmp_path, events)
    assert [(r["buyer"], r["agent"]) for r in records if r["kind"] == "initiated"] == [
        ("b1", "ann"), ("b2", "bo")]


def test_T12_a_buyer_in_a_conversation_keeps_it(tmp_path: Path) -> None:
    """The same agent again: nothing to start; another agent: a pick never takes a
    colleague's chat (that is a transfer), started or routed alike."""
    again, other = pick(2, "ann", "b1"), pick(3, "bo", "b1")
    routed_other = pick(4, "ann", "b2")
    events = [*ONLINE, pick(1, "ann", "b1"), again, other, message(4, "b2"), routed_other]
    records = simulate(tmp_path, events)
    assert [r["why"] for r in of_pick(records, again)] == ["ann is already talking with b1"]
    assert [r["why"] for r in of_pick(records, other)] == [
        "b1 is talking with ann: a pick does not take a colleague's chat (transfer it)"]
    assert [r["why"] for r in of_pick(records, routed_other)] == [
        "b2 is talking with cy: a pick does not take a colleague's chat (transfer it)"]
    assert [r["buyer"] for r in records if r["kind"] == "initiated"] == ["b1"]


def test_T12_a_buyer_with_a_standing_offer_keeps_it(tmp_path: Path) -> None:
    mine, other = pick(1, "cy", "b1"), pick(1, "ann", "b1")
    records = simulate(tmp_path, [*ONLINE, message(1, "b1"), mine, other],
                       extra="offers:\n  push_timeout: 30s\n")
    assert [r["why"] for r in of_pick(records, mine)] == ["b1's chat is offered to cy: "
                                                          "accept it"]
    assert [r["why"] for r in of_pick(records, other)] == [
        "b1's chat is offered to cy, not accepted yet"]


def test_T12_a_pick_without_buyer_still_takes_only_waiting_chats(tmp_path: Path) -> None:
    bare = pick(1, "ann")
    records = simulate(tmp_path, [*ONLINE, bare])
    assert [(r["kind"], r["why"]) for r in of_pick(records, bare)] == [
        ("ignored", "nothing to pick")]


def test_T12_a_named_waiting_buyer_is_still_picked_from_the_queue(tmp_path: Path) -> None:
    """A buyer waiting in the queue is taken from it (Y9), not started anew: ann, busy,
    closes a chat (which pulls nothing) and picks the queued b1 by name."""
    named = pick(5, "ann", "b1")
    events = [status(0, "ann"), message(1, "x1", "product_page"),
              message(1, "x2", "product_page"), message(2, "b1", "product_page"),
              status(3, "ann", "busy"), act(4, "close", "ann", "x1"), named]
    records = simulate(tmp_path, events)
    assert [(r["kind"], r["buyer"], r["reason"]) for r in records if r.get("cause") == named] \
        == [("release", "b1", "queue_pull")]
    assert not [r for r in records if r["kind"] == "initiated"]


def test_T12_the_started_chat_lives_on_like_any_other(tmp_path: Path) -> None:
    """Messages join it (not routed again), the agent closes it, and the buyer's next chat
    goes to the agent by recent contact (S8, T10), though the bound group is bo's too."""
    events = [*ONLINE, pick(1, "ann", "b1"), message(2, "b1", "product_page"),
              act(3, "reply", "ann", "b1"), act(5, "close", "ann", "b1"),
              status(6, "bo"), message(40, "b1", "order_page")]
    records = simulate(tmp_path, events)
    assert [(r["kind"], r["agent"], r["reason"]) for r in records if r.get("buyer") == "b1"] \
        == [("initiated", "ann", "agent_initiated"), ("continued", "ann", "agent_initiated"),
            ("route", "ann", "recent_contact")]


def test_T12_an_idle_started_chat_closes_on_its_timeout(tmp_path: Path) -> None:
    """It starts read (no buyer message waits in it), so S11 close_read_idle runs from
    the start; with nothing unanswered, no agent_no_response or reassignment is due."""
    extra = "timeouts:\n  close_read_idle: 10m\n  agent_no_response: 2m\n" \
            "  reassign_unreplied: 1m\n"
    events = [*ONLINE, pick(1, "ann", "b1"), {"type": "tick", "at": T.format(30)}]
    records = simulate(tmp_path, events, extra=extra)
    closed = [r for r in records if r["kind"] == "closed"]
    assert [(r["buyer"], r["agent"], r["why"], r["at"]) for r in closed] == [
        ("b1", "ann", "close_read_idle", T.format(11))]
    assert [r["kind"] for r in records if r.get("buyer") == "b1"] == ["initiated", "closed"]


def test_T12_counters_count_the_started_chat_as_agent_initiated(tmp_path: Path,
                                                                  capsys: Any) -> None:
    policy, log = write(tmp_path, [*ONLINE, pick(1, "ann", "b1"), act(2, "reply", "ann", "b1")])
    assert main(["simulate", str(policy), "--log", str(log), "--no-journal",
                 "--format", "json"]) == 0
    ann = json.loads(capsys.readouterr().out)["counters"]["agents"]["ann"]
    assert (ann["open"], ann["unread"], ann["pending"]) == (1, 0, 0)
    today = ann["today"]
    assert today["assignments"]["agent_initiated"] == 1 and today["assignments"]["auto"] == 0
    assert today["opened"] == 1
    assert today["first_response"]["count"] == 0  # no buyer waited for this reply


@pytest.mark.parametrize(("lang", "reason", "source"), [
    ("en", "the agent started this chat with the buyer itself (not routed) "
           "(agent_initiated; T12)",
     "none: ann started the chat with the buyer (not routed)"),
    ("zh-Hans", "客服主动向买家发起的聊天（不分流）（agent_initiated；T12）",
     "无：ann 主动向买家发起了聊天（不分流）"),
    ("zh-Hant", "客服主動向買家發起的聊天（不分流）（agent_initiated；T12）",
     "無：ann 主動向買家發起了聊天（不分流）"),
], ids=["en", "zh-Hans", "zh-Hant"])
def test_T12_explain_lists_the_started_chat_in_merchant_words(
        lang: str, reason: str, source: str, tmp_path: Path, capsys: Any) -> None:
    policy, log = write(tmp_path, [*ONLINE, pick(1, "ann", "b1"), message(2, "b1")])
    assert main(["explain", str(policy), "--log", str(log), "--buyer", "b1",
                 "--lang", lang]) == 0
    first = capsys.readouterr().out.split("\n\n")[0]
    assert "initiated" in first.splitlines()[0]
    assert reason in first and source in first
    assert main(["explain", str(policy), "--log", str(log), "--buyer", "b1", "--lang", lang,
                 "--format", "json"]) == 0
    shown = json.loads(capsys.readouterr().out)["records"][0]
    assert (shown["kind"], shown["reason"]) == ("initiated", "agent_initiated")
    assert reason.startswith(shown["reason_text"])


def test_T12_started_chats_replay_byte_identical(tmp_path: Path) -> None:
    events = [*ONLINE, pick(1, "ann", "b1"), pick(1, "bo", "b2"), message(2, "b1"),
              pick(2, "cy", "b1"), act(3, "close", "bo", "b2"), message(4, "b2")]
    simulate(tmp_path, events, name="a.jsonl")
    simulate(tmp_path, events, name="b.jsonl")
    first = (tmp_path / "a.jsonl").read_bytes()
    assert first == (tmp_path / "b.jsonl").read_bytes()
    assert first.count(b'"kind":"initiated"') == 2
