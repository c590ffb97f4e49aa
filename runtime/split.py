"""Weighted splits deterministic per buyer (T9, percentage routing).

A binding with `split:` draws, for each buyer, the group tried first: a stable
hash (SHA-256, never Python's salted `hash()`) of the shop id, the binding and
the buyer picks a bucket in the summed weights. The same buyer always draws the
same group under the same policy, on any machine; the other groups follow in
the order written (each with its overflow chain), so a chat still finds
someone when the drawn group cannot take it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence


def bucket(shop: str, binding: str, buyer: str, total: int) -> int:
    """The buyer's bucket in 0..total-1 (stable across runs, machines and versions)."""
    digest = hashlib.sha256(f"{shop}\x1f{binding}\x1f{buyer}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % total


def draw(shop: str, binding: str, buyer: str, weights: Sequence[tuple[str, int]]) -> int:
    """The index in `weights` of the group this buyer draws."""
    point = bucket(shop, binding, buyer, sum(w for _g, w in weights))
    for index, (_group, weight) in enumerate(weights):
        if point < weight:
            return index
        point -= weight
    raise ValueError("weights must be positive")


def drawn_order(groups: Sequence[str], first: str) -> list[str]:
    """The `to:` groups with the drawn one first, the rest in the order written."""
    return [first, *(g for g in groups if g != first)]


def split_binding_id(binding: str, first: str) -> str:
    """The id the graph gives a binding's tries when `first` was drawn (runtime/overflow.py
    `pick_node` per draw: each draw's order is its own acyclic chain)."""
    return f"{binding}~{first}"
