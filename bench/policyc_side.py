"""The measured side: policyc's compiled policy run by `policyc.runtime.router.Router`."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from policyc.compiler import compile_file
from policyc.runtime.router import Router

from .shop_model import Decision


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

    def __init__(self, router: Router, snapshot: dict[str, Any], trace: bool) -> None:
        self.router = router
        self.state = router.state(snapshot)
        self.trace = trace

    def decide(self, event: dict[str, Any]) -> Decision:
        d = self.router.decide(self.state, event, trace=self.trace)
        self.router.apply(self.state, d)
        return (d.outcome, d.agent, d.reason)
