"""Binding dispatch: find the bindings that can match an event without testing them all.

Most policies bind on one field (`source in {...}`, `intent in {...}`); a table
from that field's value to the bindings that may match keeps a first-match
search over thousands of bindings to a handful of tests.
"""

from __future__ import annotations

from typing import Any

# The fields a table may dispatch on; an expression names `buyer.id`, the event `buyer`.
_DISPATCH_FIELDS = ("source", "intent", "buyer.id")


def _event_key(field_name: str) -> str:
    return {"buyer.id": "buyer"}.get(field_name, field_name)


def _keyed(expr: Any) -> tuple[str, list[object]] | None:
    """The field an expression tests for given values, and those values (first in an `and`)."""
    if not expr:
        return None
    if expr[0] == "in":
        return expr[1], list(expr[2])
    if expr[0] == "cmp" and expr[1] == "==":
        return expr[2], [expr[3]]
    if expr[0] == "and":
        for part in expr[1:]:
            found = _keyed(part)
            if found:
                return found
    return None


def is_only_test_of(expr: Any, event_key: str | None) -> bool:
    """Whether a condition is nothing but a test of the dispatch field."""
    found = _keyed(expr) if expr and expr[0] != "and" else None
    return found is not None and _event_key(found[0]) == event_key


def index_bindings(whens: list[Any]) -> tuple[str | None, dict[object, list[int]], list[int]]:
    """Dispatch bindings on the field most of them test (`source in {...}` and the like).

    Returns (event key, value -> binding indexes in order, indexes for other values).
    Bindings that do not test the field appear in every list, so order (first match
    wins) is kept.
    """
    tests = [_keyed(when) for when in whens]
    fields = [t[0] for t in tests if t and t[0] in _DISPATCH_FIELDS]
    if not fields:
        return None, {}, list(range(len(whens)))
    field_name = max(sorted(set(fields)), key=fields.count)
    on_field = [t if t and t[0] == field_name else None for t in tests]
    # One pass in binding order, each binding appended to the lists of its own values
    # (and of every value when it does not test the field): linear in the bindings and
    # their values, where a scan of every binding per value was quadratic.
    table: dict[object, list[int]] = {v: [] for t in on_field if t for v in t[1]}
    always: list[int] = []
    for i, t in enumerate(on_field):
        if t is None:
            always.append(i)
            for rows in table.values():
                rows.append(i)
        else:
            for v in dict.fromkeys(t[1]):
                table[v].append(i)
    return _event_key(field_name), table, always
