"""Agent schedules: the staff's shifts, breaks and absences as `agent_status` changes in time.

An agent is online inside a shift on a weekday it works, busy during a break,
offline otherwise and during an absence. Changes come at the boundaries only,
from the model's start on; the week goes on for `AFTER` past the model's end
(with no new buyers), so chats still waiting at the end are served when the
staff comes back, as they would be. A replayed log's own `agent_status` events
make a schedule the same way.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from ..runtime.clock import parse_instant, zone
from ..runtime.vocabulary import WEEKDAYS
from .model import Staff

AFTER = 7 * 86400.0  # the staff's week continues this long after the model's end


@dataclass(frozen=True, slots=True)
class Change:
    """Agent `agent` takes `status` at `at` (epoch seconds)."""

    at: float
    agent: str
    status: str


@dataclass
class Schedule:
    """Every status change, in time order, and per agent for look-ups."""

    changes: list[Change]
    by_agent: dict[str, list[Change]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for c in self.changes:
            self.by_agent.setdefault(c.agent, []).append(c)

    def resume_at(self, agent: str, at: float) -> float | None:
        """When `agent` is next online at or after `at` (None: never again)."""
        rows = self.by_agent.get(agent, [])
        i = bisect.bisect_right([c.at for c in rows], at)
        if i and rows[i - 1].status == "online":
            return at
        return next((c.at for c in rows[i:] if c.status == "online"), None)


def from_staff(staff: tuple[Staff, ...], start: float, end: float, tz: str) -> Schedule:
    """The status changes of the staff's week between `start` and `end`."""
    changes: list[Change] = []
    for member in staff:
        changes += _changes(member, start, end + AFTER, tz)
    changes.sort(key=lambda c: (c.at, c.agent))
    return Schedule(changes)


def from_log(events: list[dict[str, Any]]) -> Schedule:
    """The `agent_status` events of a (checked) log."""
    return Schedule([Change(parse_instant(e["at"]), e["agent"], e["status"])
                     for e in events if e["type"] == "agent_status"])


def _changes(member: Staff, start: float, end: float, tz: str) -> list[Change]:
    online, busy = _spans(member, start, end, tz)
    points = sorted({start, *(t for a, b in online + busy + list(member.absent) for t in (a, b)
                              if start <= t < end)})
    out: list[Change] = []
    now = "offline"
    for t in points:
        status = _status_at(t, online, busy, member.absent)
        if status != now:
            out.append(Change(t, member.agent, status))
            now = status
    return out


def _spans(member: Staff, start: float, end: float,
           tz: str) -> tuple[list[tuple[float, float]], list[tuple[float, float]]]:
    """(online, busy) spans in epoch seconds of the local days the model covers."""
    first = datetime.fromtimestamp(start, zone(tz)).date() - timedelta(days=1)
    last = datetime.fromtimestamp(end, zone(tz)).date()
    online: list[tuple[float, float]] = []
    busy: list[tuple[float, float]] = []
    day = first
    while day <= last:
        if WEEKDAYS[day.weekday()] in member.days:
            midnight = datetime(day.year, day.month, day.day, tzinfo=zone(tz))
            for rows, windows in ((online, member.shifts), (busy, member.breaks)):
                rows += [((midnight + timedelta(minutes=w.start)).timestamp(),
                          (midnight + timedelta(minutes=w.end)).timestamp()) for w in windows]
        day += timedelta(days=1)
    return online, busy


def _status_at(t: float, online: list[tuple[float, float]], busy: list[tuple[float, float]],
               absent: tuple[tuple[float, float], ...]) -> str:
    """The status from instant `t` on (spans are half-open: [from, to))."""
    if any(a <= t < b for a, b in absent) or not any(a <= t < b for a, b in online):
        return "offline"
    return "busy" if any(a <= t < b for a, b in busy) else "online"
