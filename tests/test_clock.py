"""Event times (runtime/clock.py): the short way for the common spelling gives the same
epoch seconds as a full parse, and refuses what a full parse refuses."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from policyc.runtime.clock import TimeError, parse_instant

# Offsets as shops write them: whole hours and the odd quarter hours (+05:45, -03:30).
offsets = st.integers(min_value=-14 * 4, max_value=14 * 4).map(
    lambda q: timezone(timedelta(minutes=15 * q)))
instants = st.builds(
    lambda d, tz: d.replace(tzinfo=tz),
    st.datetimes(min_value=datetime(1900, 1, 2), max_value=datetime(2999, 12, 30)),
    offsets)


@given(st.lists(instants, min_size=1, max_size=20))
def test_whole_seconds_parse_to_the_same_epoch_seconds_as_a_full_parse(
        moments: list[datetime]) -> None:
    # Several in one run: the hour each lands in is remembered between calls.
    for moment in moments:
        text = moment.isoformat(timespec="seconds")
        assert parse_instant(text) == datetime.fromisoformat(text).timestamp(), text


@given(instants)
def test_fractions_of_a_second_take_the_full_parse(moment: datetime) -> None:
    text = moment.isoformat(timespec="microseconds")
    assert parse_instant(text) == datetime.fromisoformat(text).timestamp()


def test_the_same_hour_at_another_offset_is_another_instant() -> None:
    assert parse_instant("2026-11-23T09:00:05+08:00") == \
        parse_instant("2026-11-23T01:00:05+00:00")
    assert parse_instant("2026-11-23T09:30:05-08:00") - \
        parse_instant("2026-11-23T09:30:05+08:00") == 16 * 3600


@pytest.mark.parametrize("text", [
    "2026-11-23T09:00:05",         # no offset
    "2026-11-23T09:60:05+08:00",   # minute 60
    "2026-11-23T09:00:60+08:00",   # second 60
    "2026-11-23T24:00:05+08:00",   # hour 24
    "2026-02-30T09:00:05+08:00",   # no such day
    "3026-11-23T09:00:05+08:00",   # past the years an input may name
    "2026-11-23T09:0０:05+08:00",  # a full-width digit
    "2026-11-23T09:00:05+08:0x",
])
def test_what_a_full_parse_refuses_is_refused(text: str) -> None:
    parse_instant("2026-11-23T09:00:00+08:00")  # the hour is known: no short cut past checks
    with pytest.raises(TimeError):
        parse_instant(text)
