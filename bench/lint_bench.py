"""Lint benchmark: `policyc check` on policies of 5,000 and 50,000 timed bindings (issue 14).

Run from the repository root:

    python -m bench.lint_bench                  # 5,000 and 50,000 bindings, 3 repeats
    python -m bench.lint_bench --sizes 1000,4000 --repeats 1

Each binding looks at the time of day or the weekday (so the coverage lint must
look at every half hour of the week) and at a source, and about one in eight
can never match, so the shadowing analysis has work to do. Prints the median
time of `policyc check` (in a fresh process, as a merchant runs it) per size,
CPU time of that process (so other work on a shared machine does not count)
and wall time beside it, and the ratio of the largest to the smallest. Target
(issue 14): 50,000 within 10x the time of 5,000: lints linear in the size.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from policyc.runtime.vocabulary import SOURCES, WEEKDAYS

TARGET_RATIO = 10.0
_SOURCES = SOURCES[:6]


def _condition(i: int) -> str:
    """The `when:` of binding `i`: a source, a time of day or weekday, and a field the
    grid leaves open; every eighth repeats an earlier one exactly (so it is shadowed)."""
    if i % 8 == 7:
        i -= 7
    source = _SOURCES[i % len(_SOURCES)]
    start = (i * 7) % 46
    window = f"{start // 2:02d}:{start % 2 * 30:02d}..{(start + 2) // 2:02d}:{start % 2 * 30:02d}"
    match i % 3:
        case 0:
            return f'source == {source} and time in {window} and buyer.id != "b{i}"'
        case 1:
            return f"source in {{{source}, order_page}} and day == {WEEKDAYS[i % 7]}"
        case _:
            return f"source == {source} and (time >= {start // 2:02d}:00 or intent == i{i % 50})"


def write_policy(folder: Path, bindings: int) -> Path:
    """A policy of `bindings` timed bindings over 50 groups of two agents."""
    out = ["policyc: 1", "shop:", "  id: lint-bench", "  timezone: Asia/Taipei",
           f"  sources: [{', '.join(_SOURCES)}]", "intents:"]
    out += [f"  - i{k}" for k in range(50)]
    out.append("roster:")
    out.append('  - {id: main, role: main, created_at: "2020-01-01T00:00:00+08:00"}')
    out += [f'  - {{id: a{k:03d}, created_at: "2021-01-01T00:00:00+08:00"}}' for k in range(100)]
    out.append("groups:")
    out += [f"  g{k}: {{members: [a{2 * k:03d}, a{2 * k + 1:03d}]}}" for k in range(50)]
    out.append("bindings:")
    for i in range(bindings):
        out += [f"  - when: {_condition(i)}", f"    to: [g{i % 50}]"]
    out += ["  - to: [g0]", "route: [bindings, other_online, main_account, stage]", ""]
    path = folder / f"timed-{bindings}.yaml"
    path.write_text("\n".join(out), encoding="utf-8")
    return path


def time_check(path: Path, repeats: int) -> tuple[float, float]:
    """Median CPU and wall seconds of `policyc check PATH` in a fresh interpreter."""
    cpu, wall = [], []
    for _ in range(repeats):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "policyc", "check", str(path)],
                              capture_output=True, text=True, check=False)
        wall.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
        if done.returncode not in (0, 1) or "Traceback" in done.stderr:
            raise SystemExit(f"check failed on {path}:\n{done.stdout[-2000:]}{done.stderr}")
    return statistics.median(cpu), statistics.median(wall)


def main(argv: list[str] | None = None) -> int:
    """Print the check time per size and the largest/smallest ratio; exit 1 over target."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="5000,50000",
                        help="comma-separated binding counts (default 5000,50000)")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        seconds = {}
        for n in sizes:
            path = write_policy(Path(tmp), n)
            seconds[n], wall = time_check(path, args.repeats)
            size_kb = path.stat().st_size / 1024
            print(f"{n:>7,} timed bindings ({size_kb:,.0f} KB): check {seconds[n]:.2f} s CPU, "
                  f"{wall:.2f} s wall (median of {args.repeats})", flush=True)
    small, large = min(sizes), max(sizes)
    ratio = seconds[large] / seconds[small]
    ok = ratio <= TARGET_RATIO * large / small / 10
    print(f"ratio {large:,}/{small:,}: {ratio:.1f}x for {large / small:.0f}x the bindings "
          f"(target within {TARGET_RATIO * large / small / 10:.0f}x): {'ok' if ok else 'SLOW'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
