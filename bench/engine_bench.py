"""`python -m bench.engine_bench`: events per second of the stateful engine against parsing alone.

Generates (deterministically) a busy day of a large shop as a CONTRACT.md event
log, then times, each as the median of `--repeats` runs:

- parse: a plain loop that only reads the log: `json.loads` + `check_event` per line;
- engine: `Engine.feed` over the parsed events, records counted;
- pipeline: parse + feed + each record `json.dumps`-ed to /dev/null (what
  `policyc simulate --no-journal -o /dev/null` does, minus the report).

and prints the rates and the ratios engine / parse and pipeline / parse
(target: engine <= 1.5x the parse-only loop). `--profile` adds the engine's
hottest functions (cProfile). `--log FILE` writes the generated log there (or
reads it, when it exists).

The day (`generate`): agents in three shifts with jittered starts and a lunch
break (busy, then online again), one hidden spell each afternoon for a few;
buyers arriving by a day curve with a live-story burst at 15:00 and a flash
sale at 20:00; 15 % returning buyers (recent contact); agents that read,
answer and close the chats the engine actually gave them (so read, reply and
close events name real conversations), buyers that write again, transfers to
a group, a supervisor raising capacities during the burst, picks from the
queue, and a tick every minute. About 100 new buyers a day per agent (some
five events each); the days repeat until `--events`.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import heapq
import io
import json
import pstats
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from policyc.compiler import compile_file
from policyc.runtime.engine import Engine
from policyc.runtime.inputs import check_event
from policyc.runtime.router import Router

Event = dict[str, Any]
DAY = datetime.fromisoformat("2026-11-23T00:00:00+08:00")
SOURCES = (("product_page", 5), ("order_page", 3), ("live_story", 2))
GROUPS = (("presale", "product_page"), ("aftersale", "order_page"), ("live", "live_story"))
SHIFTS = ((8 * 60, 16 * 60, 11 * 60 + 30), (10 * 60, 19 * 60, 12 * 60 + 30),
          (14 * 60, 23 * 60, 18 * 60))  # (start, end, lunch) in minutes after midnight
# buyers arriving per hour, relative (the curve of a day), and the bursts
HOURLY = (1, 1, 0, 0, 0, 0, 1, 2, 4, 7, 9, 10, 8, 7, 9, 10, 9, 8, 7, 8, 11, 10, 6, 3)
BURSTS = ((15 * 60, 15 * 60 + 10, 6.0), (20 * 60, 20 * 60 + 30, 3.0))  # from, to, x rate
CHATS_PER_AGENT = 100  # new buyers a day per agent on the roster


def agent_id(i: int) -> str:
    return f"a{i:04d}"


def policy_yaml(n_agents: int) -> str:
    """The shop: `n_agents` in three source groups (a tenth ungrouped), capacity 12."""
    roster = ['  - {id: main, role: main, created_at: "2019-01-01T09:00:00+08:00"}']
    members: dict[str, list[str]] = {g: [] for g, _ in GROUPS}
    for i in range(n_agents):
        created = (datetime(2020, 1, 1, 9) + timedelta(hours=7 * i)).isoformat() + "+08:00"
        roster.append(f'  - {{id: {agent_id(i)}, created_at: "{created}", capacity: 12}}')
        if i % 10:
            members[GROUPS[i % 3][0]].append(agent_id(i))
    groups = []
    for name, source in GROUPS:
        groups += [f"  {name}:", f"    members: [{', '.join(members[name])}]",
                   f"    sources: [{source}]"]
    return "\n".join([
        f"# engine benchmark shop: {n_agents} agents, three source groups",
        "policyc: 1",
        "shop:",
        f"  id: engine-bench-{n_agents}",
        "  timezone: Asia/Taipei",
        "  grouping: on",
        "  include_main_account: true",
        f"  sources: [{', '.join(s for s, _ in SOURCES)}]",
        "roster:", *roster,
        "groups:", *groups,
        "selection:",
        "  strategy: fewest_unread",
        "route:",
        "  - {step: recent_contact, window: 3d, grace: 10m}",
        "  - bindings",
        "  - other_online",
        "  - {step: queue, when: shop.online > 0}",
        "  - main_account",
        "  - stage",
        "queue:",
        "  order: oldest_first",
        "  take_on_online: null",
        "staging:",
        "  mode: first_online",
        "  cap: 100",
        "timeouts:",
        "  close_read_idle: 30m",
        "",
    ])


def compile_router(n_agents: int) -> Router:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"engine-bench-{n_agents}.yaml"
        path.write_text(policy_yaml(n_agents), encoding="utf-8")
        artifact = compile_file(path).artifact
    if artifact is None:
        raise RuntimeError("the engine benchmark policy does not compile")
    return Router(artifact)


class Day:
    """One (or more) days of the shop, generated while an engine reacts to the events."""

    def __init__(self, router: Router, n_agents: int, n_events: int, seed: int) -> None:
        self.rng = random.Random(f"engine-bench:{n_agents}:{n_events}:{seed}")
        self.engine = Engine(router)
        self.n_agents = n_agents
        self.n_events = n_events
        self.todo: list[tuple[float, int, Event]] = []
        self.seq = 0
        self.buyers: list[str] = []
        self.per_day = CHATS_PER_AGENT * n_agents  # about five events each: days go on

    def push(self, second: float, event: Event) -> None:
        self.seq += 1
        heapq.heappush(self.todo, (round(second), self.seq, event))

    def plan(self, day: int) -> None:
        base = day * 86400.0
        rng = self.rng
        for i in range(self.n_agents):
            agent = agent_id(i)
            start, end, lunch = SHIFTS[i % 3]
            jitter = rng.uniform(-15, 15)
            self.push(base + (start + jitter) * 60, _status(agent, "online"))
            self.push(base + (lunch + rng.uniform(0, 60)) * 60, _status(agent, "busy"))
            back = lunch + 45 + rng.uniform(0, 75)
            self.push(base + back * 60, _status(agent, "online"))
            if rng.random() < 0.05:  # a hidden spell (S9)
                spell = rng.uniform(back + 10, end - 60)
                self.push(base + spell * 60, _status(agent, "hidden"))
                self.push(base + (spell + rng.uniform(5, 30)) * 60, _status(agent, "online"))
            self.push(base + (end + jitter) * 60, {"type": "wrap_up", "agent": agent})
            self.push(base + (end + jitter + 5) * 60, _status(agent, "offline"))
        for minute in range(24 * 60):
            self.push(base + minute * 60 + 59, {"type": "tick"})
        weights = [HOURLY[m // 60] * _burst(m) for m in range(24 * 60)]
        scale = self.per_day / sum(weights)
        for minute, w in enumerate(weights):
            for _ in range(_poisson(rng, w * scale)):
                self.push(base + minute * 60 + rng.uniform(0, 60), {"type": "arrival"})
        for minute in (15 * 60 + 2, 20 * 60 + 5):  # the supervisor raises caps in a burst
            for i in rng.sample(range(self.n_agents), max(1, self.n_agents // 10)):
                self.push(base + minute * 60, {"type": "set_capacity", "agent": agent_id(i),
                                               "capacity": 16})
            for i in rng.sample(range(self.n_agents), max(1, self.n_agents // 10)):
                self.push(base + (minute + 40) * 60, {"type": "set_capacity",
                                                      "agent": agent_id(i), "capacity": 12})

    def events(self) -> Iterator[Event]:
        day = 0
        made = 0
        while made < self.n_events:
            self.plan(day)
            while self.todo and made < self.n_events:
                second, _, planned = heapq.heappop(self.todo)
                event = self.ready(planned, second)
                if event is None:
                    continue
                made += 1
                yield event
                for rec in self.engine.feed(event):
                    self.react(rec, second)
            day += 1

    def ready(self, planned: Event, second: float) -> Event | None:
        """Fill in or drop what depends on the state at its time."""
        kind = planned["type"]
        at = (DAY + timedelta(seconds=second)).isoformat()
        if kind == "arrival":
            return {"type": "message", "at": at, "buyer": self.buyer(),
                    "source": self.source()}
        if kind == "arrival_again":  # the buyer writes again in (or after) its conversation
            return {"type": "message", "at": at, "buyer": planned["buyer"],
                    "source": self.source()}
        if kind == "wrap_up":  # before going offline an agent closes what it holds
            agent = planned["agent"]
            for conv in [c for c in self.engine.conversations.values() if c.agent == agent]:
                for i, step in enumerate(("read", "reply", "close")):
                    self.push(second + 1 + i, {"type": step, "agent": agent,
                                               "buyer": conv.buyer})
            return None
        if kind in ("read", "reply", "close", "transfer"):
            conv = self.engine.conversations.get(planned["buyer"])
            agents = self.engine.shop.agents
            if conv is None or conv.agent != planned["agent"] or \
                    agents[conv.agent].status == "offline":
                return None
        if kind == "pick" and not self.engine.shop.queue:
            return None
        return {"type": kind, "at": at, **{k: v for k, v in planned.items() if k != "type"}}

    def source(self) -> str:
        return self.rng.choices([s for s, _ in SOURCES], [w for _, w in SOURCES])[0]

    def buyer(self) -> str:
        if self.buyers and self.rng.random() < 0.15:  # a returning buyer (S8)
            return self.rng.choice(self.buyers[-2000:])
        self.buyers.append(f"b-{len(self.buyers):07d}")
        return self.buyers[-1]

    def react(self, rec: dict[str, Any], second: float) -> None:
        """An agent reads, answers and often closes what it got; buyers write again."""
        kind = rec["kind"]
        if kind == "route" and rec["outcome"] == "queued" and self.rng.random() < 0.1:
            online = [a for a in self.engine.shop.agents.values() if a.status == "online"]
            if online:
                self.push(second + 30, {"type": "pick",
                                        "agent": self.rng.choice(online).id})
        if kind not in ("route", "release", "transfer", "continued") or not rec.get("agent"):
            return
        rng = self.rng
        agent, buyer = rec["agent"], rec["buyer"]
        read = second + rng.uniform(20, 300)
        reply = read + rng.uniform(20, 180)
        self.push(read, {"type": "read", "agent": agent, "buyer": buyer})
        self.push(reply, {"type": "reply", "agent": agent, "buyer": buyer})
        if kind == "continued":
            return
        roll = rng.random()
        if roll < 0.01:
            group = GROUPS[rng.randrange(3)][0]
            self.push(reply + 30, {"type": "transfer", "agent": agent, "buyer": buyer,
                                   "to_group": group})
        elif roll < 0.4:
            self.push(reply + rng.uniform(30, 300), {"type": "arrival_again", "buyer": buyer})
        elif roll < 0.8:
            self.push(reply + rng.uniform(60, 600), {"type": "close", "agent": agent,
                                                     "buyer": buyer})


def _status(agent: str, status: str) -> Event:
    return {"type": "agent_status", "agent": agent, "status": status}


def _burst(minute: int) -> float:
    for lo, hi, x in BURSTS:
        if lo <= minute < hi:
            return x
    return 1.0


def _poisson(rng: random.Random, mean: float) -> int:
    """Knuth's method (means here are small); deterministic for the generator's seed."""
    limit, k, p = pow(2.718281828459045, -mean), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def generate(n_agents: int, n_events: int, seed: int = 1) -> tuple[str, str]:
    """(policy YAML, log as JSON Lines text): deterministic for the arguments."""
    router = compile_router(n_agents)
    day = Day(router, n_agents, n_events, seed)
    lines = [json.dumps(e, ensure_ascii=False) + "\n" for e in day.events()]
    return policy_yaml(n_agents), "".join(lines)


# -- timing ----------------------------------------------------------------------------------

def parse_only(lines: list[str], agents: set[str], groups: set[str]) -> list[Event]:
    return [check_event(json.loads(line), "log", agents, groups) for line in lines]


def engine_only(router: Router, events: list[Event]) -> int:
    feed = Engine(router).feed
    return sum(len(feed(e)) for e in events)


def pipeline(router: Router, lines: list[str], agents: set[str], groups: set[str]) -> int:
    feed = Engine(router).feed
    count = 0
    with open("/dev/null", "w", encoding="utf-8") as sink:
        for line in lines:
            for rec in feed(check_event(json.loads(line), "log", agents, groups)):
                sink.write(json.dumps(rec, ensure_ascii=False) + "\n")
                count += 1
    return count


def timed(run: Callable[[], object], repeats: int) -> float:
    """Median CPU seconds of `repeats` runs (GC collected before, off during each).

    CPU time of this process, as bench/harness.py: a busy machine slows the wall clock.
    """
    times = []
    for _ in range(repeats):
        gc.collect()
        gc.disable()
        start = time.process_time()
        run()
        times.append(time.process_time() - start)
        gc.enable()
    return statistics.median(times)


def profile(router: Router, events: list[Event], top: int) -> str:
    prof = cProfile.Profile()
    prof.enable()
    engine_only(router, events)
    prof.disable()
    out = io.StringIO()
    pstats.Stats(prof, stream=out).sort_stats("tottime").print_stats(top)
    return out.getvalue()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.engine_bench", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--agents", type=int, default=500)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--log", type=Path, help="write the generated log here, or read it")
    ap.add_argument("--profile", type=int, nargs="?", const=25, default=0, metavar="TOP",
                    help="print the engine's TOP hottest functions (cProfile)")
    args = ap.parse_args(argv)
    start = time.perf_counter()
    if args.log is not None and args.log.exists():
        text = args.log.read_text(encoding="utf-8")
    else:
        _, text = generate(args.agents, args.events, args.seed)
        if args.log is not None:
            args.log.write_text(text, encoding="utf-8")
    lines = text.splitlines()
    print(f"log: {len(lines):,} events, {args.agents} agents, seed {args.seed} "
          f"({time.perf_counter() - start:.1f} s to make)", file=sys.stderr, flush=True)
    router = compile_router(args.agents)
    agents = router.agent_ids
    groups = set(router.groups)
    events = parse_only(lines, agents, groups)
    kinds: dict[str, int] = {}
    for e in events:
        kinds[e["type"]] = kinds.get(e["type"], 0) + 1
    records = engine_only(router, events)
    t_parse = timed(lambda: parse_only(lines, agents, groups), args.repeats)
    t_engine = timed(lambda: engine_only(router, events), args.repeats)
    t_pipe = timed(lambda: pipeline(router, lines, agents, groups), args.repeats)
    n = len(events)
    print(f"engine benchmark: {n:,} events ({', '.join(f'{k} {v:,}' for k, v in kinds.items())})"
          f", {records:,} records; median of {args.repeats}, CPU time")
    for name, t in (("parse only (json.loads + check_event)", t_parse),
                    ("engine (feed, records counted)", t_engine),
                    ("pipeline (parse + feed + dumps to /dev/null)", t_pipe)):
        print(f"  {name:<46} {n / t:>10,.0f} events/s  {t:6.2f} s")
    print(f"  engine / parse:   {t_engine / t_parse:.2f}x  (target <= 1.5x)")
    print(f"  pipeline / parse: {t_pipe / t_parse:.2f}x")
    if args.profile:
        print(profile(router, events, args.profile))
    print(f"(total {time.perf_counter() - start:.0f} s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
