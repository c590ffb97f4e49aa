"""The published input/output schemas: generated from the shapes, and right about shipped files.

Each schema in policyc/schemas/ is generated from the shape table the runtime
checks with (runtime/formats.py, runtime/artifact.py, policy_test_file.py). The
committed copies must equal the generated ones, and every shipped example
(states, events, logs, test files), every record `simulate` writes and every
compiled shipped policy must be valid against them.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from policyc.cli import main
from policyc.published_schemas import FOLDER, SCHEMAS, dumps, schema
from policyc.runtime.formats import EVENT, SNAPSHOT
from policyc.runtime.shape import InputError, check

ROOT = Path(__file__).resolve().parents[1]
POLICIES = ROOT / "policies"
LOGS = sorted((POLICIES / "logs").glob("*.jsonl"))
TEST_FILES = sorted(POLICIES.glob("*.test.yaml"))


def validator(name: str) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(schema(name))


def errors(name: str, value: Any) -> list[str]:
    return [f"/{'/'.join(map(str, e.absolute_path))}: {e.message}"
            for e in validator(name).iter_errors(value)]


@pytest.mark.parametrize("name", SCHEMAS)
def test_published_schema_is_the_generated_one(name: str) -> None:
    path = FOLDER / f"{name}.schema.json"
    assert path.read_text(encoding="utf-8") == dumps(name), \
        "regenerate: python -m policyc.published_schemas"


@pytest.mark.parametrize("name", SCHEMAS)
def test_schema_is_a_valid_draft_2020_12_schema(name: str) -> None:
    jsonschema.Draft202012Validator.check_schema(schema(name))


def test_shipped_state_and_event_examples_are_valid() -> None:
    assert errors("state", json.loads((POLICIES / "examples/shopee-state.json").read_text())) \
        == []
    assert errors("event", json.loads((POLICIES / "examples/shopee-event.json").read_text())) \
        == []


@pytest.mark.parametrize("log", LOGS, ids=lambda p: p.name)
def test_every_line_of_a_shipped_log_is_a_valid_event(log: Path) -> None:
    check = validator("event")
    for number, line in enumerate(log.read_text(encoding="utf-8").split("\n"), 1):
        if line.strip():
            bad = [e.message for e in check.iter_errors(json.loads(line))]
            assert bad == [], f"{log.name}:{number}: {bad}"


def _yaml_as_json(path: Path) -> Any:
    """A YAML file as a JSON tool sees it (timestamps as text)."""
    return json.loads(json.dumps(yaml.safe_load(path.read_text(encoding="utf-8")), default=str))


@pytest.mark.parametrize("path", TEST_FILES, ids=lambda p: p.name)
def test_shipped_test_file_is_valid(path: Path) -> None:
    assert errors("test-file", _yaml_as_json(path)) == []


@pytest.mark.parametrize("path", TEST_FILES, ids=lambda p: p.name)
def test_the_states_and_events_of_shipped_test_files_are_valid(path: Path) -> None:
    for case in _yaml_as_json(path)["cases"]:
        if "state" in case:
            assert errors("state", case["state"]) == [], case["name"]
        for event in case.get("events", []):
            assert errors("event", event) == [], case["name"]


@pytest.mark.parametrize("log", LOGS, ids=lambda p: p.name)
def test_records_simulate_writes_are_valid(log: Path, tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    policy = POLICIES / f"{log.name.split('-')[0]}.yaml"
    out = tmp_path / "records.jsonl"
    assert main(["simulate", str(policy), "--log", str(log), "-o", str(out), "--no-journal",
                 "--trace", "full"]) == 0
    capsys.readouterr()
    check = validator("record")
    for number, line in enumerate(out.read_text(encoding="utf-8").splitlines(), 1):
        bad = [e.message[:200] for e in check.iter_errors(json.loads(line))]
        assert bad == [], f"record {number}: {bad}"


def test_explain_json_is_a_valid_decision(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", str(POLICIES / "shopee.yaml"), "--format", "json", "--level", "full",
                 "--state", str(POLICIES / "examples/shopee-state.json"),
                 "--event", str(POLICIES / "examples/shopee-event.json")]) == 0
    assert errors("decision", json.loads(capsys.readouterr().out)) == []


@pytest.mark.parametrize("policy", ["shopee", "taobao", "youzan"])
def test_compiled_shipped_policy_is_a_valid_artifact(policy: str, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "artifact.json"
    assert main(["compile", str(POLICIES / f"{policy}.yaml"), "-o", str(out)]) == 0
    capsys.readouterr()
    assert errors("artifact", json.loads(out.read_text(encoding="utf-8"))) == []


# The checker and the schema come from one table: what one refuses, the other does too.
STATE = {"at": "2026-11-23T09:00:00+08:00", "agents": [{"id": "elly", "status": "online"}]}
DISAGREEMENTS = [
    ("state", dict(STATE, agnets=[])),
    ("state", {**STATE, "agents": [{"id": "elly", "status": "online", "unred": 1}]}),
    ("state", {**STATE, "agents": [{"id": "elly", "status": "online", "score": 10**400}]}),
    ("state", {**STATE, "queue": [{}]}),
    ("state", {"at": "0001-01-01T00:00:00+14:00"}),
    ("event", {"type": "message", "at": STATE["at"], "buyer": "b", "source": "order_page",
               "buyer_tag": ["vip"]}),
    ("event", {"type": "set_capacity", "at": STATE["at"], "agent": "elly", "capacity": 0}),
    ("event", {"type": "tick", "at": STATE["at"], "oder_state": "paid"}),
]


@pytest.mark.parametrize(("name", "value"), DISAGREEMENTS)
def test_schema_refuses_what_the_checker_refuses(name: str, value: object) -> None:
    with pytest.raises(InputError):
        check(SNAPSHOT if name == "state" else EVENT, value)
    assert errors(name, value) != []


# Property: on any single-value edit of a shipped state or event, the checker and the
# published schema give the same verdict (uniqueness and the roster are the checker's alone,
# and no edit here makes two ids equal).
EXAMPLES = {"state": (SNAPSHOT, json.loads((POLICIES / "examples/shopee-state.json").read_text())),
            "event": (EVENT, json.loads((POLICIES / "examples/shopee-event.json").read_text()))}
VALUES = st.sampled_from([None, True, 0, -1, 7, 101, 10 ** 7, 2.5, "", "x", "online",
                          "order_page", "2026-11-23T09:00:00+08:00", "1800-01-01T00:00:00Z",
                          [], {}, ["vip"], {"buyer": "b"}])


def _leaves(node: object, at: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    out: list[tuple[str | int, ...]] = [at] if at else []
    if isinstance(node, dict):
        for key, value in node.items():
            out += _leaves(value, (*at, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            out += _leaves(value, (*at, i))
    return out


@settings(max_examples=150, deadline=None)
@given(data=st.data(), name=st.sampled_from(sorted(EXAMPLES)), value=VALUES)
def test_checker_and_schema_agree_on_any_single_edit(data: st.DataObject, name: str,
                                                     value: object) -> None:
    shape, example = EXAMPLES[name]
    edited = copy.deepcopy(example)
    at = data.draw(st.sampled_from(_leaves(example)))
    node = edited
    for part in at[:-1]:
        node = node[part]
    node[at[-1]] = value
    try:
        check(shape, edited)
        refused = False
    except InputError:
        refused = True
    assert refused == bool(errors(name, edited)), (at, value, errors(name, edited))
