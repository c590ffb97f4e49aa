"""`pins:` split over several included files (`pins: [a.yaml, b.yaml]`), through the CLI.

A platform-sized pin table does not fit one file under the 8 MiB cap, so `pins:`
also takes a list of paths: the files are read in order as one table, each
confined and capped like any include, and a buyer pinned in two of them is E124
at the second. The decisions and traces are those of the same pins in one file.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from policyc.cli import main

_POLICY = """policyc: 1
shop: {{id: demo, timezone: Asia/Taipei}}
roster:
  - {{id: boss, role: main, created_at: "2024-01-01T09:00:00+08:00"}}
  - {{id: ann, created_at: "2024-01-02T09:00:00+08:00"}}
  - {{id: bob, created_at: "2024-01-03T09:00:00+08:00"}}
groups:
  sales: {{members: [ann, bob]}}
pins: {pins}
route: [pin, main_account, stage]
"""
STATE = {"at": "2026-11-23T10:00:00+08:00",
         "agents": [{"id": "ann", "status": "online"}, {"id": "bob", "status": "online"}]}


def _event(buyer: str) -> dict[str, str]:
    return {"type": "message", "at": "2026-11-23T10:00:00+08:00", "buyer": buyer,
            "source": "product_page"}


@pytest.fixture
def shop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pins-1.yaml").write_text("b-1: ann\nb-2: bob\n", encoding="utf-8")
    (tmp_path / "pins-2.yaml").write_text("pins:\n  b-3: {agent: bob, mode: prefer}\n",
                                          encoding="utf-8")
    (tmp_path / "state.json").write_text(json.dumps(STATE), encoding="utf-8")
    return tmp_path


def _policy(folder: Path, pins: str, name: str = "policy.yaml") -> Path:
    path = folder / name
    path.write_text(_POLICY.format(pins=pins), encoding="utf-8")
    return path


def _explain(policy: str, buyer: str, capsys: pytest.CaptureFixture[str]) -> dict[str, object]:
    Path("event.json").write_text(json.dumps(_event(buyer)), encoding="utf-8")
    capsys.readouterr()
    assert main(["explain", policy, "--state", "state.json", "--event", "event.json",
                 "--format", "json"]) == 0
    out: dict[str, object] = json.loads(capsys.readouterr().out)
    return out


def test_pins_over_two_files_decide_as_one_table(
        shop: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _policy(shop, "[pins-1.yaml, pins-2.yaml]")
    assert main(["check", "policy.yaml"]) == 0, capsys.readouterr().out
    for buyer, agent in (("b-1", "ann"), ("b-2", "bob"), ("b-3", "bob")):
        found = _explain("policy.yaml", buyer, capsys)
        assert (found["outcome"], found["agent"], found["reason"]) == \
            ("assigned", agent, "pinned_agent"), found
    # The same pins written inline decide alike, span aside.
    _policy(shop, "{b-1: ann, b-2: bob, b-3: {agent: bob, mode: prefer}}", "inline.yaml")
    assert _explain("inline.yaml", "b-3", capsys)["agent"] == "bob"
    assert main(["compile", "policy.yaml", "-o", "out.json"]) == 0
    artifact = json.loads((shop / "out.json").read_text(encoding="utf-8"))
    assert artifact["pins"]["b-1"] == ["ann", "strict", "pins-1.yaml:1:1"]
    assert artifact["pins"]["b-3"] == ["bob", "prefer", "pins-2.yaml:2:3"]
    assert set(artifact["files"]) >= {"pins-1.yaml", "pins-2.yaml"}


def test_a_buyer_pinned_in_two_files_is_given_twice(
        shop: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (shop / "pins-3.yaml").write_text("b-9: ann\nb-2: ann\n", encoding="utf-8")
    _policy(shop, "[pins-1.yaml, pins-3.yaml]")
    assert main(["check", "policy.yaml"]) == 1
    out = capsys.readouterr().out
    assert "pins-3.yaml:2:1: error[E124]" in out and "first at pins-1.yaml:2:1" in out, out


@pytest.mark.parametrize("pins, where, message", [
    ("[pins-1.yaml, missing.yaml]", "policy.yaml:9:21", "E211"),
    ("[pins-1.yaml, pins-1.yaml]", "policy.yaml:9:21", "is included twice"),
    ("[pins-1.yaml, {b-7: ann}]", "policy.yaml:9:21", "expected the path of a YAML file"),
    ("[../outside.yaml]", "policy.yaml:9:8", "is outside the policy's folder"),
])
def test_a_bad_entry_in_the_list_is_located(
        shop: Path, capsys: pytest.CaptureFixture[str], pins: str, where: str,
        message: str) -> None:
    _policy(shop, pins)
    assert main(["check", "policy.yaml"]) == 1
    out = capsys.readouterr().out
    assert where in out and message in out, out
    assert "Traceback" not in out


def test_fmt_keeps_the_list_of_files(shop: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _policy(shop, "[pins-1.yaml, pins-2.yaml]")
    assert main(["fmt", "--check", "policy.yaml"]) in (0, 1)
    capsys.readouterr()
    assert main(["fmt", "policy.yaml"]) == 0
    assert "pins: [pins-1.yaml, pins-2.yaml]" in (shop / "policy.yaml").read_text(
        encoding="utf-8")
    assert main(["check", "policy.yaml"]) == 0
