"""`python -m bench.input_bench`: what reading a log strictly costs, per event.

Generates a busy day (bench/engine_bench.py) and times, median of `--repeats`:
the baseline `json.loads` of every line (the least any reader does), then the
whole strict reader `policyc simulate` uses (runtime/inputs.py `read_events`:
a capped regular file streamed on `\\n`, one JSON decoder refusing repeated
keys and NaN, every event checked against its shape and the policy's roster,
time order). Prints CPU microseconds per event and the ratio to the baseline.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from policyc.runtime.inputs import read_events

from .engine_bench import compile_router, generate


def _median(run: Callable[[], object], repeats: int) -> float:
    """Median CPU seconds of `run` (CPU time: other sessions on the machine do not count)."""
    times = []
    for _ in range(repeats):
        start = time.process_time()
        run()
        times.append(time.process_time() - start)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    """Time the baseline and the strict reader on one generated log; print the ratio."""
    ap = argparse.ArgumentParser(prog="python -m bench.input_bench", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--events", type=int, default=200_000)
    ap.add_argument("--agents", type=int, default=50)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args(argv)
    router = compile_router(args.agents)
    _, text = generate(args.agents, args.events)
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "day.jsonl"
        log.write_text(text, encoding="utf-8")
        lines = text.split("\n")
        groups = set(router.groups)
        count = sum(1 for line in lines if line.strip())
        base = _median(lambda: [json.loads(line) for line in lines if line.strip()],
                       args.repeats)
        strict = _median(lambda: list(read_events(log, router.agent_ids, groups)),
                         args.repeats)
    per = 1e6 / count
    print(f"{count} events, median of {args.repeats}")
    print(f"  json.loads per line (baseline) {base * per:7.2f} us/event")
    print(f"  strict reader (read_events)    {strict * per:7.2f} us/event  "
          f"{strict / base:.2f}x the baseline")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
