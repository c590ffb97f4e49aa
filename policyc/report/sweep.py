"""Render a staffing sweep (`simulate --workload M --agents N..M --report F`) as one HTML page.

Two inline SVG charts over the agent counts — service level as bars with the
occupancy as a line (both in %), and the mean and p90 waits as paired bars —
then the table of every figure. Geometry is computed here, the template only
places it (as report/charts.py does for the simulation report).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..compiler.page_words import page_words
from ..workload.sweep import minutes
from .charts import BOTTOM, LEFT, RIGHT, TOP, Tick, _nice_top, _value_ticks
from .html import _environment

COLOURS = {"service_level": "#2e8b57", "occupancy": "#7d4cc0", "mean_wait": "#d35400",
           "p90_wait": "#f0a04b"}


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    w: float
    h: float
    colour: str
    title: str


@dataclass(frozen=True)
class SweepChart:
    width: int
    height: int
    left: int
    top: int
    plot_w: int
    plot_h: int
    bars: tuple[Bar, ...]
    line: str  # SVG path ("" for none)
    dots: tuple[tuple[float, float, str], ...]  # x, y, title
    x_ticks: tuple[Tick, ...]
    y_ticks: tuple[Tick, ...]
    unit: str


def _frame(n: int, slot: int, height: int) -> tuple[int, int, float]:
    plot_w = max(360, slot * n)
    return plot_w, height - TOP - BOTTOM, plot_w / max(n, 1)


def service_chart(rows: Sequence[Mapping[str, Any]], slot: int = 72,
                  height: int = 260, words: Mapping[str, str] | None = None) -> SweepChart:
    """Service level bars and the occupancy line, 0-100 %, one slot per agent count;
    tooltips in `words` (page_words, English by default)."""
    w = words or page_words("en")
    plot_w, plot_h, slot_w = _frame(len(rows), slot, height)

    def y(share: float) -> float:
        return round(TOP + plot_h - share * plot_h, 1)

    bars, dots = [], []
    for i, r in enumerate(rows):
        x0 = LEFT + i * slot_w
        sl = r["service_level"] or 0.0
        bars.append(Bar(round(x0 + slot_w * 0.2, 1), y(sl), round(slot_w * 0.6, 1),
                        round(sl * plot_h, 1), COLOURS["service_level"],
                        w["sweep_service_bar"].format(agents=r["agents"],
                                                      value=f"{sl * 100:.1f} %")))
        if r["occupancy"] is not None:
            dots.append((round(x0 + slot_w / 2, 1), y(r["occupancy"]),
                         w["sweep_occupancy_dot"].format(
                             agents=r["agents"], value=f"{r['occupancy'] * 100:.1f} %")))
    line = "".join(("M" if i == 0 else "L") + f"{x},{yy}" for i, (x, yy, _) in enumerate(dots))
    return SweepChart(LEFT + plot_w + RIGHT, height, LEFT, TOP, plot_w, plot_h, tuple(bars),
                      line, tuple(dots), _x_ticks(rows, slot_w),
                      tuple(Tick(y(v / 100), f"{v} %") for v in range(0, 101, 20)), "%")


def wait_chart(rows: Sequence[Mapping[str, Any]], slot: int = 72,
               height: int = 260, words: Mapping[str, str] | None = None) -> SweepChart:
    """Mean and p90 wait per agent count, paired bars, in minutes; tooltips in `words`."""
    w = words or page_words("en")
    plot_w, plot_h, slot_w = _frame(len(rows), slot, height)
    peak = max((r[k] or 0.0 for r in rows for k in ("mean_wait", "p90_wait")), default=0.0)
    top = _nice_top(int(peak / 60) + 1)
    bars = []
    for i, r in enumerate(rows):
        for j, (key, said) in enumerate((("mean_wait", "sweep_mean_bar"),
                                         ("p90_wait", "sweep_p90_bar"))):
            value = (r[key] or 0.0) / 60
            h = round(value / top * plot_h, 1)
            bars.append(Bar(round(LEFT + i * slot_w + slot_w * (0.15 + 0.35 * j), 1),
                            round(TOP + plot_h - h, 1), round(slot_w * 0.33, 1), h,
                            COLOURS[key], w[said].format(agents=r["agents"],
                                                         value=minutes(r[key]))))
    y_ticks = tuple(Tick(round(TOP + plot_h - v / top * plot_h, 1), f"{v} min")
                    for v in _value_ticks(top))
    return SweepChart(LEFT + plot_w + RIGHT, height, LEFT, TOP, plot_w, plot_h, tuple(bars),
                      "", (), _x_ticks(rows, slot_w), y_ticks, "min")


def _x_ticks(rows: Sequence[Mapping[str, Any]], slot_w: float) -> tuple[Tick, ...]:
    return tuple(Tick(round(LEFT + (i + 0.5) * slot_w, 1), str(r["agents"]))
                 for i, r in enumerate(rows))


def render(doc: Mapping[str, Any], title: str, lang: str = "en",
           timezone: str = "UTC") -> str:
    """The sweep page, in `lang`; its start time is the shop's (`timezone`, named)."""
    rows = doc["rows"]
    w = page_words(lang, zone=timezone)
    return _environment().get_template("sweep.html.j2").render(
        title=title, doc=doc, rows=rows, colours=COLOURS, minutes=minutes, lang=lang, w=w,
        zone=timezone, service=service_chart(rows, words=w), waits=wait_chart(rows, words=w),
        enough=doc["fewest_reaching_goal"], goal=f"{doc['goal'] * 100:.0f} %")
