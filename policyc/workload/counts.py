"""`--agents N..M`: the agent counts of a staffing sweep (argparse's type; nothing heavy imported,
so `policyc --help` and the other commands start without the workload machinery)."""

from __future__ import annotations

import argparse
import re

_RANGE = re.compile(r"^(\d+)\.\.(\d+)$")


def agent_counts(text: str) -> tuple[int, ...]:
    """`3..8` (each count from 3 to 8), `4`, or `2,4,8`; argparse's type for `--agents`."""
    found = _RANGE.match(text.strip())
    if found:
        low, high = int(found[1]), int(found[2])
        counts = tuple(range(low, high + 1))
    elif re.fullmatch(r"\d+(,\d+)*", text.strip()):
        counts = tuple(sorted({int(n) for n in text.split(",")}))
    else:
        raise argparse.ArgumentTypeError(f"expected N..M, N or N,M,...; found {text!r}")
    if not counts or counts[0] < 1 or len(counts) > 200:
        raise argparse.ArgumentTypeError(f"agent counts run from 1, at most 200 of them: {text!r}")
    return counts
