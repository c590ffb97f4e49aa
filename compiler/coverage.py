"""Which bindings can match which sources at which times of the week.

Bindings are evaluated in three-valued logic over a grid of (source, day,
half-hour): fields the grid does not fix (order state, intent, tags...) are
unknown. A binding is shadowed when, wherever it could match, an earlier one
surely matches; a source is uncovered where no binding could match.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

from policyc.dsl.diagnostic import Words
from policyc.runtime.calendars import week_open
from policyc.runtime.catalog import N_
from policyc.runtime.vocabulary import WEEKDAYS
from policyc.runtime.words import DAY_WORDS

Json = object
# Answers `calendar.<name>` at a point of the week (None: not fixed by the grid).
CalendarView = Callable[[str, "Point"], bool | None]
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


def calendar_view(calendars: dict[str, object], date: str | None = None) -> CalendarView:
    """`calendar.<name>` on the grid: the typical week's hours, or those of one listed
    `date` (a holiday, a day with its own hours)."""
    def view(name: str, p: Point) -> bool | None:
        cal = calendars.get(name)
        if p.day < 0 or not isinstance(cal, dict):
            return None
        return week_open(cal, p.day, p.minute, date)
    return view


def evaluate(expr: Json, p: Point, cal: CalendarView | None = None) -> bool | None:
    """True, False, or None when the outcome depends on fields the grid leaves open."""
    if expr is None:
        return True
    assert isinstance(expr, list)
    op = expr[0]
    if op in ("and", "or"):
        results = [evaluate(e, p, cal) for e in expr[1:]]
        decisive: bool = op == "or"
        if decisive in results:
            return decisive
        return None if None in results else not decisive
    if op == "not":
        inner = evaluate(expr[1], p, cal)
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
    if op == "field" and cal is not None and str(expr[1]).startswith("calendar."):
        return cal(str(expr[1])[9:], p)
    return None  # field / has: not fixed by the grid


def uses_time(expr: Json) -> bool:
    """Whether a lowered condition may look at `time` or `day` (a textual, safe over-guess)."""
    text = json.dumps(expr)
    return '"time' in text or '"day"' in text or '"calendar.' in text


_WEEK = 7 * _SLOTS  # points per source: every half hour of the week


def grid(sources: list[str], timed: bool) -> list[Point]:
    """Every point to test, in bit order of `Masks`; one per source unless timed."""
    if not timed:
        return [Point(s, 0, 0) for s in sources]
    return [Point(s, d, slot * 30) for s in sources for d in range(7) for slot in range(_SLOTS)]


class Masks:
    """A condition's three-valued answer at every point of the week, as two bit masks.

    Bit `k` stands for `grid(sources, True)[k]`; a condition is (surely true, surely
    false), the points in neither being undecided. `and`/`or`/`not` combine masks
    with Kleene's rules, exactly as `evaluate` combines answers at one point, so a
    condition costs a few big-integer operations however many points there are;
    only an atom is evaluated point by point, once per distinct atom.
    """

    def __init__(self, sources: list[str], cal: CalendarView | None = None) -> None:
        self.sources = sources
        self.cal = cal
        self.full = (1 << (len(sources) * _WEEK)) - 1
        self._atoms: dict[str, tuple[int, int]] = {}

    def of(self, expr: Json) -> tuple[int, int]:
        """(surely true, surely false) of one lowered condition; None is always true."""
        if expr is None:
            return self.full, 0
        assert isinstance(expr, list)
        op = expr[0]
        if op in ("and", "or"):
            parts = [self.of(e) for e in expr[1:]]
            true, false = parts[0]
            for t, f in parts[1:]:
                true, false = ((true & t, false | f) if op == "and" else (true | t, false & f))
            return true, false
        if op == "not":
            true, false = self.of(expr[1])
            return false, true
        key = json.dumps(expr)
        found = self._atoms.get(key)
        if found is None:
            found = self._atoms[key] = self._atom(expr)
        return found

    def _atom(self, expr: Json) -> tuple[int, int]:
        true = false = 0
        timed = uses_time(expr)
        # An atom that does not name `source` answers alike for every source (a safe
        # textual over-guess, like uses_time): its week is evaluated once.
        by_source = '"source"' in json.dumps(expr)
        block: tuple[int, int] | None = None
        for index, source in enumerate(self.sources):
            if block is None or by_source:
                block = self._week(expr, source, timed)
            true |= block[0] << (index * _WEEK)
            false |= block[1] << (index * _WEEK)
        return true, false

    def _week(self, expr: Json, source: str, timed: bool) -> tuple[int, int]:
        """(surely true, surely false) of an atom over one source's week."""
        anytime = evaluate(expr, Point(source, -1, -1), self.cal)
        if anytime is not None or not timed:  # the same all week
            return ((1 << _WEEK) - 1 if anytime is True else 0,
                    (1 << _WEEK) - 1 if anytime is False else 0)
        true = false = 0
        for k in range(_WEEK):
            answer = evaluate(expr, Point(source, k // _SLOTS, k % _SLOTS * 30), self.cal)
            if answer is True:
                true |= 1 << k
            elif answer is False:
                false |= 1 << k
        return true, false

    def points(self, mask: int, source: str) -> list[Point]:
        """The points of `source` set in `mask`, in week order."""
        block = (mask >> (self.sources.index(source) * _WEEK)) & ((1 << _WEEK) - 1)
        return [Point(source, k // _SLOTS, k % _SLOTS * 30)
                for k in range(_WEEK) if block >> k & 1]


def describe_gap(points: list[Point]) -> str:
    """The first uncovered stretch in words a catalog can say again, e.g. `Saturday
    00:00-09:00`."""
    first = points[0]
    end = first
    for p in points[1:]:
        if p.day == end.day and p.minute == end.minute + 30:
            end = p
        else:
            break
    stop = end.minute + 30
    return Words(N_("{day} {start}-{end}"), day=Words(DAY_WORDS[WEEKDAYS[first.day]]),
                 start=f"{first.minute // 60:02d}:{first.minute % 60:02d}",
                 end=f"{stop // 60:02d}:{stop % 60:02d}")


@dataclass
class CoverageResult:
    shadowed: dict[int, int]  # binding index -> index of the earlier binding that wins
    uncovered: dict[str, list[Point]]  # source -> points where no binding can match
    total: dict[str, int]  # source -> number of points tested


class _Winners:
    """The bindings that first surely match somewhere, with the points each took, in
    order; blocks of them keep a union so "the first winner at any of these points"
    costs about the square root of their number, not a scan of all of them."""

    BLOCK = 64

    def __init__(self) -> None:
        self.blocks: list[tuple[int, list[tuple[int, int]]]] = []

    def add(self, index: int, taken: int) -> None:
        if not self.blocks or len(self.blocks[-1][1]) == self.BLOCK:
            self.blocks.append((0, []))
        union, members = self.blocks[-1]
        members.append((index, taken))
        self.blocks[-1] = (union | taken, members)

    def first_at(self, points: int) -> int:
        """The earliest winner that took one of `points` (some winner took each)."""
        for union, members in self.blocks:
            if union & points:
                return next(i for i, taken in members if taken & points)
        raise ValueError("no winner at these points")


def analyse(conditions: list[Json], sources: list[str],
            cal: CalendarView | None = None) -> CoverageResult:
    """Shadowing and coverage of bindings given by their lowered conditions, in order.

    One pass over the bindings with masks over every half hour of the week: time
    and memory are linear in the number of bindings (issue 14: the point-by-point
    scan took 94 s for 8,000 timed bindings).
    """
    masks = Masks(sources, cal)
    decided = covered = 0  # points some earlier binding surely takes / could take
    winners = _Winners()
    seen: dict[str, int] = {}
    shadowed: dict[int, int] = {}
    for i, cond in enumerate(conditions):
        true, false = masks.of(cond)
        maybe = masks.full & ~false
        covered |= maybe
        key = json.dumps(cond, sort_keys=True)
        if key in seen:
            shadowed[i] = seen[key]
        else:
            seen[key] = i
            if maybe and not maybe & ~decided:  # wherever it could match, one before does
                shadowed[i] = winners.first_at(maybe)
        taken = true & ~decided
        if taken:
            winners.add(i, taken)
            decided |= taken
    timed = any(c is not None and uses_time(c) for c in conditions)
    uncovered = {s: masks.points(~covered & masks.full, s) for s in sources}
    if not timed:  # every answer is the same all week: one point per source says it
        uncovered = {s: gaps[:1] for s, gaps in uncovered.items()}
    per_source = _WEEK if timed else 1
    return CoverageResult(shadowed, uncovered, {s: per_source for s in sources})
