"""S13, Y14 counters: event sequences in, `Engine.counters()` out (event times only)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_engine import LOGS, SHOPEE, conv, engine, feed, msg, status, t, tick

from policyc.cli import main


def test_S13_shop_counters_open_closed_unread_unassigned_online() -> None:
    e = engine()
    feed(e, status(0, "chrissy", "online"), status(0, "fanny", "online"),
         msg(1, "b1"), msg(2, "b2", "order_page"), conv("read", 3, "chrissy", "b1"),
         conv("close", 4, "fanny", "b2"), status(5, "chrissy", "hidden"),
         status(5, "fanny", "offline"), msg(6, "b3"))  # nobody online: staged
    shop = e.counters()["shop"]
    assert shop == {"open": 1, "unread": 0, "unassigned": 1,
                    "waiting": {"queue": 0, "staging": 1, "waiting": 0, "pool": 0},
                    "closed_today": 1, "closed_total": 1, "agents_online": 0,
                    "agents_by_status": {"online": 0, "busy": 0, "hidden": 1, "offline": 6}}


def test_S13_agent_status_open_closed_unread_today_online_and_hidden_time() -> None:
    e = engine()
    feed(e, status(0, "chrissy", "online"), msg(1, "b1"), msg(2, "b2"),
         conv("close", 3, "chrissy", "b1"), status(10, "chrissy", "hidden"), tick(25))
    c = e.counters()
    assert c["day"] == "2026-11-23" and c["at"] == t(25)
    chrissy = c["agents"]["chrissy"]
    assert (chrissy["status"], chrissy["open"], chrissy["unread"]) == ("hidden", 1, 1)
    assert (chrissy["today"]["opened"], chrissy["today"]["closed"]) == (2, 1)
    assert chrissy["today"]["seconds"] == {"online": 600, "busy": 0, "hidden": 900,
                                           "offline": 0}
    assert c["agents"]["elly"]["today"]["seconds"]["offline"] == 25 * 60


def test_S13_today_starts_at_shop_local_midnight_total_keeps_counting() -> None:
    e = engine()
    feed(e, status(14 * 60, "elly", "online"),  # 23:00 local
         msg(14 * 60 + 5, "b1"), conv("close", 14 * 60 + 10, "elly", "b1"),
         tick(15 * 60 + 30))  # 00:30 the next day
    elly = e.counters()["agents"]["elly"]
    assert e.counters()["day"] == "2026-11-24"
    assert elly["today"]["seconds"]["online"] == 30 * 60
    assert elly["total"]["seconds"]["online"] == 90 * 60
    assert (elly["today"]["closed"], elly["total"]["closed"]) == (0, 1)
    assert e.counters()["shop"]["closed_today"] == 0


def test_Y14_assignments_by_cause_auto_transfer_in_out_agent_initiated() -> None:
    e = engine("youzan")
    feed(e, msg(0, "s1", "micro_mall"), status(1, "guodong", "online"),  # staged, then released
         msg(2, "s2", "micro_mall"),  # routed
         status(3, "lou-chengfeng", "online"),
         conv("transfer", 3, "guodong", "s2", to_agent="lou-chengfeng"),
         {"type": "set_capacity", "at": t(4), "agent": "guodong", "capacity": 1},
         {"type": "set_capacity", "at": t(4), "agent": "lou-chengfeng", "capacity": 1},
         msg(5, "s3", "micro_mall"), msg(5, "s4", "micro_mall"),  # queued: both at capacity
         status(5, "lina", "online"),  # admin: no automatic chats (Y4)...
         {"type": "pick", "at": t(6), "agent": "lina", "buyer": "s4"})  # ...picks by hand
    agents = e.counters()["agents"]
    assert agents["guodong"]["total"]["assignments"] == {
        "auto": 2, "transfer_in": 0, "transfer_out": 1, "agent_initiated": 0}
    assert agents["lou-chengfeng"]["total"]["assignments"]["transfer_in"] == 1
    assert agents["lina"]["total"]["assignments"] == {
        "auto": 0, "transfer_in": 0, "transfer_out": 0, "agent_initiated": 1}
    assert agents["guodong"]["total"]["opened"] == 2


def test_Y14_first_response_time_from_assignment_to_first_reply() -> None:
    e = engine("youzan")
    feed(e, status(0, "guodong", "online"), msg(1, "r1", "micro_mall"),
         conv("reply", 3, "guodong", "r1"), msg(4, "r1", "micro_mall"),
         conv("reply", 9, "guodong", "r1"),  # a later reply is no first response
         msg(10, "r2", "micro_mall"), conv("reply", 14, "guodong", "r2"))
    first = e.counters()["agents"]["guodong"]["today"]["first_response"]
    assert first == {"count": 2, "average_seconds": 180}  # (2 min + 4 min) / 2
    assert e.counters()["agents"]["jason"]["today"]["first_response"] == {
        "count": 0, "average_seconds": None}


def test_Y14_busy_and_offline_durations() -> None:
    e = engine("youzan")
    feed(e, status(0, "jason", "online"), status(20, "jason", "busy"),
         status(50, "jason", "offline"), tick(60))
    assert e.counters()["agents"]["jason"]["today"]["seconds"] == {
        "online": 1200, "busy": 1800, "hidden": 0, "offline": 600}


@pytest.mark.parametrize("log", LOGS, ids=lambda p: p.stem)
def test_S13_counters_agree_with_the_engine_state_on_shipped_logs(log: Path) -> None:
    events = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    e = engine(log.stem.removesuffix("-day"))
    records = e.run(events)
    c = e.counters()
    assert c["shop"]["open"] == len(e.conversations)
    assert c["shop"]["unassigned"] == sum(len(v) for v in e.waiting().values())
    for agent_id, row in c["agents"].items():
        agent = e.shop.agents[agent_id]
        assert (row["open"], row["unread"], row["status"]) == \
            (agent.open, agent.unread, agent.status)
        total = row["total"]
        assert sum(total["seconds"].values()) == round(
            (e.shop.at - e.tally.status_since[agent_id][1])
            + sum(sum(d.values()) for d in e.tally.seconds[agent_id].values()))
        given = sum(r.get("agent") == agent_id for r in records
                    if r["kind"] in ("route", "release", "transfer", "accepted")
                    and r["outcome"] == "assigned")  # an offer counts once accepted
        taken = total["assignments"]
        assert taken["auto"] + taken["transfer_in"] + taken["agent_initiated"] == given or \
            agent.role == "main"  # main-account conversations have agent null (CONTRACT)
    assert e.counters() == e.counters()  # asking changes nothing


def test_simulate_summary_has_the_counters(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    log = tmp_path / "day.jsonl"
    log.write_text("".join(json.dumps(ev) + "\n" for ev in [
        status(0, "elly", "online"), msg(1, "b1"), conv("reply", 3, "elly", "b1")]))
    assert main(["simulate", str(SHOPEE), "--log", str(log), "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["counters"]["agents"]["elly"]["today"]["first_response"]["count"] == 1
    assert main(["simulate", str(SHOPEE), "--log", str(log)]) == 0
    text = capsys.readouterr().out
    assert "counters at 2026-11-23T09:03:00+08:00: 1 open, 0 unread, 0 unassigned, " \
           "0 closed today, 1 agents online" in text
    assert "  elly  online  1 open 0 unread, today 1 opened 0 closed, " \
           "online 0h03m hidden 0h00m, first response avg 120s" in text
