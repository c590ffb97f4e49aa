"""Discrete-event time (runtime/timers.py): every timer fires at its own instant, ticks or not.

Each rule that acts when time passes is tested on a log with no `tick` at all;
a property checks that ticks anywhere change no record; `Engine.advance_to`
is the API a live caller moves time with.
"""

from __future__ import annotations

import copy
import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_engine import (
    ROOT,
    _artifact,
    conv,
    engine,
    feed,
    msg,
    status,
    streams,
    t,
)

from policyc.cli import main
from policyc.runtime.clock import parse_instant
from policyc.runtime.engine import Engine
from policyc.runtime.router import Router

Event = dict[str, Any]


def at_tick(when: str) -> dict[str, str]:
    """The event a timer's record names as its cause: the instant it fired at."""
    return {"type": "tick", "at": when}


# -- one named test per rule, no tick in any log ------------------------------------------

def test_S11_closed_at_exactly_read_plus_30_minutes_without_ticks() -> None:
    e = engine()
    feed(e, status(0, "chrissy", "online"), msg(1, "b1"), conv("read", 2, "chrissy", "b1"))
    recs = feed(e, msg(90, "b2"))  # the next event comes an hour later
    assert (recs[0]["kind"], recs[0]["buyer"], recs[0]["why"], recs[0]["at"]) == \
        ("closed", "b1", "close_read_idle", t(32))
    assert recs[0]["event"] == at_tick(t(32))
    assert recs[1]["kind"] == "route" and recs[1]["at"] == t(90)


def test_S11_a_message_at_the_close_instant_finds_the_conversation_closed() -> None:
    e = engine()
    feed(e, status(0, "chrissy", "online"), msg(1, "b1"), conv("read", 2, "chrissy", "b1"))
    recs = feed(e, msg(32, "b1"))  # read at 09:02, idle 30 minutes at 09:32:00 sharp
    assert [r["kind"] for r in recs] == ["closed", "route"]


def test_S8_grace_runs_out_at_offline_plus_10_minutes_without_ticks() -> None:
    e = engine()
    feed(e, status(0, "chrissy", "online"), msg(1, "b1"), conv("close", 2, "chrissy", "b1"),
         status(4, "chrissy", "offline"), status(4, "elly", "online"))
    recs = feed(e, msg(6, "b1"))
    assert [(r["kind"], r["reason"]) for r in recs] == [("route", "recent_contact_waiting")]
    recs = feed(e, msg(40, "b9"))  # nothing happens between 09:06 and 09:40
    release = recs[0]
    assert (release["kind"], release["buyer"], release["agent"], release["at"]) == \
        ("release", "b1", "elly", t(14))
    assert release["cause"] == at_tick(t(14))


def test_Y11_agent_no_response_closes_at_its_instant_without_ticks() -> None:
    e = engine("youzan")  # agent_no_response 10m, customer_no_response 15m
    feed(e, status(0, "jason", "online"), msg(1, "c1", "own_app"))
    recs = feed(e, msg(60, "c9", "own_app"))
    assert (recs[0]["kind"], recs[0]["buyer"], recs[0]["why"], recs[0]["at"]) == \
        ("closed", "c1", "agent_no_response", t(11))


def test_Y11_customer_no_response_closes_at_its_instant_without_ticks() -> None:
    e = engine("youzan")
    feed(e, status(0, "jason", "online"), msg(1, "c1", "own_app"),
         conv("reply", 3, "jason", "c1"))
    recs = feed(e, msg(60, "c9", "own_app"))
    assert (recs[0]["kind"], recs[0]["buyer"], recs[0]["why"], recs[0]["at"]) == \
        ("closed", "c1", "customer_no_response", t(18))


def test_reassign_unreplied_moves_at_its_instant_without_ticks() -> None:
    e = engine(timeouts={"reassign_unreplied": 600})
    feed(e, status(0, "chrissy", "online"), msg(1, "b1"), status(5, "elly", "online"),
         status(6, "chrissy", "hidden"))
    recs = feed(e, msg(60, "b9"))
    assert (recs[0]["why"], recs[0]["buyer"], recs[0]["agent"], recs[0]["at"]) == \
        ("reassign_unreplied", "b1", "elly", t(11))


def ask(m: float, buyer: str) -> Event:
    return msg(m, buyer, "product_page", wants_human=True)


def test_T2_T3_a_slot_between_two_messages_runs_at_the_slot_with_its_shop_and_scope() -> None:
    e = engine("taobao")  # windows 09:00-09:30 and 13:30-18:00
    day = 24 * 60
    feed(e, ask(-day - 60, "p-old"),  # 08:00 the day before: 25 hours old at 09:00
         ask(-30, "p1"), status(-15, "c-wu", "online"), status(-14, "a-chen", "online"))
    recs = feed(e, status(5, "b-lin", "online"),  # comes online after the 09:00 slot
                ask(10, "p2"))
    run = next(r for r in recs if r["kind"] == "pool_run" and r["slot"] == t(0))
    assert (run["at"], run["online"], run["in_scope"], run["buyers"]) == \
        (t(0), 2, 1, ["p1"])  # not b-lin (09:05), not p-old (25 h), not p2 (09:10)
    given = [(r["buyer"], r["agent"] in ("a-chen", "c-wu"), r["at"])
             for r in recs if r.get("pool_run") == t(0)]
    assert given == [("p1", True, t(0))]



def _berlin(windows: list[dict[str, int]]) -> Engine:
    artifact = copy.deepcopy(_artifact("taobao"))
    artifact["shop"]["timezone"] = "Europe/Berlin"
    artifact["settings"]["offline_pool"]["windows"] = windows
    return Engine(Router(artifact))


def _slots(e: Engine, first: str, last: str) -> list[str]:
    e.feed({"type": "tick", "at": first})
    return [r["slot"] for r in e.advance_to(last) if r["kind"] == "pool_run"]


def test_T2_Europe_Berlin_spring_forward_day_fires_each_wall_clock_slot_once_in_order() -> None:
    """Issue 14, item 3: 02:00-04:00 on 2026-03-29 ran 03:00, 03:30, 03:00."""
    e = _berlin([{"from": 2 * 60, "to": 4 * 60}])
    slots = _slots(e, "2026-03-29T00:00:00+01:00", "2026-03-29T06:00:00+02:00")
    # 02:00 and 02:30 do not exist that day (the clock jumps from 02:00 to 03:00)
    assert slots == ["2026-03-29T03:00:00+02:00", "2026-03-29T03:30:00+02:00",
                     "2026-03-29T04:00:00+02:00"]


def test_T2_Europe_Berlin_fall_back_day_runs_a_repeated_time_once() -> None:
    e = _berlin([{"from": 2 * 60, "to": 4 * 60}])
    slots = _slots(e, "2026-10-25T00:00:00+02:00", "2026-10-25T06:00:00+01:00")
    # 02:00 and 02:30 happen twice that day: each runs at its first occurrence only
    assert slots == ["2026-10-25T02:00:00+02:00", "2026-10-25T02:30:00+02:00",
                     "2026-10-25T03:00:00+01:00", "2026-10-25T03:30:00+01:00",
                     "2026-10-25T04:00:00+01:00"]
    assert slots == sorted(slots, key=parse_instant)


def test_T2_spring_forward_through_simulate(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    """The same day through `policyc simulate` on a Berlin copy of the taobao policy."""
    text = (ROOT / "policies" / "taobao.yaml").read_text(encoding="utf-8")
    text = text.replace("timezone: Asia/Shanghai", "timezone: Europe/Berlin")
    text = text.replace("    - {from: 09:00, to: 09:30}\n    - {from: 13:30, to: 18:00}",
                        "    - {from: 02:00, to: 04:00}")
    assert "Europe/Berlin" in text and "02:00, to: 04:00" in text
    policy = tmp_path / "berlin.yaml"
    policy.write_text(text, encoding="utf-8")
    for path in (ROOT / "policies").glob("taobao*.yaml"):  # includes beside it
        if path.name != "taobao.yaml":
            (tmp_path / path.name).write_text(path.read_text(encoding="utf-8"))
    log = tmp_path / "day.jsonl"
    log.write_text("".join(json.dumps(e) + "\n" for e in (
        {"type": "tick", "at": "2026-03-29T00:00:00+01:00"},
        {"type": "message", "at": "2026-03-29T05:00:00+02:00", "buyer": "b1",
         "source": "product_page"},
        {"type": "tick", "at": "2026-03-29T06:00:00+02:00"})))  # the reproduction
    out = tmp_path / "records.jsonl"
    assert main(["simulate", str(policy), "--log", str(log), "-o", str(out),
                 "--no-journal"]) == 0
    capsys.readouterr()
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["slot"] for r in records if r["kind"] == "pool_run"] == [
        "2026-03-29T03:00:00+02:00", "2026-03-29T03:30:00+02:00", "2026-03-29T04:00:00+02:00"]


# -- advance_to: the API a live caller moves time with ----------------------------------------

def test_advance_to_fires_what_is_due_and_time_never_goes_back() -> None:
    e = engine()
    feed(e, status(0, "chrissy", "online"), msg(1, "b1"), conv("read", 2, "chrissy", "b1"))
    assert e.next_due() == t(32)
    assert e.advance_to(t(31)) == []
    recs = e.advance_to(parse_instant(t(45)))  # epoch seconds work too
    assert [(r["kind"], r["at"]) for r in recs] == [("closed", t(32))]
    assert e.advance_to(t(45)) == []  # idempotent
    with pytest.raises(ValueError, match="time does not go back"):
        e.advance_to(t(44))


def test_advance_to_before_any_event_starts_the_shop_there() -> None:
    e = engine("taobao")
    recs = e.advance_to(t(0))
    assert [(r["kind"], r["slot"]) for r in recs] == [("pool_run", t(0))]
    assert e.shop.at == parse_instant(t(0))


# -- ticks change nothing -----------------------------------------------------------------

VARIANTS: dict[str, dict[str, dict[str, Any]]] = {
    "shopee": {"timeouts": {"reassign_unreplied": 300, "close_read_idle": 600},
               "staging": {"mode": "even_split", "cap": 2}},
    "youzan": {},
    "taobao": {"timeouts": {"close_read_idle": 900}},
    "cosmetics": {},
}


def _run(name: str, events: list[Event]) -> list[str]:
    e = engine(name, **VARIANTS[name])
    return [json.dumps(r, ensure_ascii=False) for ev in events for r in e.feed(ev)]


def _every_second(events: list[Event]) -> list[Event]:
    """The events with a tick at every whole second from the first to the last."""
    first, last = parse_instant(events[0]["at"]), parse_instant(events[-1]["at"])
    zero = datetime.fromisoformat(events[0]["at"])
    out: list[Event] = []
    i = 0
    for n in range(int(last - first) + 1):
        when = first + n
        while i < len(events) and parse_instant(events[i]["at"]) <= when:
            out.append(events[i])
            i += 1
        out.append({"type": "tick", "at": (zero + timedelta(seconds=n)).isoformat()})
    return out + events[i:]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(streams(), st.data())
def test_ticks_anywhere_change_no_record(stream: tuple[str, list[Event]],
                                         data: st.DataObject) -> None:
    """Inserting or removing ticks anywhere (after the first event, up to the last) changes
    no record, byte for byte, and matches a run with a tick every second."""
    name, events = stream
    bare = [e for e in events if e["type"] != "tick"]
    if not bare:
        return
    expected = _run(name, bare)
    mixed = list(bare)
    for _ in range(data.draw(st.integers(0, 8))):
        i = data.draw(st.integers(1, len(mixed)))  # never before the first event
        before = datetime.fromisoformat(mixed[i - 1]["at"])
        gap = parse_instant(mixed[i]["at"]) - before.timestamp() if i < len(mixed) else 0
        when = before + timedelta(seconds=data.draw(st.integers(0, max(0, int(gap)))))
        mixed.insert(i, {"type": "tick", "at": when.isoformat()})
    assert _run(name, mixed) == expected
    while events[0]["type"] == "tick":  # a tick before the first event starts the shop
        events = events[1:]
    while events[-1]["type"] == "tick":  # one after the last moves time past it
        events = events[:-1]
    assert _run(name, events) == expected
    if parse_instant(bare[-1]["at"]) - parse_instant(bare[0]["at"]) <= 3 * 3600:
        assert _run(name, _every_second(bare)) == expected


def test_a_journaled_replay_refuses_to_move_time_without_an_event(tmp_path: Path) -> None:
    from policyc.runtime.journal import JournaledEngine, JournalError

    e = JournaledEngine(Router(copy.deepcopy(_artifact("shopee"))), tmp_path / "j.sqlite")
    e.feed_line(1, status(0, "chrissy", "online"))
    with pytest.raises(JournalError, match="only with its log's events"):
        e.advance_to(t(5))
