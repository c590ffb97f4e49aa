"""Decision traces: one flat list of typed steps, filtered into levels.

A decision always records its path of graph nodes (cheap, on in production).
The full trace is built only when asked for; `summary`, `fails` and `full` are
views of that one list, as OPA's explanations are views of one trace. The
router is handed a `Tracer` when a trace is asked for, and None when not.
"""

from __future__ import annotations

from typing import NamedTuple

LEVELS = ("summary", "fails", "full")

# Step results that explain why a higher-priority step did not win.
FAILING = frozenset({"no_match", "nobody_available", "condition_false", "switched_off"})


class TraceStep(NamedTuple):
    """One evaluated (or, in `full`, skipped) node of the decision graph.

    A named tuple, not a frozen dataclass: traces are built on the hot path when
    asked for, and a tuple is immutable at no cost per field.
    """

    step: str
    node: str
    span: str
    kind: str
    result: str
    detail: dict[str, object]

    def to_dict(self) -> dict[str, object]:
        """The CONTRACT.md trace entry: the fixed fields, then the detail flattened in."""
        out: dict[str, object] = {"step": self.step, "node": self.node, "span": self.span,
                                  "kind": self.kind, "result": self.result}
        out.update(self.detail)
        return out


class Tracer:
    """Collects trace steps; absent (None) when no trace was asked for."""

    def __init__(self) -> None:
        self.steps: list[TraceStep] = []

    def add(self, step: str, node: str, span: str, kind: str, result: str,
            **detail: object) -> None:
        """Record one step; `detail` holds its kind's fields (failed, picked, dropped...)."""
        self.steps.append(TraceStep(step, node, span, kind, result, detail))


def view(steps: tuple[TraceStep, ...], level: str) -> list[TraceStep]:
    """The steps a level shows; the final (deciding) step is always shown."""
    if level == "full":
        return list(steps)
    decided = [s for s in steps if s.result not in FAILING and s.result != "skipped"
               and s.kind == "outcome"]
    if level == "summary":
        return decided[-1:]
    # "fails": every step that lost, with its first failing condition, plus the
    # steps that won (matched binding, picked agent) and the outcome.
    return [s for s in steps if s.result in FAILING or s.result in ("matched", "picked")
            ] + decided[-1:]
