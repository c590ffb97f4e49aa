"""The measured side: policyc's compiled policy run by `policyc.runtime.router.Router`.

One `PolicycRouter` per column of the table: the decision alone (`policyc`),
with its trace built and rendered as the CONTRACT.md trace entries
(`pc+trace`), and emitted as the JSON line `simulate -o` writes for it
(policyc/record_json.py), with no trace or with its trace made and shown at a
level as `simulate --trace LEVEL` does (`json`, `json:summary`, `json:fails`,
`json:full`).
Every column also makes the decision's state update; status and capacity
changes go to the state as the engine applies them.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from policyc import record_json
from policyc.compiler import compile_file
from policyc.runtime import records
from policyc.runtime.clock import parse_instant
from policyc.runtime.router import Router
from policyc.runtime.trace import LEVELS

from .shop_model import Decision, change_of

# Column -> (decide with a trace, what is made of the decision: None, "trace" or a level).
MODES: dict[str, tuple[bool, str | None]] = {
    "policyc": (False, None),
    "policyc+trace": (True, "trace"),
    "json": (False, "json"),
    **{f"json:{level}": (True, level) for level in LEVELS},
}


def compile_router(policy_yaml: str) -> Router:
    """Compile the policy text (through a file, as users do) and load its artifact."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.yaml"
        path.write_text(policy_yaml, encoding="utf-8")
        result = compile_file(path)
    if result.artifact is None:
        problems = "; ".join(str(d) for d in result.diagnostics)
        raise RuntimeError(f"the benchmark policy does not compile: {problems}")
    return Router(result.artifact)


class PolicycRouter:
    """decide(event) -> (outcome, agent, reason), applying the decision to a fresh state."""

    def __init__(self, router: Router, snapshot: dict[str, Any], trace: bool = False,
                 mode: str | None = None) -> None:
        self.router = router
        self.state = router.state(snapshot)
        self.trace, self.make = MODES[mode] if mode else (trace, "trace" if trace else None)
        self.level = self.make if self.make in LEVELS else "full"  # of the trace made
        self.out: object = None  # what was made of the last decision (kept: never optimised out)

    def decide(self, event: dict[str, Any]) -> Decision:
        if event["type"] != "message":
            state = self.state
            agent = state.agents[event["agent"]]
            if event["type"] == "agent_status":
                state.set_status(agent, event["status"], parse_instant(event["at"]))
            else:
                state.set_capacity(agent, event["capacity"])
            return change_of(event)
        d = self.router.decide(self.state, event, trace=self.trace, level=self.level)
        self.router.apply(self.state, d)
        make = self.make
        if make == "trace":
            assert d.trace is not None
            self.out = [step.to_dict() for step in d.trace]
        elif make is not None:
            self.out = record_json.line(records.from_decision("route", d, self.level))
        return (d.outcome, d.agent, d.reason)
