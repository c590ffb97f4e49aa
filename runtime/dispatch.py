"""Binding dispatch: find the bindings that can match an event without testing them all.

Most policies bind on one field (`source in {...}`, `intent in {...}`); a table
from that field's value to the bindings that may match keeps a first-match
search over thousands of bindings to a handful of tests.
"""

from __future__ import annotations

from typing import Any


def is_only_test_of(expr: Any, event_key: str | None) -> bool:
    """Whether a condition is nothing but a test of the dispatch field."""
    field_name = {"buyer": "buyer.id"}.get(event_key or "", event_key)
    return bool(expr) and ((expr[0] == "in" and expr[1] == field_name) or
                           (expr[0] == "cmp" and expr[1] == "==" and expr[2] == field_name))


def index_bindings(whens: list[Any]) -> tuple[str | None, dict[object, list[int]], list[int]]:
    """Dispatch bindings on the field most of them test (`source in {...}` and the like).

    Returns (field, value -> binding indexes in order, indexes for other values). Bindings
    that do not test the field appear in every list, so order (first match wins) is kept.
    """
    def keyed(expr: Any) -> tuple[str, list[object]] | None:
        if not expr:
            return None
        if expr[0] == "in":
            return expr[1], list(expr[2])
        if expr[0] == "cmp" and expr[1] == "==":
            return expr[2], [expr[3]]
        if expr[0] == "and":
            for part in expr[1:]:
                found = keyed(part)
                if found:
                    return found
        return None

    tests = [keyed(when) for when in whens]
    fields = [t[0] for t in tests if t and t[0] in ("source", "intent", "buyer.id")]
    if not fields:
        return None, {}, list(range(len(whens)))
    field_name = max(sorted(set(fields)), key=fields.count)
    event_key = {"buyer.id": "buyer"}.get(field_name, field_name)
    values = {v for t in tests if t and t[0] == field_name for v in t[1]}
    table: dict[object, list[int]] = {}
    always: list[int] = []
    for i, t in enumerate(tests):
        if t and t[0] == field_name:
            for v in t[1]:
                table.setdefault(v, [])
        else:
            always.append(i)
    for v in values:
        table[v] = [i for i, t in enumerate(tests)
                    if not (t and t[0] == field_name) or v in t[1]]
    return event_key, table, always
