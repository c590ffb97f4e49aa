"""Compile-time benchmark: a 10,000-agent, 1,000-group, 100,000-pin policy.

Run from the repository root:

    python -m bench.compile_bench            # writes the policy to a temp folder
    python -m bench.compile_bench --keep out # ... or to `out/` and keeps it

Prints the median wall time of three `compile_file` runs and the peak resident
memory of one compile in a fresh process (ru_maxrss). Targets: under 2 s and
under 300 MB.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_SECONDS = 2.0
TARGET_MB = 300.0


def write_policy(folder: Path, agents: int = 10_000, groups: int = 1_000,
                 pins: int = 100_000) -> Path:
    """A policy whose groups are bound by intent, with its pins in an included file."""
    folder.mkdir(parents=True, exist_ok=True)
    members = agents // groups
    out = ["policyc: 1", "shop:", "  id: bench-shop", "  timezone: Asia/Shanghai",
           "  one_group_per_agent: true", "intents:"]
    out += [f"  - intent_{g:04d}" for g in range(groups)]
    out.append("roster:")
    out.append('  - {id: main, role: main, created_at: "2020-01-01T00:00:00+08:00"}')
    out += [f'  - {{id: a{i:05d}, created_at: "2021-01-01T00:00:00+08:00", capacity: 20}}'
            for i in range(agents)]
    out.append("groups:")
    for g in range(groups):
        names = ", ".join(f"a{g * members + m:05d}" for m in range(members))
        out += [f"  g{g:04d}:", f"    members: [{names}]", f"    intents: [intent_{g:04d}]"]
    out += ["pins: pins.yaml", "pin_mode: prefer", "route:", "  - pin",
            "  - step: recent_contact", "    window: 72h", "  - bindings", "  - other_online",
            "  - queue"]
    (folder / "policy.yaml").write_text("\n".join(out) + "\n", encoding="utf-8")
    pin_lines = [f"buyer{b:06d}: a{b % agents:05d}" for b in range(pins)]
    (folder / "pins.yaml").write_text("\n".join(pin_lines) + "\n", encoding="utf-8")
    return folder / "policy.yaml"


def _compile(path: Path) -> int:
    from policyc.compiler import compile_file

    result = compile_file(path)
    return sum(1 for d in result.diagnostics if d.severity.value == "error")


def time_compiles(path: Path, runs: int = 3) -> tuple[list[float], list[float]]:
    """Wall and CPU time of `runs` compiles of `path`, in seconds."""
    wall, cpu = [], []
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        errors = _compile(path)
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
        if errors:
            raise SystemExit(f"the benchmark policy has {errors} error(s)")
    return wall, cpu


def peak_memory_mb(path: Path) -> float:
    """Peak RSS of one compile in a fresh interpreter (the imports included)."""
    done = subprocess.run([sys.executable, "-m", "bench.compile_bench", "--measure-one",
                           str(path)], capture_output=True, text=True, check=True,
                          cwd=Path(__file__).resolve().parents[1])
    return float(done.stdout.strip().splitlines()[-1]) / 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.compile_bench")
    parser.add_argument("--agents", type=int, default=10_000)
    parser.add_argument("--groups", type=int, default=1_000)
    parser.add_argument("--pins", type=int, default=100_000)
    parser.add_argument("--keep", type=Path, help="write the policy here and keep it")
    parser.add_argument("--measure-one", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.measure_one:
        _compile(args.measure_one)
        print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)  # KiB on Linux
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        path = write_policy(folder, args.agents, args.groups, args.pins)
        size = sum(p.stat().st_size for p in folder.glob("*.yaml"))
        times, cpu = time_compiles(path)
        peak = peak_memory_mb(path)
    median = statistics.median(times)
    print(f"policy: {args.agents:,} agents, {args.groups:,} groups, {args.pins:,} pins "
          f"({size / 1e6:.1f} MB of YAML)")
    print(f"compile_file: median {median:.2f} s of {len(times)} "
          f"({', '.join(f'{t:.2f}' for t in times)}); target < {TARGET_SECONDS:.0f} s")
    print(f"              median CPU {statistics.median(cpu):.2f} s; load average "
          f"{os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    print(f"peak memory: {peak:.0f} MB (ru_maxrss, fresh process); target < {TARGET_MB:.0f} MB")
    ok = median < TARGET_SECONDS and peak < TARGET_MB
    print("within targets" if ok else "OVER TARGET")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
