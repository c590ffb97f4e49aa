"""The Python API: `load` a policy, `decide` an event, `explain` a decision."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .runtime.artifact import read_artifact
from .runtime.decision import Decision
from .runtime.explain import decision_text
from .runtime.inputs import check_event, check_snapshot
from .runtime.router import Router
from .runtime.state import ShopState
from .runtime.vocabulary import AVOID_WHYS


class PolicyError(ValueError):
    """The policy has errors; `report` is the rendered diagnostics."""

    def __init__(self, report: str) -> None:
        super().__init__(report)
        self.report = report


def load(path: str | Path) -> Router:
    """Compile a policy file (or read a compiled `.json` artifact) into a Router."""
    path = Path(path)
    if path.suffix == ".json":
        return Router(read_artifact(path))
    from .compiler import compile_file, render  # an artifact needs no compiler (start-up)

    result = compile_file(path)
    if result.artifact is None:
        raise PolicyError(render.text(result.diagnostics, result.texts))
    return Router(result.artifact)


def state(router: Router, snapshot: dict[str, Any], where: str = "state") -> ShopState:
    """A checked, indexed shop state from a CONTRACT.md snapshot."""
    return router.state(check_snapshot(snapshot, where, router.agent_ids))


def decide(router: Router, shop: ShopState | dict[str, Any], event: dict[str, Any],
           trace: bool = False, where: str = "event",
           avoid: Mapping[str, str] | None = None) -> Decision:
    """Decide one message event; `shop` is a ShopState or a snapshot dict. `avoid`: agents
    that may not take it, each with why (`declined`, `offer_timed_out`, `current_agent`)."""
    if isinstance(shop, dict):
        shop = state(router, shop)
    check_event(event, where, router.agent_ids)
    if event["type"] != "message":
        raise ValueError(f"{where}/type: only `message` events are decided one at a time")
    for agent, why in (avoid or {}).items():
        if agent not in router.agent_ids or why not in AVOID_WHYS:
            raise ValueError(f"avoid: {agent!r} ({why!r}) is not a roster agent with one of "
                             f"{', '.join(AVOID_WHYS)}")
    return router.decide(shop, event, trace=trace, avoid=avoid)


def explain(router: Router, shop: ShopState | dict[str, Any], event: dict[str, Any],
            level: str = "fails") -> str:
    """The decision for `event` as text for a person, with its trace at `level`."""
    return decision_text(decide(router, shop, event, trace=True), level)
