"""Explaining one buyer from the decision log (`explain --decisions`) against replaying the day.

`python -m bench.decision_log_bench [--events N] [--agents N] [--dir DIR] [--repeats N]`
(default 1,000,000 events, 500 agents, 5 repeats) generates the busy shop of
bench/engine_bench.py once into DIR (kept for the next run), simulates it with
`policyc simulate -o DECISIONS --trace fails` (which keeps the policy revision
and writes the SQLite index beside the records), picks the buyer with the most
records, and then times, each in a fresh child process that has already
imported policyc:

- `replay`: `policyc explain POLICY --log DAY --buyer B --format json` (compile,
  replay the whole day with a trace, keep the buyer's records);
- `decisions`: `policyc explain --decisions DECISIONS --buyer B --format json`
  (open the index, read the buyer's lines at their offsets).

For each: the wall time of the command and the peak resident memory it added
over the child's baseline after the imports (`ru_maxrss`), medians of the
repeats (the replay runs once unless `--replay-repeats`). Both answers must be
byte-identical (the bench stops otherwise). It prints both, and the ratios
decisions / replay; the target is under 1 % in time and in memory. It also
prints the one-off costs the index path pays elsewhere: simulate with
`-o` and building the index alone.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import resource
import sqlite3
import statistics
import subprocess
import sys
import time
from contextlib import redirect_stdout
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def child(argv: list[str]) -> int:
    """Run one `policyc` command in this (fresh) process; print its figures as JSON."""
    from policyc.cli import build_parser, main

    build_parser()  # every command module imported before the baseline is taken
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    out = io.StringIO()
    start = time.perf_counter()
    with redirect_stdout(out):
        status = main(argv)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    digest = hashlib.sha256(out.getvalue().encode("utf-8")).hexdigest()
    print(json.dumps({"status": status, "seconds": seconds, "added_mb": (peak - base) / 1024,
                      "base_mb": base / 1024, "sha256": digest, "bytes": len(out.getvalue())}))
    return 0


def measure(argv: list[str]) -> dict[str, float | str | int]:
    """`child(argv)` in a fresh interpreter."""
    done = subprocess.run([sys.executable, "-m", "bench.decision_log_bench", "--child", *argv],
                          cwd=ROOT, capture_output=True, text=True, check=True)
    figures: dict[str, float | str | int] = json.loads(done.stdout.splitlines()[-1])
    if figures["status"] != 0:
        raise SystemExit(f"policyc {' '.join(argv)} exited {figures['status']}: {done.stderr}")
    return figures


def prepare(folder: Path, events: int, agents: int) -> tuple[Path, Path, Path, dict[str, float]]:
    """(policy, day, decisions, one-off costs): generated and simulated once per folder."""
    folder.mkdir(parents=True, exist_ok=True)
    policy, day = folder / "policy.yaml", folder / "day.jsonl"
    decisions = folder / "decisions.jsonl"
    costs: dict[str, float] = {}
    if not day.exists():
        from bench.engine_bench import generate

        start = time.perf_counter()
        text, log = generate(agents, events)
        policy.write_text(text, encoding="utf-8")
        day.write_text(log, encoding="utf-8")
        costs["generate_s"] = time.perf_counter() - start
    if not decisions.exists() or decisions.stat().st_mtime < day.stat().st_mtime \
            or _recorded_policy(decisions) != _policy_hash(policy):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "policyc", "simulate", str(policy), "--log",
                        str(day), "-o", str(decisions), "--trace", "fails", "--no-journal"],
                       cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
        costs["simulate_o_s"] = time.perf_counter() - start
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import sys; from pathlib import Path; "
                    "from policyc.decision_log import build_index; "
                    "build_index(Path(sys.argv[1]), 'fails')", str(decisions)],
                   cwd=ROOT, check=True)
    costs["index_s"] = time.perf_counter() - start
    return policy, day, decisions, costs


def _recorded_policy(decisions: Path) -> str | None:
    """The policy hash the first record names (records of an older policyc may differ)."""
    with decisions.open(encoding="utf-8") as handle:
        first = handle.readline()
    return json.loads(first).get("policy") if first.strip() else None


def _policy_hash(policy: Path) -> str:
    from policyc.api import load

    return load(policy).policy_hash


def busiest_buyer(decisions: Path) -> tuple[str, int]:
    """The buyer with the most records (the index's worst case)."""
    from policyc.decision_log import index_path

    db = sqlite3.connect(index_path(decisions))
    row = db.execute("SELECT buyer, count(*) AS n FROM records WHERE kind != 'ignored' "
                     "GROUP BY buyer ORDER BY n DESC, buyer LIMIT 1").fetchone()
    db.close()
    return str(row[0]), int(row[1])


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["--child"]:
        return child(args[1:])
    ap = argparse.ArgumentParser(prog="python -m bench.decision_log_bench", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--agents", type=int, default=500)
    ap.add_argument("--dir", type=Path, help="where the day and its decisions are kept "
                                             "(default: a folder under the temp dir)")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--replay-repeats", type=int, default=1)
    ap.add_argument("--buyer", help="the buyer to explain (default: the one with most records)")
    opts = ap.parse_args(args)
    folder = opts.dir or Path(os.environ.get("TMPDIR", "/tmp")) / \
        f"policyc-decision-log-{opts.events}-{opts.agents}"
    policy, day, decisions, costs = prepare(folder, opts.events, opts.agents)
    buyer, count = (opts.buyer, 0) if opts.buyer else busiest_buyer(decisions)
    ask = ["--buyer", buyer, "--format", "json"]
    replay = [measure(["explain", str(policy), "--log", str(day), *ask])
              for _ in range(opts.replay_repeats)]
    indexed = [measure(["explain", "--decisions", str(decisions), *ask])
               for _ in range(opts.repeats)]
    if {r["sha256"] for r in replay} != {r["sha256"] for r in indexed}:
        raise SystemExit("the answers differ: explain --decisions is not the replay's answer")
    lines = sum(1 for _ in day.open("rb"))
    print(f"{lines:,} events, {day.stat().st_size / 2**20:.0f} MiB log; decisions "
          f"{decisions.stat().st_size / 2**20:.0f} MiB; buyer {buyer}"
          + (f" ({count} records)" if count else "")
          + f"; answer {indexed[0]['bytes']:,} bytes, identical")
    print("one-off: " + ", ".join(f"{k} {v:.1f}" for k, v in costs.items()))
    print(f"{'':<10}{'seconds':>10}{'added MiB':>12}   (child baseline after imports "
          f"{statistics.median(float(r['base_mb']) for r in indexed):.0f} MiB)")
    rows = {"replay": replay, "decisions": indexed}
    med = {name: (statistics.median(float(r["seconds"]) for r in runs),
                  statistics.median(float(r["added_mb"]) for r in runs))
           for name, runs in rows.items()}
    for name, (secs, mib) in med.items():
        print(f"{name:<10}{secs:>10.3f}{mib:>12.1f}")
    t_ratio = med["decisions"][0] / med["replay"][0]
    m_ratio = max(med["decisions"][1], 0.0) / med["replay"][1]
    print(f"ratio decisions/replay: time {t_ratio:.4%}, memory {m_ratio:.4%} "
          f"(target < 1 % each: {'met' if t_ratio < 0.01 and m_ratio < 0.01 else 'NOT met'})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
