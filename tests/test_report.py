"""`policyc simulate --report`: the series on hand-made records (exact values), the chart
geometry, the page for every shipped log, and the progress bar."""

from __future__ import annotations

import io
import json
import re
import xml.etree.ElementTree as ET
from datetime import timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from policyc.api import load
from policyc.cli import main
from policyc.commands.simulate import read_log
from policyc.progress import NoProgress, Progress, line, progress
from policyc.report import charts, series
from policyc.report.html import duration
from policyc.runtime.clock import parse_instant
from policyc.runtime.engine import Engine

REPO = Path(__file__).resolve().parents[1]
LOGS = sorted((REPO / "policies" / "logs").glob("*-day.jsonl"))
SVG = "{http://www.w3.org/2000/svg}"
T0 = parse_instant("2026-11-23T09:00:00+00:00")


def at(minute: int) -> str:
    return f"2026-11-23T{9 + minute // 60:02d}:{minute % 60:02d}:00+00:00"


def rec(kind: str, minute: int, buyer: str, outcome: str | None = None,
        message_minute: int | None = None, **extra: Any) -> dict[str, Any]:
    """A record with just what the series read: kind, at, buyer, outcome, the message."""
    message = {"type": "message", "at": at(minute if message_minute is None else message_minute),
               "buyer": buyer}
    return {"kind": kind, "at": at(minute), "buyer": buyer, "outcome": outcome,
            "event": message, **extra}


# b1 queued at the start, b2 staged, b3 queued; both queued pulled at :20; b4 assigned at
# once; b2 moved from staging to wait for one agent; b5 queued and pulled at one instant.
RECORDS = [
    rec("route", 0, "b1", "queued"),
    rec("route", 5, "b2", "staged"),
    rec("continued", 6, "b1", "queued"),
    rec("route", 10, "b3", "queued"),
    rec("release", 20, "b1", "assigned", message_minute=0),
    rec("release", 20, "b3", "assigned", message_minute=10),
    rec("route", 30, "b4", "assigned"),
    rec("release", 40, "b2", "waiting", message_minute=5),
    {"kind": "closed", "at": at(50), "buyer": "b4", "agent": "amy", "why": "close_read_idle"},
    rec("route", 50, "b5", "queued"),
    rec("release", 50, "b5", "assigned"),
    rec("transfer", 55, "b1", "assigned"),
    rec("release", 58, "b3", "assigned", message_minute=10, why="reassign_unreplied"),
]
END = T0 + 3600


def test_depths_step_through_every_move_into_and_out_of_a_place() -> None:
    assert series.depths(RECORDS, T0, END) == {
        "queue": [(T0, 1), (T0 + 600, 2), (T0 + 1200, 0), (END, 0)],
        "staging": [(T0, 0), (T0 + 300, 1), (T0 + 2400, 0), (END, 0)],
        "waiting": [(T0, 0), (T0 + 2400, 1), (END, 1)],
        "pool": [(T0, 0), (END, 0)],
    }


def test_depths_of_no_records_are_flat() -> None:
    assert series.depths([], T0, T0) == {p: [(T0, 0)] for p in ("queue", "staging",
                                                                  "waiting", "pool")}


def test_waits_count_message_to_agent_not_transfers_or_reassignments() -> None:
    assert series.waits(RECORDS) == [1200, 600, 0, 0]


def test_still_waiting_ages_from_the_message() -> None:
    waiting = {"queue": [], "waiting": [{"buyer": "b2", "event": {"at": at(5)}}]}
    assert series.still_waiting(waiting, END) == [3300]


def test_histogram_bins_every_wait_once() -> None:
    assert series.histogram([0, 0, 1, 60, 61, 600, 1200, 3600, 3601, 14400, 14401]) == [
        ("at once", 2), ("≤ 1 min", 2), ("1–5 min", 1), ("5–15 min", 1), ("15–60 min", 2),
        ("1–4 h", 2), ("> 4 h", 1)]


# -- chart geometry -----------------------------------------------------------------------------

def test_step_chart_path_and_axes() -> None:
    # plot area 100 x 100 at (64, 16); depth axis 0..2; time 0..20 s
    chart = charts.step_chart({"queue": [(0, 0), (10, 2), (20, 2)], "staging": [(0, 0), (20, 0)],
                               "pool": [(0, 0), (20, 0)]}, width=180, height=172)
    assert [(ln.place, ln.d, ln.peak, ln.last) for ln in chart.lines] == [
        ("queue", "M64.0,116.0H114.0V16.0H164.0V16.0", 2, 2),
        ("staging", "M64.0,116.0H164.0V116.0", 0, 0)]  # an empty pool is not drawn
    assert [(t.at, t.label) for t in chart.y_ticks] == [(116.0, "0"), (66.0, "1"), (16.0, "2")]
    assert [t.label for t in chart.x_ticks] == ["00:00"]


def test_time_ticks_fall_on_round_local_times() -> None:
    shop = timezone(timedelta(hours=8))  # 09:00:01 UTC is 17:00:01 in the shop
    chart = charts.step_chart({"queue": [(T0 + 1, 0), (T0 + 10 * 3600, 0)]}, shop)
    labels = [t.label for t in chart.x_ticks]
    assert labels == ["18:00", "19:00", "20:00", "21:00", "22:00", "23:00", "00:00", "01:00",
                      "02:00", "03:00"]  # hourly: half-hourly would make 20


def test_bar_chart_places_one_bar_per_item() -> None:
    chart = charts.bar_chart([("amy", 10, ""), ("bo", 5, ""), ("cy", 0, "")], slot=100,
                             height=156)
    assert [(b.x, b.y, b.w, b.h) for b in chart.bars] == [
        (79.0, 16.0, 70.0, 84.0), (179.0, 58.0, 70.0, 42.0), (279.0, 100.0, 70.0, 0.0)]
    assert [t.label for t in chart.y_ticks] == ["0", "2", "4", "6", "8", "10"]


@pytest.mark.parametrize(("peak", "top", "step"), [(0, 1, 1), (1, 1, 1), (3, 3, 1), (6, 6, 2),
                                                   (7, 8, 2), (12, 15, 5), (58, 60, 20)])
def test_value_axis_is_round(peak: int, top: int, step: int) -> None:
    assert charts._nice_top(peak) == top
    assert charts._value_step(top) == step


@pytest.mark.parametrize(("seconds", "text"), [
    (0, "0 s"), (59.4, "59 s"), (59.6, "1 min"), (600, "10 min"), (7500, "2 h 05 min"),
    (97200, "1 d 3 h")])
def test_duration(seconds: float, text: str) -> None:
    assert duration(seconds) == text


# -- the page, for every shipped log ------------------------------------------------------------

def policy_of(log: Path) -> Path:
    return REPO / "policies" / f"{log.name.removesuffix('-day.jsonl')}.yaml"


@pytest.mark.parametrize("log", LOGS, ids=lambda p: p.name)
def test_report_page(log: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "report" / "day.html"
    assert main(["simulate", str(policy_of(log)), "--log", str(log), "--report", str(out),
                 "--format", "json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    page = out.read_text(encoding="utf-8")
    root = ET.fromstring(page.removeprefix("<!DOCTYPE html>\n"))  # well-formed
    assert not re.search(r"<script|<link|<img|src=|@import|url\(|https?://(?!www\.w3\.org/2000/svg)",
                         page)  # self-contained
    svgs = {svg.get("id"): svg for svg in root.iter(f"{SVG}svg")}
    assert set(svgs) == {"chart-depth", "chart-depth-narrow", "chart-agents", "chart-waits"}
    assert svgs["chart-depth"].get("class") == "chart step-chart fluid wide"
    places = [p.get("class") for p in svgs["chart-depth"].iter(f"{SVG}path")]
    assert {"place-queue", "place-staging"} <= set(places)
    agent_bars = [g for g in svgs["chart-agents"].iter(f"{SVG}g") if g.get("class") == "bar"]
    assert [g.findall(f"{SVG}text")[1].text for g in agent_bars] == list(summary["agents"])
    assert [int(g.findall(f"{SVG}text")[0].text or "") for g in agent_bars] == [
        row["assigned"] for row in summary["agents"].values()]
    wait_bars = [g for g in svgs["chart-waits"].iter(f"{SVG}g") if g.get("class") == "bar"]
    assert len(wait_bars) == len(series.BIN_LABELS)
    tables = "".join(ET.tostring(t, encoding="unicode") for t in root.iter("table"))
    for reason, count in summary["reasons"].items():
        assert f"<td>{reason}</td><td class=\"n\">{count}</td>" in tables


@pytest.mark.parametrize("log", LOGS, ids=lambda p: p.name)
def test_series_ends_where_the_engine_ends(log: Path) -> None:
    router = load(policy_of(log))
    events = read_log(log, router.agent_ids, set(router.groups))
    engine = Engine(router)
    records = engine.run(events)
    start, end = parse_instant(events[0]["at"]), parse_instant(events[-1]["at"])
    depths = series.depths(records, start, end)
    assert {p: pts[-1][1] for p, pts in depths.items()} == {
        p: len(entries) for p, entries in engine.waiting().items()}
    assert all(d >= 0 for pts in depths.values() for _, d in pts)


def test_unwritable_report_is_unusable_output(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "file").write_text("", encoding="utf-8")
    log = LOGS[0]
    assert main(["simulate", str(policy_of(log)), "--log", str(log),
                 "--report", str(tmp_path / "file" / "r.html")]) == 2
    assert "cannot write" in capsys.readouterr().err


# -- the progress bar ---------------------------------------------------------------------------

class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_progress_redraws_at_most_ten_times_a_second() -> None:
    stream, clock = io.StringIO(), Clock()
    bar = Progress(1000, stream, "replaying", clock=clock)
    for done in range(1, 1001):
        clock.now = done * 0.001  # a second in all
        bar.update(done)
    bar.close()
    text = stream.getvalue()
    assert text.count("\r") == 11  # at 0.001 s, then every 0.1 s, and the close
    assert text.endswith("\r" + line(1000, 1000, "replaying") + "\n")


def test_progress_line() -> None:
    assert line(143, 286, "replaying") == "replaying [" + "#" * 15 + "." * 15 + "] 143/286  50%"
    assert line(0, 0) == "[" + "#" * 30 + "] 0/0 100%"


def test_progress_only_on_a_terminal_unless_forced() -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    assert isinstance(progress(5, io.StringIO()), NoProgress)
    assert not isinstance(progress(5, io.StringIO(), forced=True), NoProgress)
    assert not isinstance(progress(5, Tty()), NoProgress)


def test_simulate_shows_progress_only_when_asked(capsys: pytest.CaptureFixture[str]) -> None:
    log = LOGS[0]
    assert main(["simulate", str(policy_of(log)), "--log", str(log)]) == 0
    assert capsys.readouterr().err == ""  # captured stderr is no terminal
    assert main(["simulate", str(policy_of(log)), "--log", str(log), "--progress"]) == 0
    err = capsys.readouterr().err
    total = sum(1 for ln in log.read_text(encoding="utf-8").splitlines() if ln.strip())
    assert err.endswith(f"{total}/{total} 100%\n")


def test_report_of_an_empty_log_still_has_its_charts(tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    log, out = tmp_path / "empty.jsonl", tmp_path / "empty.html"
    log.write_text("", encoding="utf-8")
    assert main(["simulate", str(policy_of(LOGS[0])), "--log", str(log), "--report",
                 str(out)]) == 0
    root = ET.fromstring(out.read_text(encoding="utf-8").removeprefix("<!DOCTYPE html>\n"))
    assert {svg.get("id") for svg in root.iter(f"{SVG}svg")} == {
        "chart-depth", "chart-depth-narrow", "chart-agents", "chart-waits"}
    assert "Nobody was assigned a chat." in capsys.readouterr().out + ET.tostring(
        root, encoding="unicode")
