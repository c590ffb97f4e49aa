"""Print an expression AST back as canonical text: the inverse of `parse_expr`.

Canonical means single spaces around operators, `{a, b}` sets, lower-case
keywords, times as HH:MM and durations in their largest whole unit. Printing
keeps the tree: re-parsing the text gives the same AST (spans aside), so a
formatted policy compiles to the same conditions. `not(a)and b in{x,y}` prints
as `not a and b in {x, y}`.
"""

from __future__ import annotations

import json

from .expr import BoolOp, Compare, Expr, In, Literal, Name, Not, SetLit, TimeRange


class Unprintable(ValueError):
    """The AST holds a value its text cannot show (an invalid time, say)."""


_UNITS = (("d", 86400), ("h", 3600), ("m", 60), ("s", 1))
_ATOMS = (Name, Literal, SetLit, TimeRange)


def _clock(minutes: object) -> str:
    if not isinstance(minutes, int) or minutes < 0:
        raise Unprintable("invalid time of day")
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _duration(seconds: object) -> str:
    if not isinstance(seconds, int) or isinstance(seconds, bool) or seconds < 0:
        raise Unprintable("invalid duration")
    unit, size = next((u, s) for u, s in _UNITS if seconds % s == 0)
    return f"{seconds // size}{unit}"


def duration_text(seconds: int) -> str:
    """A duration as a policy writes it, in its largest whole unit (`120` -> `2m`)."""
    return _duration(seconds)


def _literal(e: Literal) -> str:
    match e.kind:
        case "string":
            return json.dumps(e.value, ensure_ascii=False)
        case "bool":
            return "true" if e.value else "false"
        case "none":
            return "none"
        case "time":
            return _clock(e.value)
        case "duration":
            return _duration(e.value)
        case _:
            text = repr(e.value)
            if "e" in text or "inf" in text or "nan" in text:
                raise Unprintable(f"number {text} has no plain decimal form")
            return text


def _atom(e: Expr) -> str:
    """An operand that the grammar wants as an atom: parenthesise anything larger."""
    return unparse(e) if isinstance(e, _ATOMS) else f"({unparse(e)})"


def _operand(op: str, e: Expr) -> str:
    # `and` binds tighter than `or`; a nested same-op group keeps its parentheses
    # so the tree (and so the compiled condition) stays exactly as written.
    if isinstance(e, BoolOp) and (e.op == op or op == "and"):
        return f"({unparse(e)})"
    return unparse(e)


def unparse(e: Expr) -> str:
    """Canonical text of an expression."""
    match e:
        case Name():
            return e.dotted
        case Literal():
            return _literal(e)
        case SetLit():
            return "{" + ", ".join(_atom(i) for i in e.items) + "}"
        case TimeRange():
            return f"{_clock(e.start)}..{_clock(e.end)}"
        case Compare():
            return f"{_atom(e.left)} {e.op} {_atom(e.right)}"
        case In():
            return f"{_atom(e.item)} {'not in' if e.negated else 'in'} {_atom(e.container)}"
        case BoolOp():
            return f" {e.op} ".join(_operand(e.op, i) for i in e.items)
        case Not():
            inner = e.item
            return "not " + (f"({unparse(inner)})" if isinstance(inner, BoolOp) else
                             unparse(inner))
    raise Unprintable(f"unknown expression node {type(e).__name__}")
