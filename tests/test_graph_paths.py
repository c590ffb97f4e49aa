"""Properties of every shipped policy's decision graph and artifact.

Every path from `entry` ends in an outcome of the contract, every graph node points
back into the policy text, and compiling twice (even in processes with different
hash seeds) gives byte-identical artifacts. Policies are globbed, so a policy added
to policies/ is covered without touching this file.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import networkx as nx
import pytest
from chain_policy import overflow_chain

from policyc.commands.check import policy_files
from policyc.compiler import compile_file
from policyc.compiler.emit import dumps
from policyc.dsl.span import source_lines
from policyc.runtime.vocabulary import OUTCOMES, REASONS

REPO = Path(__file__).resolve().parents[1]
# Policies are the YAML files with a top-level `policyc:` key, as `policyc check` finds them
# (policies/ also holds included pins files and `policyc test` suites).
POLICIES = sorted(p.relative_to(REPO).as_posix()
                  for p in policy_files([REPO / "policies"])[0])
# Policies with only warnings or notes compile too; their graphs must be as sound.
WARNED = sorted(p.relative_to(REPO).as_posix()
                for p in (REPO / "tests" / "broken").glob("[WI]*.yaml"))


@pytest.fixture(autouse=True)
def _in_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)  # spans name files relative to the working folder


def graph_of(policy: str) -> tuple[nx.DiGraph, dict[str, str]]:
    result = compile_file(Path(policy))
    errors = [f"{d.span}: {d.code} {d.message}" for d in result.diagnostics
              if d.severity.value == "error"]
    assert not errors, errors
    assert result.compilation is not None and result.compilation.graph is not None
    return result.compilation.graph, result.texts


def test_there_are_policies_to_check() -> None:
    assert "policies/shopee.yaml" in POLICIES


@pytest.mark.parametrize("policy", POLICIES + WARNED)
def test_every_path_from_entry_ends_in_a_contract_outcome(policy: str) -> None:
    graph, _ = graph_of(policy)
    assert nx.is_directed_acyclic_graph(graph), nx.find_cycle(graph)  # so paths are finite
    reachable = nx.descendants(graph, "entry") | {"entry"}
    if policy in POLICIES:  # W307 policies have unreachable steps, and say so
        assert reachable == set(graph.nodes), "nodes no message can reach"
    for node in reachable:
        data = graph.nodes[node]
        if graph.out_degree(node) == 0:
            assert data["type"] == "outcome", f"path ends at {node} ({data['type']})"
        if data["type"] == "outcome":
            assert graph.out_degree(node) == 0, f"outcome {node} leads on"
            assert data["outcome"] in OUTCOMES, node
            assert data["reason"] in REASONS, node
    for u, v, label in graph.edges(data="label"):
        assert label, f"edge {u} -> {v} has no label"


@pytest.mark.parametrize("policy", POLICIES + WARNED)
def test_every_path_is_counted_and_ends_in_an_outcome(policy: str) -> None:
    """Walk the paths themselves (count them by dynamic programming over the DAG)."""
    graph, _ = graph_of(policy)
    paths: dict[str, int] = {}
    for node in reversed(list(nx.topological_sort(graph))):
        successors = list(graph.successors(node))
        if not successors:
            paths[node] = 1 if graph.nodes[node]["type"] == "outcome" else 0
            assert paths[node], f"a path from entry ends at {node}"
        else:
            paths[node] = sum(paths[s] for s in successors)
    assert paths["entry"] >= 2  # at least grouping off and one route outcome


@pytest.mark.parametrize("policy", POLICIES + WARNED)
def test_every_node_span_points_into_the_source(policy: str) -> None:
    graph, texts = graph_of(policy)
    for node, span in graph.nodes(data="span"):
        file, line, col = str(span).rsplit(":", 2)
        assert file in texts, f"{node}: {span} names a file that was not compiled"
        lines = source_lines(texts[file])
        assert 1 <= int(line) <= len(lines), f"{node}: {span} is past the end of {file}"
        text = lines[int(line) - 1]
        assert 1 <= int(col) <= max(len(text), 1), f"{node}: {span} is past {text!r}"
        assert not text[int(col) - 1:].startswith((" ", "#")), f"{node}: {span} -> {text!r}"


@pytest.mark.parametrize("policy", POLICIES)
def test_artifact_is_byte_identical_across_compiles(policy: str) -> None:
    first, second = compile_file(Path(policy)).artifact, compile_file(Path(policy)).artifact
    assert first is not None and second is not None
    assert dumps(first) == dumps(second)


_DIGESTS = """
import hashlib, json, sys
from pathlib import Path
from policyc.commands.check import policy_files
from policyc.compiler import compile_file
from policyc.compiler.emit import dumps
from policyc.dsl.span import source_lines
out = {p: hashlib.sha256(dumps(compile_file(Path(p)).artifact).encode()).hexdigest()
       for p in sys.argv[1:]}
print(json.dumps(out))
"""


def test_artifacts_do_not_depend_on_the_hash_seed() -> None:
    """Set and dict iteration order must not leak into the artifact."""
    runs = []
    for seed in ("1", "2"):
        env = dict(os.environ, PYTHONHASHSEED=seed)
        done = subprocess.run([sys.executable, "-c", _DIGESTS, *POLICIES], capture_output=True,
                              text=True, cwd=REPO, env=env, timeout=120, check=True)
        runs.append(json.loads(done.stdout))
    assert runs[0] == runs[1]
    here = {p: hashlib.sha256(dumps(compile_file(Path(p)).artifact or {}).encode()).hexdigest()
            for p in POLICIES}
    assert here == runs[0]


def test_a_long_overflow_chain_compiles(tmp_path: Path) -> None:
    """3,000 groups each overflowing to the next (the graph builder used to recurse)."""
    n = 3000
    text = overflow_chain(n, "[bindings, stage]", bound="g0x",
                          extra=("  g0x:", "    members: [boss]", "    overflow: [g0]"))
    (tmp_path / "chain.yaml").write_text(text, encoding="utf-8")
    result = compile_file(tmp_path / "chain.yaml")
    assert result.compilation is not None and result.compilation.graph is not None
    graph = result.compilation.graph
    assert graph.has_edge(f"route[0].bindings[0]>g{n - 2}", f"route[0].bindings[0]>g{n - 1}")
    assert result.artifact is not None
