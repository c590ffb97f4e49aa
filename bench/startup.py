"""`python -m bench.startup`: how fast policyc starts, as a ratio to `python -c "import json"`.

Times, in one run and interleaved (so a busy machine slows every command alike),
fresh interpreters running:

* `python -c "import json"`: the baseline, an interpreter that imports a module;
* `policyc --version`;
* `policyc explain` of one decision on the shipped Shopee policy (compiled on the
  fly) and on its compiled artifact.

Prints each command's median and fastest wall time over `--runs` runs, the
median's ratio to the baseline's, and which of the heavy libraries (networkx,
lark, jinja2, yaml) each command imports (one extra `-X importtime` run each).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
POLICY = ROOT / "policies" / "shopee.yaml"
STATE = ROOT / "policies" / "examples" / "shopee-state.json"
EVENT = ROOT / "policies" / "examples" / "shopee-event.json"
HEAVY = ("networkx", "lark", "jinja2", "yaml")
# As a user's machine runs them: with bytecode caches (the warm-up round writes any that
# are missing), whatever PYTHONDONTWRITEBYTECODE this shell has.
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def policyc() -> list[str]:
    """The installed console script beside this interpreter, else `python -m policyc`."""
    script = Path(sys.executable).with_name("policyc")
    return [str(script)] if script.exists() else [sys.executable, "-m", "policyc"]


def commands(artifact: Path) -> dict[str, list[str]]:
    """The timed commands, baseline first."""
    explain = ["explain", "--state", str(STATE), "--event", str(EVENT)]
    return {
        'python -c "import json"': [sys.executable, "-c", "import json"],
        "policyc --version": [*policyc(), "--version"],
        "policyc explain shopee.yaml": [*policyc(), explain[0], str(POLICY), *explain[1:]],
        "policyc explain shopee.artifact.json": [*policyc(), explain[0], str(artifact),
                                                 *explain[1:]],
    }


def run_once(argv: list[str]) -> float:
    """Wall seconds of one run; a failing command stops the benchmark."""
    start = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   env=ENV)
    return time.perf_counter() - start


def heavy_imports(argv: list[str]) -> list[str]:
    """Which of HEAVY a command imports, read from `-X importtime` of one run."""
    env = dict(ENV, PYTHONPROFILEIMPORTTIME="1")
    done = subprocess.run(argv, check=True, stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, text=True, env=env)
    names = {line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines()
             if line.startswith("import time:")}
    return [name for name in HEAVY if name in names]


def measure(cmds: dict[str, list[str]], runs: int) -> dict[str, list[float]]:
    """`runs` timings per command, interleaved; one untimed warm-up round first."""
    for argv in cmds.values():
        run_once(argv)  # fills the OS file cache and writes missing .pyc files
    times: dict[str, list[float]] = {name: [] for name in cmds}
    for _ in range(runs):
        for name, argv in cmds.items():
            times[name].append(run_once(argv))
    return times


def table(times: dict[str, list[float]], heavy: dict[str, list[str]]) -> str:
    """The report: median and fastest ms, ratio of medians to the baseline, heavy imports."""
    base = statistics.median(next(iter(times.values())))
    rows = [("command", "median ms", "min ms", "x import json", "imports")]
    for name, samples in times.items():
        median = statistics.median(samples)
        rows.append((name, f"{median * 1000:.0f}", f"{min(samples) * 1000:.0f}",
                     f"{median / base:.1f}x", ", ".join(heavy[name]) or "-"))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(c.ljust(w) if i in (0, 4) else c.rjust(w)
                       for i, (c, w) in enumerate(zip(row, widths, strict=True))).rstrip()
             for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the start-up benchmark and print the table."""
    parser = argparse.ArgumentParser(prog="python -m bench.startup", description=__doc__)
    parser.add_argument("--runs", type=int, default=15, help="timed runs per command")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        artifact = Path(folder) / "shopee.artifact.json"
        subprocess.run([*policyc(), "compile", str(POLICY), "-o", str(artifact)], check=True,
                       stdout=subprocess.DEVNULL, env=ENV)
        cmds = commands(artifact)
        heavy = {name: heavy_imports(argv) for name, argv in cmds.items()}
        times = measure(cmds, args.runs)
    print(f"start-up, wall time of a fresh interpreter, median of {args.runs} interleaved runs")
    print(table(times, heavy))
    return 0


if __name__ == "__main__":
    sys.exit(main())
