"""T13 why-not, complete: time windows and switches at the given time, and over a log
how often an eligible agent was a candidate and lost, to whom and on which figure."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from policyc.cli import main

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = json.loads((ROOT / "policyc" / "schemas" / "why-not.schema.json").read_text())

HEAD = """\
policyc: 1
shop: {id: demo, timezone: Asia/Taipei, sources: [product_page, order_page]}
roster:
  - {id: boss, role: main, created_at: "2024-01-01T09:00:00+08:00"}
  - {id: ann, created_at: "2024-01-02T09:00:00+08:00", conversion_rate: 0.05}
  - {id: bob, created_at: "2024-01-03T09:00:00+08:00", conversion_rate: 0.31}
  - {id: night, created_at: "2024-01-04T09:00:00+08:00"}
"""
NIGHT_ONLY = HEAD + """\
groups:
  day: {members: [ann, bob]}
  late: {members: [night]}
bindings:
  - {when: source == product_page, to: [day]}
  - {when: "time in 22:00..06:00", to: [late]}
  - {to: [day]}
route: [bindings, stage]
"""
SWITCHED_OFF = HEAD + """\
groups:
  day: {members: [ann, bob]}
  late: {members: [night]}
bindings:
  - {when: source == order_page, to: [late], enabled: false}
  - {to: [day]}
route: [bindings, stage]
"""
ALWAYS_LOSES = HEAD + """\
selection: {strategy: best_conversion_rate}
groups:
  day: {members: [ann, bob], sources: [product_page, order_page]}
  late: {members: [night]}
route: [bindings, stage]
"""


def _why_not(tmp_path: Path, capsys: pytest.CaptureFixture[str], policy: str,
             *args: str) -> tuple[str, dict[str, object]]:
    path = tmp_path / "policy.yaml"
    path.write_text(policy, encoding="utf-8")
    assert main(["why-not", str(path), *args]) == 0
    text = capsys.readouterr().out
    assert main(["why-not", str(path), *args, "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    jsonschema.validate(data, SCHEMA)
    return text, data


def _state(tmp_path: Path, at: str, online: tuple[str, ...]) -> str:
    path = tmp_path / "state.json"
    path.write_text(json.dumps({"at": at, "agents": [
        {"id": a, "status": "online"} for a in online]}), encoding="utf-8")
    return str(path)


def test_outside_its_only_time_window(tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    state = _state(tmp_path, "2026-11-23T10:00:00+08:00", ("night", "ann"))
    text, data = _why_not(tmp_path, capsys, NIGHT_ONLY, "--state", state, "--agent", "night")
    assert data["receives_chats"] is False
    [cause] = data["causes"]  # type: ignore[misc]
    assert cause["cause"] == "outside_time"
    assert cause["args"]["condition"] == "time in 22:00..06:00"
    assert cause["args"]["time"] == "10:00"
    assert cause["span"].endswith("policy.yaml:13:5")
    assert "can receive new chats now" not in text
    assert "bindings[1] reaches night only when time in 22:00..06:00; at 10:00 on Monday" in text


def test_inside_its_time_window_it_can_receive(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    state = _state(tmp_path, "2026-11-23T23:00:00+08:00", ("night",))
    text, data = _why_not(tmp_path, capsys, NIGHT_ONLY, "--state", state, "--agent", "night")
    assert data["causes"] == []
    assert text == "night can receive new chats now.\n"


def test_the_at_flag_moves_a_snapshot_in_time(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    state = _state(tmp_path, "2026-11-23T23:00:00+08:00", ("night",))
    _, data = _why_not(tmp_path, capsys, NIGHT_ONLY, "--state", state, "--agent", "night",
                       "--at", "2026-11-23T12:30:00+08:00")
    assert [c["cause"] for c in data["causes"]] == ["outside_time"]  # type: ignore[attr-defined]


def test_a_switched_off_binding(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    state = _state(tmp_path, "2026-11-23T10:00:00+08:00", ("night",))
    text, data = _why_not(tmp_path, capsys, SWITCHED_OFF, "--state", state, "--agent", "night")
    [cause] = data["causes"]  # type: ignore[misc]
    assert cause["cause"] == "binding_switched_off"
    assert cause["args"]["binding"] == "bindings[0]"
    assert "in no group bound to any source" not in text
    assert "switched off (`enabled: false`)" in text


def _log(tmp_path: Path, messages: int) -> str:
    events = [{"type": "agent_status", "at": "2026-11-23T09:00:00+08:00", "agent": a,
               "status": "online"} for a in ("ann", "bob")]
    events += [{"type": "message", "at": f"2026-11-23T09:{10 + i:02d}:00+08:00",
                "buyer": f"b-{i}", "source": "product_page"} for i in range(messages)]
    path = tmp_path / "log.jsonl"
    path.write_text("".join(json.dumps(e) + "\n" for e in events), encoding="utf-8")
    return str(path)


def test_an_eligible_agent_that_always_loses_the_pick(tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    log = _log(tmp_path, 5)
    text, data = _why_not(tmp_path, capsys, ALWAYS_LOSES, "--log", log, "--agent", "ann")
    assert data["causes"] == []  # eligible all along
    lost = data["log"]
    assert (lost["candidate"], lost["won"], lost["lost"]) == (5, 0, 5)  # type: ignore[index]
    [loss] = lost["losses"]  # type: ignore[index]
    assert (loss["to"], loss["by"], loss["count"]) == ("bob", "best_conversion_rate", 5)
    assert loss["mine"]["conversion_rate"] == 0.05
    assert loss["theirs"]["conversion_rate"] == 0.31
    assert "ann was a candidate 5 times, won 0, lost 5" in text
    assert ("lost 5 times to bob on best conversion rate for the chats already open: "
            "ann 0.05 with 0 open against bob 0.31") in text
    assert "ann's conversion rate rises above bob's" in text


def test_the_winner_of_the_same_log_never_lost(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    log = _log(tmp_path, 3)
    _, data = _why_not(tmp_path, capsys, ALWAYS_LOSES, "--log", log, "--agent", "bob",
                       "--at", "2026-11-23T09:11:00+08:00")
    assert (data["log"]["candidate"], data["log"]["won"]) == (2, 2)  # type: ignore[index]


@pytest.mark.parametrize(("lang", "phrase"), [
    ("zh-Hans", "在日志中：ann 作为候选 5 次，被选中 0 次，落选 5 次"),
    ("zh-Hant", "在事件紀錄中：ann 作為候選 5 次，被選中 0 次，落選 5 次"),
])
def test_the_losses_in_chinese(tmp_path: Path, capsys: pytest.CaptureFixture[str], lang: str,
                               phrase: str) -> None:
    log = _log(tmp_path, 5)
    text, _ = _why_not(tmp_path, capsys, ALWAYS_LOSES, "--log", log, "--agent", "ann",
                       "--lang", lang)
    assert phrase in text
