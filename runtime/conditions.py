"""Turn lowered `when:` expressions into closures, and explain why one did not match.

The compiler already type-checked every expression, so this module trusts the
JSON shape (see compiler/typecheck.py for the forms).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any, Protocol

from .calendars import open_at
from .clock import local_minute_and_day


class Counted(Protocol):
    """What conditions read of the shop-wide pool: its members counted by drop reason."""

    counts: Counter[str | None]

    def online(self) -> int: ...


class Facts:
    """What a condition may read about one event, computed lazily."""

    __slots__ = ("_local", "at", "attributes", "calendars", "event", "shop", "tz", "waited")

    def __init__(self, event: dict[str, Any], at: float, tz: str, shop: Counted | None,
                 calendars: dict[str, Any] | None = None,
                 attributes: dict[str, Any] | None = None) -> None:
        self.event = event
        self.at = at
        self.tz = tz
        self.shop = shop  # the shop-wide pool: its counts answer shop.online/available
        self.calendars = calendars or {}  # name -> calendar (runtime/calendars.py)
        self.attributes = attributes or {}  # an agent's, for a requirement (`agent.x`)
        self.waited = 0.0  # how long the chat has waited (a requirement relaxes with it)
        self._local: tuple[int, str, str] | None = None

    def local(self) -> tuple[int, str, str]:
        if self._local is None:
            self._local = local_minute_and_day(self.at, self.tz)
        return self._local


def _order_state(f: Facts) -> object:
    return f.event.get("order_state") or "none"


GETTERS: dict[str, Callable[[Facts], object]] = {
    "source": lambda f: f.event.get("source"),
    "order.state": _order_state,
    "order.id": lambda f: f.event.get("order_id"),
    "item.id": lambda f: f.event.get("item_id"),
    "buyer.id": lambda f: f.event.get("buyer"),
    "buyer.tags": lambda f: f.event.get("buyer_tags") or (),
    "intent": lambda f: f.event.get("intent"),
    "wants_human": lambda f: bool(f.event.get("wants_human")),
    "time": lambda f: f.local()[0],
    "day": lambda f: f.local()[1],
    "shop.online": lambda f: f.shop.online() if f.shop else 0,
    "shop.available": lambda f: f.shop.counts[None] if f.shop else 0,
}

def getter(name: str) -> Callable[[Facts], object]:
    """How a condition reads a field: the fixed ones, `calendar.<name>` (open now) and
    `agent.<name>` (an attribute of the agent a requirement is asked about)."""
    if name in GETTERS:
        return GETTERS[name]
    if name.startswith("calendar."):
        key = name[9:]

        def calendar_open(f: Facts) -> bool:
            minute, weekday, day = f.local()
            return open_at(f.calendars[key], day, weekday, minute)
        return calendar_open
    if name.startswith("agent."):
        attr = name[6:]
        return lambda f: f.attributes.get(attr)
    raise KeyError(name)


def _has(value: object, container: object) -> bool:
    return isinstance(container, list | tuple | frozenset | set) and value in container


_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a is not None and a < b,
    "<=": lambda a, b: a is not None and a <= b,
    ">": lambda a, b: a is not None and a > b,
    ">=": lambda a, b: a is not None and a >= b,
}

Cond = Callable[[Facts], bool]


def _in_window(start: int, end: int, minute: int) -> bool:
    return start <= minute < end if start <= end else (minute >= start or minute < end)


def compile_condition(expr: Any) -> Cond:
    """A closure evaluating one lowered expression."""
    op = expr[0]
    if op == "and":
        parts = [compile_condition(e) for e in expr[1:]]
        return lambda f: all(p(f) for p in parts)
    if op == "or":
        parts = [compile_condition(e) for e in expr[1:]]
        return lambda f: any(p(f) for p in parts)
    if op == "not":
        inner = compile_condition(expr[1])
        return lambda f: not inner(f)
    if op == "const":
        value = bool(expr[1])
        return lambda f: value
    if op == "field":
        get = getter(expr[1])
        return lambda f: bool(get(f))
    if op == "in":
        get, values = getter(expr[1]), frozenset(expr[2])
        return lambda f: get(f) in values
    if op == "has":
        get, value = getter(expr[1]), expr[2]
        return lambda f: _has(value, get(f))
    if op == "cmp":
        cmp, get, value = _OPS[expr[1]], getter(expr[2]), expr[3]
        return lambda f: cmp(get(f), value)
    if op == "time_in":
        start, end = expr[1], expr[2]
        return lambda f: _in_window(start, end, f.local()[0])
    raise ValueError(f"unknown condition form {op!r}")


def _show(value: object) -> str:
    if isinstance(value, list | tuple | frozenset | set):
        return "{" + ", ".join(str(v) for v in value) + "}"
    return "none" if value is None else str(value)


def _hhmm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def first_failure(expr: Any, f: Facts) -> dict[str, object] | None:
    """The first atom that made `expr` false: field, actual and expected value.

    None when the expression is true. Used only when a trace is asked for.
    """
    op = expr[0]
    if op == "and":
        for part in expr[1:]:
            failed = first_failure(part, f)
            if failed:
                return failed
        return None
    if op == "or":
        failures = [first_failure(part, f) for part in expr[1:]]
        if any(x is None for x in failures):
            return None
        return failures[0]
    if compile_condition(expr)(f):
        return None
    match op:
        case "not":
            inner = expr[1]
            if inner[0] == "field":
                return {"field": inner[1], "actual": "true", "expected": "false",
                        "test": "true"}
            if inner[0] == "in":
                return {"field": inner[1], "actual": _show(getter(inner[1])(f)),
                        "expected": "not in " + _show(inner[2]), "test": "not_in",
                        "values": list(inner[2])}
            return {"field": "condition", "actual": "true", "expected": "false (negated)",
                    "test": "negated"}
        case "const":
            return {"field": "const", "actual": "false", "expected": "true"}
        case "field":
            return {"field": expr[1], "actual": "false", "expected": "true", "test": "false"}
        case "in":
            return {"field": expr[1], "actual": _show(getter(expr[1])(f)),
                    "expected": "in " + _show(expr[2]), "test": "in", "values": list(expr[2])}
        case "has":
            return {"field": expr[1], "actual": _show(getter(expr[1])(f)),
                    "expected": f"contains {expr[2]}", "test": "has", "values": expr[2]}
        case "cmp":
            return {"field": expr[2], "actual": _show(getter(expr[2])(f)),
                    "expected": f"{expr[1]} {_show(expr[3])}", "test": "cmp",
                    "values": f"{expr[1]} {_show(expr[3])}"}
        case _:
            return {"field": "time", "actual": _hhmm(f.local()[0]),
                    "expected": f"in {_hhmm(expr[1])}..{_hhmm(expr[2])}", "test": "window",
                    "values": f"{_hhmm(expr[1])}..{_hhmm(expr[2])}"}
