"""`policyc explain --log --buyer` and `why-not --log --at` (T12, T13) over shipped logs.

Golden files in tests/golden/explain-log/; refresh with POLICYC_REGOLD=1.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from goldens import assert_golden

from policyc.cli import main

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "golden" / "explain-log"

BUYERS = [
    ("returning buyer (S8)", "shopee", "b-008", "recent_contact"),
    ("staged buyer (S7)", "shopee", "b-001", "staging_release"),
    ("returning buyer waiting for its agent (S8 grace)", "shopee", "b-015",
     "recent_contact_waiting"),
    ("transferred to an agent (S10, Y12)", "shopee", "b-041", "transfer_to_agent"),
    ("transferred to a group (S10)", "taobao", "b-007", "transfer_to_group"),
    ("queued buyer (Y9)", "youzan", "b-008", "queue_pull"),
    ("pinned buyer waiting for its agent (Y8)", "youzan", "18767120425", "pinned_agent_waiting"),
    ("pooled, then distributed by a pool run (T1, T2-T8)", "taobao", "b-001",
     "pool_distribution"),
]


def _golden(name: str, actual: str) -> None:
    assert_golden(GOLDEN / name, actual)


@pytest.mark.parametrize(("what", "policy", "buyer", "reason"), BUYERS,
                         ids=[b[0] for b in BUYERS])
def test_buyer_history(what: str, policy: str, buyer: str, reason: str,
                       capsys: pytest.CaptureFixture[str],
                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    args = ["explain", f"policies/{policy}.yaml", "--log", f"policies/logs/{policy}-day.jsonl",
            "--buyer", buyer]
    assert main(args) == 0
    text = capsys.readouterr().out
    assert f"({reason}; " in text
    _golden(f"{policy}-{buyer}.txt", text)
    assert main([*args, "--format", "json", "--level", "summary"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["buyer"] == buyer
    assert reason in [r.get("reason") for r in data["records"]]
    first = data["records"][0]
    assert main([*args, "--at", first["at"], "--format", "json"]) == 0
    at_one = json.loads(capsys.readouterr().out)["records"]
    assert at_one and all(r["at"] == first["at"] for r in at_one)


def test_buyer_without_records_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", str(ROOT / "policies/shopee.yaml"), "--log",
                 str(ROOT / "policies/logs/shopee-day.jsonl"), "--buyer", "nobody"]) == 1
    assert "no routing record" in capsys.readouterr().err


def test_why_not_at_a_moment(capsys: pytest.CaptureFixture[str]) -> None:
    base = ["why-not", str(ROOT / "policies/shopee.yaml"), "--log",
            str(ROOT / "policies/logs/shopee-day.jsonl"), "--agent", "chrissy", "--format",
            "json"]
    assert main([*base, "--at", "2026-11-23T03:00:00+08:00"]) == 0
    night = json.loads(capsys.readouterr().out)
    assert [c["cause"] for c in night["causes"]] == ["offline"]
    assert main([*base, "--at", "2026-11-23T09:00:00+08:00"]) == 0
    assert json.loads(capsys.readouterr().out)["receives_chats"] is True


@pytest.mark.parametrize("args", [
    ["--buyer", "b-1", "--at", "yesterday"],
    ["--buyer", "b-1", "--state", "x.json"],
    [],
], ids=["bad time", "mixed modes", "nothing"])
def test_bad_arguments_exit_2(args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    log = ["--log", str(ROOT / "policies/logs/shopee-day.jsonl")] if args else []
    assert main(["explain", str(ROOT / "policies/shopee.yaml"), *log, *args]) == 2
    assert "Traceback" not in capsys.readouterr().err


def test_bad_log_line_is_located(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    log = tmp_path / "log.jsonl"
    log.write_text('{"type": "tick", "at": "2026-11-23T00:00:00+08:00"}\n{"type": "mesage"}\n')
    assert main(["explain", str(ROOT / "policies/shopee.yaml"), "--log", str(log),
                 "--buyer", "b-1"]) == 2
    assert "log.jsonl:2" in capsys.readouterr().err
