"""Render the decision graph as DOT, Mermaid or a self-contained HTML page.

One view model (nodes with type, label and source line; labelled edges; an
optional highlight of the path one message took and the candidates dropped on
the way) feeds one jinja2 template per format in `templates/`. The HTML page
lays the graph out itself in layers and draws it as inline SVG, with the
policy text below it: clicking a node jumps to the line it was written on. No
script, no stylesheet and no font comes from the network.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import jinja2
import networkx as nx

from . import graphviz
from .graph_layout import BOX_H, BOX_W, Layout, layout
from .page_words import dropped_line, edge_label, node_label, node_type, page_words
from .templating import environment

FORMATS = ("dot", "mermaid", "html")
_TEMPLATES = {"dot": "graph.dot.j2", "mermaid": "graph.mmd.j2", "html": "graph.html.j2"}


# node type -> (fill, stroke) colours; DOT shape; Mermaid shape brackets.
COLOURS: dict[str, tuple[str, str]] = {
    "entry": ("#eef3fb", "#2463a6"),
    "gate": ("#fff8e6", "#c99400"),
    "match": ("#f3eefb", "#7d4cc0"),
    "pick": ("#eef8fb", "#2a8aa8"),
    "fallback": ("#f4f4f4", "#777777"),
    "outcome": ("#eafaf1", "#27ae60"),
    "dead_end": ("#fdecea", "#c0392b"),
}
DOT_SHAPES = {"entry": "oval", "gate": "diamond", "match": "hexagon", "pick": "box",
              "fallback": "component", "outcome": "ellipse", "dead_end": "octagon"}
MERMAID_SHAPES = {"entry": ("((", "))"), "gate": ("{", "}"), "match": ("{{", "}}"),
                  "pick": ("[", "]"), "fallback": ("[/", "/]"), "outcome": ("([", "])"),
                  "dead_end": ("[[", "]]")}


@dataclass(frozen=True)
class Highlight:
    """What to mark: the nodes one message passed, in order, and who was dropped where.

    `dropped` maps a node id to lines such as `amy: offline`. Edges between
    consecutive nodes of `path` are marked as taken.
    """

    path: Sequence[str] = ()
    dropped: Mapping[str, Sequence[str]] = field(default_factory=dict)


def highlight_of(record: Mapping[str, object], lang: str = "en") -> Highlight:
    """The highlight of one decision record (`explain --format json`): its `path`, and
    the `dropped` candidates of its trace steps as `agent: why` lines per node, the why
    said in `lang`."""
    path = record.get("path")
    dropped: dict[str, list[str]] = {}
    trace = record.get("trace")
    for step in trace if isinstance(trace, list) else ():
        if isinstance(step, dict) and isinstance(step.get("dropped"), list) and step["dropped"]:
            dropped.setdefault(str(step.get("node")), []).extend(
                dropped_line(d.get("agent"), d.get("why"), lang) if isinstance(d, dict)
                else str(d)
                for d in step["dropped"])
    return Highlight(tuple(str(n) for n in path) if isinstance(path, list) else (), dropped)


@dataclass(frozen=True)
class NodeView:
    id: str
    key: str  # a short id safe in every format: n0, n1, ...
    type: str
    label: str
    span: str
    type_shown: str
    file: str
    line: int
    on_path: bool
    dropped: tuple[str, ...]
    x: float = 0
    y: float = 0


@dataclass(frozen=True)
class EdgeView:
    source: NodeView
    target: NodeView
    label: str
    on_path: bool
    path: str = ""  # the SVG path the HTML layout routes it along
    label_x: float = 0
    label_y: float = 0


def _where(span: str) -> tuple[str, int]:
    """`policies/shopee.yaml:42:5` -> (`policies/shopee.yaml`, 42)."""
    file, line, _col = [*span.rsplit(":", 2), "0", "0"][:3]
    return file, int(line) if line.isdigit() else 0


def placed_graph(graph: nx.DiGraph) -> Layout:
    """Graphviz's layout where `dot` is installed, else (or when it fails) the built-in one."""
    dot = graphviz.available()
    return (graphviz.layout(graph, dot) if dot else None) or layout(graph)


def view(graph: nx.DiGraph, highlight: Highlight | None = None, lang: str = "en"
         ) -> tuple[list[NodeView], list[EdgeView], int, int]:
    """Nodes (in graph order, placed in rows), edges, and the drawing's width and height;
    labels and types are said in `lang`."""
    hl = highlight or Highlight()
    on_path = set(hl.path)
    taken = set(zip(hl.path, hl.path[1:], strict=False))
    placed = placed_graph(graph)
    nodes: dict[str, NodeView] = {}
    for index, node in enumerate(graph):
        data = graph.nodes[node]
        box = placed.boxes[node]
        file, line = _where(str(data.get("span", "")))
        code = str(data.get("type", ""))
        nodes[node] = NodeView(node, f"n{index}", code,
                               node_label(data, str(data.get("label", node)), lang),
                               str(data.get("span", "")), node_type(code, lang), file, line,
                               node in on_path, tuple(hl.dropped.get(node, ())), box.x, box.y)
    edges = []
    for u, v, d in graph.edges(data=True):
        route = placed.edges[(u, v)]
        edges.append(EdgeView(nodes[u], nodes[v], edge_label(str(d.get("label", "")), lang),
                              (u, v) in taken,
                              route.path, route.label_x, route.label_y))
    return list(nodes.values()), edges, placed.width, placed.height


def _dot_quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _mermaid_text(lines: Sequence[str]) -> str:
    """A quoted Mermaid label, one `<br/>` per line, with Mermaid's own entity escapes."""
    escaped = (line.replace("#", "#35;").replace('"', "#quot;").replace("<", "#lt;")
               .replace(">", "#gt;") for line in lines)
    return '"' + "<br/>".join(escaped) + '"'


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    return environment(Path(__file__).parent / "templates",
                       {"dot": _dot_quote, "mermaid": _mermaid_text})


def render(graph: nx.DiGraph, fmt: str, highlight: Highlight | None = None,
           title: str = "policy", texts: Mapping[str, str] | None = None,
           lang: str = "en") -> str:
    """The graph in `fmt` (dot, mermaid or html), its words in `lang`; `texts` (file ->
    text) feed the HTML source."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown graph format {fmt!r}; one of {', '.join(FORMATS)}")
    nodes, edges, width, height = view(graph, highlight, lang)
    sources = {file: list(enumerate(text.splitlines(), 1))
               for file, text in (texts or {}).items()}
    return _environment().get_template(_TEMPLATES[fmt]).render(
        title=title, lang=lang, w=page_words(lang, policy=title), nodes=nodes, edges=edges,
        width=width, height=height, sources=sources,
        file_ids={file: f"f{i}" for i, file in enumerate(sources)},
        box_w=BOX_W, box_h=BOX_H, highlighted=highlight is not None and bool(highlight.path),
        shapes=MERMAID_SHAPES if fmt == "mermaid" else DOT_SHAPES,
        fills={t: fill for t, (fill, _stroke) in COLOURS.items()},
        classes=[(t, fill, stroke) for t, (fill, stroke) in COLOURS.items()],
    )
