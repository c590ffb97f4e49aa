"""Hand-edited or old artifacts: a located load error, or a router that decides without raising.

Issue 14: 135 of 400 single-field mutations of a compiled shipped policy crashed
the runtime. Here seeded single-field mutations of every compiled shipped policy
(a key dropped, a value of another type or out of range, a name swapped for
another) must each give an ArtifactError at load, or a Router and Engine that
run the shipped day log's first events and decide the example message without
raising anything. The CLI answers a broken artifact with a located error, exit 2.
"""

from __future__ import annotations

import copy
import json
import random
from pathlib import Path
from typing import Any

import pytest

from policyc.api import load
from policyc.cli import main
from policyc.runtime.artifact import ARTIFACT_VERSION, ArtifactError, check_artifact
from policyc.runtime.engine import Engine
from policyc.runtime.inputs import check_event
from policyc.runtime.router import Router

ROOT = Path(__file__).resolve().parents[1]
POLICIES = ("shopee", "taobao", "youzan", "cosmetics")
MUTANTS_PER_POLICY = 150
EVENTS_PER_RUN = 60

Path_ = tuple[str | int, ...]


def _artifact(name: str) -> dict[str, Any]:
    return load(ROOT / "policies" / f"{name}.yaml").artifact


def _events(name: str) -> list[dict[str, Any]]:
    lines = (ROOT / "policies" / "logs" / f"{name}-day.jsonl").read_text(encoding="utf-8")
    return [json.loads(line) for line in lines.split("\n") if line.strip()][:EVENTS_PER_RUN]


def _places(node: object, at: Path_ = ()) -> list[Path_]:
    """Every path to a value inside the artifact (not the root)."""
    out: list[Path_] = [at] if at else []
    if isinstance(node, dict):
        for key, value in node.items():
            out += _places(value, (*at, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            out += _places(value, (*at, i))
    return out


def _parent(data: Any, at: Path_) -> Any:
    for part in at[:-1]:
        data = data[part]
    return data


# What a hand edit does to one value; `names` are ids from the artifact (for swaps).
MUTATIONS = ("drop", "null", "empty_text", "text", "negative", "huge", "float", "true",
             "empty_list", "empty_object", "list_of_object", "other_name", "nan_text")


def _mutate(data: dict[str, Any], at: Path_, how: str, rng: random.Random,
            names: list[str]) -> None:
    parent = _parent(data, at)
    key = at[-1]
    if how == "drop":
        if isinstance(parent, dict):
            del parent[key]
        else:
            parent.pop(key)  # type: ignore[arg-type]
        return
    value: object = {
        "null": None, "empty_text": "", "text": "x", "negative": -1, "huge": 10 ** 12,
        "float": 0.5, "true": True, "empty_list": [], "empty_object": {},
        "list_of_object": [{}], "nan_text": "NaN",
    }.get(how, rng.choice(names))
    parent[key] = value


def _run(artifact: dict[str, Any], events: list[dict[str, Any]]) -> None:
    """Load, replay events the artifact accepts, and decide one message: nothing may raise."""
    try:
        check_artifact(artifact, "mutant")
    except ArtifactError:
        return
    router = Router(artifact)
    engine = Engine(router)
    for event in events:
        try:
            check_event(event, "", router.agent_ids, set(router.groups))
        except ValueError:
            continue  # the mutant renamed what this event names: the CLI would refuse it
        engine.feed(event)
    message = {"type": "message", "at": events[-1]["at"], "buyer": "b-mutant",
               "source": "product_page", "wants_human": True}
    router.decide(router.state({"at": message["at"]}), message, trace=True)


@pytest.mark.parametrize("name", POLICIES)
def test_single_field_mutations_never_crash_the_runtime(name: str) -> None:
    base = _artifact(name)
    events = _events(name)
    places = _places(base)
    names = sorted({a["id"] for a in base["agents"]} | {g["id"] for g in base["groups"]})
    rng = random.Random(f"issue-14-{name}")
    for _ in range(MUTANTS_PER_POLICY):
        at, how = rng.choice(places), rng.choice(MUTATIONS)
        mutant = copy.deepcopy(base)
        _mutate(mutant, at, how, rng, names)
        try:
            _run(mutant, events)
        except Exception as err:  # any exception is the finding
            raise AssertionError(f"{name}: {how} at /{'/'.join(map(str, at))}: "
                                 f"{type(err).__name__}: {err}") from err


def _write(tmp_path: Path, artifact: dict[str, Any]) -> Path:
    path = tmp_path / "edited.json"
    path.write_text(json.dumps(artifact), encoding="utf-8")
    return path


EDITS = [
    ("member not in the roster", lambda a: a["groups"][0]["members"].append("ghost"),
     "/groups/0/members/2: unknown agent 'ghost'"),
    ("route step of unknown kind", lambda a: a["route"][0].update(kind="teleport"),
     "/route/0/kind: unknown step kind 'teleport'"),
    ("unknown key in an agent", lambda a: a["agents"][0].update(capactiy=3),
     "/agents/0/capactiy: unknown key `capactiy` in an agent; did you mean `capacity`?"),
    ("settings lack a table", lambda a: a["settings"].pop("queue"),
     "/settings/queue: the settings lacks `queue`"),
    ("condition of unknown form", lambda a: a["bindings"][0].update(when=["near", "source"]),
     "/bindings/0/when/0: unknown condition form 'near'"),
    ("unknown time zone", lambda a: a["shop"].update(timezone="Mars/Olympus"),
     "/shop/timezone: unknown time zone 'Mars/Olympus'"),
    ("old version", lambda a: a.update(version=ARTIFACT_VERSION - 1),
     "artifact version 0; this runtime reads version 1 (recompile the policy)"),
]


@pytest.mark.parametrize(("edit", "message"), [(e, m) for _, e, m in EDITS],
                         ids=[name for name, _, _ in EDITS])
def test_hand_edited_artifact_is_a_located_error_exit_2(
        edit: Any, message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    artifact = copy.deepcopy(_artifact("shopee"))
    edit(artifact)
    path = _write(tmp_path, artifact)
    log = ROOT / "policies" / "logs" / "shopee-day.jsonl"
    assert main(["simulate", str(path), "--log", str(log)]) == 2
    out, err = capsys.readouterr()
    assert out == "" and "Traceback" not in err
    assert err.startswith(f"policyc simulate: {path}"), err
    assert message in err, err
