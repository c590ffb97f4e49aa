"""`policyc diff OLD NEW --log`: static and replayed differences between two policies.

The variant tests/diff/shopee-reordered.yaml is policies/shopee.yaml with the two
source bindings written out in the other order and the aftersale group emptied.
Golden files in tests/golden/diff/; refresh with POLICYC_REGOLD=1.
"""

from __future__ import annotations

import copy
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from goldens import assert_golden

from policyc.api import load
from policyc.cli import main
from policyc.commands.simulate import read_log
from policyc.compiler import compile_file
from policyc.diffing import RowChange, show_when, static_diff
from policyc.runtime.engine import Engine

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "golden" / "diff"
OLD = "policies/shopee.yaml"
NEW = "tests/diff/shopee-reordered.yaml"
LOG = "policies/logs/shopee-day.jsonl"
FIELDS = ("outcome", "agent", "group", "reason")


def _golden(name: str, actual: str) -> None:
    assert_golden(GOLDEN / name, actual)


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = main(["diff", *args])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return status, out, err


@pytest.fixture(autouse=True)
def _at_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)  # relative paths, so spans in the golden files are stable


# -- the variant ------------------------------------------------------------------------
def test_variant_text_golden(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(capsys, OLD, NEW, "--log", LOG)
    assert (status, err) == (1, "")
    assert "moved    #2 -> #1  groups.aftersale -> bindings[0]" in out
    assert "changed  aftersale: members -fanny -gavin" in out
    assert "source_group -> fallback_other_online" in out
    _golden("shopee-reordered.txt", out)


def _independent(policy: str, events: list[dict[str, Any]]
                 ) -> tuple[dict[int, tuple[tuple[object, ...], ...]], Counter[str]]:
    """Each message's (record, releases...) as FIELDS tuples, and assignments per agent.

    One engine on its own; a release belongs to the message whose event it carries
    (compared by value here, not by identity as policyc.diffing does).
    """
    engine = Engine(load(policy))
    routed: dict[int, list[tuple[object, ...]]] = {}
    assigned: Counter[str] = Counter()
    for index, event in enumerate(events):
        for rec in engine.feed(event):
            if rec["kind"] in ("route", "release", "transfer") and rec["agent"] is not None:
                assigned[rec["agent"]] += 1
            if rec["kind"] in ("route", "continued") and event["type"] == "message":
                routed[index] = [tuple(rec[f] for f in FIELDS)]
            elif rec["kind"] == "release":
                owner = next(i for i in routed if events[i] == rec["event"])
                routed[owner].append(tuple(rec[f] for f in FIELDS))
    return {i: tuple(r) for i, r in routed.items()}, assigned


def _check_against_independent_replay(capsys: pytest.CaptureFixture[str], old_policy: str,
                                      new_policy: str, log: str) -> dict[str, Any]:
    """The JSON report's changed messages, reasons and loads, recomputed by hand."""
    status, out, _ = run(capsys, old_policy, new_policy, "--log", log, "--format", "json")
    report: dict[str, Any] = json.loads(out)["replay"]
    path = Path(log)
    router = load(old_policy)
    events = read_log(path, router.agent_ids, set(router.groups))
    lines = [n for n, text in enumerate(path.read_text().splitlines(), 1) if text.strip()]
    old, old_load = _independent(old_policy, events)
    new, new_load = _independent(new_policy, events)
    assert old.keys() == new.keys()
    assert len(old) == report["messages"] == sum(e["type"] == "message" for e in events)
    expected = {f"{log}:{lines[i]}" for i in old if old[i] != new[i]}
    assert expected, "the variant changes routing"
    assert status == 1
    assert {c["line"] for c in report["changes"]} == expected
    assert report["changed"] == len(expected)
    text = path.read_text().splitlines()
    for change in report["changes"]:
        number = int(change["line"].rsplit(":", 1)[1])
        written = json.loads(text[number - 1])
        assert (written["buyer"], written["at"]) == (change["buyer"], change["at"])
        index = lines.index(number)
        for side, routed in (("old", old), ("new", new)):
            rows = [change[side], *change[side]["releases"]]
            assert tuple(tuple(r[f] for f in FIELDS) for r in rows) == routed[index]
    loads = {a["id"]: (a["old"], a["new"]) for a in report["agents"]}
    assert loads == {a: (old_load[a], new_load[a]) for a in old_load | new_load}
    transitions = Counter((c["old"]["reason"], c["new"]["reason"]) for c in report["changes"])
    assert {(r["old"], r["new"]): r["messages"] for r in report["reasons"]} == transitions
    return report


def test_changed_messages_match_an_independent_replay(capsys: pytest.CaptureFixture[str]
                                                      ) -> None:
    _check_against_independent_replay(capsys, OLD, NEW, LOG)


def test_lines_count_blank_lines(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    spaced = tmp_path / "spaced.jsonl"
    spaced.write_text("\n" + (ROOT / LOG).read_text(encoding="utf-8").replace("\n", "\n\n"),
                      encoding="utf-8")
    _check_against_independent_replay(capsys, OLD, NEW, str(spaced))


def test_released_differently(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """S7: staged chats handed out later count too: cap 1 gives the second one to elly."""
    capped = tmp_path / "capped.yaml"
    capped.write_text((ROOT / OLD).read_text(encoding="utf-8").replace("cap: 100", "cap: 1"),
                      encoding="utf-8")
    log = tmp_path / "night.jsonl"
    rows = [{"type": "message", "at": "2026-11-23T00:10:00+08:00", "buyer": "b-1",
             "source": "product_page"},
            {"type": "message", "at": "2026-11-23T00:20:00+08:00", "buyer": "b-2",
             "source": "product_page"},
            {"type": "agent_status", "at": "2026-11-23T08:00:00+08:00", "agent": "chrissy",
             "status": "online"},
            {"type": "agent_status", "at": "2026-11-23T08:05:00+08:00", "agent": "elly",
             "status": "online"},
            {"type": "message", "at": "2026-11-23T08:10:00+08:00", "buyer": "b-3",
             "source": "product_page"}]
    log.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    report = _check_against_independent_replay(capsys, OLD, str(capped), str(log))
    second = next(c for c in report["changes"] if c["buyer"] == "b-2")
    assert second["differ"] == ["release"]
    assert [r["agent"] for r in second["old"]["releases"]] == ["chrissy"]
    assert [r["agent"] for r in second["new"]["releases"]] == ["elly"]


def test_json_format(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, OLD, NEW, "--log", LOG, "--format", "json", "--examples", "2")
    doc = json.loads(out)
    assert status == 1 and doc["changed"] is True
    assert (doc["old"], doc["new"], doc["log"]) == (OLD, NEW, LOG)
    static = doc["static"]
    moved = {(b["old_id"], b["new_id"], b["old_at"], b["new_at"]) for b in static["bindings"]}
    assert moved == {("groups.aftersale", "bindings[0]", 2, 1),
                     ("groups.presale", "bindings[1]", 1, 2)}
    assert {b["change"] for b in static["bindings"]} == {"moved"}
    assert static["route"] == [] and static["sections"] == []
    assert static["groups"] == [{"group": "aftersale", "change": "changed", "members_added": [],
                                 "members_removed": ["fanny", "gavin"], "detail": []}]
    groups = {g["id"]: (g["old"], g["new"]) for g in doc["replay"]["groups"]}
    assert groups["aftersale"][0] > 0 and groups["aftersale"][1] == 0
    changes = doc["replay"]["changes"]
    assert ["trace" in c["old"] and "trace" in c["new"] for c in changes[:3]] == [
        True, True, False]


def test_examples_count_and_none(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(capsys, OLD, NEW, "--log", LOG, "--examples", "1")
    assert "examples (first 1 of" in out and "\n2. " not in out
    _, out, _ = run(capsys, OLD, NEW, "--log", LOG, "--examples", "0")
    assert "examples" not in out and "process (fails)" not in out


# -- no change --------------------------------------------------------------------------
@pytest.mark.parametrize("stem", ["shopee", "youzan", "taobao"])
def test_identical_policies_are_no_change(stem: str, capsys: pytest.CaptureFixture[str]) -> None:
    policy, log = f"policies/{stem}.yaml", f"policies/logs/{stem}-day.jsonl"
    status, out, err = run(capsys, policy, policy, "--log", log)
    assert (status, err) == (0, "")
    assert "\nno change: " in out
    status, out, _ = run(capsys, policy, policy, "--log", log, "--format", "json")
    doc = json.loads(out)
    assert (status, doc["changed"], doc["replay"]["changes"]) == (0, False, [])


def test_comments_and_layout_are_no_change(capsys: pytest.CaptureFixture[str],
                                           tmp_path: Path) -> None:
    """Spans differ (every line moved), meaning does not: no change."""
    text = (ROOT / OLD).read_text(encoding="utf-8")
    bare = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    copy_ = tmp_path / "shopee.yaml"
    copy_.write_text(bare + "\n", encoding="utf-8")
    status, out, _ = run(capsys, OLD, str(copy_), "--log", LOG)
    assert status == 0 and "no change" in out


# -- bad input --------------------------------------------------------------------------
def test_missing_files(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(capsys, "policies/nope.yaml", NEW, "--log", LOG)
    assert (status, out, err) == (2, "", "policies/nope.yaml: no such file\n")
    status, _, err = run(capsys, OLD, NEW, "--log", "policies/logs/nope.jsonl")
    assert (status, err) == (2, "policies/logs/nope.jsonl: no such file\n")


def test_bad_log_line_names_file_and_line(capsys: pytest.CaptureFixture[str],
                                          tmp_path: Path) -> None:
    log = tmp_path / "bad.jsonl"
    first = (ROOT / LOG).read_text(encoding="utf-8").splitlines()[:2]
    log.write_text("\n".join([*first, '{"type": "message", "at": "nope"']) + "\n")
    status, out, err = run(capsys, OLD, NEW, "--log", str(log))
    assert (status, out) == (2, "")
    assert err.startswith(f"{log}:3: not JSON")


def test_agent_unknown_to_one_policy_is_bad_input(capsys: pytest.CaptureFixture[str],
                                                  tmp_path: Path) -> None:
    """Every event must be replayable under both policies."""
    fewer = tmp_path / "fewer.yaml"
    fewer.write_text((ROOT / OLD).read_text(encoding="utf-8").replace(
        '  - {id: hank, created_at: "2024-01-10T09:00:00+08:00"}', ""), encoding="utf-8")
    log = tmp_path / "hank.jsonl"
    log.write_text('{"type": "agent_status", "at": "2026-11-23T09:00:00+08:00", '
                   '"agent": "hank", "status": "online"}\n')
    status, _, err = run(capsys, OLD, str(fewer), "--log", str(log))
    assert status == 2 and err.startswith(f"{log}:1: agent: unknown agent 'hank'")


def test_policy_with_errors_prints_its_diagnostics(capsys: pytest.CaptureFixture[str]) -> None:
    broken = "tests/broken/E207_agent_in_two_groups.yaml"
    status, out, err = run(capsys, OLD, broken, "--log", LOG)
    assert (status, out) == (2, "")
    assert f"{broken}:" in err and "error[E207]" in err


@pytest.mark.parametrize("flags", [["--examples", "-1"], ["--examples", "x"],
                                   ["--format", "xml"], []])
def test_bad_flags(flags: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    log = ["--log", LOG] if flags else []
    status, out, err = run(capsys, OLD, NEW, *log, *flags)
    assert (status, out) == (2, "") and err.count("\n") == 2


# -- static_diff, table-driven on the compiled shopee artifact -------------------------
def _artifact() -> dict[str, Any]:
    artifact = compile_file(ROOT / OLD).artifact
    assert artifact is not None
    return artifact


def _add_binding(a: dict[str, Any]) -> None:
    a["bindings"].append({"id": "bindings[0]", "when": ["cmp", "==", "intent", "refund"],
                          "groups": ["aftersale"], "agents": [], "select": None, "span": "x"})


def _narrow_binding(a: dict[str, Any]) -> None:
    a["bindings"][0]["when"] = ["in", "source", ["product_page"]]


def _drop_step(a: dict[str, Any]) -> None:
    del a["route"][0]


def _swap_steps(a: dict[str, Any]) -> None:
    a["route"][2], a["route"][3] = a["route"][3], a["route"][2]


def _widen_recent(a: dict[str, Any]) -> None:
    a["route"][0]["params"]["window"] = 86400


def _new_group(a: dict[str, Any]) -> None:
    a["groups"].append({"id": "vip", "members": ["hank"], "select": None, "overflow": [],
                        "span": "x"})


def _strategy(a: dict[str, Any]) -> None:
    a["selection"]["strategy"] = "lowest_load_ratio"


STATIC = [
    ("binding added", _add_binding, "bindings", "added",
     "when intent == \"refund\" -> aftersale"),
    ("binding condition changed", _narrow_binding, "bindings", "changed",
     "when: source in {product_page, live_story} -> source in {product_page}"),
    ("route step removed", _drop_step, "route", "removed", "recent_contact"),
    ("route steps reordered", _swap_steps, "route", "moved", "main_account"),
    ("route step parameter changed", _widen_recent, "route", "changed",
     "params.window: 259200 -> 86400"),
    ("group added", _new_group, "groups", "added", "hank"),
]


@pytest.mark.parametrize(("what", "edit", "table", "change", "shows"), STATIC,
                         ids=[s[0] for s in STATIC])
def test_static_diff(what: str, edit: Any, table: str, change: str, shows: str) -> None:
    old = _artifact()
    new = copy.deepcopy(old)
    edit(new)
    diff = static_diff(old, new)
    rows = getattr(diff, table)
    assert [r.change for r in rows if r.change == change], what
    shown = [r.text if isinstance(r, RowChange) else " ".join(r.members_added) for r in rows]
    assert any(shows in line for line in shown + [d for r in rows for d in r.detail]), shown
    assert static_diff(old, copy.deepcopy(old)).empty


def test_other_sections_are_named() -> None:
    old = _artifact()
    new = copy.deepcopy(old)
    _strategy(new)
    assert static_diff(old, new).sections == ("selection",)
    assert static_diff(old, old).empty


@pytest.mark.parametrize(("expr", "text"), [
    (None, "always"),
    (["not", ["in", "source", ["a", "b"]]], "source not in {a, b}"),
    (["or", ["and", ["field", "wants_human"], ["has", "buyer.tags", "vip"]],
      ["time_in", 540, 1290]], "(wants_human and vip in buyer.tags) or time in 09:00..21:30"),
    (["not", ["or", ["const", True], ["cmp", ">", "shop.online", 0]]],
     "not (true or shop.online > 0)"),
])
def test_show_when(expr: Any, text: str) -> None:
    assert show_when(expr) == text


def test_compiled_artifacts_diff_like_their_policies(capsys: pytest.CaptureFixture[str],
                                                     tmp_path: Path) -> None:
    artifact = tmp_path / "shopee.json"
    artifact.write_text(json.dumps(_artifact()), encoding="utf-8")
    status, out, _ = run(capsys, OLD, str(artifact), "--log", LOG)
    assert status == 0 and "no change" in out
    artifact.write_text('{"format": "something else"}', encoding="utf-8")
    status, out, err = run(capsys, OLD, str(artifact), "--log", LOG)
    assert (status, out) == (2, "") and "not a policyc artifact" in err


def test_text_lists_at_most_20_static_changes_per_table(capsys: pytest.CaptureFixture[str],
                                                         tmp_path: Path) -> None:
    old, new = tmp_path / "old.json", tmp_path / "new.json"
    artifact = _artifact()
    old.write_text(json.dumps(artifact), encoding="utf-8")
    artifact["bindings"] += [{"id": f"bindings[{n}]", "when": ["in", "source", ["order_page"]],
                              "groups": ["presale"], "agents": [], "select": None, "span": "x"}
                             for n in range(25)]
    new.write_text(json.dumps(artifact), encoding="utf-8")
    status, out, _ = run(capsys, str(old), str(new), "--log", LOG, "--examples", "0")
    assert status == 1
    assert out.count("  added    ") == 20 and "  ... 5 more (see --format json)" in out
    status, out, _ = run(capsys, str(old), str(new), "--log", LOG, "--format", "json")
    assert len(json.loads(out)["static"]["bindings"]) == 25


def test_a_copy_elsewhere_is_no_change(capsys: pytest.CaptureFixture[str],
                                       tmp_path: Path) -> None:
    """Spans name another file (pins carry theirs too): still no change."""
    moved = tmp_path / "taobao.yaml"
    moved.write_text((ROOT / "policies/taobao.yaml").read_text(encoding="utf-8"),
                     encoding="utf-8")
    status, out, _ = run(capsys, "policies/taobao.yaml", str(moved), "--log",
                         "policies/logs/taobao-day.jsonl")
    assert status == 0 and "no change" in out
