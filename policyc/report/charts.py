"""Chart geometry for the report: scales, ticks and SVG paths, as view models for the template.

Pure arithmetic; the template only places what is computed here. Step charts
draw each place's depth as a horizontal-then-vertical path; bar charts (agents,
waiting-time bins) place one bar per item with its value above it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo

from .series import Point

# Margins of every chart, in SVG pixels: room for the tick labels and the axis titles.
LEFT, RIGHT, TOP, BOTTOM = 64, 16, 16, 56
COLOURS = {"queue": "#2463a6", "staging": "#c99400", "waiting": "#7d4cc0", "pool": "#27ae60"}
ALWAYS = ("queue", "staging")  # drawn even when they stayed empty
X_STEPS = (60, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400)


@dataclass(frozen=True)
class Tick:
    at: float  # pixel position along its axis
    label: str


@dataclass(frozen=True)
class Line:
    place: str
    colour: str
    d: str  # SVG path
    peak: int
    last: int


@dataclass(frozen=True)
class StepChart:
    width: int
    height: int
    left: int
    top: int
    plot_w: int
    plot_h: int
    lines: tuple[Line, ...]
    x_ticks: tuple[Tick, ...]
    y_ticks: tuple[Tick, ...]


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    x: float
    y: float
    w: float
    h: float
    title: str


@dataclass(frozen=True)
class BarChart:
    width: int
    height: int
    left: int
    top: int
    plot_w: int
    plot_h: int
    bars: tuple[Bar, ...]
    y_ticks: tuple[Tick, ...]


def step_chart(series: Mapping[str, Sequence[Point]], zone: tzinfo = UTC,
               width: int = 960, height: int = 260, max_ticks: int = 12) -> StepChart:
    """Queue and staging (and waiting, pool when used) depths over the log's time span,
    with at most `max_ticks` clock times on the time axis (fewer on a phone-sized chart)."""
    drawn = {p: pts for p, pts in series.items() if p in ALWAYS or max(d for _, d in pts) > 0}
    times = [t for pts in series.values() for t, _ in pts]
    start, end = min(times), max(times)
    end = max(end, start + 1)
    plot_w, plot_h = width - LEFT - RIGHT, height - TOP - BOTTOM
    top_value = _nice_top(max((d for pts in drawn.values() for _, d in pts), default=0))

    def x(t: float) -> float:
        return round(LEFT + (t - start) / (end - start) * plot_w, 1)

    def y(d: int) -> float:
        return round(TOP + plot_h - d / top_value * plot_h, 1)

    lines = tuple(Line(p, COLOURS.get(p, "#555"), _step_path(pts, x, y),
                       max(d for _, d in pts), pts[-1][1]) for p, pts in drawn.items())
    x_ticks = tuple(Tick(x(t), label)
                    for t, label in _time_ticks(start, end, zone, max_ticks))
    y_ticks = tuple(Tick(y(v), str(v)) for v in _value_ticks(top_value))
    return StepChart(width, height, LEFT, TOP, plot_w, plot_h, lines, x_ticks, y_ticks)


def _step_path(points: Sequence[Point], x: Callable[[float], float],
               y: Callable[[int], float]) -> str:
    """`M x0,y0 H x1 V y1 ...`: each depth holds until the next point, then steps."""
    (t0, d0), rest = points[0], points[1:]
    return f"M{x(t0)},{y(d0)}" + "".join(f"H{x(t)}V{y(d)}" for t, d in rest)


def bar_chart(items: Sequence[tuple[str, int, str]], slot: int = 96, height: int = 240,
              min_width: int = 360) -> BarChart:
    """One bar per `(label, value, title)`; the title is the bar's tooltip."""
    plot_w = max(min_width - LEFT - RIGHT, slot * len(items))
    plot_h = height - TOP - BOTTOM
    top_value = _nice_top(max((v for _, v, _ in items), default=0))
    slot_w = plot_w / max(len(items), 1)
    bars = []
    for i, (label, value, title) in enumerate(items):
        h = round(value / top_value * plot_h, 1)
        bars.append(Bar(label, value, round(LEFT + i * slot_w + slot_w * 0.15, 1),
                        round(TOP + plot_h - h, 1), round(slot_w * 0.7, 1), h, title))
    y_ticks = tuple(Tick(round(TOP + plot_h - v / top_value * plot_h, 1), str(v))
                    for v in _value_ticks(top_value))
    return BarChart(LEFT + plot_w + RIGHT, height, LEFT, TOP, plot_w, plot_h, tuple(bars),
                    y_ticks)


def _nice_top(peak: int) -> int:
    """The y axis's top: the peak rounded up to a multiple of its tick step (at least 1)."""
    step = _value_step(max(peak, 1))
    return max(step, math.ceil(max(peak, 1) / step) * step)


def _value_step(top: int) -> int:
    """1, 2, 5, 10, 20, 50, ...: the smallest that makes at most 5 steps."""
    magnitude = 1
    while True:
        for m in (1, 2, 5):
            if top / (m * magnitude) <= 5:
                return m * magnitude
        magnitude *= 10


def _value_ticks(top: int) -> list[int]:
    step = _value_step(top)
    return list(range(0, top + 1, step))


def _time_ticks(start: float, end: float, zone: tzinfo,
                max_ticks: int = 12) -> list[tuple[float, str]]:
    """Instants on round local times (every 1 min ... 1 day), at most `max_ticks`, HH:MM."""
    step = next((s for s in X_STEPS if (end - start) / s <= max_ticks), X_STEPS[-1])
    offset = datetime.fromtimestamp(start, zone).utcoffset() or timedelta(0)
    shift = offset.total_seconds()
    first = math.ceil((start + shift) / step) * step - shift
    multi_day = end - start > 86400
    ticks = []
    t = first
    while t <= end:
        local = datetime.fromtimestamp(t, zone)
        ticks.append((t, local.strftime("%m-%d %H:%M" if multi_day else "%H:%M")))
        t += step
    return ticks
