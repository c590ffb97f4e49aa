"""`python -m bench.simulate_bench`: `policyc simulate` end to end against parsing the same log.

Generates (deterministically, bench/engine_bench.py's busy day, 500 agents) a
log of `--events` events, and takes its first half as a second, shorter log
(a prefix of a log is a log). For each log it runs, each in a fresh process,
`--repeats` times interleaved:

- parse: a process that compiles the policy and reads the log as a plain loop,
  `json.loads` + `check_event` per line, nothing kept;
- `simulate POLICY --log LOG --format json` (the report only);
- `simulate ... -o OUT --no-journal` (the records written, with the policy
  revision and the index beside them);
- with `--journal`, also `simulate ... -o OUT` (journaled, the default of `-o`).

and prints each one's median CPU time (user + system of that process, so other
sessions on a shared machine count less than on the wall clock; the wall time
beside it), its ratio to the parse process of the same log (target: <= 3x), and
its peak resident memory (`ru_maxrss`; target: < 400 MB and no growth from the
short log to the long one). Exits 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.engine_bench import generate, policy_yaml

ROOT = Path(__file__).resolve().parents[1]
TARGET_RATIO = 3.0
TARGET_MB = 400.0
GROWTH = 1.25  # peak memory of the long log within this factor of the short one's


def parse_loop(policy: Path, log: Path) -> None:
    """The parse-only process: compile the policy, read every line, keep nothing."""
    from policyc.api import load
    from policyc.runtime.inputs import check_event

    router = load(policy)
    agents, groups = router.agent_ids, set(router.groups)
    loads = json.loads
    count = 0
    with log.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                check_event(loads(line), "log", agents, groups)
                count += 1
    print(count)


def write_logs(folder: Path, agents: int, events: int, log: Path | None) -> None:
    """The policy, the long log (generated, or read from `log`) and its first half."""
    if log is not None and log.exists():
        text = log.read_text(encoding="utf-8")
    else:
        text = generate(agents, events)[1]
        if log is not None:
            log.write_text(text, encoding="utf-8")
    (folder / "shop.yaml").write_text(policy_yaml(agents), encoding="utf-8")
    lines = text.splitlines(keepends=True)
    for name, n in (("short", len(lines) // 2), ("long", len(lines))):
        (folder / f"{name}.jsonl").write_text("".join(lines[:n]), encoding="utf-8")


def run(argv: list[str]) -> tuple[float, float, float]:
    """(CPU seconds, wall seconds, peak MB) of one child process."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=ROOT)
    assert proc.stderr is not None
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if status != 0:
        raise SystemExit(f"{' '.join(argv)} failed:\n{err.decode()}")
    return usage.ru_utime + usage.ru_stime, wall, usage.ru_maxrss / 1024


def commands(policy: Path, log: Path, out: Path, journal: bool,
             with_output: bool = True) -> dict[str, list[str]]:
    simulate = [sys.executable, "-m", "policyc", "simulate", str(policy), "--log", str(log)]
    found = {
        "parse": [sys.executable, "-m", "bench.simulate_bench", "--parse-only", str(policy),
                  str(log)],
        "simulate": [*simulate, "--format", "json"],
    }
    if with_output:
        found["simulate -o"] = [*simulate, "-o", str(out), "--no-journal"]
    if journal:
        found["simulate -o (journal)"] = [*simulate, "-o", str(out)]
    return found


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.simulate_bench", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--agents", type=int, default=500)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--journal", action="store_true", help="also time the journaled -o run")
    ap.add_argument("--no-output", action="store_true",
                    help="time the report-only run alone (no -o), e.g. for long logs")
    ap.add_argument("--log", type=Path, help="write the generated log here, or read it")
    ap.add_argument("--parse-only", nargs=2, type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--write-logs", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.parse_only:
        parse_loop(*args.parse_only)
        return 0
    if args.write_logs:
        write_logs(args.write_logs, args.agents, args.events, args.log)
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        # In a child: this process stays small, so the peak memory each child reports
        # (which counts what it shared with this one before it started) is its own.
        subprocess.run([sys.executable, "-m", "bench.simulate_bench", "--write-logs", tmp,
                        "--agents", str(args.agents), "--events", str(args.events),
                        *(["--log", str(args.log)] if args.log else [])], check=True, cwd=ROOT)
        policy = folder / "shop.yaml"
        logs = {name: folder / f"{name}.jsonl" for name in ("short", "long")}
        results: dict[tuple[str, str], list[tuple[float, float, float]]] = {}
        for _ in range(args.repeats):
            for name, log in logs.items():
                for what, cmd in commands(policy, log, folder / "out.jsonl", args.journal,
                                          not args.no_output).items():
                    results.setdefault((name, what), []).append(run(cmd))
        sizes = {name: sum(1 for _ in log.open(encoding="utf-8")) for name, log in logs.items()}
    ok = True
    print(f"simulate end to end, {args.agents} agents; median of {args.repeats}, CPU time of "
          f"each process (wall beside it); load average {os.getloadavg()[0]:.1f} on "
          f"{os.cpu_count()} CPUs")
    peaks: dict[tuple[str, str], float] = {}
    for name in logs:
        base = statistics.median(r[0] for r in results[(name, "parse")])
        print(f"{name} log: {sizes[name]:,} events")
        for (log_name, what), rows in results.items():
            if log_name != name:
                continue
            cpu = statistics.median(r[0] for r in rows)
            wall = statistics.median(r[1] for r in rows)
            peak = peaks[(name, what)] = max(r[2] for r in rows)
            ratio = cpu / base
            flag = ""
            if what != "parse" and (ratio > TARGET_RATIO or peak > TARGET_MB):
                flag, ok = "  OVER TARGET", False
            print(f"  {what:<22} {cpu:7.2f} s CPU {wall:7.2f} s wall  {ratio:5.2f}x parse  "
                  f"peak {peak:6.0f} MB{flag}")
    for what in (w for (n, w) in peaks if n == "long"):
        growth = peaks[("long", what)] / peaks[("short", what)]
        note = "" if growth <= GROWTH else "  GROWS"
        ok = ok and (growth <= GROWTH or what == "parse")
        print(f"  peak memory long / short, {what:<22} {growth:.2f}x{note}")
    print(f"targets: <= {TARGET_RATIO:.0f}x parse, < {TARGET_MB:.0f} MB, no growth: "
          + ("met" if ok else "MISSED"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
