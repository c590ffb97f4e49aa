"""Time: ISO 8601 instants to epoch seconds, and shop-local time of day and weekday."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from .vocabulary import WEEKDAYS

# The years an input time may name: wide enough for any shop's history and plans,
# narrow enough that a window, a grace period or a UTC offset added to one never
# leaves what `datetime` can hold (year 1 at +14:00, year 9999 at -14:00 did).
YEARS = (1900, 2999)
MAX_TIME_LENGTH = 64


class TimeError(ValueError):
    """A time string that is not ISO 8601 with an offset."""


def parse_instant(text: object) -> float:
    """`2026-11-23T09:00:05+08:00` -> epoch seconds; an offset is required."""
    if not isinstance(text, str):
        raise TimeError(f"expected an ISO 8601 time string, found {type(text).__name__}")
    return _parse(text)


# An event's time is read where it is checked, by the log reader, by the engine and by
# the router: remembering the last few strings makes each one parsed once (a bad one
# raises, and is not remembered). Of a parse, the aware `timestamp()` costs four times
# `fromisoformat` (about 0.9 us): an instant written `YYYY-MM-DDTHH:MM:SS±HH:MM` is
# its hour's epoch seconds, worked out once per hour and offset, plus its minutes and
# seconds: the same float.
_HOURS: dict[str, float] = {}
_HOURS_KEPT = 4096  # distinct (hour, offset) spellings remembered before starting afresh


@lru_cache(maxsize=256)
def _parse(text: str) -> float:
    if len(text) > MAX_TIME_LENGTH or not text.isascii():
        raise TimeError(f"{text[:MAX_TIME_LENGTH]!r} is not an ISO 8601 time")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as err:
        raise TimeError(f"{text!r} is not an ISO 8601 time") from err
    if len(text) == 25 and text[19] in "+-" and text[13] == ":" and text[16] == ":":
        hour = text[:13] + text[19:]  # names the date, the hour and the offset
        base = _HOURS.get(hour)
        if base is None:
            base = _checked(moment.replace(minute=0, second=0), text)
            if len(_HOURS) >= _HOURS_KEPT:
                _HOURS.clear()
            _HOURS[hour] = base
        return base + (moment.minute * 60 + moment.second)
    return _checked(moment, text)


def _checked(moment: datetime, text: str) -> float:
    """Epoch seconds of a parsed instant that has an offset and a year in YEARS."""
    if moment.tzinfo is None:
        raise TimeError(f"{text!r} has no UTC offset")
    if not YEARS[0] <= moment.year <= YEARS[1]:
        raise TimeError(f"{text!r}: the year is outside {YEARS[0]}-{YEARS[1]}")
    return moment.timestamp()


@lru_cache(maxsize=64)
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def local_minute_and_day(epoch: float, tz: str) -> tuple[int, str, str]:
    """(minutes after local midnight, weekday name, local date) of an instant in the shop."""
    local = datetime.fromtimestamp(epoch, zone(tz))
    return local.hour * 60 + local.minute, WEEKDAYS[local.weekday()], local.date().isoformat()


def format_instant(epoch: float, tz: str) -> str:
    """Epoch seconds as ISO 8601 in the shop's zone (for records and reports)."""
    return datetime.fromtimestamp(epoch, zone(tz)).isoformat()
