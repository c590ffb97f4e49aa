"""Buyer arrivals of a workload: a log's buyer messages replayed, or Poisson arrivals generated.

Generated arrivals follow a rate per local hour of the day, times a weekday
factor: inside each local hour the rate is constant, so exponential gaps
restarted at every hour boundary give an exact non-homogeneous Poisson stream.
Each new buyer's source, order state, intent and wants_human are drawn from
the model's shares. One `random.Random` seeded from the model's seed and the
word `arrivals` makes them, so the stream is the same for every policy.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from ..runtime.clock import parse_instant, zone
from ..runtime.vocabulary import WEEKDAYS
from .model import Arrivals, Shares

Event = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Arrival:
    """A buyer message at `at` (epoch seconds); `fields` is the event without `at`."""

    at: float
    fields: Event


def generate(arrivals: Arrivals, start: float, end: float, tz: str,
             seed: int) -> list[Arrival]:
    """New buyers from `start` to `end`, in time order, buyer ids `w-000001`, ..."""
    rng = random.Random(f"policyc-workload:{seed}:arrivals")
    out: list[Arrival] = []
    t = start
    while t < end:
        local = datetime.fromtimestamp(t, zone(tz))
        hour_end = min(end, (local.replace(minute=0, second=0, microsecond=0)
                             + timedelta(hours=1)).timestamp())
        per_hour = arrivals.per_hour[local.hour] * arrivals.weekdays.get(
            WEEKDAYS[local.weekday()], 1.0)
        if per_hour > 0:
            t += rng.expovariate(per_hour / 3600.0)
            while t < hour_end:
                out.append(Arrival(round(t, 3), _buyer(arrivals, rng, len(out) + 1)))
                t += rng.expovariate(per_hour / 3600.0)
        t = hour_end
    return out


def _buyer(arrivals: Arrivals, rng: random.Random, number: int) -> Event:
    event: Event = {"type": "message", "buyer": f"w-{number:06d}",
                    "source": _draw(rng, arrivals.sources)}
    state = _draw(rng, arrivals.order_states)
    if state != "none":
        event["order_state"] = state
    intent = _draw(rng, arrivals.intents)
    if intent != "none":
        event["intent"] = intent
    if arrivals.wants_human is not None:
        event["wants_human"] = rng.random() < arrivals.wants_human
    return event


def _draw(rng: random.Random, shares: Shares) -> str:
    names, weights = shares
    return names[0] if len(names) == 1 else rng.choices(names, weights)[0]


def replayed(events: list[Event]) -> list[Arrival]:
    """The buyer messages of a (checked) log, as they were written."""
    return [Arrival(parse_instant(e["at"]), {k: v for k, v in e.items() if k != "at"})
            for e in events if e["type"] == "message"]
