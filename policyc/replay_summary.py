"""The report of a replay (`policyc simulate`), counted one record at a time.

`Tally.add` takes each record as the engine makes it, so a replay of any
length never holds its records: what the report lists grows only with what
it lists (ignored events, pool runs that did something), not with the log.
`summarize` is the same report over a list of records (workload runs keep theirs).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

from .runtime.catalog import N_, say
from .runtime.counters import counters_text
from .runtime.engine import Engine
from .runtime.offline_pool import runs_summary, runs_text
from .runtime.records import DECIDED, Record

_DECIDED = frozenset(DECIDED)


class Tally:
    """What the report counts, from the records seen so far."""

    def __init__(self) -> None:
        self.records = 0
        self.kinds: Counter[str] = Counter()
        self.outcomes: Counter[str] = Counter()
        self.reasons: Counter[str] = Counter()
        self.closed: Counter[str] = Counter()
        self.ignored: list[str] = []
        self.agents: dict[str, Counter[str]] = {}
        self.pool_runs: list[Record] = []  # one a slot at most: a few dozen a day

    def add(self, r: Record) -> None:
        """Count one record."""
        self.records += 1
        kind = r["kind"]
        self.kinds[kind] += 1
        if kind in _DECIDED:
            reason = str(r["reason"])
            self.outcomes[str(r["outcome"])] += 1
            self.reasons[reason] += 1
            agent = r["agent"] if r["outcome"] == "assigned" else None  # not an offer
            if agent is not None:
                counts = self.agents.get(agent)
                if counts is None:
                    counts = self.agents[agent] = Counter()
                counts[reason] += 1
        elif kind == "closed":
            self.closed[str(r["why"])] += 1
        elif kind == "ignored":
            self.ignored.append(f"{r['at']} {r['event']['type']}: {r['why']}")
        elif kind == "pool_run":
            self.pool_runs.append(r)

    def add_all(self, records: Iterable[Record]) -> None:
        """Count each of `records`."""
        for r in records:
            self.add(r)

    def summary(self, engine: Engine, events: int, log: str) -> dict[str, Any]:
        """The report: counts by kind, outcome and reason, per-agent assignments, what
        still waits (read from the engine as it is now)."""
        open_now = Counter(c.agent for c in engine.conversations.values())
        waiting = engine.waiting() if engine.state is not None else {}
        return {
            "log": log, "policy": engine.router.policy_hash, "events": events,
            "records": self.records,
            "kinds": _ranked(self.kinds),
            "outcomes": _ranked(self.outcomes),
            "reasons": _ranked(self.reasons),
            "closed": _ranked(self.closed),
            "ignored": list(self.ignored),
            "agents": {a: {"assigned": sum(c.values()), "open": open_now.get(a, 0),
                           "reasons": _ranked(c)} for a, c in sorted(self.agents.items())},
            "waiting": {place: [{"buyer": e["buyer"], "since": e["at"], "reason": e["reason"],
                                 **({"agent": e["agent"]} if e.get("agent") else {})}
                                for e in entries]
                        for place, entries in waiting.items()},
            "counters": engine.counters(),  # S13, Y14 (runtime/counters.py)
            "pool_runs": runs_summary(self.pool_runs),  # T8 (runtime/offline_pool.py)
        }


def summarize(engine: Engine, records: list[Record], events: int, log: str) -> dict[str, Any]:
    """The report of a replay whose records are all at hand (`Tally` over them)."""
    tally = Tally()
    tally.add_all(records)
    return tally.summary(engine, events, log)


def _ranked(counted: Counter[str]) -> dict[str, int]:
    """Most first, then by name: the report's order, whatever order they came in."""
    return dict(sorted(counted.items(), key=lambda kv: (-kv[1], kv[0])))


def render_text(s: dict[str, Any], lang: str = "en") -> str:
    """The `summarize` report as text; long lists are cut (the JSON has them all)."""
    def line(counts: dict[str, int]) -> str:
        return ", ".join(f"{k} {v}" for k, v in counts.items()) or say(lang, N_("none"))

    out = [say(lang, N_("simulated {events} events from {log} ({policy}...)"),
               events=s["events"], log=s["log"], policy=s["policy"][:19]),
           say(lang, N_("records:  {n} ({kinds})"), n=s["records"], kinds=line(s["kinds"])),
           say(lang, N_("outcomes: {counts}"), counts=line(s["outcomes"])),
           say(lang, N_("reasons:  {counts}"), counts=line(s["reasons"])),
           say(lang, N_("closed on tick: {counts}"), counts=line(s["closed"]))]
    out.append(say(lang, N_("agents:")) if s["agents"]
               else say(lang, N_("agents: nobody was assigned a chat")))
    width = max((len(a) for a in s["agents"]), default=0)
    for agent, row in s["agents"].items():
        out.append(f"  {agent:<{width}}  " + say(
            lang, N_("{assigned} assigned, {open} open  ({reasons})"),
            assigned=f"{row['assigned']:>4}", open=f"{row['open']:>3}",
            reasons=line(row["reasons"])))
    still = {p: rows for p, rows in s["waiting"].items() if rows}
    out.append(say(lang, N_("still waiting:")) if still
               else say(lang, N_("still waiting: none")))
    for place, rows in still.items():
        names = ", ".join(r["buyer"] + (say(lang, N_(" (for {agent})"), agent=r["agent"])
                                        if "agent" in r else "")
                          for r in rows[:10])
        more = say(lang, N_(", ... {n} more"), n=len(rows) - 10) if len(rows) > 10 else ""
        out.append(f"  {place:<8} {len(rows):>4}: {names}{more}")
    out.extend(runs_text(s.get("pool_runs") or {}, lang=lang))
    out.extend(counters_text(s.get("counters") or {}, lang=lang))
    for note in s["ignored"][:10]:
        out.append(say(lang, N_("ignored: {note}"), note=note))
    if len(s["ignored"]) > 10:
        out.append(say(lang, N_("ignored: ... {n} more (see --format json)"),
                       n=len(s["ignored"]) - 10))
    return "\n".join(out) + "\n"
