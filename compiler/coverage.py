"""Which bindings can match which sources at which times of the week.

Bindings are evaluated in three-valued logic over a grid of (source, day,
half-hour): fields the grid does not fix (order state, intent, tags...) are
unknown. A binding is shadowed when, wherever it could match, an earlier one
surely matches; a source is uncovered where no binding could match.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from policyc.runtime.vocabulary import WEEKDAYS

Json = object
_SLOTS = 48  # half hours in a day


@dataclass(frozen=True)
class Point:
    source: str
    day: int
    minute: int


def _cmp(op: str, a: object, b: object) -> bool:
    if op in ("==", "!="):
        return (a == b) == (op == "==")
    # Ordered comparisons are only type-checked onto numbers and times.
    if not (isinstance(a, int | float) and isinstance(b, int | float)):
        return False
    match op:
        case "<":
            return a < b
        case "<=":
            return a <= b
        case ">":
            return a > b
        case _:
            return a >= b


def _known(field: str, p: Point) -> object:
    if field == "source":
        return p.source
    if p.day < 0:  # a point that stands for every time of the week
        return _UNKNOWN
    return {"day": WEEKDAYS[p.day], "time": p.minute}.get(field, _UNKNOWN)


_UNKNOWN = object()


def evaluate(expr: Json, p: Point) -> bool | None:
    """True, False, or None when the outcome depends on fields the grid leaves open."""
    if expr is None:
        return True
    assert isinstance(expr, list)
    op = expr[0]
    if op in ("and", "or"):
        results = [evaluate(e, p) for e in expr[1:]]
        decisive: bool = op == "or"
        if decisive in results:
            return decisive
        return None if None in results else not decisive
    if op == "not":
        inner = evaluate(expr[1], p)
        return None if inner is None else not inner
    if op == "const":
        return bool(expr[1])
    if op == "time_in" and p.day < 0:
        return None
    if op == "time_in":
        start, end, m = int(expr[1]), int(expr[2]), p.minute
        return (start <= m < end) if start <= end else (m >= start or m < end)
    if op in ("in", "cmp"):
        field = expr[1] if op == "in" else expr[2]
        value = _known(str(field), p)
        if value is _UNKNOWN:
            return None
        if op == "in":
            container = expr[2]
            return isinstance(container, list) and value in container
        return _cmp(str(expr[1]), value, expr[3])
    return None  # field / has: not fixed by the grid


def uses_time(expr: Json) -> bool:
    """Whether a lowered condition may look at `time` or `day` (a textual, safe over-guess)."""
    text = json.dumps(expr)
    return '"time' in text or '"day"' in text


def grid(sources: list[str], timed: bool) -> list[Point]:
    """Every point to test; one per source unless some binding looks at time or day."""
    if not timed:
        return [Point(s, 0, 0) for s in sources]
    return [Point(s, d, slot * 30) for s in sources for d in range(7) for slot in range(_SLOTS)]


def describe_gap(points: list[Point]) -> str:
    """A short human description of the first uncovered stretch, e.g. `sat 00:00-09:00`."""
    first = points[0]
    end = first
    for p in points[1:]:
        if p.day == end.day and p.minute == end.minute + 30:
            end = p
        else:
            break
    stop = end.minute + 30
    return (f"{WEEKDAYS[first.day]} {first.minute // 60:02d}:{first.minute % 60:02d}"
            f"-{stop // 60:02d}:{stop % 60:02d}")


@dataclass
class CoverageResult:
    shadowed: dict[int, int]  # binding index -> index of the earlier binding that wins
    uncovered: dict[str, list[Point]]  # source -> points where no binding can match
    total: dict[str, int]  # source -> number of points tested


def analyse(conditions: list[Json], sources: list[str]) -> CoverageResult:
    """Shadowing and coverage of bindings given by their lowered conditions, in order."""
    retry = [c is not None and uses_time(c) for c in conditions]  # timed conditions
    points = grid(sources, any(retry))
    possible: list[bool] = [False] * len(conditions)
    winner_of: dict[int, set[int]] = {i: set() for i in range(len(conditions))}
    uncovered: dict[str, list[Point]] = {s: [] for s in sources}
    # What each condition says for a source at any time (three-valued logic makes a
    # definite answer hold at every time); only undecided timed ones are re-evaluated.
    anytime = {s: [evaluate(c, Point(s, -1, -1)) for c in conditions] for s in sources}
    for p in points:
        covered = False
        winner: int | None = None
        for i, cond in enumerate(conditions):
            result = anytime[p.source][i]
            if result is None and retry[i]:
                result = evaluate(cond, p)
            if result is False:
                continue
            covered = True
            if winner is not None:
                winner_of[i].add(winner)
            else:
                possible[i] = True
                if result is True:
                    winner = i
                    # later bindings are shadowed here; keep scanning only to record that
        if not covered:
            uncovered[p.source].append(p)
    seen: dict[str, int] = {}
    shadowed: dict[int, int] = {}
    for i, cond in enumerate(conditions):
        key = json.dumps(cond, sort_keys=True)
        if key in seen:
            shadowed[i] = seen[key]
            continue
        seen[key] = i
        if not possible[i] and winner_of[i]:
            shadowed[i] = min(winner_of[i])
    per_source = len(points) // max(len(sources), 1)
    return CoverageResult(shadowed, uncovered, {s: per_source for s in sources})
