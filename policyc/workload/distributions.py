"""Random durations and counts of a workload model, as data: a kind, its parameters, a span.

A model writes a duration as `30s` (always 30 s), `{exponential: 2m}` (mean 2 min),
`{uniform: [10s, 2m]}`, `{lognormal: {median: 1m, p90: 5m}}` or `{empirical: [30s,
45s, ...]}` (one of the values, each as likely); a count (buyer follow-ups) as `2`,
`{poisson: 1.5}`, `{geometric: 1.5}` (mean) or `{empirical: [0, 1, 1, 3]}`. Every draw
takes the `random.Random` it is given, so a chat's own stream decides its behaviour.
"""

from __future__ import annotations

import math
import random
import re
from dataclasses import dataclass

from ..dsl.span import Span

# z of the standard normal's 90th percentile: lognormal sigma from median and p90
_Z90 = 1.2815515655446004
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_DURATION = re.compile(r"^(\d+(?:\.\d+)?)([smhd])$")

DURATION_KINDS = ("fixed", "exponential", "uniform", "lognormal", "empirical")
COUNT_KINDS = ("fixed", "poisson", "geometric", "empirical")


def parse_seconds(text: str) -> float | None:
    """`30s` -> 30.0, `1.5m` -> 90.0, `2h` -> 7200.0; None when not a duration."""
    found = _DURATION.match(text.strip())
    return None if found is None else float(found[1]) * _UNITS[found[2]]


@dataclass(frozen=True, slots=True)
class Distribution:
    """A duration in seconds (or, for counts, a whole number) drawn by `kind`.

    `values` are the parameters: fixed (x), exponential (mean), uniform (low, high),
    lognormal (median, p90), poisson / geometric (mean), empirical (the values).
    """

    kind: str
    values: tuple[float, ...]
    span: Span

    def draw(self, rng: random.Random) -> float:
        """One duration (seconds, never negative) from `rng`."""
        v = self.values
        match self.kind:
            case "fixed":
                return v[0]
            case "exponential":
                return rng.expovariate(1.0 / v[0]) if v[0] > 0 else 0.0
            case "uniform":
                return rng.uniform(v[0], v[1])
            case "lognormal":
                mu = math.log(v[0])
                return rng.lognormvariate(mu, (math.log(v[1]) - mu) / _Z90)
            case _:
                return v[rng.randrange(len(v))]

    def count(self, rng: random.Random) -> int:
        """One whole number (follow-up messages) from `rng`."""
        v = self.values
        match self.kind:
            case "fixed":
                return int(v[0])
            case "poisson":
                return _poisson(rng, v[0])
            case "geometric":  # failures before a success, with the given mean
                return 0 if v[0] <= 0 else _poisson(rng, rng.expovariate(1.0 / v[0]))
            case _:
                return int(v[rng.randrange(len(v))])

    @property
    def mean(self) -> float:
        """The distribution's mean (for the report's description of the model)."""
        v = self.values
        match self.kind:
            case "uniform":
                return (v[0] + v[1]) / 2
            case "lognormal":
                sigma = (math.log(v[1]) - math.log(v[0])) / _Z90
                return v[0] * math.exp(sigma * sigma / 2)
            case "empirical":
                return sum(v) / len(v)
            case _:
                return v[0]


def _poisson(rng: random.Random, mean: float) -> int:
    """Knuth's method, split into chunks of mean 30 so that exp(-mean) never underflows."""
    total = 0
    while mean > 0:
        part = min(mean, 30.0)
        mean -= part
        limit, k, p = math.exp(-part), 0, rng.random()
        while p > limit:
            p *= rng.random()
            k += 1
        total += k
    return total


def fixed(seconds: float, span: Span) -> Distribution:
    """A duration that is always `seconds`."""
    return Distribution("fixed", (seconds,), span)
