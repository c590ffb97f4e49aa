"""The workload model as typed values: arrivals, handling behaviour, staff, seed.

Built by policyc/workload/load.py from a checked model file; read by the
arrival generator, the staff schedule and the driver. Times are epoch seconds,
durations seconds, times of day minutes after local midnight.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from ..dsl.span import Span
from .distributions import Distribution

# A name drawn with its share: (names, cumulative weights) for random.choices.
Shares = tuple[tuple[str, ...], tuple[float, ...]]


@dataclass(frozen=True, slots=True)
class Arrivals:
    """Replayed buyer messages (`replay`), or Poisson arrivals by hour and weekday."""

    replay: Path | None
    replay_span: Span | None
    per_hour: tuple[float, ...]  # 24 rates, chats per hour (empty when replayed)
    weekdays: dict[str, float]
    sources: Shares
    order_states: Shares
    intents: Shares
    wants_human: float | None


@dataclass(frozen=True, slots=True)
class Transfer:
    """A share of first holders forward the chat (S10, Y12) after `after`."""

    share: float
    to_group: str | None
    to_agent: str | None
    after: Distribution
    span: Span


@dataclass(frozen=True, slots=True)
class Handling:
    """How whoever holds a chat acts on it (all durations in seconds)."""

    first_read: Distribution
    first_reply: Distribution
    exchanges: Distribution  # a count
    buyer_gap: Distribution
    read: Distribution
    reply: Distribution
    close: Distribution
    transfer: Transfer | None
    finish_offline: bool
    fit: Path | None
    fit_span: Span | None


@dataclass(frozen=True, slots=True)
class Window:
    """A span of the day in minutes after local midnight; `end` may pass 24:00."""

    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Staff:
    """One agent's week: weekdays worked, shifts (online), breaks (busy), absences."""

    agent: str
    days: tuple[str, ...]
    shifts: tuple[Window, ...]
    breaks: tuple[Window, ...]
    absent: tuple[tuple[float, float], ...]
    span: Span


@dataclass(frozen=True, slots=True)
class Model:
    """One workload model file."""

    file: str
    start: float
    duration: float
    seed: int
    tick: float | None  # None: no ticks
    target: float  # service level: taken within this many seconds
    goal: float  # the service level wanted (a share)
    arrivals: Arrivals
    handling: Handling
    staff: tuple[Staff, ...]  # empty when statuses are replayed
    staff_replay: Path | None
    staff_span: Span

    @property
    def end(self) -> float:
        """When arrivals stop and the staff's schedule ends."""
        return self.start + self.duration

    def with_staff(self, count: int) -> Model:
        """The same model with only its first `count` staff (a sweep's row)."""
        return replace(self, staff=self.staff[:count])

    def with_handling(self, handling: Handling) -> Model:
        """The same model with other handling (durations fitted from a log)."""
        return replace(self, handling=handling)
