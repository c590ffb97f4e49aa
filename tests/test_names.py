"""Names: agent and group ids in any script, compared in NFC, with a display `name:`."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import pytest

from policyc.cli import main

POLICY = """\
policyc: 1
shop: {{id: demo, timezone: Asia/Taipei, sources: [product_page]}}
roster:
  - {{id: 店長, role: main, created_at: "2024-01-01T09:00:00+08:00"}}
  - {{id: {first}, name: 王芳, created_at: "2024-01-02T09:00:00+08:00"}}
  - {{id: {second}, created_at: "2024-01-03T09:00:00+08:00"}}
groups:
  {group}: {{members: [{member}, {second}], sources: [product_page]}}
route: [bindings, stage]
"""


def _check(tmp_path: Path, capsys: pytest.CaptureFixture[str], **names: str) -> tuple[int, str]:
    path = tmp_path / "names.yaml"
    path.write_text(POLICY.format(**names), encoding="utf-8")
    status = main(["check", str(path), "--format", "json"])
    out = capsys.readouterr().out
    return status, out


def _codes(out: str) -> list[str]:
    return [d["code"] for d in json.loads(out)["diagnostics"]]


def test_chinese_agent_and_group_ids_are_names(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    status, out = _check(tmp_path, capsys, first="王芳", second="客服A-2", group="售前",
                         member="王芳")
    assert status == 0, out
    assert "E123" not in _codes(out) and "W312" not in _codes(out)  # Han beside Latin is fine


def test_names_are_compared_in_nfc(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    composed, decomposed = "José", unicodedata.normalize("NFD", "José")
    assert composed != decomposed
    status, out = _check(tmp_path, capsys, first=decomposed, second="ann", group="sales",
                         member=composed)
    assert status == 0 and "E201" not in _codes(out), out


def test_two_spellings_of_one_name_are_one_agent(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    status, out = _check(tmp_path, capsys, first="José", second=unicodedata.normalize(
        "NFD", "José"), group="sales", member="ann")
    assert status == 1
    assert "E206" in _codes(out)


@pytest.mark.parametrize("bad", ["王 芳", "-王芳", "王芳/客服", "王芳\u202e"])
def test_what_is_not_a_name(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                            bad: str) -> None:
    status, out = _check(tmp_path, capsys, first=json.dumps(bad), second="ann", group="sales",
                         member="ann")
    assert status == 1
    assert "E123" in _codes(out)


def test_a_chinese_group_id_must_be_a_name_too(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    status, out = _check(tmp_path, capsys, first="王芳", second="ann", group='"售 前"',
                         member="王芳")
    assert status == 1 and "E123" in _codes(out)


def test_the_display_name_is_shown_beside_the_id(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "names.yaml"
    path.write_text(POLICY.format(first="wang", second="ann", group="sales", member="wang"),
                    encoding="utf-8")
    state, event = tmp_path / "state.json", tmp_path / "event.json"
    state.write_text(json.dumps({"at": "2026-11-23T10:00:00+08:00",
                                 "agents": [{"id": "wang", "status": "online"}]}))
    event.write_text(json.dumps({"type": "message", "at": "2026-11-23T10:00:00+08:00",
                                 "buyer": "b-1", "source": "product_page"}))
    assert main(["explain", str(path), "--state", str(state), "--event", str(event)]) == 0
    assert "  agent:     王芳 (wang)\n" in capsys.readouterr().out
