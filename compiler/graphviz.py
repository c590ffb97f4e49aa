"""Lay the decision graph out with Graphviz's `dot`, when it is installed.

`dot` ranks the graph, orders the ranks and routes every edge as splines around the node
boxes, better than the built-in layered layout (compiler/graph_layout.py) on large graphs.
The boxes keep the built-in size, so the page draws them the same way; `dot -Tplain` gives
the positions (inches, y upwards), converted here to the page's pixels (y downwards).
Without `dot`, or when it fails, the caller falls back to the built-in layout.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess

import networkx as nx

from .graph_layout import BOX_H, BOX_W, GAP_X, GAP_Y, MARGIN, Box, Cubic, EdgeRoute, Layout

POINTS = 72.0  # Graphviz works in inches
TIMEOUT = 60  # seconds; a policy graph lays out in well under one
# POLICYC_GRAPH_LAYOUT=layered keeps the built-in layout even where Graphviz is installed.
CHOICE = "POLICYC_GRAPH_LAYOUT"


def available() -> str | None:
    """The `dot` program to use, or None (not installed, or the built-in layout asked for)."""
    if os.environ.get(CHOICE, "graphviz") == "layered":
        return None
    return shutil.which("dot")


def dot_source(graph: nx.DiGraph) -> str:
    """The graph for `dot`: nodes numbered (ids are policy text), boxes of a fixed size."""
    number = {node: i for i, node in enumerate(graph)}
    lines = ["digraph g {", "  rankdir=TB;",
             f"  nodesep={GAP_X / POINTS:.3f}; ranksep={GAP_Y / POINTS:.3f};",
             f'  node [shape=box, fixedsize=true, width={BOX_W / POINTS:.4f}, '
             f'height={BOX_H / POINTS:.4f}, label=""];',
             '  edge [fontsize=12, fontname="sans-serif"];']
    lines += [f"  n{number[n]};" for n in graph]
    for u, v, label in graph.edges(data="label", default=""):
        text = str(label).replace("\\", "\\\\").replace('"', '\\"')
        lines.append(f'  n{number[u]} -> n{number[v]} [label="{text}"];')
    lines.append("}")
    return "\n".join(lines) + "\n"


def layout(graph: nx.DiGraph, dot: str) -> Layout | None:
    """The Graphviz layout of a graph, or None when `dot` fails."""
    try:
        done = subprocess.run([dot, "-Tplain"], input=dot_source(graph), text=True,
                              capture_output=True, timeout=TIMEOUT, check=True)
    except (OSError, subprocess.SubprocessError):
        return None
    return parse_plain(graph, done.stdout)


def parse_plain(graph: nx.DiGraph, plain: str) -> Layout | None:
    """A Layout from `dot -Tplain` output (None when it is not what dot writes)."""
    nodes = list(graph)
    height = 0.0
    boxes: dict[str, Box] = {}
    edges: dict[tuple[str, str], EdgeRoute] = {}
    width = 0.0

    def px(x: str, y: str) -> tuple[float, float]:
        return MARGIN + float(x) * POINTS, MARGIN + (height - float(y)) * POINTS

    try:
        for line in plain.splitlines():
            word = shlex.split(line)
            if not word:
                continue
            if word[0] == "graph":
                width, height = float(word[2]), float(word[3])
            elif word[0] == "node":
                x, y = px(word[2], word[3])
                w, h = float(word[4]) * POINTS, float(word[5]) * POINTS
                boxes[nodes[int(word[1][1:])]] = Box(x - w / 2, y - h / 2, w, h)
            elif word[0] == "edge":
                u, v, count = nodes[int(word[1][1:])], nodes[int(word[2][1:])], int(word[3])
                points = [px(word[4 + 2 * i], word[5 + 2 * i]) for i in range(count)]
                rest = word[4 + 2 * count:]
                label = px(rest[1], rest[2]) if len(rest) >= 5 else points[len(points) // 2]
                segments: list[Cubic] = [
                    (points[i], points[i + 1], points[i + 2], points[i + 3])
                    for i in range(0, count - 1, 3)]
                edges[(u, v)] = EdgeRoute(tuple(segments), label[0], label[1])
    except (ValueError, IndexError):
        return None
    if set(boxes) != set(nodes) or set(edges) != set(graph.edges):
        return None
    return Layout(boxes, edges, int(2 * MARGIN + width * POINTS),
                  int(2 * MARGIN + height * POINTS))
