"""Time policyc's router and the three anchors on the same shops and events.

For each shop size: generate the inputs once; run the indexed anchor over all
events as the reference; policyc's columns and the indexed anchor time the
whole stream, each slower anchor a prefix long enough for about `target`
seconds per repeat; every implementation first decides (untimed) what it will
be timed on and must agree with the reference on every event. Then `repeats`
runs from a fresh state, with the garbage collector on as in production (and,
for the columns in `gc_off`, again with it off), keeping the median. Each
decision includes its state update (policyc: `decide` then `apply`). Repeats
are interleaved across the implementations so that ratios are robust to a busy
machine.
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

IMPLS = ("policyc", "policyc+trace", "json", "json:summary", "json:fails", "json:full",
         "scan", "indexed", "zen", "zen-js")
# Timed on the whole stream, so their mix of route steps is the stream's.
WHOLE = frozenset({"policyc", "policyc+trace", "json", "json:summary", "json:fails",
                   "json:full", "indexed"})
GC_OFF = " gc-off"  # suffix of a column timed with the collector off


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
    gc_off: tuple[str, ...] = ("policyc", "indexed")  # also timed with the collector off
    day: bool = True  # status and capacity changes between the messages (shop_gen)


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
    reasons: Counter[str]  # of the messages, by the reference
    changes: Counter[str]  # the other events, by type
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
    from .policyc_side import MODES, PolicycRouter, compile_router
    if set(MODES) & set(impls):
        router = compile_router(policy_yaml)
        for mode in MODES:
            made[mode] = lambda mode=mode: PolicycRouter(router, snapshot, mode=mode)
    return {name: made[name] for name in impls}


CLOCKS: dict[str, Callable[[], float]] = {"cpu": time.process_time, "wall": time.perf_counter}


def run(decider: Decider, events: list[dict[str, Any]], clock: str = "cpu",
        collect: bool = True) -> float:
    """Decide every event in order; return the seconds taken, with the garbage
    collector on (`collect`, as in production) or off (as timeit does).

    The default clock is the process's CPU time: on a shared machine it leaves
    out the time other processes hold the cores, which wall time does not.
    """
    now = CLOCKS[clock]
    decide = decider.decide
    gc.collect()  # the previous run's garbage is not this run's to collect
    if not collect:
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
    """Events to time (the whole stream, or about `s.target` seconds of it for a slow
    anchor); checks agreement on all of them."""
    if name in WHOLE:
        check(name, make, events, reference, s.clock)
        return len(events)
    pilot = events[:s.pilot]
    per_event = max(check(name, make, pilot, reference, s.clock), 1e-9) / len(pilot)
    n = max(s.min_events, min(len(events), int(s.target / per_event)))
    if n > len(pilot):
        check(name, make, events[:n], reference, s.clock)
    return n


def bench_size(n_agents: int, s: Settings,
               progress: Callable[[str], None] = lambda _: None) -> SizeResult:
    policy_yaml, snapshot, events = generate(n_agents, s.n_events, s.seed, s.day)
    makers = factories(policy_yaml, snapshot, s.impls)
    indexed = makers["indexed"] if "indexed" in makers else (
        lambda: IndexedRouter(policy_yaml, snapshot))
    reference = [d.decide(e) for d in [indexed()] for e in events]
    result = SizeResult(n_agents, len(events),
                        Counter(d[2] for d, e in zip(reference, events, strict=True)
                                if e["type"] == "message"),
                        Counter(e["type"] for e in events if e["type"] != "message"))
    timed: list[tuple[str, Factory, bool]] = []
    for name, make in makers.items():
        n = prefix_length(name, make, events, reference, s)
        result.measures[name] = Measure(name, n, [])
        timed.append((name, make, True))
        if name in s.gc_off:
            result.measures[name + GC_OFF] = Measure(name + GC_OFF, n, [])
            timed.append((name + GC_OFF, make, False))
    # Repeats go round the implementations, so a slow spell of a shared machine
    # hits all of them alike instead of one.
    for _ in range(s.repeats):
        for name, make, collect in timed:
            m = result.measures[name]
            m.rates.append(m.events / run(make(), events[:m.events], s.clock, collect))
    for m in result.measures.values():
        progress(f"  {n_agents:>6} agents  {m.impl:<14} {m.rate:>12,.0f}/s  "
                 f"({m.events} events, spread {m.spread:.0%})")
    return result
