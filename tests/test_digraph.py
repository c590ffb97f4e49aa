"""compiler/digraph.py against networkx: same order, same cycle, same reachability.

The compiler builds its decision graph without networkx (start-up); these
properties keep it answering exactly as networkx did, so artifacts and the
E209 message stay byte-identical.
"""

from __future__ import annotations

import networkx as nx
from hypothesis import given
from hypothesis import strategies as st

from policyc.compiler.digraph import DecisionGraph, find_cycle

NODES = st.sampled_from("abcdefg")
EDGES = st.lists(st.tuples(NODES, NODES), max_size=25)


def both(edges: list[tuple[str, str]], nodes: list[str]) -> tuple[DecisionGraph, nx.DiGraph]:
    ours, theirs = DecisionGraph(), nx.DiGraph()
    for i, node in enumerate(nodes):
        ours.add_node(node, n=i)
        theirs.add_node(node, n=i)
    for i, (u, v) in enumerate(edges):
        ours.add_edge(u, v, label=str(i))
        theirs.add_edge(u, v, label=str(i))
    return ours, theirs


@given(EDGES, st.lists(NODES, max_size=5))
def test_nodes_and_edges_iterate_in_networkx_order(edges: list[tuple[str, str]],
                                                   nodes: list[str]) -> None:
    ours, theirs = both(edges, nodes)
    assert list(ours.nodes.items()) == list(theirs.nodes(data=True))
    assert list(ours.edges()) == list(theirs.edges(data=True))
    assert all(ours.out_degree(n) == theirs.out_degree(n) for n in theirs)
    converted = ours.to_networkx()
    assert list(converted.edges(data=True)) == list(theirs.edges(data=True))


@given(EDGES)
def test_find_cycle_is_networkx_find_cycle(edges: list[tuple[str, str]]) -> None:
    try:
        expected = list(nx.find_cycle(nx.DiGraph(edges)))
    except nx.NetworkXNoCycle:
        expected = []
    assert find_cycle(edges) == expected


@given(EDGES, NODES, NODES)
def test_reaches_is_has_path(edges: list[tuple[str, str]], source: str, target: str) -> None:
    ours, theirs = both(edges, [source, target])
    assert ours.reaches(source, target) == nx.has_path(theirs, source, target)
