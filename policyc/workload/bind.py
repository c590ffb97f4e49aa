"""A workload model bound to one policy: names checked against it, logs read, arrivals made.

What the model names (staff agents, a transfer's group or agent) must exist in
the policy (E501, E502); the logs it replays or fits from are read and
checked like `simulate --log` reads them (E506, at the path that names them).
The result is what the driver needs: the arrivals, the schedule and the
handling, fitted where the model says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..dsl.diagnostic import Diagnostic, Report
from ..dsl.span import Span
from ..dsl.validate import did_you_mean
from ..runtime.catalog import N_
from ..runtime.inputs import InputError
from ..runtime.router import Router
from . import arrivals as arrivals_of
from . import schedule as schedule_of
from .fit import fit
from .model import Model

Event = dict[str, Any]


@dataclass(frozen=True)
class Bound:
    """A model ready to drive under one policy."""

    model: Model
    arrivals: list[arrivals_of.Arrival]
    schedule: schedule_of.Schedule
    fitted: dict[str, int]  # samples per fitted duration (empty: nothing fitted)


def bind(model: Model, router: Router) -> tuple[Bound | None, list[Diagnostic]]:
    """The model bound to `router`'s policy, or the diagnostics that stop it."""
    report = Report()
    _names(model, router, report)
    logs: dict[Path, list[Event]] = {}
    for path, span in _logs(model):
        if path not in logs:
            events = _read(path, span, router, report)
            if events is not None:
                logs[path] = events
    if report.items:
        return None, sorted(report.items, key=Diagnostic.sort_key)
    a = model.arrivals
    arrivals = (arrivals_of.replayed(logs[a.replay]) if a.replay is not None else
                arrivals_of.generate(a, model.start, model.end, router.tz, model.seed))
    schedule = (schedule_of.from_log(logs[model.staff_replay])
                if model.staff_replay is not None else
                schedule_of.from_staff(model.staff, model.start, model.end, router.tz))
    fitted: dict[str, int] = {}
    h = model.handling
    if h.fit is not None and h.fit_span is not None:
        handling, fitted = fit(router, logs[h.fit], h, h.fit_span)
        model = model.with_handling(handling)
    return Bound(model, arrivals, schedule, fitted), []


def check_names(model: Model, router: Router) -> list[Diagnostic]:
    """What the model names that `router`'s policy lacks (a second policy of a diff)."""
    report = Report()
    _names(model, router, report)
    return sorted(report.items, key=Diagnostic.sort_key)


def _logs(model: Model) -> list[tuple[Path, Span]]:
    out = []
    if model.arrivals.replay is not None and model.arrivals.replay_span is not None:
        out.append((model.arrivals.replay, model.arrivals.replay_span))
    if model.staff_replay is not None:
        out.append((model.staff_replay, model.staff_span))
    if model.handling.fit is not None and model.handling.fit_span is not None:
        out.append((model.handling.fit, model.handling.fit_span))
    return out


def _read(path: Path, span: Span, router: Router, report: Report) -> list[Event] | None:
    from ..commands.simulate import read_log  # the one log reader (commands import us lazily)

    try:
        return read_log(path, router.agent_ids, set(router.groups))
    except InputError as err:
        report.add("E506", N_("cannot use {file}: {why}"), span, None, file=path.name,
                   why=str(err))
        return None


_NOT_ROSTERED = N_("{agent} is not in the policy's roster")


def _names(model: Model, router: Router, report: Report) -> None:
    agents = sorted(router.agent_ids)
    for member in model.staff:
        if member.agent not in router.agent_ids:
            report.add("E501", _NOT_ROSTERED, member.span, did_you_mean(member.agent, agents),
                       agent=repr(member.agent))
    t = model.handling.transfer
    if t is not None and t.to_group is not None and t.to_group not in router.groups:
        report.add("E502", N_("unknown group {group}"), t.span,
                   did_you_mean(t.to_group, sorted(router.groups)), group=repr(t.to_group))
    if t is not None and t.to_agent is not None and t.to_agent not in router.agent_ids:
        report.add("E501", _NOT_ROSTERED, t.span, did_you_mean(t.to_agent, agents),
                   agent=repr(t.to_agent))
