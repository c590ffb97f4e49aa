"""The graph page's layered layout: no two boxes overlap, and no edge runs through a box.

Checked on the geometry itself (compiler/graph_layout.py), for every shipped policy and a
long overflow chain: each edge is sampled along the curves and lines it is drawn with, and
no sample may fall inside a box other than the edge's own two ends.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from policyc.commands.check import policy_files
from policyc.compiler import compile_file
from policyc.compiler.graph_layout import Box, Layout, layout

REPO = Path(__file__).resolve().parents[1]
POLICIES = sorted(p.relative_to(REPO).as_posix() for p in policy_files([REPO / "policies"])[0])
SAMPLES = 24


def _layout_of(path: Path) -> tuple[Layout, list[tuple[str, str]]]:
    result = compile_file(path)
    assert result.compilation is not None and result.compilation.graph is not None
    graph = result.compilation.graph
    return layout(graph), list(graph.edges)


def _samples(points: tuple[tuple[float, float], ...]) -> list[tuple[float, float]]:
    """Points along the drawn edge: a vertical-tangent cubic across each gap between rows
    (odd segments), a straight line through each row it passes (even segments)."""
    out = []
    for i, ((x1, y1), (x2, y2)) in enumerate(itertools.pairwise(points), 1):
        mid = (y1 + y2) / 2
        for k in range(1, SAMPLES):
            t = k / SAMPLES
            if i % 2:
                x = (1 - t) ** 3 * x1 + 3 * (1 - t) ** 2 * t * x1 + 3 * (1 - t) * t ** 2 * x2 \
                    + t ** 3 * x2
                y = (1 - t) ** 3 * y1 + 3 * (1 - t) ** 2 * t * mid + 3 * (1 - t) * t ** 2 * mid \
                    + t ** 3 * y2
            else:
                x, y = x1 + (x2 - x1) * t, y1 + (y2 - y1) * t
            out.append((x, y))
    return out


def _inside(box: Box, x: float, y: float) -> bool:
    return box.x < x < box.x + box.w and box.y < y < box.y + box.h


def assert_clean(placed: Layout, edges: list[tuple[str, str]]) -> None:
    boxes = list(placed.boxes.items())
    for (a, box_a), (b, box_b) in itertools.combinations(boxes, 2):
        assert not box_a.overlaps(box_b), f"boxes of {a} and {b} overlap"
    for u, v in edges:
        route = placed.edges[(u, v)]
        for x, y in _samples(route.points):
            hit = [n for n, box in boxes if n not in (u, v) and _inside(box, x, y)]
            assert not hit, f"edge {u} -> {v} runs through the box of {hit[0]}"


@pytest.mark.parametrize("policy", POLICIES)
def test_shipped_graph_layout_has_no_overlap_and_no_edge_through_a_box(policy: str) -> None:
    placed, edges = _layout_of(REPO / policy)
    assert_clean(placed, edges)


def test_a_layout_with_long_edges_routes_them_around_the_boxes(tmp_path: Path) -> None:
    """Twelve groups each overflowing to the next: every `nobody available` edge from the
    chain to the next route step skips rows, and must pass them between the boxes."""
    n = 12
    lines = ["policyc: 1", "shop: {id: s, timezone: UTC, sources: [product_page]}", "roster:",
             '  - {id: boss, role: main, created_at: "2024-01-01T09:00:00+08:00"}']
    lines += [f'  - {{id: a{i}, created_at: "2024-01-01T09:00:00+08:00"}}' for i in range(n)]
    lines.append("groups:")
    for i in range(n):
        lines += [f"  g{i}:", f"    members: [a{i}]"]
        lines += [f"    overflow: [g{i + 1}]"] if i + 1 < n else []
    lines += ["bindings:", "  - when: source == product_page", "    to: [g0]",
              "route: [bindings, other_online, stage]"]
    (tmp_path / "chain.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    placed, edges = _layout_of(tmp_path / "chain.yaml")
    long_edges = [e for e in edges if len(placed.edges[e].points) > 2]
    assert long_edges, "the chain has edges that skip rows"
    assert_clean(placed, edges)
