"""The compiler: an ordered table of stages from policy file to decision-graph artifact.

Like OPA's compiler, each stage is a named pure step over one `Compilation`;
the pipeline stops after the first stage that reported errors, so later stages
only ever see a policy that the earlier ones accepted.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from policyc.dsl.diagnostic import Diagnostic, Report, has_errors
from policyc.dsl.load import load_policy
from policyc.dsl.policy import Binding, Policy, Priority, Step

from .digraph import DecisionGraph
from .emit import build_artifact
from .graph import lower, verify
from .lint import (
    lint_bindings,
    lint_bot_first,
    lint_main_account,
    lint_roster,
    lint_route,
    lint_settings,
    lint_unreachable_groups,
)
from .names import lint_names
from .resolve import resolve_names
from .typecheck import ExprChecker

if TYPE_CHECKING:
    import networkx as nx

Json = object


@dataclass
class Compilation:
    """Everything the stages build up for one policy file."""

    policy: Policy
    digest: str
    report: Report = field(default_factory=Report)
    conditions: dict[str, Json] = field(default_factory=dict)
    lowered: DecisionGraph | None = None
    artifact: dict[str, object] | None = None

    @property
    def graph(self) -> nx.DiGraph | None:
        """The decision graph as networkx, for the renderers (imports networkx)."""
        return None if self.lowered is None else self.lowered.to_networkx()


def _resolve(c: Compilation) -> None:
    resolve_names(c.policy, c.report)


def _typecheck(c: Compilation) -> None:
    p = c.policy
    checker = ExprChecker(c.report, tuple(i.name for i in p.intents),
                          tuple(s.name for s in p.order_states), tuple(p.calendars))
    items: tuple[Binding | Step | Priority, ...] = (*p.bindings, *p.route, *p.priorities)
    for item in items:
        if item.when is not None:
            checked = checker.check(item.when)
            if checked is not None:
                c.conditions[item.path] = checked
    for g in p.groups:
        if g.bot_first is not None:
            checked = checker.check(g.bot_first)
            if checked is not None:
                c.conditions[g.bot_first_path] = checked
    agents = ExprChecker(c.report, (), agents={
        a.name: (a.type, tuple(v.name for v in a.values)) for a in p.attributes})
    for b in p.bindings:
        for i, stage in enumerate(b.require):
            checked = agents.check(stage.agent)
            if checked is not None:
                c.conditions[f"{b.path}.require[{i}]"] = checked


def _lint(c: Compilation) -> None:
    lint_roster(c.policy, c.report)
    lint_route(c.policy, c.report)
    lint_bindings(c.policy, c.conditions, c.report)
    lint_bot_first(c.policy, c.conditions, c.report)
    lint_unreachable_groups(c.policy, c.report)
    lint_main_account(c.policy, c.report)
    lint_settings(c.policy, c.report)
    lint_names(c.policy, c.report)


def _lower(c: Compilation) -> None:
    c.lowered = lower(c.policy)
    verify(c.lowered, c.policy, c.report)


def _emit(c: Compilation) -> None:
    assert c.lowered is not None
    c.artifact = build_artifact(c.policy, c.conditions, c.lowered, c.digest)


STAGES: tuple[tuple[str, Callable[[Compilation], None]], ...] = (
    ("resolve", _resolve),
    ("typecheck", _typecheck),
    ("lint", _lint),
    ("lower", _lower),
    ("emit", _emit),
)


@dataclass
class Result:
    """What compiling one file gave: diagnostics always, an artifact when error-free."""

    diagnostics: list[Diagnostic]
    texts: dict[str, str]
    compilation: Compilation | None = None

    @property
    def artifact(self) -> dict[str, object] | None:
        return self.compilation.artifact if self.compilation else None


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while the trees are built.

    A large policy builds about a million small objects, none of them in
    reference cycles; each allocation burst would otherwise trigger full
    collections that re-walk everything built so far (more than half the time
    of a 100,000-pin compile). Reference counting still frees everything.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def compile_file(path: Path) -> Result:
    """Run every stage on one policy file; never raises on bad input."""
    with _collector_paused():
        return _compile(path)


def _compile(path: Path) -> Result:
    loaded = load_policy(path)
    if loaded.policy is None:
        return Result(sorted(loaded.diagnostics, key=Diagnostic.sort_key), loaded.texts)
    c = Compilation(loaded.policy, loaded.digest)
    c.report.items.extend(loaded.diagnostics)
    for _name, stage in STAGES:
        stage(c)
        if has_errors(c.report.items):
            c.artifact = None
            break
    return Result(sorted(c.report.items, key=Diagnostic.sort_key), loaded.texts, c)
