"""A few events replayed in a test the way users replay a day: written as a JSON-lines
log and run through `policyc simulate -o`, the records read back."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from policyc.cli import main


def write_log(folder: Path, events: list[dict[str, Any]], name: str = "log.jsonl") -> Path:
    """The events as a JSON-lines log file in `folder`."""
    log = folder / name
    log.write_text("".join(json.dumps(e) + "\n" for e in events), encoding="utf-8")
    return log


def simulate_records(policy: Path, log: Path, out: Path) -> list[dict[str, Any]]:
    """`policyc simulate POLICY --log LOG -o OUT --no-journal` (it must succeed): its records."""
    assert main(["simulate", str(policy), "--log", str(log), "-o", str(out),
                 "--no-journal"]) == 0
    return [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
