"""Business-hours calendars: whether a calendar is open at a shop-local moment.

A calendar (the policy's `calendars:`, lowered to plain data) has windows per
weekday, dates with their own windows, and holidays (closed all day). A window
whose `from` is later than its `to` runs past midnight into the next day and
belongs to the day it starts on, so a night shift `mon 22:00-06:00` is open on
Tuesday at 05:00, and a holiday on Monday closes it. `calendar.<name>` in a
condition reads `is_open`.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from .vocabulary import WEEKDAYS

Calendar = dict[str, Any]
Windows = list[dict[str, int]]


def day_windows(calendar: Calendar, day: str, weekday: str) -> Windows:
    """The windows that start on local date `day` (a holiday has none; a listed date its
    own; any other day its weekday's)."""
    if day in calendar.get("holidays", ()):
        return []
    for special in calendar.get("dates", ()):
        if special["date"] == day:
            return list(special["hours"])
    return list(calendar.get("hours", {}).get(weekday, ()))


def open_at(calendar: Calendar, day: str, weekday: str, minute: int) -> bool:
    """Whether the calendar is open at `minute` after midnight of local date `day`."""
    for w in day_windows(calendar, day, weekday):
        start, end = w["from"], w["to"]
        if (start <= minute < end) if start <= end else minute >= start:
            return True
    before = (date.fromisoformat(day) - timedelta(days=1))
    for w in day_windows(calendar, before.isoformat(), WEEKDAYS[before.weekday()]):
        if w["from"] > w["to"] and minute < w["to"]:
            return True
    return False


def week_open(calendar: Calendar, weekday: int, minute: int, day: str | None = None) -> bool:
    """Open at a moment of a typical week (`day` None: no date or holiday applies), or of
    the week of one listed date `day` (lint reads both: compiler/coverage.py)."""
    if day is None:
        name, before = WEEKDAYS[weekday], WEEKDAYS[(weekday - 1) % 7]
        for w in calendar.get("hours", {}).get(name, ()):
            if (w["from"] <= minute < w["to"]) if w["from"] <= w["to"] else minute >= w["from"]:
                return True
        return any(w["from"] > w["to"] and minute < w["to"]
                   for w in calendar.get("hours", {}).get(before, ()))
    return open_at(calendar, day, WEEKDAYS[date.fromisoformat(day).weekday()], minute)


def listed_dates(calendar: Calendar) -> list[str]:
    """The dates a calendar names (holidays and dates with their own hours), sorted."""
    return sorted({*calendar.get("holidays", ()),
                   *(d["date"] for d in calendar.get("dates", ()))})
