"""`python -m bench`: events per second of policyc against three anchors (issues 3, 13).

Prints, per shop size, the median rate of policyc (the decision alone, with
its trace rendered, and emitted as JSON with no trace and at each trace level)
and of the scan, indexed and zen-engine anchors (expression and JavaScript
models), with the garbage collector on and, for policyc and the indexed
anchor, off beside it; then the ratios between them, and how much each slows
down from the smallest to the largest shop. `--quick` is a smoke run at tiny
sizes.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import replace
from pathlib import Path

from policyc.runtime.atomic_write import write_atomic

from .harness import GC_OFF, IMPLS, QUICK, Settings, SizeResult, bench_size


def _rate(r: SizeResult, impl: str) -> float | None:
    m = r.measures.get(impl)
    return m.rate if m else None


def _ratio(a: float | None, b: float | None) -> str:
    return f"{a / b:.2f}x" if a and b else "-"


def _num(x: float | None) -> str:
    return f"{x:,.0f}" if x else "-"


def _grid(rows: list[tuple[str, ...]]) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(c.rjust(w) for c, w in zip(row, widths, strict=True)) for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return lines


# (heading, numerator, denominator) of the ratio table: rate / rate.
RATIOS = (
    ("pc/indexed", "policyc", "indexed"),
    ("gc-off", "policyc" + GC_OFF, "indexed" + GC_OFF),
    ("pc/scan", "policyc", "scan"),
    ("pc/zen", "policyc", "zen"),
    ("trace", "policyc", "policyc+trace"),
    ("json", "policyc", "json"),
    ("summary", "policyc", "json:summary"),
    ("fails", "policyc", "json:fails"),
    ("full", "policyc", "json:full"),
    ("pc gc-on", "policyc", "policyc" + GC_OFF),
    ("idx gc-on", "indexed", "indexed" + GC_OFF),
)


def table(results: list[SizeResult], s: Settings) -> str:
    columns = [c for c in (*IMPLS, *(i + GC_OFF for i in s.gc_off))
               if any(c in r.measures for r in results)]
    rates = [("agents", *columns)]
    rates += [(f"{r.n_agents:,}", *(_num(_rate(r, c)) for c in columns)) for r in results]
    ratios = [("agents", *(h for h, _, _ in RATIOS))]
    ratios += [(f"{r.n_agents:,}", *(_ratio(_rate(r, a), _rate(r, b)) for _, a, b in RATIOS))
               for r in results]
    clock = "CPU time of this process" if s.clock == "cpu" else "wall-clock time"
    out = [f"events/s ({clock}), median of {s.repeats} repeats, garbage collector on "
           f"(`{GC_OFF.strip()}`: off); each decision includes its state update; seed {s.seed}",
           *_grid(rates), "",
           "policyc = decide + apply; policyc+trace = with the trace built and rendered "
           "(its CONTRACT entries);",
           "json = + the record's JSON line as `simulate -o` writes it, with no trace; "
           "json:LEVEL = traced, at that level;",
           "zen = JDM expression node, zen-js = JDM function (JavaScript) node, both by "
           "ZenEngine.evaluate through a loader", "",
           "ratios (rate / rate, same run): pc/x = policyc / x (gc-off: both with the "
           "collector off); trace, json, summary,",
           "fails, full = cost of that column as a multiple of the decision alone "
           "(policyc / column); gc-on = rate with / without collector:",
           *_grid(ratios), ""]
    out.append("events timed per implementation (the whole stream, or a prefix of it for "
               "a slow anchor) and spread of the repeats ((max - min) / median):")
    for r in results:
        counts = ", ".join(f"{m.impl} {m.events:,} ({m.spread:.0%})"
                           for m in r.measures.values() if not m.impl.endswith(GC_OFF))
        out.append(f"  {r.n_agents:>6,} agents: {counts}")
    if len(results) > 1:
        small, big = results[0], results[-1]
        out += ["", f"cost at {big.n_agents:,} vs {small.n_agents:,} agents "
                "(rate at small / rate at big; 1.00x = flat):"]
        out += [f"  {impl:<18} {_ratio(_rate(small, impl), _rate(big, impl))}"
                for impl in columns if impl in small.measures and impl in big.measures]
    out += ["", "the stream: messages by the reason the indexed anchor gave, and the other "
            "events by type:"]
    for r in results:
        mix = ", ".join(f"{k} {v:,}" for k, v in r.reasons.most_common())
        changes = ", ".join(f"{k} {v:,}" for k, v in r.changes.most_common())
        out.append(f"  {r.n_agents:>6,} agents, {r.n_events:,} events: {mix}; {changes}")
    return "\n".join(out)


def as_json(results: list[SizeResult], s: Settings) -> dict[str, object]:
    return {
        "settings": {"clock": s.clock, "repeats": s.repeats, "seed": s.seed,
                     "events": s.n_events, "target_s": s.target},
        "sizes": [{"agents": r.n_agents, "reasons": dict(r.reasons),
                   "changes": dict(r.changes),
                   "impls": {m.impl: {"events": m.events, "median": m.rate, "rates": m.rates}
                             for m in r.measures.values()}}
                  for r in results],
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    ap.add_argument("--quick", action="store_true", help="tiny smoke run (seconds)")
    ap.add_argument("--sizes", type=lambda t: tuple(int(x) for x in t.split(",")),
                    help="comma-separated agent counts")
    ap.add_argument("--events", type=int, help="buyer messages per shop")
    ap.add_argument("--repeats", type=int)
    ap.add_argument("--target", type=float, help="seconds per timed repeat")
    ap.add_argument("--seed", type=int)
    ap.add_argument("--clock", choices=("cpu", "wall"),
                    help="time by this process's CPU time (default) or elapsed time")
    ap.add_argument("--impls", type=lambda t: tuple(t.split(",")),
                    help=f"subset of {','.join(IMPLS)}")
    ap.add_argument("--gc-off", type=lambda t: tuple(x for x in t.split(",") if x),
                    help="implementations also timed with the garbage collector off "
                         "(default policyc,indexed; '' for none)")
    ap.add_argument("--messages-only", action="store_true",
                    help="no status or capacity changes in the stream (issue 3's stream)")
    ap.add_argument("--json", metavar="FILE", help="also write every repeat's rate as JSON")
    args = ap.parse_args(argv)
    s = QUICK if args.quick else Settings()
    given = {"sizes": args.sizes, "n_events": args.events, "repeats": args.repeats,
             "target": args.target, "seed": args.seed, "impls": args.impls,
             "clock": args.clock, "gc_off": args.gc_off,
             "day": False if args.messages_only else None}
    s = replace(s, **{k: v for k, v in given.items() if v is not None})
    s = replace(s, gc_off=tuple(i for i in s.gc_off if i in s.impls))
    unknown = set(s.impls) - set(IMPLS)
    if unknown:
        ap.error(f"unknown implementation(s): {', '.join(sorted(unknown))}")
    start = time.perf_counter()
    results = []
    for n in s.sizes:
        print(f"{n:,} agents ...", file=sys.stderr, flush=True)
        results.append(bench_size(n, s, lambda line: print(line, file=sys.stderr, flush=True)))
    print(table(results, s))
    print(f"\n(total {time.perf_counter() - start:.0f} s)")
    if args.json:
        write_atomic(Path(args.json), json.dumps(as_json(results, s), indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
