"""The service's clock: time passes for every shop this instance owns, with no client event.

Until the engine has timers of its own, time reaching `t` is the engine's
`tick` event (CONTRACT.md: "time passes; timeouts and scheduled pool runs
fire"). `advance` is the one place that says how; the live shop and the
replay of a log both go through it, so moving to an engine that fires its
own timers changes this function only. A clock tick is written to the shop's
log like any event (`by: clock`), so a replay sees time pass at the same
instants.

The clock runs `lag` seconds behind the wall clock: an event a client stamps
at `t` and sends at once still arrives before the shop's time passes `t`.
"""

from __future__ import annotations

import time
from typing import Any

from ..runtime.clock import format_instant
from ..runtime.engine import Engine
from ..runtime.records import Record


def tick_event(at: float, tz: str) -> dict[str, Any]:
    """The event that says time has reached `at` (epoch seconds) in the shop's zone."""
    return {"type": "tick", "at": format_instant(at, tz)}


def advance(engine: Engine, event: dict[str, Any]) -> list[Record]:
    """Let time reach the event's `at` in the engine: what fires then, as records."""
    return engine.feed(event)


def now(lag: float) -> float:
    """The service clock: wall time less the lag."""
    return time.time() - lag
