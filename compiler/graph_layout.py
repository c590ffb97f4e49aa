"""Lay the decision graph out in layers for the HTML page, with no edge through a box.

A layered (Sugiyama-style) layout: each node's row is its longest distance from the entry;
an edge that spans several rows gets a virtual point in every row it crosses, so it runs
through a gap between boxes there instead of through them; rows are ordered by the
barycentre of their neighbours, swept down and up a few times, which keeps most edges from
crossing. Between two rows an edge is a curve that stays in the band between them, so it can
touch a box only at its own two ends. Edge labels sit on their edge's first stretch, moved
along it until they overprint no other label.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import networkx as nx

# Node box size and spacing, in SVG pixels (text is 12-13 px).
BOX_W, BOX_H, GAP_X, GAP_Y, MARGIN = 224, 64, 28, 76, 20
VIRTUAL_W = 14  # the room a passing edge takes in a row
LABEL_CHAR_W, LABEL_H = 6.6, 14  # a 12 px label's advance per character, and its height
SWEEPS = 4

# A row item: (node id, -1) for a node, (edge key, row) for an edge's virtual point.
Item = tuple[str, int]


@dataclass(frozen=True)
class Box:
    """A drawn rectangle: a node box or an edge label."""

    x: float
    y: float
    w: float
    h: float

    def overlaps(self, other: Box) -> bool:
        """True when the two rectangles share more than an edge."""
        return (self.x < other.x + other.w and other.x < self.x + self.w
                and self.y < other.y + other.h and other.y < self.y + self.h)


Point = tuple[float, float]
Cubic = tuple[Point, Point, Point, Point]  # a cubic Bezier: start, two controls, end


@dataclass(frozen=True)
class EdgeRoute:
    """An edge as drawn: cubic pieces end to end, and its label's place."""

    segments: tuple[Cubic, ...]
    label_x: float
    label_y: float

    @property
    def path(self) -> str:
        """The SVG path data of the pieces."""
        (x, y), *_ = self.segments[0]
        return f"M{x:.1f},{y:.1f}" + "".join(
            f" C{a:.1f},{b:.1f} {c:.1f},{d:.1f} {e:.1f},{f:.1f}"
            for _, (a, b), (c, d), (e, f) in self.segments)


@dataclass(frozen=True)
class Layout:
    """Where every node box and edge goes, and the size of the drawing."""

    boxes: dict[str, Box]
    edges: dict[tuple[str, str], EdgeRoute]
    width: int
    height: int


def layers(graph: nx.DiGraph) -> dict[str, int]:
    """Each node's row: its longest distance from a source (shortest if there is a cycle)."""
    if nx.is_directed_acyclic_graph(graph):
        depth: dict[str, int] = {}
        for node in nx.topological_sort(graph):
            depth[node] = max((depth[p] + 1 for p in graph.predecessors(node)), default=0)
        return depth
    roots = [n for n in graph if graph.in_degree(n) == 0] or list(graph)[:1]
    shortest: dict[str, int] = {}
    for root in roots:
        for node, d in nx.single_source_shortest_path_length(graph, root).items():
            shortest[node] = min(shortest.get(node, d), d)
    return {n: shortest.get(n, 0) for n in graph}


def _chains(graph: nx.DiGraph, row: dict[str, int]
            ) -> tuple[dict[tuple[str, str], list[Item]], dict[int, list[Item]]]:
    """Each edge as the row items it passes (its virtual points), and each row's items.

    An item is (node id, 0) for a node and (edge key, row) for a virtual point; an edge
    going up (a cycle's back edge) is routed like one going down, from its lower end.
    """
    rows: dict[int, list[Item]] = {}
    for node in graph:
        rows.setdefault(row[node], []).append((node, -1))
    chains: dict[tuple[str, str], list[Item]] = {}
    for u, v in graph.edges:
        top, bottom = sorted((row[u], row[v]))
        key = f"{u}\0{v}"
        chains[(u, v)] = [(key, r) for r in range(top + 1, bottom)]
        for item in chains[(u, v)]:
            rows.setdefault(item[1], []).append(item)
    return chains, rows


def _order(graph: nx.DiGraph, row: dict[str, int],
           chains: dict[tuple[str, str], list[Item]],
           rows: dict[int, list[Item]]) -> dict[int, list[Item]]:
    """Rows ordered by the barycentre of each item's neighbours, swept down then up."""
    up: dict[Item, list[Item]] = {}
    down: dict[Item, list[Item]] = {}
    for (u, v), virtual in chains.items():
        a, b = ((u, -1), (v, -1)) if row[u] <= row[v] else ((v, -1), (u, -1))
        line = [a, *virtual, b]
        for upper, lower in itertools.pairwise(line):
            down.setdefault(upper, []).append(lower)
            up.setdefault(lower, []).append(upper)
    first = {item: i for i, item in enumerate(rows.get(0, []))}
    place: dict[Item, float] = dict(first)
    ordered = {r: list(items) for r, items in rows.items()}
    depths = sorted(ordered)
    for sweep in range(SWEEPS):
        pass_rows = depths[1:] if sweep % 2 == 0 else list(reversed(depths[:-1]))
        neighbours = up if sweep % 2 == 0 else down
        for r in pass_rows:
            ordered[r].sort(key=lambda item: _barycentre(item, neighbours, place))
            for i, item in enumerate(ordered[r]):
                place[item] = float(i)
    return ordered


def _barycentre(item: Item, neighbours: dict[Item, list[Item]],
                place: dict[Item, float]) -> tuple[float, float]:
    """Where an item's neighbours in the row swept from stand on average (else where the
    item stands now), then where it stands: the sort key of one sweep."""
    here = place.get(item, float("inf"))
    seen = [place[n] for n in neighbours.get(item, []) if n in place]
    return (sum(seen) / len(seen) if seen else here, here)


def _width(item: Item) -> int:
    return BOX_W if item[1] == -1 else VIRTUAL_W


def layout(graph: nx.DiGraph) -> Layout:
    """The layered layout of a graph: boxes, routed edges, and the drawing's size."""
    row = layers(graph)
    chains, rows = _chains(graph, row)
    ordered = _order(graph, row, chains, rows)
    row_width = {r: sum(_width(i) for i in items) + GAP_X * (len(items) - 1)
                 for r, items in ordered.items()}
    width = 2 * MARGIN + max(row_width.values(), default=BOX_W)
    x_of: dict[Item, float] = {}
    for r, items in ordered.items():
        x = MARGIN + (width - 2 * MARGIN - row_width[r]) / 2
        for item in items:
            x_of[item] = x
            x += _width(item) + GAP_X
    top: dict[int, float] = {r: MARGIN + r * (BOX_H + GAP_Y) for r in ordered}
    boxes = {node: Box(x_of[(node, -1)], top[row[node]], BOX_W, BOX_H) for node in graph}
    labels: list[Box] = []
    edges: dict[tuple[str, str], EdgeRoute] = {}
    for u, v in graph.edges:
        edges[(u, v)] = _route(graph, u, v, boxes, chains[(u, v)], x_of, top, labels)
    height = 2 * MARGIN + (max(row.values(), default=0) + 1) * (BOX_H + GAP_Y)
    return Layout(boxes, edges, int(width), int(height))


def _route(graph: nx.DiGraph, u: str, v: str, boxes: dict[str, Box],
           virtual: list[Item], x_of: dict[Item, float],
           top: dict[int, float], labels: list[Box]) -> EdgeRoute:
    """One edge through its virtual points: straight down each row it crosses, a curve
    inside each gap between rows; its label on the first gap, clear of other labels."""
    a, b = boxes[u], boxes[v]
    if a.y > b.y:  # drawn from the upper end
        a, b = b, a
    points = [(a.x + a.w / 2, a.y + a.h)]
    for item in virtual:
        x = x_of[item] + VIRTUAL_W / 2
        points += [(x, top[item[1]]), (x, top[item[1]] + BOX_H)]
    points.append((b.x + b.w / 2, b.y))
    segments: list[Cubic] = []
    for i, ((x1, y1), (x2, y2)) in enumerate(itertools.pairwise(points)):
        if i % 2 == 0:  # a gap between rows: vertical tangents keep the curve inside the band
            mid = (y1 + y2) / 2
            segments.append(((x1, y1), (x1, mid), (x2, mid), (x2, y2)))
        else:  # straight down through a row, in the room left for it
            segments.append(((x1, y1), (x1, y1 + (y2 - y1) / 3), (x2, y1 + 2 * (y2 - y1) / 3),
                             (x2, y2)))
    text = str(graph.edges[u, v].get("label", ""))
    label_x, label_y = _label_place(points[0], points[1], text, labels)
    return EdgeRoute(tuple(segments), label_x, label_y)


def _label_place(start: tuple[float, float], end: tuple[float, float], text: str,
                 labels: list[Box]) -> tuple[float, float]:
    """A spot on the first stretch of an edge (straight-line approximation of the curve)
    where the label overprints no label placed before; the middle when none is free."""
    w = len(text) * LABEL_CHAR_W
    for t in (0.5, 0.35, 0.65, 0.2, 0.8, 0.1, 0.9):
        x = start[0] + (end[0] - start[0]) * t + 3
        y = start[1] + (end[1] - start[1]) * t
        box = Box(x, y - LABEL_H + 3, w, LABEL_H)
        if not any(box.overlaps(other) for other in labels):
            labels.append(box)
            return x, y
    x = start[0] + (end[0] - start[0]) / 2 + 3
    y = (start[1] + end[1]) / 2
    labels.append(Box(x, y - LABEL_H + 3, w, LABEL_H))
    return x, y
