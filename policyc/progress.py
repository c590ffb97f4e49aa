"""A one-line progress bar on a terminal, redrawn at most every tenth of a second."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TextIO

WIDTH = 30  # characters of the bar itself


class Progress:
    """`update(done)` as work goes on, `close()` at the end; draws on `stream` with `\\r`.

    Redraws only when `interval` seconds passed since the last drawing (and once
    more at the end), so a fast loop costs a clock call per step.
    """

    def __init__(self, total: int, stream: TextIO, label: str = "", interval: float = 0.1,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.total, self.stream, self.label = total, stream, label
        self.interval, self.clock = interval, clock
        self.drawn_at: float | None = None
        self.done = 0

    def update(self, done: int) -> None:
        self.done = done
        now = self.clock()
        if self.drawn_at is None or now - self.drawn_at >= self.interval:
            self._draw(now)

    def close(self) -> None:
        """Draw the final state and end the line."""
        self._draw(self.clock())
        self.stream.write("\n")
        self.stream.flush()

    def _draw(self, now: float) -> None:
        self.drawn_at = now
        self.stream.write("\r" + line(self.done, self.total, self.label))
        self.stream.flush()


class NoProgress(Progress):
    """The bar when it is off: draws nothing."""

    def __init__(self) -> None:
        pass

    def update(self, done: int) -> None:
        pass

    def close(self) -> None:
        pass


def line(done: int, total: int, label: str = "") -> str:
    """`label [#########.....]  120/286  42%`."""
    share = done / total if total else 1.0
    filled = round(share * WIDTH)
    head = f"{label} " if label else ""
    return f"{head}[{'#' * filled}{'.' * (WIDTH - filled)}] {done:>{len(str(total))}}/{total} " \
           f"{share:4.0%}"


def progress(total: int, stream: TextIO, label: str = "", forced: bool = False) -> Progress:
    """A bar on `stream` when it is a terminal or `forced`; otherwise one that draws nothing."""
    if forced or stream.isatty():
        return Progress(total, stream, label)
    return NoProgress()
