"""The editor JSON Schema: generated from dsl/schema.py, published, and right about policies.

It must accept every shipped policy as YAML loaders hand it over (PyYAML's
YAML 1.1 turns `on` into true, `21:30` into 1290 and timestamps into datetime
objects, which an editor sees as text) and reject structural mistakes: an
unknown key, a wrong type, a missing required key. Mistakes only the compiler
can see (an unknown time zone, a duplicate key) are not the schema's business.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from policyc.commands.check import policy_files
from policyc.dsl.jsonschema import dumps, policy_schema

REPO = Path(__file__).resolve().parents[1]
PUBLISHED = REPO / "schemas" / "policy.schema.json"
SHIPPED = policy_files([REPO / "policies"])[0]
BROKEN = sorted(p for code in ("E120", "E121", "E122")
                for p in (REPO / "tests" / "broken").glob(f"{code}_*.yaml"))
VALIDATOR = jsonschema.Draft202012Validator(policy_schema())

MINIMAL = """\
policyc: 1
shop: {id: s, timezone: Asia/Taipei}
roster:
  - {id: boss, role: main, created_at: "2024-01-01T09:00:00+08:00"}
route:
  - stage
"""


def loaded(text: str) -> object:
    """A policy as an editor's YAML loader gives it: JSON values, timestamps as text."""
    return json.loads(json.dumps(yaml.safe_load(text), default=str))


def errors(data: Any) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
            for e in VALIDATOR.iter_errors(data)]


def test_published_schema_is_the_generated_one() -> None:
    assert PUBLISHED.read_text(encoding="utf-8") == dumps(), (
        "regenerate: python -m policyc.dsl.jsonschema > schemas/policy.schema.json")


def test_schema_is_a_valid_draft_2020_12_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(policy_schema())


@pytest.mark.parametrize("policy", SHIPPED, ids=lambda p: p.name)
def test_shipped_policy_is_valid(policy: Path) -> None:
    assert errors(loaded(policy.read_text(encoding="utf-8"))) == []


@pytest.mark.parametrize("addition", [
    "working_hours: {days: [mon, fri], from: 21:30, to: \"09:00\"}",  # 21:30 -> 1290
    "pins: {b1: amy, 12345: {agent: amy, mode: prefer}}",
    "pins: pins.yaml",
    "queue: {take_on_online: null}",
    "auto_replies: {welcome: {enabled: on, text: null}}",
    "bindings: [{when: source == product_page, to: [g]}, {when: true, agents: [amy]}]",
    "timeouts: {close_read_idle: null, agent_no_response: 5m}",
    "groups: {g: {members: [amy], select: weighted}, h: {}}",
])
def test_valid_values_pass(addition: str) -> None:
    assert errors(loaded(MINIMAL + addition + "\n")) == []


@pytest.mark.parametrize("step", [
    "pin", "{step: recent_contact, window: 3d, grace: 10m, reach_hidden: off}",
    "{step: bindings, when: 'not wants_human', enabled: false}",
])
def test_route_step_forms_pass(step: str) -> None:
    assert errors(loaded(MINIMAL.replace("- stage", f"- {step}\n  - stage"))) == []


def test_yaml_1_2_readings_pass() -> None:
    data = loaded(MINIMAL)
    assert isinstance(data, dict)
    data["shop"]["grouping"] = "on"  # a YAML 1.2 loader keeps `on` as text
    data["working_hours"] = {"from": "21:30", "to": "24:00"}
    assert errors(data) == []


@pytest.mark.parametrize(("change", "found"), [
    ("colour: red", "'colour' was unexpected"),
    ("groups: [a, b]", "is not of type 'object', 'null'"),
    ("selection: {strategy: fastest}", "is not one of"),
    ("selection: {busy_threshold: many}", "is not of type 'integer'"),
    ("staging: {cap: 0}", "less than the minimum of 1"),
    ("timeouts: {close_read_idle: soon}", "is not valid under any of the given schemas"),
    ("working_hours: {from: noon}", "is not valid under any of the given schemas"),
    ("pins: {b1: {mode: strict}}", "is not valid under any of the given schemas"),
    ("offline_pool: {windows: [{from: \"09:00\"}]}", "'to' is a required property"),
])
def test_structural_mistakes_are_rejected(change: str, found: str) -> None:
    problems = errors(loaded(MINIMAL + change + "\n"))
    assert any(found in p for p in problems), problems


@pytest.mark.parametrize(("route", "found"), [
    ("- fly", "is not valid under any of the given schemas"),
    ("- {step: pin, window: 3d}", "is not valid under any of the given schemas"),
    ("- {when: wants_human}", "is not valid under any of the given schemas"),
])
def test_bad_route_steps_are_rejected(route: str, found: str) -> None:
    problems = errors(loaded(MINIMAL.replace("- stage", route)))
    assert any(found in p for p in problems), problems


@pytest.mark.parametrize("key", ["policyc", "shop", "roster", "route"])
def test_missing_required_key_is_rejected(key: str) -> None:
    data = loaded(MINIMAL)
    assert isinstance(data, dict)
    del data[key]
    assert f"'{key}' is a required property" in " ".join(errors(data))


def test_there_are_broken_policies_to_reject() -> None:
    assert BROKEN, "tests/broken/E120_*.yaml ... E122_*.yaml"


@pytest.mark.parametrize("policy", BROKEN, ids=lambda p: p.name)
def test_broken_policy_is_rejected(policy: Path) -> None:
    assert errors(loaded(policy.read_text(encoding="utf-8")))
