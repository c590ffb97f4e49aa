"""`policyc simulate` streams its log: records and report as if the whole log were held.

The replay reads one event at a time and counts the report as the records come
(policyc/replay_summary.py), so memory does not grow with the log. These check it
says exactly what the in-memory replay says: the same record bytes, the same report,
journaled or not, and that a bad line far into a log still leaves no file behind.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from policyc import record_json
from policyc.api import load
from policyc.cli import main
from policyc.commands.simulate import read_log
from policyc.replay_summary import render_text, summarize
from policyc.runtime.engine import Engine

ROOT = Path(__file__).resolve().parent.parent
POLICIES = ROOT / "policies"
SHOPS = ["shopee", "taobao", "youzan"]


def _held(shop: str, trace: str | None) -> tuple[str, dict[str, object]]:
    """The records text and JSON report of the old path: every event and record in lists."""
    router = load(POLICIES / f"{shop}.yaml")
    log = POLICIES / "logs" / f"{shop}-day.jsonl"
    events = read_log(log, router.agent_ids, set(router.groups))
    engine = Engine(router, trace=trace)
    records = engine.run(events)
    text = "".join(record_json.line(r) for r in records)
    return text, summarize(engine, records, len(events), str(log))


@pytest.mark.parametrize("shop", SHOPS)
@pytest.mark.parametrize("journal", [False, True], ids=["no-journal", "journal"])
def test_streamed_simulate_writes_the_held_replays_bytes_and_report(
        shop: str, journal: bool, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    trace = "fails" if shop == "youzan" else None
    expected_text, expected_report = _held(shop, trace)
    out = tmp_path / "out.jsonl"
    log = POLICIES / "logs" / f"{shop}-day.jsonl"
    argv = ["simulate", str(POLICIES / f"{shop}.yaml"), "--log", str(log), "-o", str(out),
            "--format", "json", *(["--trace", trace] if trace else [])]
    capsys.readouterr()
    assert main([*argv, *([] if journal else ["--no-journal"])]) == 0
    assert out.read_text(encoding="utf-8") == expected_text
    assert json.loads(capsys.readouterr().out) == expected_report
    assert main([*argv[:-4 if trace else -2], "--format", "text", "--no-journal"]) == 0
    assert capsys.readouterr().out == render_text(expected_report)


def test_a_bad_line_late_in_the_log_leaves_no_output_and_no_journal(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The records were being written (and journaled) when the bad line came: the output's
    temporary file goes, and so does a fresh journal (resuming would stop there again)."""
    lines = (POLICIES / "logs" / "shopee-day.jsonl").read_text(encoding="utf-8").splitlines()
    bad = len(lines) - 2
    lines[bad] = lines[bad].replace('"type"', '"tpye"', 1)
    log = tmp_path / "day.jsonl"
    log.write_text("\n".join(lines) + "\n", encoding="utf-8")
    for flags in (["--no-journal"], []):
        capsys.readouterr()
        assert main(["simulate", str(POLICIES / "shopee.yaml"), "--log", str(log),
                     "-o", str(tmp_path / "out.jsonl"), *flags]) == 2
        captured = capsys.readouterr()
        assert f"day.jsonl:{bad + 1}" in captured.err and "Traceback" not in captured.err
        assert captured.out == ""
        assert sorted(p.name for p in tmp_path.iterdir()
                      if not p.name.endswith(".lock")) == ["day.jsonl"]


def test_resume_of_a_journal_whose_log_lost_a_line_says_the_log_changed(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Resuming checks each re-fed event's records as it goes; when the log itself is not
    the journaled one that is what it says, not that the engine changed."""
    text = (POLICIES / "logs" / "shopee-day.jsonl").read_text(encoding="utf-8")
    log = tmp_path / "day.jsonl"
    log.write_text(text, encoding="utf-8")
    out = tmp_path / "out.jsonl"
    argv = ["simulate", str(POLICIES / "shopee.yaml"), "--log", str(log), "-o", str(out)]
    assert main(argv) == 0
    lines = text.splitlines(keepends=True)
    log.write_text("".join(lines[:3] + lines[4:]), encoding="utf-8")  # one event dropped
    capsys.readouterr()
    assert main([*argv, "--resume"]) == 2
    assert "the log is not the one journaled" in capsys.readouterr().err
