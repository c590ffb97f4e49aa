"""`policyc graph`: golden DOT and Mermaid for the Shopee policy, a well-formed offline HTML page,
and the highlight of one message's path, taken from a real decision of the shipped example.

Refresh the golden files with `POLICYC_REGOLD=1 .venv/bin/pytest tests/test_graph.py`.
"""

from __future__ import annotations

import itertools
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import networkx as nx
import pytest
from goldens import assert_golden

from policyc.api import decide, load, state
from policyc.cli import main
from policyc.compiler import compile_file
from policyc.compiler.render_graph import Highlight, highlight_of, render

REPO = Path(__file__).resolve().parents[1]
GOLDEN = REPO / "tests" / "graph"
SHOPEE = "policies/shopee.yaml"
EXAMPLES = REPO / "policies" / "examples"


def _real_decision() -> dict[str, object]:
    """The shipped Shopee example decided for real, with elly busy so that the pick drops
    someone: the highlight follows the recorded path and shows who was dropped and why."""
    router = load(REPO / SHOPEE)
    snapshot = json.loads((EXAMPLES / "shopee-state.json").read_text(encoding="utf-8"))
    for agent in snapshot["agents"]:
        if agent["id"] == "elly":
            agent["status"] = "busy"
    event = json.loads((EXAMPLES / "shopee-event.json").read_text(encoding="utf-8"))
    return decide(router, state(router, snapshot), event, trace=True).to_dict("full")


RECORD = _real_decision()
HIGHLIGHT = highlight_of(RECORD)
PATH = HIGHLIGHT.path


@pytest.fixture
def in_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)  # file names in the output are relative to the working folder


def shopee_graph() -> nx.DiGraph:
    result = compile_file(Path(SHOPEE))
    assert result.compilation is not None and result.compilation.graph is not None
    return result.compilation.graph


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = main(["graph", *args])
    out, err = capsys.readouterr()
    return status, out, err


@pytest.mark.usefixtures("in_repo")
@pytest.mark.parametrize(("fmt", "suffix"), [("dot", "dot"), ("mermaid", "mmd")])
def test_golden(fmt: str, suffix: str, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, SHOPEE, "--format", fmt)
    assert status == 0
    assert_golden(GOLDEN / f"shopee.{suffix}", out)


@pytest.mark.usefixtures("in_repo")
def test_html_is_well_formed_offline_and_shows_every_node(tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]
                                                         ) -> None:
    target = tmp_path / "shopee.html"
    status, _, err = run(capsys, SHOPEE, "--format", "html", "-o", str(target))
    assert status == 0 and f"wrote {target}" in err
    page = target.read_text(encoding="utf-8")
    root = ET.fromstring(page)  # well-formed: every tag closed, every entity XML's
    shown = {e.get("data-node") for e in root.iter() if e.get("data-node")}
    assert shown == set(shopee_graph().nodes)
    hrefs = [e.get("href") or "" for e in root.iter() if e.get("href") is not None]
    assert hrefs and all(h.startswith("#") for h in hrefs), "links stay inside the page"
    assert not re.search(r"<script|<link|<img|src=|@import|url\(http", page)
    anchors = {e.get("id") for e in root.iter() if e.get("id")}
    assert all(h[1:] in anchors for h in hrefs), "every node links to its policy line"
    assert "policies/shopee.yaml:42" in page  # recent_contact, where it is written


def test_highlight_marks_the_path_and_the_dropped() -> None:
    graph = shopee_graph()
    dot = render(graph, "dot", HIGHLIGHT)
    for node in PATH:
        assert re.search(rf'^  "{re.escape(node)}" \[.*penwidth=3', dot, re.M), node
    for a, b in itertools.pairwise(PATH):  # a walk of the graph, every edge of it drawn
        assert graph.has_edge(a, b), (a, b)
        assert re.search(rf'^  "{re.escape(a)}" -> "{re.escape(b)}" \[.*penwidth=3', dot, re.M)
    assert PATH[0] == "entry" and graph.nodes[PATH[-1]]["type"] == "outcome"
    assert PATH[-1] == f"outcome:{RECORD['outcome']}:{RECORD['reason']}"
    assert HIGHLIGHT.dropped, "the example drops someone, so the picture shows why"
    for node, why in HIGHLIGHT.dropped.items():
        assert f'xlabel="dropped: {", ".join(why)}"' in dot, node

    mermaid = render(graph, "mermaid", HIGHLIGHT)
    keys = {n: f"n{i}" for i, n in enumerate(graph)}
    taken = re.search(r"^  class (\S+) taken$", mermaid, re.M)
    assert taken and set(taken[1].split(",")) == {keys[n] for n in PATH}
    links = re.search(r"^  linkStyle (\S+) ", mermaid, re.M)
    assert links and len(links[1].split(",")) == len(PATH) - 1
    assert all(f"dropped: {', '.join(why)}" in mermaid for why in HIGHLIGHT.dropped.values())

    page = render(graph, "html", HIGHLIGHT)
    root = ET.fromstring(page)
    marked = {e.get("data-node") for e in root.iter()
              if "on-path" in (e.get("class") or "").split() and e.get("data-node")}
    assert marked == set(PATH)
    edges = [e for e in root.iter() if "edge" in (e.get("class") or "").split()]
    assert sum("on-path" in (e.get("class") or "") for e in edges) == len(PATH) - 1
    assert all(f"dropped: {', '.join(why)}" in page for why in HIGHLIGHT.dropped.values())


def test_no_highlight_marks_nothing() -> None:
    graph = shopee_graph()
    assert "penwidth" not in render(graph, "dot")
    assert "taken" not in render(graph, "mermaid")
    assert "on-path" not in re.sub(r"<style>.*?</style>", "", render(graph, "html"), flags=re.S)


def test_unknown_format_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown graph format"):
        render(shopee_graph(), "png")


def test_missing_policy_is_unusable(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(capsys, str(tmp_path / "nope.yaml"))
    assert status == 2 and out == "" and "nope.yaml:1:1: error[E100]" in err


def test_policy_with_a_dead_end_is_drawn_and_fails(tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    policy = tmp_path / "p.yaml"
    policy.write_text(
        "policyc: 1\nshop: {id: s, timezone: Asia/Taipei}\n"
        "roster:\n  - {id: boss, role: main, created_at: \"2024-01-01T09:00:00+08:00\"}\n"
        "route:\n  - other_online\n", encoding="utf-8")
    status, out, err = run(capsys, str(policy), "--format", "mermaid")
    assert status == 1 and "error[E208]" in err
    assert "dead_end" in out


def test_policy_that_does_not_compile_draws_nothing(tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    policy = tmp_path / "p.yaml"
    policy.write_text("policyc: 1\nshop: [\n", encoding="utf-8")
    status, out, err = run(capsys, str(policy))
    assert status == 1 and out == "" and "error[E101]" in err


def test_highlight_of_a_decision_record() -> None:
    record = {"outcome": "assigned", "path": ["entry", "route[1].groups.presale>presale"],
              "trace": [
        {"node": "route[0]", "result": "nobody_available", "dropped": [
            {"agent": "chrissy", "why": "offline"}]},
        {"node": "route[1].groups.presale>presale", "dropped": [
            {"agent": "elly", "why": "busy"}, {"agent": "chrissy", "why": "offline"}]},
        {"node": "outcome:assigned:source_group", "dropped": []},
    ]}
    assert highlight_of(record) == Highlight(
        ("entry", "route[1].groups.presale>presale"),
        {"route[0]": ["chrissy: offline"],
         "route[1].groups.presale>presale": ["elly: busy", "chrissy: offline"]})
    assert highlight_of({"outcome": "queued"}) == Highlight()
