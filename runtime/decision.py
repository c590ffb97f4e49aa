"""The decision record of CONTRACT.md, with its path and (optional) trace."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .trace import TraceStep, view


# Not frozen: a frozen dataclass pays a setattr call per field, and a decision is
# built on the hot path; nothing mutates one after `decide` returns it.
@dataclass(slots=True)
class Decision:
    """One routing outcome. `path` is always recorded; `trace` only when asked for."""

    at: str
    at_epoch: float
    event: dict[str, Any]
    buyer: str
    outcome: str
    agent: str | None
    group: str | None
    source: str | None
    reason: str
    selection: str | None
    auto_replies: tuple[str, ...]
    policy: str
    path: tuple[str, ...]
    trace: tuple[TraceStep, ...] | None = None
    # Agents the decision was told to leave out, with why (`Router.decide(avoid=...)`).
    avoided: tuple[tuple[str, str], ...] = ()

    def to_dict(self, level: str = "full") -> dict[str, object]:
        """The CONTRACT.md JSON object; `level` filters the trace (summary, fails, full)."""
        out: dict[str, object] = {
            "at": self.at, "event": self.event, "outcome": self.outcome, "agent": self.agent,
            "group": self.group, "source": self.source, "reason": self.reason,
            "selection": self.selection, "auto_replies": list(self.auto_replies),
            "policy": self.policy, "path": list(self.path),
        }
        if self.avoided:
            out["avoided"] = [{"agent": a, "why": w} for a, w in self.avoided]
        if self.trace is not None:
            out["trace"] = [s.to_dict() for s in view(self.trace, level)]
        return out
