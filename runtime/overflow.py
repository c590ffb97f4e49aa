"""The order a binding tries its groups: each group, then its overflow chain (S5, S6, T9).

One definition for the compiler, which draws these tries as edges of the decision graph,
and for the router, which walks them: so a recorded decision path is always a walk of the
compiled graph.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable


def try_order(groups: Iterable[str], overflow_of: Callable[[str], Iterable[str]]) -> list[str]:
    """Groups depth first, each followed by its overflow groups, each group once.

    A group already tried (through another group's overflow, or an overflow loop) is not
    tried again, so the order is finite whatever the overflow lists say.
    """
    order: list[str] = []
    seen: set[str] = set()
    todo = list(reversed(list(groups)))
    while todo:
        group = todo.pop()
        if group in seen:
            continue
        seen.add(group)
        order.append(group)
        todo.extend(reversed(list(overflow_of(group))))
    return order


def pick_node(step_id: str, binding_id: str, group_id: str) -> str:
    """The graph node of one group tried by one binding of one bindings step.

    Per binding, not per group: two bindings may try the same groups in different orders
    (`to: [a, b]` and `to: [b, a]`), and only separate nodes keep both orders a walk of an
    acyclic graph.
    """
    return f"{step_id}.{binding_id}>{group_id}"


def bot_gate(pick: str) -> str:
    """The gate before a pick node where the group's assistant may take the chat first
    (T14 group bot first). `:` is in no group id, so it names no other pick."""
    return f"{pick}:bot_first"
