"""Time: ISO 8601 instants to epoch seconds, and shop-local time of day and weekday."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from .vocabulary import WEEKDAYS


class TimeError(ValueError):
    """A time string that is not ISO 8601 with an offset."""


def parse_instant(text: object) -> float:
    """`2026-11-23T09:00:05+08:00` -> epoch seconds; an offset is required."""
    if not isinstance(text, str):
        raise TimeError(f"expected an ISO 8601 time string, found {type(text).__name__}")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as err:
        raise TimeError(f"{text!r} is not an ISO 8601 time") from err
    if moment.tzinfo is None:
        raise TimeError(f"{text!r} has no UTC offset")
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
