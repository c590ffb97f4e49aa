"""The graph page's layered layout: no two boxes overlap, and no edge runs through a box.

Checked on the geometry itself (compiler/graph_layout.py), for every shipped policy and a
long overflow chain: each edge is sampled along the curves and lines it is drawn with, and
no sample may fall inside a box other than the edge's own two ends.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from chain_policy import overflow_chain

from policyc.commands.check import policy_files
from policyc.compiler import compile_file, graphviz
from policyc.compiler.graph_layout import Box, Cubic, Layout, layout

REPO = Path(__file__).resolve().parents[1]
POLICIES = sorted(p.relative_to(REPO).as_posix() for p in policy_files([REPO / "policies"])[0])
SAMPLES = 24


def _layout_of(path: Path, engine: str = "layered") -> tuple[Layout, list[tuple[str, str]]]:
    result = compile_file(path)
    assert result.compilation is not None and result.compilation.graph is not None
    graph = result.compilation.graph
    if engine == "layered":
        return layout(graph), list(graph.edges)
    dot = graphviz.available()
    if dot is None:
        pytest.skip("Graphviz is not installed (apt-get install -y graphviz)")
    placed = graphviz.layout(graph, dot)
    assert placed is not None, "dot failed on a shipped policy"
    return placed, list(graph.edges)


def _samples(segments: tuple[Cubic, ...]) -> list[tuple[float, float]]:
    """Points along the drawn edge, SAMPLES per cubic piece (ends excluded)."""
    out = []
    for (x0, y0), (x1, y1), (x2, y2), (x3, y3) in segments:
        for k in range(1, SAMPLES):
            t = k / SAMPLES
            a, b, c, d = (1 - t) ** 3, 3 * (1 - t) ** 2 * t, 3 * (1 - t) * t ** 2, t ** 3
            out.append((a * x0 + b * x1 + c * x2 + d * x3, a * y0 + b * y1 + c * y2 + d * y3))
    return out


def _inside(box: Box, x: float, y: float) -> bool:
    return box.x < x < box.x + box.w and box.y < y < box.y + box.h


def assert_clean(placed: Layout, edges: list[tuple[str, str]]) -> None:
    boxes = list(placed.boxes.items())
    for (a, box_a), (b, box_b) in itertools.combinations(boxes, 2):
        assert not box_a.overlaps(box_b), f"boxes of {a} and {b} overlap"
    for u, v in edges:
        route = placed.edges[(u, v)]
        for x, y in _samples(route.segments):
            hit = [n for n, box in boxes if n not in (u, v) and _inside(box, x, y)]
            assert not hit, f"edge {u} -> {v} runs through the box of {hit[0]}"


@pytest.mark.parametrize("engine", ["layered", "graphviz"])
@pytest.mark.parametrize("policy", POLICIES)
def test_shipped_graph_layout_has_no_overlap_and_no_edge_through_a_box(policy: str,
                                                                       engine: str) -> None:
    placed, edges = _layout_of(REPO / policy, engine)
    assert_clean(placed, edges)


def test_a_layout_with_long_edges_routes_them_around_the_boxes(tmp_path: Path) -> None:
    """Twelve groups each overflowing to the next: every `nobody available` edge from the
    chain to the next route step skips rows, and must pass them between the boxes."""
    (tmp_path / "chain.yaml").write_text(
        overflow_chain(12, "[bindings, other_online, stage]"), encoding="utf-8")
    placed, edges = _layout_of(tmp_path / "chain.yaml")
    long_edges = [e for e in edges if len(placed.edges[e].segments) > 1]
    assert long_edges, "the chain has edges that skip rows"
    assert_clean(placed, edges)
