"""What the report charts, computed from the routing records alone (pure, no drawing).

- `depths`: how many chats wait in each place (queue, staging, waiting, pool)
  over time, as step points `(instant, depth from then on)`;
- `waits`: for each chat an agent got, the seconds from the buyer's message
  to the assignment (0 when the route assigned it at once);
- `histogram`: those waits in fixed, human-sized bins.

The records say every move into and out of a waiting place: a `route`,
`release` or `transfer` record with a waiting outcome puts its buyer there, and
the next decided record of that buyer takes it out. So the series is the
engine's waiting state replayed; its last depths equal `Engine.waiting()`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ..runtime.clock import parse_instant
from ..runtime.records import DECIDED
from ..runtime.waiting import ORDER, PLACES

Point = tuple[float, int]  # (epoch seconds, depth from this instant on)

# Upper edges of the waiting-time bins, in seconds; the first bin is "at once" (exactly 0).
BIN_EDGES: tuple[float, ...] = (0, 60, 300, 900, 3600, 4 * 3600, math.inf)
BIN_LABELS = ("at once", "≤ 1 min", "1–5 min", "5–15 min", "15–60 min", "1–4 h", "> 4 h")


def depths(records: Iterable[Mapping[str, Any]], start: float, end: float
           ) -> dict[str, list[Point]]:
    """Per waiting place, its depth as step points from `start` (0) to `end` (the last depth).

    Several moves at one instant make one point (the depth after them); a point
    that does not change the depth is left out, except the first and the last.
    """
    where: dict[str, str] = {}  # buyer -> the place it waits in
    depth: dict[str, int] = dict.fromkeys(ORDER, 0)
    series: dict[str, list[Point]] = {place: [(start, 0)] for place in ORDER}
    for rec in records:
        if rec["kind"] not in DECIDED:
            continue
        at = parse_instant(rec["at"])
        left = where.pop(rec["buyer"], None)
        if left is not None:
            depth[left] -= 1
            _step(series[left], at, depth[left])
        entered = PLACES.get(rec["outcome"])
        if entered is not None:
            where[rec["buyer"]] = entered
            depth[entered] += 1
            _step(series[entered], at, depth[entered])
    for place, points in series.items():
        if end > points[-1][0]:
            points.append((end, depth[place]))
    return series


def _step(points: list[Point], at: float, depth: int) -> None:
    """The depth from `at` on: one point per instant, none that repeats the depth before it."""
    if len(points) > 1 and points[-1][0] == at:
        points.pop()  # an earlier move at this same instant
    if points[-1][0] == at:
        points[-1] = (at, depth)  # the first point: it stays, with the new depth
    elif points[-1][1] != depth:
        points.append((at, depth))


def waits(records: Iterable[Mapping[str, Any]]) -> list[float]:
    """Seconds from message to agent for each chat assigned by the route or handed out later.

    Transfers and `reassign_unreplied` moves are not waits for a first agent and
    are left out.
    """
    out: list[float] = []
    for rec in records:
        if rec["kind"] not in ("route", "release", "accepted") or rec["outcome"] != "assigned":
            continue
        if rec.get("why") == "reassign_unreplied":
            continue
        out.append(parse_instant(rec["at"]) - parse_instant(rec["event"]["at"]))
    return out


def still_waiting(waiting: Mapping[str, Sequence[Mapping[str, Any]]], end: float
                  ) -> list[float]:
    """Seconds each chat still waiting at `end` has waited since its message (Engine.waiting())."""
    return [end - parse_instant(entry["event"]["at"])
            for entries in waiting.values() for entry in entries]


def histogram(seconds: Iterable[float]) -> list[tuple[str, int]]:
    """(bin label, count) for each bin of BIN_EDGES, in order, empty bins included."""
    counts = [0] * len(BIN_LABELS)
    for s in seconds:
        counts[_bin(s)] += 1
    return list(zip(BIN_LABELS, counts, strict=True))


def _bin(s: float) -> int:
    if s <= 0:
        return 0
    return next(i for i, edge in enumerate(BIN_EDGES) if i > 0 and s <= edge)
