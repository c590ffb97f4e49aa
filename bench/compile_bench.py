"""Compile-time benchmark: a 10,000-agent, 1,000-group, 100,000-pin policy.

Run from the repository root:

    python -m bench.compile_bench            # writes the policy to a temp folder
    python -m bench.compile_bench --keep out # ... or to `out/` and keeps it

Prints the median wall time of three `compile_file` runs and the peak resident
memory of one compile in a fresh process (ru_maxrss). Targets: under 2 s and
under 300 MB.

    python -m bench.compile_bench --growth   # Router build at 1,000 and 10,000 groups
    python -m bench.compile_bench --platform # 100,000 agents, 10,000 groups, 1,000,000 pins

builds the `Router` (and the shop state its first event makes) of the policy at
1,000 groups / 10,000 agents / 100,000 pins and at ten times each, median of
three, and prints the growth: linear is 10x (target <= 12x). `--platform`
compiles the policy ten times the default size (its pins over four included
files) with `policyc compile -o` in a fresh process, then loads the artifact into
a `Router` and its starting state in another, and prints each one's time and
peak memory (target: the router under 1 GB).
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
GROWTH = 12.0  # Router build at 10x the groups, agents and pins: linear is 10x


PINS_PER_FILE = 250_000  # about 5 MB of YAML: each included file stays under the 8 MiB cap
ROSTER_INLINE = 20_000  # a longer roster goes to an included file (the same cap)


def write_policy(folder: Path, agents: int = 10_000, groups: int = 1_000,
                 pins: int = 100_000) -> Path:
    """A policy whose groups are bound by intent, with its pins in included files (a list
    of them past PINS_PER_FILE) and a large roster in one too."""
    folder.mkdir(parents=True, exist_ok=True)
    members = agents // groups
    out = ["policyc: 1", "shop:", "  id: bench-shop", "  timezone: Asia/Shanghai",
           "  one_group_per_agent: true", "intents:"]
    out += [f"  - intent_{g:04d}" for g in range(groups)]
    roster = ['  - {id: main, role: main, created_at: "2020-01-01T00:00:00+08:00"}']
    roster += [f'  - {{id: a{i:05d}, created_at: "2021-01-01T00:00:00+08:00", capacity: 20}}'
               for i in range(agents)]
    if agents > ROSTER_INLINE:
        (folder / "roster.yaml").write_text("\n".join(line[2:] for line in roster) + "\n",
                                            encoding="utf-8")
        out.append("roster: roster.yaml")
    else:
        out += ["roster:", *roster]
    out.append("groups:")
    for g in range(groups):
        names = ", ".join(f"a{g * members + m:05d}" for m in range(members))
        out += [f"  g{g:04d}:", f"    members: [{names}]", f"    intents: [intent_{g:04d}]"]
    files = []
    for first in range(0, pins, PINS_PER_FILE):
        name = "pins.yaml" if pins <= PINS_PER_FILE else f"pins-{len(files)}.yaml"
        (folder / name).write_text("".join(f"buyer{b:07d}: a{b % agents:05d}\n" for b in
                                           range(first, min(pins, first + PINS_PER_FILE))),
                                   encoding="utf-8")
        files.append(name)
    out += [f"pins: {files[0] if len(files) == 1 else '[' + ', '.join(files) + ']'}",
            "pin_mode: prefer", "route:", "  - pin",
            "  - step: recent_contact", "    window: 72h", "  - bindings", "  - other_online",
            "  - queue"]
    (folder / "policy.yaml").write_text("\n".join(out) + "\n", encoding="utf-8")
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


def build_router(path: Path, runs: int = 3) -> float:
    """Median CPU seconds of building the Router and its starting state from the artifact."""
    import copy

    from policyc.compiler import compile_file
    from policyc.runtime.router import Router

    artifact = compile_file(path).artifact
    assert artifact is not None
    times = []
    for _ in range(runs):
        fresh = copy.deepcopy(artifact)
        start = time.process_time()  # CPU time: the machine may be shared
        router = Router(fresh)
        router.state({"at": "2026-11-23T09:00:00+08:00"})
        times.append(time.process_time() - start)
    return statistics.median(times)


def growth(runs: int = 3) -> int:
    """Router build time at 1,000 and 10,000 groups (agents and pins scaled alike)."""
    found = {}
    for groups in (1_000, 10_000):
        with tempfile.TemporaryDirectory() as tmp:
            path = write_policy(Path(tmp), groups * 10, groups, groups * 100)
            found[groups] = build_router(path, runs)
        print(f"Router build: {groups:,} groups, {groups * 10:,} agents, {groups * 100:,} pins:"
              f" median {found[groups]:.3f} s of {runs}")
    ratio = found[10_000] / found[1_000]
    print(f"growth 1,000 -> 10,000 groups: {ratio:.1f}x (linear: 10x; target <= {GROWTH:.0f}x)")
    return 0 if ratio <= GROWTH else 1


def _child(argv: list[str]) -> tuple[float, float]:
    """(wall seconds, peak MB) of one fresh process that prints its ru_maxrss last."""
    start = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True,
                          cwd=Path(__file__).resolve().parents[1])
    wall = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed:\n{done.stderr[-2000:]}")
    return wall, float(done.stdout.split()[-1]) / 1024


def platform() -> int:
    """Compile the 100,000 / 10,000 / 1,000,000 policy, then hold it in a Router."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path = write_policy(folder, 100_000, 10_000, 1_000_000)
        files = sorted(folder.glob("*.yaml"))
        largest = max(p.stat().st_size for p in files)
        print(f"policy: 100,000 agents, 10,000 groups, 1,000,000 pins in {len(files)} files "
              f"(largest {largest / 2**20:.1f} MiB; the cap is 8 MiB)")
        artifact = folder / "policy.json"
        wall, peak = _child([sys.executable, "-m", "bench.compile_bench", "--compile-one",
                              str(path), str(artifact)])
        print(f"compile (policyc compile -o): {wall:.1f} s, peak {peak:.0f} MB")
        wall, peak = _child([sys.executable, "-m", "bench.compile_bench", "--hold-one",
                              str(artifact)])
        print(f"Router from the artifact ({artifact.stat().st_size / 1e6:.0f} MB): {wall:.1f} s,"
              f" peak {peak:.0f} MB; target < 1,024 MB")
    return 0 if peak < 1024 else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.compile_bench")
    parser.add_argument("--agents", type=int, default=10_000)
    parser.add_argument("--groups", type=int, default=1_000)
    parser.add_argument("--pins", type=int, default=100_000)
    parser.add_argument("--keep", type=Path, help="write the policy here and keep it")
    parser.add_argument("--growth", action="store_true",
                        help="time the Router build at 1,000 and 10,000 groups instead")
    parser.add_argument("--platform", action="store_true",
                        help="compile and hold the 100,000 / 10,000 / 1,000,000 policy instead")
    parser.add_argument("--measure-one", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--compile-one", type=Path, nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--hold-one", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.compile_one:
        from policyc.cli import main as cli

        status = cli(["compile", str(args.compile_one[0]), "-o", str(args.compile_one[1])])
        print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
        return status
    if args.hold_one:
        from policyc.runtime.artifact import read_artifact
        from policyc.runtime.router import Router

        router = Router(read_artifact(args.hold_one))
        router.state({"at": "2026-11-23T09:00:00+08:00"})
        print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
        return 0
    if args.platform:
        return platform()
    if args.growth:
        return growth()
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
