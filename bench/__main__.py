"""`python -m bench`: decisions per second of policyc against three anchors (issue 3).

Prints, per shop size, the median decisions/s of policyc (trace off and on)
and of the scan, indexed and zen-engine anchors (expression and JavaScript
models), the ratios between them, and
how much each slows down from the smallest to the largest shop. `--quick` is a
smoke run at tiny sizes.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import replace
from pathlib import Path

from policyc.runtime.atomic_write import write_atomic

from .harness import IMPLS, QUICK, Settings, SizeResult, bench_size


def _rate(r: SizeResult, impl: str) -> float | None:
    m = r.measures.get(impl)
    return m.rate if m else None


def _ratio(a: float | None, b: float | None) -> str:
    return f"{a / b:.2f}x" if a and b else "-"


def _num(x: float | None) -> str:
    return f"{x:,.0f}" if x else "-"


def table(results: list[SizeResult], s: Settings) -> str:
    head = ("agents", "policyc", "pc+trace", "scan", "indexed", "zen", "zen-js",
            "pc/indexed", "pc/scan", "pc/zen", "trace cost")
    rows = [head]
    for r in results:
        pc, tr = _rate(r, "policyc"), _rate(r, "policyc+trace")
        rows.append((f"{r.n_agents:,}", _num(pc), _num(tr), _num(_rate(r, "scan")),
                     _num(_rate(r, "indexed")), _num(_rate(r, "zen")), _num(_rate(r, "zen-js")),
                     _ratio(pc, _rate(r, "indexed")), _ratio(pc, _rate(r, "scan")),
                     _ratio(pc, _rate(r, "zen")), _ratio(pc, tr)))
    widths = [max(len(row[i]) for row in rows) for i in range(len(head))]
    lines = ["  ".join(c.rjust(w) for c, w in zip(row, widths, strict=True)) for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    clock = "CPU time of this process" if s.clock == "cpu" else "wall-clock time"
    out = [f"decisions/s ({clock}), median of {s.repeats} repeats; each decision includes "
           f"its state update; seed {s.seed}", *lines, "",
           "pc/x = policyc rate / x rate; trace cost = trace-off rate / trace-on rate;",
           "zen = JDM expression node, zen-js = JDM function (JavaScript) node", ""]
    out.append("events timed per implementation (prefix of the same stream) "
               "and spread of the repeats ((max - min) / median):")
    for r in results:
        counts = ", ".join(f"{m.impl} {m.events:,} ({m.spread:.0%})"
                           for m in r.measures.values())
        out.append(f"  {r.n_agents:>6,} agents: {counts}")
    if len(results) > 1:
        small, big = results[0], results[-1]
        out += ["", f"cost at {big.n_agents:,} vs {small.n_agents:,} agents "
                "(rate at small / rate at big; 1.00x = flat):"]
        out += [f"  {impl:<14} {_ratio(_rate(small, impl), _rate(big, impl))}"
                for impl in s.impls if impl in small.measures and impl in big.measures]
    out += ["", "reasons over the whole stream (indexed anchor):"]
    for r in results:
        mix = ", ".join(f"{k} {v:,}" for k, v in r.reasons.most_common())
        out.append(f"  {r.n_agents:>6,} agents, {r.n_events:,} events: {mix}")
    return "\n".join(out)


def as_json(results: list[SizeResult], s: Settings) -> dict[str, object]:
    return {
        "settings": {"clock": s.clock, "repeats": s.repeats, "seed": s.seed,
                     "events": s.n_events, "target_s": s.target},
        "sizes": [{"agents": r.n_agents, "reasons": dict(r.reasons),
                   "impls": {m.impl: {"events": m.events, "median": m.rate, "rates": m.rates}
                             for m in r.measures.values()}}
                  for r in results],
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    ap.add_argument("--quick", action="store_true", help="tiny smoke run (seconds)")
    ap.add_argument("--sizes", type=lambda t: tuple(int(x) for x in t.split(",")),
                    help="comma-separated agent counts")
    ap.add_argument("--events", type=int, help="events per shop")
    ap.add_argument("--repeats", type=int)
    ap.add_argument("--target", type=float, help="seconds per timed repeat")
    ap.add_argument("--seed", type=int)
    ap.add_argument("--clock", choices=("cpu", "wall"),
                    help="time by this process's CPU time (default) or elapsed time")
    ap.add_argument("--impls", type=lambda t: tuple(t.split(",")),
                    help=f"subset of {','.join(IMPLS)}")
    ap.add_argument("--json", metavar="FILE", help="also write every repeat's rate as JSON")
    args = ap.parse_args(argv)
    s = QUICK if args.quick else Settings()
    given = {"sizes": args.sizes, "n_events": args.events, "repeats": args.repeats,
             "target": args.target, "seed": args.seed, "impls": args.impls,
             "clock": args.clock}
    s = replace(s, **{k: v for k, v in given.items() if v is not None})
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
