"""Issue 8: no input key is silently ignored; a file of the wrong kind is named; `-` is stdin.

Each misspelt-key example of the issue goes through the CLI and must get a
located error, exit 2 and a suggestion (before, each was read as if the key
were absent and gave a wrong answer with exit 0). A hypothesis property adds a
random unknown key at a random place of valid inputs (state, event, log line,
test file, artifact) and expects the located error.
"""

from __future__ import annotations

import copy
import io
import json
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policyc.cli import main
from policyc.policy_test_file import TEST_FILE
from policyc.runtime.artifact import ARTIFACT
from policyc.runtime.formats import EVENT, SNAPSHOT
from policyc.runtime.shape import Custom, Fixed, Items, Nullable, Record, Shape, Table, Tagged

ROOT = Path(__file__).resolve().parents[1]
POLICY = ROOT / "policies" / "shopee.yaml"
STATE = json.loads((ROOT / "policies/examples/shopee-state.json").read_text(encoding="utf-8"))
EVENT_EXAMPLE = json.loads((ROOT / "policies/examples/shopee-event.json").read_text(
    encoding="utf-8"))
LOG = ROOT / "policies" / "logs" / "shopee-day.jsonl"


def _write(path: Path, value: object) -> Path:
    path.write_text(json.dumps(value, ensure_ascii=False), encoding="utf-8")
    return path


def explain(capsys: pytest.CaptureFixture[str], state: Path | str, event: Path | str,
            policy: Path = POLICY) -> tuple[int, str, str]:
    status = main(["explain", str(policy), "--state", str(state), "--event", str(event),
                   "--format", "json"])
    out, err = capsys.readouterr()
    return status, out, err


def _captured(capsys: pytest.CaptureFixture[str]) -> tuple[str, str]:
    out, err = capsys.readouterr()
    return out, err


def assert_refused(status: int, out: str, err: str, *parts: str) -> None:
    assert (status, out) == (2, ""), err
    assert "Traceback" not in err
    for part in parts:
        assert part in err, err


# -- the examples, each through the CLI ---------------------------------------

def test_agnets_in_a_state_file_is_a_located_error_not_staged_nobody_online(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    state = dict(STATE)
    state["agnets"] = state.pop("agents")
    status, out, err = explain(capsys, _write(tmp_path / "state.json", state),
                               ROOT / "policies/examples/shopee-event.json")
    assert_refused(status, out, err, "state.json/agnets: unknown key `agnets` in a state "
                                     "snapshot; did you mean `agents`?")


def test_unred_on_an_agent_is_a_located_error(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    state = copy.deepcopy(STATE)
    state["agents"][1]["unred"] = state["agents"][1].pop("unread")
    status, out, err = explain(capsys, _write(tmp_path / "state.json", state),
                               ROOT / "policies/examples/shopee-event.json")
    assert_refused(status, out, err, "state.json/agents/1/unred: unknown key `unred` in an "
                                     "agent; did you mean `unread`?")


@pytest.mark.parametrize(("key", "value", "meant"), [("buyer_tag", ["vip"], "buyer_tags"),
                                                     ("oder_state", "paid", "order_state")])
def test_misspelt_event_key_is_a_located_error(key: str, value: object, meant: str,
                                               tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    event = dict(EVENT_EXAMPLE, **{key: value})
    status, out, err = explain(capsys, ROOT / "policies/examples/shopee-state.json",
                               _write(tmp_path / "event.json", event))
    assert_refused(status, out, err, f"event.json/{key}: unknown key `{key}` in `message` "
                                     f"event; did you mean `{meant}`?")


@pytest.mark.parametrize(("key", "meant"), [("buyer_tag", "buyer_tags"),
                                            ("oder_state", "order_state")])
def test_misspelt_key_in_a_log_line_names_the_line(key: str, meant: str, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    lines = LOG.read_text(encoding="utf-8").split("\n")
    event = json.loads(lines[2])
    event[key] = "vip"
    lines[2] = json.dumps(event)
    log = tmp_path / "day.jsonl"
    log.write_text("\n".join(lines), encoding="utf-8")
    status = main(["simulate", str(POLICY), "--log", str(log)])
    out, err = capsys.readouterr()
    assert_refused(status, out, err, f"{log}:3: {key}: unknown key `{key}`",
                   f"did you mean `{meant}`?")


def test_test_case_whose_state_says_agnets_fails_to_run(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copy(POLICY, tmp_path / "shopee.yaml")
    (tmp_path / "shopee.test.yaml").write_text(
        "cases:\n"
        "  - name: agnets is not agents\n"
        "    state:\n"
        "      at: \"2026-11-23T10:00:00+08:00\"\n"
        "      agnets: [{id: elly, status: online}]\n"
        "    event: {buyer: b-1, source: product_page}\n"
        "    expect: {outcome: staged}\n", encoding="utf-8")
    status = main(["test", str(tmp_path / "shopee.test.yaml")])
    out, err = capsys.readouterr()
    assert_refused(status, out, err, "shopee.test.yaml:5:7: state/agnets: unknown key "
                                     "`agnets` in a state snapshot; did you mean `agents`?")


# -- a file of the wrong kind is named ----------------------------------------------

@pytest.mark.parametrize(("state", "event", "message"), [
    ("policies/examples/shopee-event.json", "policies/examples/shopee-event.json",
     "shopee-event.json: this looks like an event, not a state snapshot"),
    ("policies/examples/shopee-state.json", "policies/examples/shopee-state.json",
     "shopee-state.json: this looks like a state snapshot, not an event"),
])
def test_a_file_of_the_wrong_kind_is_named(state: str, event: str, message: str,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    assert_refused(*explain(capsys, ROOT / state, ROOT / event), message)


@pytest.mark.parametrize(("log", "message"), [
    ("policies/shopee.yaml", "shopee.yaml:1: not JSON: Expecting value (column 1) "
                             "(this looks like YAML, a policy or a test file"),
    ("policies/examples/shopee-state.json", "(a pretty-printed JSON file? a log has one "
                                            "event per line)"),
])
def test_a_policy_or_a_state_given_as_a_log_is_named(log: str, message: str,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["simulate", str(POLICY), "--log", str(ROOT / log)])
    assert_refused(status, *_captured(capsys), message)


def test_an_artifact_given_as_a_log_and_a_log_as_the_policy(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    artifact = tmp_path / "shopee.json"
    assert main(["compile", str(POLICY), "-o", str(artifact)]) == 0
    capsys.readouterr()
    status = main(["simulate", str(POLICY), "--log", str(artifact)])
    assert_refused(status, *_captured(capsys), "this looks like a compiled artifact, "
                                                 "not an event")
    status = main(["simulate", str(LOG), "--log", str(LOG)])
    assert_refused(status, *_captured(capsys), "this looks like an event log (JSON Lines), "
                                                 "not a policy")
    status = main(["simulate", str(ROOT / "policies/examples/shopee-state.json"), "--log",
                   str(LOG)])
    assert_refused(status, *_captured(capsys), "not a policyc artifact (this looks like a "
                                                 "state snapshot)")


# -- `-` reads standard input ----------------------------------------------------------

def _stdin(monkeypatch: pytest.MonkeyPatch, data: bytes) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data), encoding="utf-8"))


@pytest.mark.parametrize("which", ["--state", "--event"])
def test_state_or_event_from_standard_input(which: str, monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    files = {"--state": ROOT / "policies/examples/shopee-state.json",
             "--event": ROOT / "policies/examples/shopee-event.json"}
    assert main(["explain", str(POLICY), "--state", str(files["--state"]),
                 "--event", str(files["--event"]), "--format", "json"]) == 0
    expected = capsys.readouterr().out
    _stdin(monkeypatch, files[which].read_bytes())
    args = [part for k, v in files.items() for part in (k, "-" if k == which else str(v))]
    assert main(["explain", str(POLICY), *args, "--format", "json"]) == 0
    assert capsys.readouterr().out == expected


def test_a_log_from_standard_input_and_its_errors_name_stdin(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["simulate", str(POLICY), "--log", str(LOG), "--format", "json"]) == 0
    expected = json.loads(capsys.readouterr().out)
    _stdin(monkeypatch, LOG.read_bytes())
    assert main(["simulate", str(POLICY), "--log", "-", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == dict(expected, log="-")
    _stdin(monkeypatch, b'{"type": "tick", "at": "2026-11-23T09:00:00+08:00", "tock": 1}\n')
    status = main(["simulate", str(POLICY), "--log", "-"])
    assert_refused(status, *_captured(capsys), "<stdin>:1: tock: unknown key `tock`")


def test_only_one_of_state_and_event_can_be_standard_input(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert_refused(*explain(capsys, "-", "-"), "only one of --state and --event can be -")


# -- property: a random unknown key anywhere is a located error ------------------------

def _names(shape: Shape, into: set[str]) -> set[str]:
    """Every key name any of these shapes knows (a new key must be none of them)."""
    match shape:
        case Record():
            for key in shape.keys:
                if key.name not in into:
                    into.add(key.name)
                    _names(key.shape, into)
        case Tagged():
            into.add(shape.tag)
            for variant in shape.variants.values():
                _names(variant, into)
        case Nullable():
            _names(shape.inner, into)
        case Items():
            _names(shape.item, into)
        case Table():
            _names(shape.value, into)
        case Fixed():
            for part in shape.items:
                _names(part, into)
        case Custom():
            pass
    return into


KNOWN = set().union(*(_names(s, set()) for s in (SNAPSHOT, EVENT, TEST_FILE, ARTIFACT)))
NEW_KEY = st.from_regex(r"\A[a-z][a-z_]{0,11}\Z").filter(lambda k: k not in KNOWN)


def _objects(node: object, at: tuple[str, ...] = (), table: bool = False
             ) -> list[tuple[str, ...]]:
    """The JSON pointer of every object a key could be added to (not name tables)."""
    out: list[tuple[str, ...]] = []
    if isinstance(node, dict):
        if not table:
            out.append(at)
        for key, value in node.items():
            out += _objects(value, (*at, key), table=key in ("pins", "attributes", "calendars"))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            out += _objects(value, (*at, str(i)))
    return out


def _add(value: Any, at: tuple[str, ...], key: str) -> Any:
    copied = copy.deepcopy(value)
    node = copied
    for part in at:
        node = node[int(part)] if isinstance(node, list) else node[part]
    node[key] = 1
    return copied


def _pointer(at: tuple[str, ...], key: str) -> str:
    return "/".join((*at, key))


PROPERTY = settings(max_examples=15, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])
STATE_OBJECTS = _objects(STATE)
LOG_LINES = [json.loads(line) for line in LOG.read_text(encoding="utf-8").split("\n")[:40]
             if line.strip()]


@PROPERTY
@given(at=st.sampled_from(STATE_OBJECTS), key=NEW_KEY)
def test_unknown_key_anywhere_in_a_state(at: tuple[str, ...], key: str, tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    state = _write(tmp_path / "state.json", _add(STATE, at, key))
    status, out, err = explain(capsys, state, ROOT / "policies/examples/shopee-event.json")
    assert_refused(status, out, err, f"state.json/{_pointer(at, key)}: unknown key `{key}`")


@PROPERTY
@given(key=NEW_KEY)
def test_unknown_key_in_an_event(key: str, tmp_path: Path,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    event = _write(tmp_path / "event.json", _add(EVENT_EXAMPLE, (), key))
    status, out, err = explain(capsys, ROOT / "policies/examples/shopee-state.json", event)
    assert_refused(status, out, err, f"event.json/{key}: unknown key `{key}`")


@PROPERTY
@given(line=st.integers(0, len(LOG_LINES) - 1), key=NEW_KEY)
def test_unknown_key_in_a_log_line(line: int, key: str, tmp_path: Path,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    events = [_add(e, (), key) if i == line else e for i, e in enumerate(LOG_LINES)]
    log = tmp_path / "day.jsonl"
    log.write_text("".join(json.dumps(e) + "\n" for e in events), encoding="utf-8")
    status = main(["simulate", str(POLICY), "--log", str(log)])
    assert_refused(status, *_captured(capsys), f"day.jsonl:{line + 1}: {key}: unknown key")


TEST_TEXT = (ROOT / "policies" / "shopee.test.yaml").read_text(encoding="utf-8")
TEST_DATA = json.loads(json.dumps(yaml.safe_load(TEST_TEXT), default=str))


@PROPERTY
@given(at=st.sampled_from(_objects(TEST_DATA)), key=NEW_KEY)
def test_unknown_key_anywhere_in_a_test_file(at: tuple[str, ...], key: str, tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copy(POLICY, tmp_path / "shopee.yaml")
    data = _add(TEST_DATA, at, key)
    data.pop("policy", None)
    path = tmp_path / "shopee.test.yaml"
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    status = main(["test", str(path)])
    inside = at[2:] if len(at) > 2 and at[2] in ("state", "event", "events") else None
    where = _pointer(inside, key) if inside else _pointer(at, key)
    assert_refused(status, *_captured(capsys), "shopee.test.yaml:", f"{where}: unknown key "
                                                                      f"`{key}`")


@pytest.fixture(scope="module")
def artifact(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    path = tmp_path_factory.mktemp("artifact") / "shopee.json"
    assert main(["compile", str(POLICY), "-o", str(path)]) == 0
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


@PROPERTY
@given(data=st.data(), key=NEW_KEY)
def test_unknown_key_anywhere_in_an_artifact(data: st.DataObject, key: str,
                                             artifact: dict[str, Any], tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    at = data.draw(st.sampled_from(_objects(artifact)))
    path = _write(tmp_path / "edited.json", _add(artifact, at, key))
    status = main(["simulate", str(path), "--log", str(LOG)])
    assert_refused(status, *_captured(capsys), f"edited.json/{_pointer(at, key)}: "
                                                 f"unknown key `{key}`")


def test_a_compiled_artifact_as_the_policy_from_standard_input(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    artifact = tmp_path / "shopee.json"
    assert main(["compile", str(POLICY), "-o", str(artifact)]) == 0
    capsys.readouterr()
    assert main(["simulate", str(artifact), "--log", str(LOG), "--format", "json"]) == 0
    expected = json.loads(capsys.readouterr().out)
    _stdin(monkeypatch, artifact.read_bytes())
    assert main(["simulate", "-", "--log", str(LOG), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == expected
    _stdin(monkeypatch, artifact.read_bytes())
    status = main(["simulate", "-", "--log", "-"])
    assert_refused(status, *_captured(capsys), "only one of POLICY and --log can be -")
    _stdin(monkeypatch, (ROOT / "policies/examples/shopee-state.json").read_bytes())
    status = main(["explain", "-", "--log", str(LOG), "--buyer", "b-001"])
    assert_refused(status, *_captured(capsys), "<stdin>: not a policyc artifact (this looks "
                                               "like a state snapshot)")
