"""Render a simulation as one self-contained HTML page (inline SVG charts, no network).

`render` takes what `policyc simulate` already has — the summary, the records,
the events and the engine's waiting chats at the end — computes the series
(report/series.py) and the chart geometry (report/charts.py), and fills
`templates/report.html.j2`.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, tzinfo
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jinja2

from ..compiler.page_words import BIN_KEYS, page_words
from ..compiler.page_words import duration as said_duration
from ..compiler.templating import environment
from ..runtime.clock import parse_instant
from . import charts, series

IGNORED_SHOWN = 10  # ignored events the report lists one by one

@jinja2.pass_context
def _duration(context: jinja2.runtime.Context, seconds: float) -> str:
    """The `duration` filter: in the page's language (the template's `lang`)."""
    return said_duration(seconds, str(context.get("lang", "en")))


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    return environment(Path(__file__).parent / "templates", {"duration": _duration})


def duration(seconds: float, lang: str = "en") -> str:
    """`0 s`, `45 s`, `12 min`, `2 h 05 min`, `1 d 3 h` (in `lang`'s units)."""
    return said_duration(seconds, lang)


def _zone(events: Sequence[Mapping[str, Any]], timezone: str | None) -> tuple[tzinfo, str]:
    """The shop's time zone for clock times on the axis, and its name; without one, the
    log's own UTC offset (its first event's)."""
    if timezone is not None:
        return ZoneInfo(timezone), timezone
    zone = datetime.fromisoformat(events[0]["at"]).tzinfo if events else None
    return zone or UTC, str(zone or UTC)


def render(summary: Mapping[str, Any], records: Sequence[Mapping[str, Any]],
           events: Sequence[Mapping[str, Any]],
           waiting: Mapping[str, Sequence[Mapping[str, Any]]], title: str,
           timezone: str | None = None, lang: str = "en") -> str:
    """The report page of one simulation, in `lang`; clock times in `timezone` (the
    shop's), named on the time axis."""
    start, end = ((parse_instant(events[0]["at"]), parse_instant(events[-1]["at"]))
                  if events else (0.0, 0.0))
    zone, zone_name = _zone(events, timezone)
    # A long log may ignore thousands of events: the page counts them by event type and
    # shows the first few, so its length does not grow with the log.
    ignored = [r for r in records if r["kind"] == "ignored"]
    depths = series.depths(records, start, end)
    waited = series.waits(records)
    left = series.still_waiting(waiting, end)
    agents = [(agent, row["assigned"],
               ", ".join(f"{k} {v}" for k, v in row["reasons"].items()))
              for agent, row in summary["agents"].items()]
    w = page_words(lang, zone=zone_name)
    labels = [w[key] for key in BIN_KEYS]
    bins = [(label, count, w["bin_title"].format(count=count, label=label))
            for label, (_, count) in zip(labels, series.histogram(waited), strict=True)]
    return _environment().get_template("report.html.j2").render(
        title=title, s=summary, lang=lang, w=w,
        places={"queue": w["queue"], "staging": w["staging"], "pool": w["pool"],
                "waiting": w["waiting_for_agent"]},
        span=(datetime.fromtimestamp(start, zone).isoformat(),
              datetime.fromtimestamp(end, zone).isoformat()),
        depth_chart=charts.step_chart(depths, zone, width=800, height=300),
        depth_chart_narrow=charts.step_chart(depths, zone, width=360, height=260, max_ticks=4),
        zone_name=zone_name,
        ignored_by_type=Counter(r["event"]["type"] for r in ignored).most_common(),
        ignored_examples=[f"{r['at']} {r['event']['type']}: {r['why']}"
                          for r in ignored[:IGNORED_SHOWN]],
        agent_chart=charts.bar_chart(agents),
        wait_chart=charts.bar_chart(bins),
        assigned=len(waited),
        median_wait=statistics.median(waited) if waited else None,
        longest_wait=max(waited, default=None),
        still=len(left), longest_still=max(left, default=None),
        peaks={place: max(d for _, d in pts) for place, pts in depths.items()},
    )

