"""The decision graph as the compiler builds it: insertion-ordered nodes and labelled edges.

Compiling needs only this much of a graph (add, iterate in order, one cycle
search, one reachability check), so it lives here with the standard library:
`policyc explain` of a policy file then starts without importing networkx
(bench/startup.py). Iteration order is networkx's (nodes as first added, each
node's edges as added), so the artifact is byte-identical to what a
`networkx.DiGraph` gave; `to_networkx()` hands the same graph to the renderers
and tests that use networkx's algorithms.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import pairwise
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import networkx as nx

Attrs = dict[str, Any]


class DecisionGraph:
    """A directed graph of string nodes with attribute dicts on nodes and edges."""

    def __init__(self) -> None:
        self.nodes: dict[str, Attrs] = {}
        self.succ: dict[str, dict[str, Attrs]] = {}

    def __contains__(self, node: object) -> bool:
        return node in self.nodes

    def add_node(self, node: str, **attrs: Any) -> None:
        """Add `node`, or update its attributes (its place in the order stays)."""
        self.nodes.setdefault(node, {}).update(attrs)
        self.succ.setdefault(node, {})

    def add_edge(self, tail: str, head: str, **attrs: Any) -> None:
        """Add the edge (adding either end that is new), or update its attributes."""
        self.add_node(tail)
        self.add_node(head)
        self.succ[tail].setdefault(head, {}).update(attrs)

    def edges(self) -> Iterator[tuple[str, str, Attrs]]:
        """Every edge with its attributes: by tail in node order, then as added."""
        for tail, heads in self.succ.items():
            for head, attrs in heads.items():
                yield tail, head, attrs

    def out_degree(self, node: str) -> int:
        return len(self.succ[node])

    def reaches(self, source: str, target: str) -> bool:
        """True when a path leads from `source` to `target`."""
        seen, todo = {source}, [source]
        while todo:
            node = todo.pop()
            if node == target:
                return True
            fresh = [n for n in self.succ[node] if n not in seen]
            seen.update(fresh)
            todo.extend(fresh)
        return False

    def to_networkx(self) -> nx.DiGraph:
        """The same graph as a networkx DiGraph, in the same order (imports networkx)."""
        import networkx as nx

        graph = nx.DiGraph()
        for node, attrs in self.nodes.items():
            graph.add_node(node, **attrs)
        for tail, head, attrs in self.edges():
            graph.add_edge(tail, head, **attrs)
        return graph


def find_cycle(edges: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The first cycle a depth-first search meets, as its edges, or [] when there is none.

    Nodes are tried in the order they first appear in `edges`, each node's edges in
    their order, and the cycle starts at the node that closes it: what
    `networkx.find_cycle` returns for the same edge list. Iterative, since overflow
    chains may be thousands of groups long.
    """
    succ: dict[str, list[str]] = {}
    for tail, head in edges:
        succ.setdefault(tail, []).append(head)
        succ.setdefault(head, [])
    done: set[str] = set()
    for start in succ:
        if start in done:
            continue
        path = [start]
        on_path = {start}
        stack = [iter(succ[start])]
        while stack:
            nxt = next(stack[-1], None)
            if nxt is None:
                stack.pop()
                done.add(path[-1])
                on_path.discard(path.pop())
            elif nxt in on_path:
                return list(pairwise([*path[path.index(nxt):], nxt]))
            elif nxt not in done:
                path.append(nxt)
                on_path.add(nxt)
                stack.append(iter(succ[nxt]))
    return []
