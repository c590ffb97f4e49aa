"""Time policyc's router and the three anchors on the same shops and events.

For each shop size: generate the inputs once; run the indexed anchor over all
events as the reference; for every implementation, pick a prefix long enough
for about `target` seconds per repeat, check (untimed) that it decides every
event of that prefix exactly as the reference does, then time `repeats` runs
from a fresh state and keep the median. Each decision includes its state
update (policyc: `decide` then `apply`). Repeats are interleaved across the
implementations so that ratios are robust to a busy machine.
"""

from __future__ import annotations

import gc
import statistics
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from .anchor_indexed import IndexedRouter
from .anchor_scan import ScanRouter
from .shop_gen import generate
from .shop_model import Decision, read_policy

IMPLS = ("policyc", "policyc+trace", "scan", "indexed", "zen", "zen-js")


class Decider(Protocol):
    def decide(self, event: dict[str, Any]) -> Decision: ...


Factory = Callable[[], Decider]


@dataclass(frozen=True)
class Settings:
    sizes: tuple[int, ...] = (10, 100, 1_000, 10_000)
    n_events: int = 20_000
    repeats: int = 5
    target: float = 0.6  # seconds per timed repeat
    min_events: int = 40
    pilot: int = 50
    seed: int = 1
    impls: tuple[str, ...] = IMPLS
    clock: str = "cpu"  # cpu: this process's CPU time; wall: elapsed time


QUICK = Settings(sizes=(10, 100), n_events=400, repeats=3, target=0.02, min_events=20,
                 pilot=20)


@dataclass
class Measure:
    impl: str
    events: int  # prefix length timed
    rates: list[float]  # decisions per second, one per repeat

    @property
    def rate(self) -> float:
        return statistics.median(self.rates)

    @property
    def spread(self) -> float:
        """(max - min) / median of the repeats: how noisy the machine was."""
        return (max(self.rates) - min(self.rates)) / self.rate


@dataclass
class SizeResult:
    n_agents: int
    n_events: int
    reasons: Counter[str]
    measures: dict[str, Measure] = field(default_factory=dict)


class Disagreement(AssertionError):
    """An implementation decided an event differently from the reference."""


def factories(policy_yaml: str, snapshot: dict[str, Any],
              impls: tuple[str, ...]) -> dict[str, Factory]:
    """One fresh-state constructor per implementation (set-up is never timed)."""
    policy = read_policy(policy_yaml)
    made: dict[str, Factory] = {
        "scan": lambda: ScanRouter(policy, snapshot),
        "indexed": lambda: IndexedRouter(policy, snapshot),
    }
    if "zen" in impls or "zen-js" in impls:
        from .anchor_zen import ZenRouter
        made["zen"] = lambda: ZenRouter(policy, snapshot, "expression")
        made["zen-js"] = lambda: ZenRouter(policy, snapshot, "function")
    if "policyc" in impls or "policyc+trace" in impls:
        from .policyc_side import PolicycRouter, compile_router
        router = compile_router(policy_yaml)
        made["policyc"] = lambda: PolicycRouter(router, snapshot, trace=False)
        made["policyc+trace"] = lambda: PolicycRouter(router, snapshot, trace=True)
    return {name: made[name] for name in impls}


CLOCKS: dict[str, Callable[[], float]] = {"cpu": time.process_time, "wall": time.perf_counter}


def run(decider: Decider, events: list[dict[str, Any]], clock: str = "cpu") -> float:
    """Decide every event in order; return the seconds taken (GC off, as timeit does).

    The default clock is the process's CPU time: on a shared machine it leaves
    out the time other processes hold the cores, which wall time does not.
    """
    now = CLOCKS[clock]
    decide = decider.decide
    gc.disable()
    try:
        start = now()
        for event in events:
            decide(event)
        return now() - start
    finally:
        gc.enable()


def check(name: str, make: Factory, events: list[dict[str, Any]],
          reference: list[Decision], clock: str = "cpu") -> float:
    """Decide `events` recording decisions; raise `Disagreement` at the first difference."""
    now = CLOCKS[clock]
    decider = make()
    start = now()
    got = [decider.decide(e) for e in events]
    elapsed = now() - start
    for i, (mine, ref) in enumerate(zip(got, reference, strict=False)):
        if mine != ref:
            raise Disagreement(f"{name} disagrees with the indexed anchor at event {i} "
                               f"{events[i]}: {mine} != {ref}")
    return elapsed


def prefix_length(name: str, make: Factory, events: list[dict[str, Any]],
                  reference: list[Decision], s: Settings) -> int:
    """Events to time for about `s.target` seconds; checks agreement on all of them."""
    pilot = events[:s.pilot]
    per_event = max(check(name, make, pilot, reference, s.clock), 1e-9) / len(pilot)
    n = max(s.min_events, min(len(events), int(s.target / per_event)))
    if n > len(pilot):
        check(name, make, events[:n], reference, s.clock)
    return n


def bench_size(n_agents: int, s: Settings,
               progress: Callable[[str], None] = lambda _: None) -> SizeResult:
    policy_yaml, snapshot, events = generate(n_agents, s.n_events, s.seed)
    makers = factories(policy_yaml, snapshot, s.impls)
    indexed = makers["indexed"] if "indexed" in makers else (
        lambda: IndexedRouter(policy_yaml, snapshot))
    reference = [d.decide(e) for d in [indexed()] for e in events]
    result = SizeResult(n_agents, len(events), Counter(d[2] for d in reference))
    for name, make in makers.items():
        n = prefix_length(name, make, events, reference, s)
        result.measures[name] = Measure(name, n, [])
    # Repeats go round the implementations, so a slow spell of a shared machine
    # hits all of them alike instead of one.
    for _ in range(s.repeats):
        gc.collect()  # once a round: a full collection costs ~50 ms with networkx loaded
        for name, make in makers.items():
            m = result.measures[name]
            m.rates.append(m.events / run(make(), events[:m.events], s.clock))
    for m in result.measures.values():
        progress(f"  {n_agents:>6} agents  {m.impl:<14} {m.rate:>12,.0f}/s  "
                 f"({m.events} events, spread {m.spread:.0%})")
    return result
