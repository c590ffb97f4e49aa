"""Policy tests: run the cases of test files against their policy, and measure coverage.

A case gives a state snapshot (CONTRACT.md) and either one `event` (a single
decision by the router) or `events` (fed in order through the stateful engine),
and what to `expect`: a partial match on the decision or the last routing
record, or `expect_records`, one partial match per engine record. A state or
event that is not valid input is a TestFileError located in the test file; a
case that does not match is a failed CaseResult with the expected and actual
lines and the decision's trace. Reading the files: `policy_test_file.py`.
"""

from __future__ import annotations

import difflib
import time
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .compiler import compile_file
from .compiler.page_words import node_words
from .dsl.load import display_name
from .dsl.yaml_tree import YNode, YSeq
from .policy_test_file import (
    Case,
    TestFileError,
    find,
    load,
    locate,
    locate_key,
    plain,
    quote_hint,
)
from .runtime.clock import TimeError, parse_instant
from .runtime.engine import Engine
from .runtime.explain import record_text
from .runtime.inputs import InputError, check_event, check_snapshot
from .runtime.records import Record
from .runtime.router import Router

ROUTING_KINDS = ("route", "continued", "release", "transfer", "accepted", "initiated")


@dataclass(frozen=True, slots=True)
class Ready:
    """A case whose state and events passed the CONTRACT.md checks."""

    case: Case
    snapshot: dict[str, Any] | None
    events: list[dict[str, Any]]


@dataclass(frozen=True, slots=True)
class CaseResult:
    """A case run: expected and actual as comparable lines, the trace when it failed."""

    case: Case
    policy: str
    passed: bool
    expected: list[str]
    actual: list[str]
    trace: str | None
    paths: tuple[tuple[str, ...], ...]

    def diff(self) -> list[str]:
        """Expected against actual as a unified diff (every line kept as context)."""
        context = max(len(self.expected), len(self.actual))
        return list(difflib.unified_diff(self.expected, self.actual, "expected", "actual",
                                         lineterm="", n=context))


@dataclass(frozen=True, slots=True)
class Coverage:
    """Which reachable graph nodes and which bindings no case of a policy reached.

    Binding nodes are counted as bindings, not as nodes; outcome nodes have no label.
    """

    policy: str
    cases: int
    nodes: int
    missed_nodes: tuple[tuple[str, str, str], ...]  # id, label, span
    bindings: int
    missed_bindings: tuple[tuple[str, str], ...]  # id, span


# -- checking a case against its policy ---------------------------------------------

def prepare(case: Case, router: Router) -> Ready:
    """Check a case's state and events against CONTRACT.md and the policy's roster."""
    agents = router.agent_ids
    state = plain(case.state) if case.state is not None else None
    if case.event is not None:
        event = plain(case.event)
        if isinstance(event, dict):
            event.setdefault("type", "message")
            if isinstance(state, dict) and "at" in state:
                event.setdefault("at", state["at"])
        if state is None and isinstance(event, dict):
            state = {"at": event.get("at")}
        _check(lambda: check_event(event, "", agents), case.event, "event")
        if event["type"] != "message":
            raise TestFileError(case.event.span, "a single `event:` is a `message`; put other "
                                                 "events in `events:`")
        events = [event]
    else:
        assert isinstance(case.events, YSeq)
        events = _sequence(case.events, agents, set(router.groups))
    if state is not None:
        node = case.state if case.state is not None else case.event
        assert node is not None
        _check(lambda: router.state(check_snapshot(state, "", agents, router.channel_ids)),
               node, "state")
    return Ready(case, state, events)


def _sequence(node: YSeq, agents: AbstractSet[str],
              groups: AbstractSet[str]) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    last = float("-inf")
    for i, item in enumerate(node.items):
        event = plain(item)
        _check(lambda e=event: check_event(e, "", agents, groups), item, f"events/{i}")
        if event["type"] == "transfer" and "to_group" in event \
                and event["to_group"] not in groups:
            raise TestFileError(locate(item, ["to_group"]),
                                f"events/{i}/to_group: unknown group {event['to_group']!r}")
        at = parse_instant(event["at"])
        if at < last:
            raise TestFileError(locate(item, ["at"]), f"events/{i}/at: {event['at']} is "
                                "earlier than the event before it (events are in time order)")
        last = at
        events.append(event)
    return events


def _check(run: Any, node: YNode, label: str) -> None:
    """Run a CONTRACT.md check; its complaint is located at the YAML node it names."""
    try:
        run()
    except InputError as err:
        pointer = [p.replace("~1", "/").replace("~0", "~") for p in err.pointer.split("/") if p]
        field = "/".join([label, *pointer])
        found = find(node, pointer)
        span = locate_key(node, pointer) if err.message.startswith("unknown key") \
            else found.span
        raise TestFileError(span, f"{field}: {err.message}{quote_hint(found)}") from None
    except (TimeError, ValueError, KeyError, TypeError) as err:
        raise TestFileError(node.span, f"{label}: {err}") from None


# -- running -------------------------------------------------------------------------

Match = tuple[list[str], list[str], bool, Record | None]  # expected, actual, ok, to trace


def run_case(ready: Ready, router: Router, policy: str) -> CaseResult:
    """Decide (one event) or replay (events) and compare with the expectations."""
    case = ready.case
    if case.event is not None:
        assert ready.snapshot is not None
        decision = router.decide(router.state(ready.snapshot), ready.events[0], trace=True)
        records: list[Record] = [dict(decision.to_dict("fails"), buyer=decision.buyer)]
    else:
        records = Engine(router, ready.snapshot, trace="fails").run(ready.events)
    matches: list[Match] = []
    if case.expect is not None:
        routing = [r for r in records if r.get("kind", "route") in ROUTING_KINDS]
        matches.append(_against_last(case.expect, routing[-1] if routing else None))
    if case.expect_records is not None:
        matches.append(_against_records(case.expect_records, records))
    passed = all(ok for _, _, ok, _ in matches)
    traced = next((rec for _, _, ok, rec in matches if not ok and rec is not None), None)
    return CaseResult(case, policy, passed,
                      [line for m in matches for line in m[0]],
                      [line for m in matches for line in m[1]],
                      None if passed or traced is None else _trace(traced),
                      tuple(tuple(r.get("path") or ()) for r in records))


def _against_last(expect: dict[str, Any], last: Record | None) -> Match:
    """`expect:` against the decision, or the last routing record of a replay."""
    expected = [_line(expect, key) for key in expect]
    if last is None:
        return expected, ["(no routing record)"], False, None
    actual = [_line(last, key) for key in expect]
    return expected, actual, all(_same(v, last.get(k)) for k, v in expect.items()), last


def _against_records(wanted: list[dict[str, Any]], records: list[Record]) -> Match:
    """`expect_records:` against every record, in order: one line per record."""
    expected: list[str] = []
    actual: list[str] = []
    bad: list[Record] = []
    for i in range(max(len(wanted), len(records))):
        keys = list(wanted[i]) if i < len(wanted) else ["kind", "buyer", "agent", "reason"]
        if i < len(wanted):
            expected.append(f"[{i}] " + ", ".join(_line(wanted[i], k) for k in keys))
        if i < len(records):
            actual.append(f"[{i}] " + ", ".join(_line(records[i], k) for k in keys))
            if i >= len(wanted) or not all(_same(wanted[i][k], records[i].get(k)) for k in keys):
                bad.append(records[i])
    ok = len(wanted) == len(records) and not bad
    traced = next((r for r in bad if r.get("kind") in ROUTING_KINDS), None)
    return expected, actual, ok, traced


def _same(expected: Any, actual: Any) -> bool:
    if isinstance(expected, list) and isinstance(actual, list | tuple):
        return list(expected) == list(actual)
    return bool(expected == actual)


def _line(record: dict[str, Any], key: str) -> str:
    return f"{key}: {_show(record.get(key))}"


def _show(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    return str(value)


def _trace(record: Record) -> str:
    """The record as `policyc explain` shows it (fails level), without the policy hash."""
    text = record_text(record, "fails")
    return "\n".join(line for line in text.splitlines() if not line.startswith("  policy:"))


# -- coverage ------------------------------------------------------------------------

def reachable(artifact: dict[str, Any]) -> list[dict[str, Any]]:
    """Graph nodes a message can reach; the grouping switch is fixed by the policy (S1, S3)."""
    graph = artifact["graph"]
    dead = "off" if artifact["shop"]["grouping_enabled"] else "on"
    after: dict[str, list[str]] = {}
    for edge in graph["edges"]:
        if not (edge["from"] == "shop.grouping" and edge["label"] == dead):
            after.setdefault(edge["from"], []).append(edge["to"])
    seen = {"entry"}
    todo = ["entry"]
    while todo:
        for nxt in after.get(todo.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return [n for n in graph["nodes"] if n["id"] in seen]


def coverage(artifact: dict[str, Any], policy: str, results: list[CaseResult]) -> Coverage:
    """Which reachable nodes and which bindings the cases' decision paths never went through."""
    visited = {node for r in results for path in r.paths for node in path}
    nodes = [n for n in reachable(artifact) if "binding" not in n]  # bindings: below
    bindings = artifact["bindings"]
    return Coverage(
        policy=policy, cases=len(results), nodes=len(nodes),
        missed_nodes=tuple((n["id"], "" if n["type"] == "outcome" else node_words(n, n["label"]),
                            n["span"])
                           for n in nodes if n["id"] not in visited),
        bindings=len(bindings),
        missed_bindings=tuple((b["id"], b["span"]) for b in bindings if b["id"] not in visited))


# -- a whole run -----------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Unusable:
    """A test file that could not be run: its name and the located reason."""

    file: str
    error: TestFileError
    seconds: float


@dataclass(frozen=True, slots=True)
class Run:
    """Every case's result, each policy's coverage and each unusable file, in file order.

    `seconds` is the wall time per case (parallel to `results`); `file_seconds` the time
    each test file took to read, check and compile before its cases ran.
    """

    results: list[CaseResult]
    coverage: list[Coverage]
    unusable: list[Unusable] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    file_seconds: dict[str, float] = field(default_factory=dict)

    @property
    def failed(self) -> int:
        return sum(not r.passed for r in self.results)


def run_files(paths: list[Path]) -> Run:
    """Load, check and run every test file; a file that cannot be run is kept as Unusable.

    One broken file does not stop the others: a CI report still shows every good
    file's cases, and the broken one as an error.
    """
    routers: dict[Path, Router | None] = {}  # each policy compiled once, however many files
    ready: list[tuple[Path, Router, list[Ready]]] = []
    unusable: list[Unusable] = []
    file_seconds: dict[str, float] = {}
    for path in paths:
        start = time.perf_counter()
        try:
            tests = load(path)
            router = _compiled(tests.policy, routers)
            if router is None:
                raise TestFileError(tests.policy_span, f"policy {display_name(tests.policy)} "
                                                       "has errors; run `policyc check` on it")
            ready.append((tests.policy.resolve(), router,
                          [prepare(case, router) for case in tests.cases]))
            file_seconds[tests.name] = time.perf_counter() - start
        except TestFileError as err:
            unusable.append(Unusable(display_name(path), err, time.perf_counter() - start))
    results: list[CaseResult] = []
    seconds: list[float] = []
    by_policy: dict[Path, tuple[Router, list[CaseResult]]] = {}
    for key, router, cases in ready:
        for case in cases:
            start = time.perf_counter()
            results.append(run_case(case, router, display_name(key)))
            seconds.append(time.perf_counter() - start)
            by_policy.setdefault(key, (router, []))[1].append(results[-1])
    covered = [coverage(router.artifact, rs[0].policy, rs) for router, rs in by_policy.values()]
    return Run(results, covered, unusable, seconds, file_seconds)


def _compiled(policy: Path, cache: dict[Path, Router | None]) -> Router | None:
    key = policy.resolve()
    if key not in cache:
        artifact = compile_file(policy).artifact
        cache[key] = None if artifact is None else Router(artifact)
    return cache[key]
