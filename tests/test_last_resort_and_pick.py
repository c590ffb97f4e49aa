"""Issue 14 items 1 and 2 through the CLI: the S4-C last-resort main account, and `pick`
at capacity (Y9, Y2), on the small shop the issue reproduced them with."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from replay import simulate_records, write_log

from policyc.cli import main

T = "2026-11-23T09:{:02d}:00+08:00"

# Issue 14 item 1: main `boss`; `ann` (capacity 1) in group `g` bound to product_page.
POLICY = """\
policyc: 1
shop:
  id: s4c-last-resort
  timezone: Asia/Shanghai
  grouping: on
  include_main_account: true
  sources: [product_page]
roster:
  - {{id: boss, role: main, created_at: "2020-01-01T09:00:00+08:00"}}
  - {{id: ann, created_at: "2020-02-01T09:00:00+08:00", capacity: 1}}
  - {{id: cy, created_at: "2020-03-01T09:00:00+08:00", chat_permission: false}}
groups:
  g: {{members: [ann], sources: [product_page]}}
route:
{route}
"""
ISSUE_ROUTE = ["bindings", "other_online", "main_account",
               "{step: queue, when: shop.online > 0}", "stage"]
MAIN_FIRST = ["main_account", "bindings", "other_online",
              "{step: queue, when: shop.online > 0}", "stage"]


def status(minute: int, agent: str, value: str) -> dict[str, Any]:
    return {"type": "agent_status", "at": T.format(minute), "agent": agent, "status": value}


def message(minute: int, buyer: str) -> dict[str, Any]:
    return {"type": "message", "at": T.format(minute), "buyer": buyer, "source": "product_page"}


def simulate(tmp_path: Path, route: list[str], events: list[dict[str, Any]]
             ) -> list[dict[str, Any]]:
    """`policyc simulate` the shop with this route over these events: its records."""
    policy = tmp_path / "shop.yaml"
    policy.write_text(POLICY.format(route="\n".join(f"  - {s}" for s in route)),
                      encoding="utf-8")
    return simulate_records(policy, write_log(tmp_path, events), tmp_path / "out.jsonl")


def routed(records: list[dict[str, Any]]) -> dict[str, tuple[str, str | None, str]]:
    return {r["buyer"]: (r["outcome"], r["agent"], r["reason"]) for r in records
            if r["kind"] == "route"}


@pytest.mark.parametrize("route", [ISSUE_ROUTE, MAIN_FIRST], ids=["issue_order", "main_first"])
def test_S4C_main_account_waits_while_another_agent_is_online_at_capacity(
        route: list[str], tmp_path: Path) -> None:
    """Issue 14 item 1: b2 came to boss (`main_account_fallback`) while ann was online."""
    records = simulate(tmp_path, route, [status(0, "boss", "online"), status(0, "ann", "online"),
                                         message(1, "b1"), message(2, "b2")])
    assert routed(records) == {"b1": ("assigned", "ann", "source_group"),
                               "b2": ("queued", None, "queued_all_busy")}


@pytest.mark.parametrize("away", ["offline", "busy", "hidden"])
def test_S4C_main_account_takes_the_chat_when_no_other_agent_is_online(
        away: str, tmp_path: Path) -> None:
    """The last resort still works: ann not online, cy online but without chat permission."""
    records = simulate(tmp_path, MAIN_FIRST, [status(0, "boss", "online"),
                                              status(0, "cy", "online"),
                                              status(0, "ann", away), message(1, "b1")])
    assert routed(records) == {"b1": ("assigned", "boss", "main_account_fallback")}


def test_S4C_explain_says_why_the_main_account_passed(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    policy = tmp_path / "shop.yaml"
    policy.write_text(POLICY.format(route="\n".join(f"  - {s}" for s in MAIN_FIRST)),
                      encoding="utf-8")
    state = tmp_path / "state.json"
    state.write_text(json.dumps({"at": T.format(2), "agents": [
        {"id": "boss", "status": "online"},
        {"id": "ann", "status": "online", "open": 1, "unread": 1}]}), encoding="utf-8")
    event = tmp_path / "event.json"
    event.write_text(json.dumps(message(2, "b2")), encoding="utf-8")
    assert main(["explain", str(policy), "--state", str(state), "--event", str(event),
                 "--format", "json"]) == 0
    decision = json.loads(capsys.readouterr().out)
    assert (decision["outcome"], decision["reason"]) == ("queued", "queued_all_busy")
    first = decision["trace"][0]
    assert first["dropped"] == [{"agent": "boss", "why": "main_account_last_resort"}]
    assert first["failed"]["actual"] == "1"


def _pick_log(picker_status: str) -> list[dict[str, Any]]:
    """ann takes b1 (at her cap of 1), b2 is queued behind her, then ann in `picker_status`
    picks by hand."""
    return [status(0, "ann", "online"), message(1, "b1"), message(3, "b2"),
            status(4, "ann", picker_status),
            {"type": "pick", "at": T.format(5), "agent": "ann"}]


@pytest.mark.parametrize("picker_status", ["online", "busy", "hidden"])
def test_Y9_pick_at_capacity_is_refused_whatever_the_status(
        picker_status: str, tmp_path: Path) -> None:
    """Issue 14 item 2: a busy or hidden agent at its cap picked queued chats."""
    records = simulate(tmp_path, ISSUE_ROUTE, _pick_log(picker_status))
    assert routed(records)["b2"] == ("queued", None, "queued_all_busy")
    last = records[-1]
    assert (last["kind"], last["why"]) == ("ignored", "ann cannot pick: at_capacity")


@pytest.mark.parametrize("picker_status", ["busy", "hidden"])
def test_Y9_pick_under_capacity_takes_the_queued_chat(picker_status: str,
                                                      tmp_path: Path) -> None:
    """Busy and hidden agents keep picking by hand while they have room (README)."""
    log = _pick_log(picker_status)
    # ann closes b1 while busy or hidden: that frees her cap but pulls nothing (Y9).
    log.insert(-1, {"type": "close", "at": T.format(5), "agent": "ann", "buyer": "b1"})
    records = simulate(tmp_path, ISSUE_ROUTE, log)
    last = records[-1]
    assert (last["kind"], last["buyer"], last["agent"], last["reason"], last["cause"]["type"]) \
        == ("release", "b2", "ann", "queue_pull", "pick")


def test_Y9_an_offline_agent_cannot_pick(tmp_path: Path) -> None:
    records = simulate(tmp_path, ISSUE_ROUTE, _pick_log("offline"))
    assert records[-1]["why"] == "ann cannot pick: offline"
