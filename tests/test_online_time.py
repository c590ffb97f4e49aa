"""Y6 through the engine: `balanced` ("人人平等": agents online for the same time receive
about the same number of customers) and `weighted` ("能者多劳") count assignments from
the moment an agent joins, level with those it competes with, never a whole shift's
backlog to catch up on (issue 12: "`balanced` ignores time online").
"""

from __future__ import annotations

import collections
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from policyc.api import load
from policyc.cli import main
from policyc.runtime.engine import Engine

T0 = datetime.fromisoformat("2026-11-23T08:00:00+08:00")

POLICY = """\
policyc: 1
shop: {id: y6-demo, timezone: Asia/Shanghai}
roster:
  - {id: ann, created_at: "2024-01-01T09:00:00+08:00", score: 80}
  - {id: bo, created_at: "2024-01-02T09:00:00+08:00", score: 40}
  - {id: cy, created_at: "2024-01-03T09:00:00+08:00"}
groups:
  team: {members: [ann, bo], select: STRATEGY}
  other: {members: [cy]}
bindings:
  - {to: [team]}
route: [bindings, {step: queue, when: shop.online > 0}, stage]
"""


def at(minutes: float) -> str:
    return (T0 + timedelta(minutes=minutes)).isoformat()


def engine(tmp_path: Path, strategy: str) -> Engine:
    path = tmp_path / "p.yaml"
    path.write_text(POLICY.replace("STRATEGY", strategy), encoding="utf-8")
    return Engine(load(path), trace="summary")


def status(agent: str, minute: float, to: str = "online") -> dict[str, Any]:
    return {"type": "agent_status", "at": at(minute), "agent": agent, "status": to}


def chats(eng: Engine, first: int, count: int, minute: float) -> collections.Counter[str]:
    """`count` buyers write one after another, each closed at once (no capacity limit
    reached): who got them."""
    got: collections.Counter[str] = collections.Counter()
    for i in range(first, first + count):
        buyer = f"b-{i}"
        rec = eng.feed({"type": "message", "at": at(minute), "buyer": buyer,
                        "source": "product_page"})[0]
        got[rec["agent"]] += 1
        eng.feed({"type": "close", "at": at(minute), "agent": rec["agent"], "buyer": buyer})
    return got


def test_a_late_starter_shares_from_now_on(tmp_path: Path) -> None:
    """ann works from 08:00 and receives 10 chats; bo comes online at 12:00. The next 10
    go 5 and 5 (both have been online since 12:00 the same time), not all 10 to bo."""
    eng = engine(tmp_path, "balanced")
    eng.feed(status("ann", 0))
    assert chats(eng, 0, 10, 1) == {"ann": 10}
    eng.feed(status("bo", 240))
    assert chats(eng, 10, 10, 241) == {"ann": 5, "bo": 5}


def test_a_break_does_not_earn_a_backlog(tmp_path: Path) -> None:
    """bo goes on a break (busy) while ann takes 6; back online, bo does not get the
    next 6 in a row."""
    eng = engine(tmp_path, "balanced")
    eng.feed(status("ann", 0))
    eng.feed(status("bo", 0))
    assert chats(eng, 0, 4, 1) == {"ann": 2, "bo": 2}
    eng.feed(status("bo", 2, "busy"))
    assert chats(eng, 4, 6, 3) == {"ann": 6}
    eng.feed(status("bo", 60))
    assert chats(eng, 10, 6, 61) == {"ann": 3, "bo": 3}


def test_weighted_shares_in_proportion_from_joining(tmp_path: Path) -> None:
    """Weights 0.8 and 0.4 (score 80 and 40): from bo's start on, 2 to 1, though ann had
    received 30 before."""
    eng = engine(tmp_path, "weighted")
    eng.feed(status("ann", 0))
    assert chats(eng, 0, 30, 1) == {"ann": 30}
    eng.feed(status("bo", 120))
    assert chats(eng, 30, 30, 121) == {"ann": 20, "bo": 10}


def test_joining_a_group_while_online_is_levelled_too(tmp_path: Path) -> None:
    """S12: cy, online in another group, joins the team after ann took 8: it shares."""
    eng = engine(tmp_path, "balanced")
    eng.feed(status("ann", 0))
    eng.feed(status("cy", 0))
    assert chats(eng, 0, 8, 1) == {"ann": 8}
    eng.feed({"type": "membership", "at": at(5), "agent": "cy", "group": "team",
              "member": True})
    assert chats(eng, 8, 8, 6) == {"ann": 4, "cy": 4}


def test_the_trace_and_explanation_show_the_level(tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    """The pick compares bo's level (10, joined at ann's count) with ann's: explain says
    so in the merchant's words."""
    path = tmp_path / "p.yaml"
    path.write_text(POLICY.replace("STRATEGY", "balanced"), encoding="utf-8")
    log = tmp_path / "day.jsonl"
    lines = [status("ann", 0)]
    for i in range(10):
        lines.append({"type": "message", "at": at(1), "buyer": f"b-{i}",
                      "source": "product_page"})
        lines.append({"type": "close", "at": at(1), "agent": "ann", "buyer": f"b-{i}"})
    lines.append(status("bo", 240))
    lines.append({"type": "message", "at": at(241), "buyer": "b-x", "source": "product_page"})
    import json
    log.write_text("".join(json.dumps(e) + "\n" for e in lines), encoding="utf-8")
    assert main(["explain", str(path), "--log", str(log), "--buyer", "b-x"]) == 0
    out = capsys.readouterr().out
    assert "bo 0 received, counted as 10 from joining level" in out, out
    assert "ann 10 received" in out


def test_a_snapshot_starts_from_the_platform_count(tmp_path: Path) -> None:
    """Agents online in the snapshot are not levelled: `assigned` is the platform's figure
    for the shift, as before."""
    path = tmp_path / "p.yaml"
    path.write_text(POLICY.replace("STRATEGY", "balanced"), encoding="utf-8")
    eng = Engine(load(path), {"at": at(0), "agents": [
        {"id": "ann", "status": "online", "assigned": 5},
        {"id": "bo", "status": "online", "assigned": 2}]})
    assert chats(eng, 0, 4, 1) == {"bo": 3, "ann": 1}


MEASURED = POLICY.replace("route:", "selection: {efficiency: measured, reference_rate: 10}\n"
                                    "route:").replace("score: 40", "score: 80")


def figures_of(rec: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The candidates a traced pick compared, by agent."""
    step = next(s for s in rec["trace"] if s.get("compared"))
    return {f["agent"]: f for f in step["compared"]}


def test_measured_efficiency_follows_closes_per_hour_online(tmp_path: Path) -> None:
    """Both score 80. ann closes 30 chats in her first hour, bo 0 in his: at the next
    pick ann's efficiency is (30 + 10) / (1 + 1) / 10 = 2.0, bo's (0 + 10) / 2 / 10 = 0.5,
    so ann's weight is 4 times bo's."""
    path = tmp_path / "p.yaml"
    path.write_text(MEASURED.replace("STRATEGY", "weighted"), encoding="utf-8")
    eng = Engine(load(path), trace="full")
    eng.feed(status("ann", 0))
    eng.feed(status("bo", 0))
    cap = {"type": "set_capacity", "at": at(0), "agent": "bo", "capacity": 0}
    eng.feed(cap)  # online for the hour, but takes nothing
    for i in range(30):
        rec = eng.feed({"type": "message", "at": at(i), "buyer": f"b-{i}",
                        "source": "product_page"})[0]
        eng.feed({"type": "close", "at": at(60), "agent": rec["agent"], "buyer": f"b-{i}"})
    eng.feed(dict(cap, at=at(60), capacity=None))
    eng.feed(status("bo", 60, "busy"))  # a status change measures him: an hour, no closes
    eng.feed(status("bo", 60))
    rec = eng.feed({"type": "message", "at": at(60), "buyer": "b-x",
                    "source": "product_page"})[0]
    shown = figures_of(rec)
    assert shown["ann"]["weight"] == round(0.8 * 2.0, 3), shown
    assert shown["bo"]["weight"] == round(0.8 * 0.5, 3), shown


def test_without_measurement_the_roster_efficiency_stays(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(POLICY.replace("STRATEGY", "weighted"), encoding="utf-8")
    eng = Engine(load(path), trace="full")
    eng.feed(status("ann", 0))
    eng.feed(status("bo", 0))
    for i in range(6):
        rec = eng.feed({"type": "message", "at": at(i), "buyer": f"b-{i}",
                        "source": "product_page"})[0]
        eng.feed({"type": "close", "at": at(i), "agent": rec["agent"], "buyer": f"b-{i}"})
    rec = eng.feed({"type": "message", "at": at(90), "buyer": "b-x",
                    "source": "product_page"})[0]
    shown = figures_of(rec)
    assert (shown["ann"]["weight"], shown["bo"]["weight"]) == (0.8, 0.4)


def test_a_snapshot_carries_level_and_record(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    """`level`, `closed` and `online_seconds` in a snapshot agent feed a what-if decision;
    a negative one is a located error, never a traceback."""
    import json
    path = tmp_path / "p.yaml"
    path.write_text(MEASURED.replace("STRATEGY", "weighted"), encoding="utf-8")
    state = tmp_path / "s.json"
    event = tmp_path / "e.json"
    event.write_text(json.dumps({"type": "message", "at": at(0), "buyer": "b",
                                 "source": "product_page"}), encoding="utf-8")
    good = {"at": at(0), "agents": [
        {"id": "ann", "status": "online", "assigned": 9, "level": 9, "closed": 50,
         "online_seconds": 14400},
        {"id": "bo", "status": "online", "assigned": 0, "level": 4}]}
    state.write_text(json.dumps(good), encoding="utf-8")
    assert main(["explain", str(path), "--state", str(state), "--event", str(event)]) == 0
    assert "agent:     bo" in capsys.readouterr().out
    good["agents"][0]["closed"] = -1
    state.write_text(json.dumps(good), encoding="utf-8")
    assert main(["explain", str(path), "--state", str(state), "--event", str(event)]) == 2
    err = capsys.readouterr().err
    assert "agents/0/closed" in err and "Traceback" not in err, err


def test_a_reference_rate_out_of_range_is_an_error(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(MEASURED.replace("reference_rate: 10", "reference_rate: 0")
                    .replace("STRATEGY", "weighted"), encoding="utf-8")
    assert main(["check", str(path)]) == 1
    out = capsys.readouterr().out
    assert "p.yaml:12:51: error[E123]" in out and "at least 1 " in out, out
