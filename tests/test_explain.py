"""`policyc explain` / `why-not` through the CLI: golden text and JSON, schemas, bad input.

Golden files live in tests/golden/explain/; refresh them with POLICYC_REGOLD=1
and review the diff.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
from goldens import assert_golden
from test_conformance import CASES, ROOT, Case, message

from policyc.cli import main

GOLDEN = ROOT / "tests" / "golden" / "explain"
SCHEMAS = ROOT / "policyc" / "schemas"
REGOLD = os.environ.get("POLICYC_REGOLD") == "1"


def _one_per_reason() -> list[Case]:
    seen: dict[str, Case] = {}
    for case in CASES:
        seen.setdefault(case.expect[2], case)
    return list(seen.values())


SITUATIONS = _one_per_reason()


def _slug(rule: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in rule).strip("_")[:60]


def _golden(name: str, actual: str) -> None:
    assert_golden(GOLDEN / name, actual)


def _files(tmp_path: Path, case: Case) -> tuple[str, str, str]:
    state = tmp_path / "state.json"
    event = tmp_path / "event.json"
    state.write_text(json.dumps({"at": case.at, "agents": case.agents,
                                 "contacts": case.contacts}), encoding="utf-8")
    event.write_text(json.dumps(message(**{"at": case.at, **case.event})), encoding="utf-8")
    policy = case.policy if case.policy.startswith("tests/") else f"policies/{case.policy}"
    return policy, str(state.relative_to(tmp_path)), str(event.relative_to(tmp_path))


def test_at_least_twelve_situations() -> None:
    assert len(SITUATIONS) >= 12


@pytest.mark.parametrize("case", SITUATIONS, ids=[c.expect[2] for c in SITUATIONS])
def test_explain_golden(case: Case, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                        monkeypatch: pytest.MonkeyPatch) -> None:
    policy, state, event = _files(tmp_path, case)
    monkeypatch.chdir(ROOT)
    args = [str(ROOT / policy), "--state", str(tmp_path / state), "--event",
            str(tmp_path / event)]
    assert main(["explain", *args]) == 0
    text = capsys.readouterr().out
    assert f"({case.expect[2]}; " in text
    _golden(f"{_slug(case.rule)}.txt", text)
    assert main(["explain", *args, "--format", "json", "--level", "full"]) == 0
    out = capsys.readouterr().out
    data = json.loads(out)
    jsonschema.validate(data, json.loads((SCHEMAS / "decision.schema.json").read_text()))
    assert (data["outcome"], data["agent"], data["reason"]) == case.expect
    assert data["trace"][-1]["reason"] == data["reason"] if data["trace"][-1]["kind"] == \
        "outcome" else True
    data["event"]["at"] = data["event"]["at"]  # the JSON is stable: compare it whole
    _golden(f"{_slug(case.rule)}.json", out)


WHY_NOT = [
    ("shopee.yaml", "gavin", ["hidden"]),
    ("shopee.yaml", "fanny", ["offline"]),
    ("shopee.yaml", "shop-main", ["main_account_last_resort"]),
    ("shopee.yaml", "intern", ["no_chat_permission"]),
    ("shopee.yaml", "elly", []),
    ("youzan.yaml", "lina", ["admin_excluded"]),
    ("youzan.yaml", "guodong", ["at_capacity"]),
]


@pytest.mark.parametrize(("policy", "agent_id", "causes"), WHY_NOT,
                         ids=[f"{p}-{a}" for p, a, _ in WHY_NOT])
def test_why_not_golden(policy: str, agent_id: str, causes: list[str], tmp_path: Path,
                        capsys: pytest.CaptureFixture[str],
                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    state = tmp_path / "state.json"
    rows = [{"id": a, "status": s, "unread": 0, "pending": 0, "open": o, "offline_since": None}
            for a, s, o in (("gavin", "hidden", 0), ("fanny", "offline", 0),
                            ("shop-main", "online", 0), ("intern", "online", 0),
                            ("elly", "online", 0), ("lina", "online", 0),
                            ("guodong", "online", 20))
            if (policy == "youzan.yaml") == (a in ("lina", "guodong"))]
    state.write_text(json.dumps({"at": "2026-11-23T10:00:00+08:00", "agents": rows}))
    args = [f"policies/{policy}", "--state", str(state), "--agent", agent_id]
    assert main(["why-not", *args]) == 0
    _golden(f"why-not-{policy.split('.')[0]}-{agent_id}.txt", capsys.readouterr().out)
    assert main(["why-not", *args, "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    jsonschema.validate(data, json.loads((SCHEMAS / "why-not.schema.json").read_text()))
    assert [c["cause"] for c in data["causes"]] == causes
    assert data["receives_chats"] is (not causes)


BAD_INPUTS = [
    ("not JSON", "{nope", "state.json:1:2"),
    ("missing field", json.dumps({"agents": []}), "/at"),
    ("unknown agent", json.dumps({"at": "2026-11-23T10:00:00+08:00",
                                  "agents": [{"id": "ghost", "status": "online"}]}), "ghost"),
    ("wrong type", json.dumps({"at": "2026-11-23T10:00:00+08:00",
                               "agents": [{"id": "elly", "status": "online", "unread": "3"}]}),
     "/agents/0/unread"),
]


@pytest.mark.parametrize(("what", "text", "where"), BAD_INPUTS, ids=[b[0] for b in BAD_INPUTS])
def test_bad_state_is_located_exit_2(what: str, text: str, where: str, tmp_path: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    state = tmp_path / "state.json"
    state.write_text(text)
    event = tmp_path / "event.json"
    event.write_text(json.dumps(message()))
    status = main(["explain", str(ROOT / "policies/shopee.yaml"), "--state", str(state),
                   "--event", str(event)])
    err = capsys.readouterr().err
    assert status == 2
    assert where in err and "Traceback" not in err


def test_bad_event_is_located_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    state = tmp_path / "state.json"
    state.write_text(json.dumps({"at": "2026-11-23T10:00:00+08:00", "agents": []}))
    event = tmp_path / "event.json"
    event.write_text(json.dumps(message(source="telepathy")))
    assert main(["explain", str(ROOT / "policies/shopee.yaml"), "--state", str(state),
                 "--event", str(event)]) == 2
    assert "event.json/source" in capsys.readouterr().err


def test_runtime_imports_no_compiler_libraries() -> None:
    code = ("import sys, policyc.runtime.router, policyc.runtime.explain, "
            "policyc.runtime.artifact; "
            "bad = [m for m in ('lark', 'networkx', 'yaml', 'jinja2') if m in sys.modules]; "
            "print(bad); sys.exit(1 if bad else 0)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=False)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("command", [["explain", "--event", "policies/examples/shopee-event.json"],
                                     ["why-not", "--agent", "elly"]])
def test_missing_policy_is_unusable_input(command: list[str], capsys: pytest.CaptureFixture[str],
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    status = main([command[0], "nope.yaml", "--state", "policies/examples/shopee-state.json",
                   *command[1:]])
    assert status == 2
    assert "nope.yaml: no such file" in capsys.readouterr().err
