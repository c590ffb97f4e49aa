"""Policy tests: read `*.test.yaml` files, run their cases against the policy, measure coverage.

A test file sits beside its policy (`shopee.test.yaml` next to `shopee.yaml`)
and lists `cases:`. A case gives a state snapshot (CONTRACT.md) and either one
`event` (a single decision by the router) or `events` (fed in order through the
stateful engine), and what to `expect`: a partial match on the decision or the
last routing record, or `expect_records`, one partial match per engine record.
Problems with the file itself are TestFileError values located at
`file:line:col`; a case that does not match is a failed CaseResult with the
expected and actual lines and the decision's trace.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .compiler import compile_file
from .dsl.diagnostic import Report
from .dsl.load import display_name
from .dsl.span import Span, file_span
from .dsl.yaml_tree import YMap, YNode, YScalar, YSeq, read_file
from .runtime.clock import TimeError, parse_instant
from .runtime.engine import Engine
from .runtime.explain import record_text
from .runtime.inputs import InputError, check_event, check_snapshot
from .runtime.records import Record
from .runtime.router import Router

SUFFIXES = (".test.yaml", ".test.yml")
FILE_KEYS = ("policy", "cases")
CASE_KEYS = ("name", "rule", "state", "event", "events", "expect", "expect_records")
EXPECT_KEYS = ("outcome", "agent", "group", "reason", "selection", "auto_replies")
RECORD_KEYS = ("kind", "buyer", *EXPECT_KEYS, "why")
ROUTING_KINDS = ("route", "continued", "release", "transfer")
_SKIP_DIRS = {"node_modules", "__pycache__"}


class TestFileError(ValueError):
    """A test file that cannot be run: malformed YAML, unknown policy, bad state or event."""

    __test__ = False  # not a pytest class

    def __init__(self, span: Span, message: str) -> None:
        super().__init__(f"{span}: {message}")
        self.span = span
        self.message = message


@dataclass(frozen=True, slots=True)
class Case:
    """One case as written; `state`, `event`, `events` stay YAML nodes until checked."""

    file: str
    name: str
    rules: tuple[str, ...]
    span: Span
    state: YNode | None
    event: YNode | None
    events: YNode | None
    expect: dict[str, Any] | None
    expect_records: list[dict[str, Any]] | None


@dataclass(frozen=True, slots=True)
class TestFile:
    """A test file: its policy and its cases."""

    __test__ = False

    path: Path
    name: str
    policy: Path
    policy_span: Span
    cases: tuple[Case, ...]


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


# -- finding test files ------------------------------------------------------------

def is_test_file(path: Path) -> bool:
    return path.name.endswith(SUFFIXES)


def discover(paths: Iterable[Path]) -> tuple[list[Path], list[str]]:
    """Test files under folders, named ones, and the `<stem>.test.yaml` of named policies."""
    found: list[Path] = []
    problems: list[str] = []
    for path in paths:
        if path.is_dir():
            found.extend(_walk(path))
        elif is_test_file(path) and path.is_file():
            found.append(path)
        elif path.is_file() and path.suffix in (".yaml", ".yml"):
            beside = [path.with_name(path.stem + s) for s in SUFFIXES]
            tests = [p for p in beside if p.is_file()]
            if not tests:
                problems.append(f"{display_name(path)}: no test file {beside[0].name} beside it")
            found.extend(tests)
        else:
            problems.append(f"{display_name(path)}: no such test file, policy or folder")
    unique = dict.fromkeys(p.resolve() for p in found)
    return [Path(os.path.relpath(p)) if _inside_cwd(p) else p for p in unique], problems


def _walk(folder: Path) -> list[Path]:
    out: list[Path] = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in _SKIP_DIRS)
        out.extend(Path(root) / f for f in sorted(files) if f.endswith(SUFFIXES))
    return out


def _inside_cwd(path: Path) -> bool:
    return path.is_relative_to(Path.cwd().resolve())


# -- reading a test file -----------------------------------------------------------

def load(path: Path) -> TestFile:
    """Read and shape-check one test file; TestFileError on the first problem."""
    name = display_name(path)
    report = Report()
    root = read_file(path, report, name)
    if root is None:
        first = report.items[0] if report.items else None
        raise TestFileError(first.span if first else file_span(name),
                            first.message if first else "cannot read the file")
    where = _mapping(root, "a test file is a mapping with `cases:` (and `policy:`)")
    fields = _fields(where, FILE_KEYS, "test file")
    policy, span = _policy(path, name, fields.get("policy"))
    if "cases" not in fields:
        raise TestFileError(root.span, "missing `cases:` (a list of test cases)")
    cases = fields["cases"]
    if not isinstance(cases, YSeq) or not cases.items:
        raise TestFileError(cases.span, "`cases:` is a non-empty list of test cases")
    loaded = [_case(node, name) for node in cases.items]
    _unique_names(loaded)
    return TestFile(path, name, policy, span, tuple(loaded))


def _policy(path: Path, name: str, node: YNode | None) -> tuple[Path, Span]:
    """The policy a test file names (relative to it), else `<stem>.yaml` beside it."""
    if node is None:
        stem = path.name[: -len(next(s for s in SUFFIXES if path.name.endswith(s)))]
        candidates = [path.with_name(stem + ext) for ext in (".yaml", ".yml")]
        span = file_span(name)
        for candidate in candidates:
            if candidate.is_file():
                return candidate, span
        raise TestFileError(span, f"no policy {candidates[0].name} beside this test file "
                                  "(name one with `policy:`)")
    text = _text(node, "`policy:` is the policy file's path, relative to this file")
    policy = path.parent / text
    if not policy.is_file():
        raise TestFileError(node.span, f"unknown policy {text!r}: no file "
                                       f"{display_name(policy)}")
    return policy, node.span


def _case(node: YNode, file: str) -> Case:
    fields = _fields(_mapping(node, "a case is a mapping with `name:`"), CASE_KEYS, "case")
    if "name" not in fields:
        raise TestFileError(node.span, "a case needs a `name:`")
    name = _text(fields["name"], "`name:` is a non-empty text")
    if ("event" in fields) == ("events" in fields):
        raise TestFileError(node.span, "a case has exactly one of `event:` (one decision) "
                                       "and `events:` (a sequence through the engine)")
    if "events" in fields and not isinstance(fields["events"], YSeq):
        raise TestFileError(fields["events"].span, "`events:` is a list of events")
    if "expect" not in fields and "expect_records" not in fields:
        raise TestFileError(node.span, "a case needs `expect:` (or, with `events:`, "
                                       "`expect_records:`)")
    if "event" in fields and "expect_records" in fields:
        raise TestFileError(fields["expect_records"].span,
                            "`expect_records:` goes with `events:`; one event has `expect:`")
    return Case(
        file=file, name=name, rules=_rules(fields.get("rule")), span=node.span,
        state=fields.get("state"), event=fields.get("event"), events=fields.get("events"),
        expect=_expect(fields["expect"], EXPECT_KEYS) if "expect" in fields else None,
        expect_records=_records(fields["expect_records"]) if "expect_records" in fields
        else None)


def _rules(node: YNode | None) -> tuple[str, ...]:
    if node is None:
        return ()
    items = node.items if isinstance(node, YSeq) else (node,)
    return tuple(_text(i, "`rule:` is a rule id (S8) or a list of them") for i in items)


def _expect(node: YNode, keys: tuple[str, ...]) -> dict[str, Any]:
    fields = _fields(_mapping(node, "an expectation is a mapping of fields to values"), keys,
                     "expectation")
    return {key: plain(value) for key, value in fields.items()}


def _records(node: YNode) -> list[dict[str, Any]]:
    if not isinstance(node, YSeq):
        raise TestFileError(node.span, "`expect_records:` is a list, one mapping per record")
    return [_expect(item, RECORD_KEYS) for item in node.items]


def _unique_names(cases: list[Case]) -> None:
    seen: set[str] = set()
    for case in cases:
        if case.name in seen:
            raise TestFileError(case.span, f"a second case named {case.name!r}")
        seen.add(case.name)


def _mapping(node: YNode, message: str) -> YMap:
    if not isinstance(node, YMap):
        raise TestFileError(node.span, message)
    return node


def _fields(node: YMap, known: tuple[str, ...], what: str) -> dict[str, YNode]:
    """A mapping's values by key; unknown and repeated keys are errors."""
    out: dict[str, YNode] = {}
    for key, value in node.items:
        if key.text not in known:
            close = difflib.get_close_matches(key.text, known, n=1)
            hint = f"; did you mean `{close[0]}`?" if close else f" (known: {', '.join(known)})"
            raise TestFileError(key.span, f"unknown {what} key `{key.text}`{hint}")
        if key.text in out:
            raise TestFileError(key.span, f"`{key.text}` is given twice")
        out[key.text] = value
    return out


def _text(node: YNode, message: str) -> str:
    if not isinstance(node, YScalar) or not node.text or node.value is None:
        raise TestFileError(node.span, message)
    return node.text


def plain(node: YNode) -> Any:
    """A YAML node as plain data (what json.loads would give); repeated keys are errors."""
    match node:
        case YScalar():
            return node.value
        case YSeq():
            return [plain(item) for item in node.items]
        case YMap():
            out: dict[str, Any] = {}
            for key, value in node.items:
                if key.text in out:
                    raise TestFileError(key.span, f"`{key.text}` is given twice")
                out[key.text] = plain(value)
            return out


# -- checking a case against its policy ---------------------------------------------

def prepare(case: Case, router: Router) -> Ready:
    """Check a case's state and events against CONTRACT.md and the policy's roster."""
    agents = {a["id"] for a in router.agent_specs}
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
        _check(lambda: router.state(check_snapshot(state, "", agents)), node, "state")
    return Ready(case, state, events)


def _sequence(node: YSeq, agents: set[str], groups: set[str]) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    last = float("-inf")
    for i, item in enumerate(node.items):
        event = plain(item)
        _check(lambda e=event: check_event(e, "", agents), item, f"events/{i}")
        if event["type"] == "transfer" and "to_group" in event \
                and event["to_group"] not in groups:
            raise TestFileError(_locate(item, ["to_group"]),
                                f"events/{i}/to_group: unknown group {event['to_group']!r}")
        at = parse_instant(event["at"])
        if at < last:
            raise TestFileError(_locate(item, ["at"]), f"events/{i}/at: {event['at']} is "
                                "earlier than the event before it (events are in time order)")
        last = at
        events.append(event)
    return events


def _check(run: Any, node: YNode, label: str) -> None:
    """Run a CONTRACT.md check; its complaint is located at the YAML node it names."""
    try:
        run()
    except InputError as err:
        pointer = [p for p in err.where.split("/") if p]
        field = "/".join([label, *pointer])
        found = _find(node, pointer)
        raise TestFileError(found.span, f"{field}: {err.message}{_quote_hint(found)}") from None
    except (TimeError, ValueError, KeyError, TypeError) as err:
        raise TestFileError(node.span, f"{label}: {err}") from None


def _quote_hint(node: YNode) -> str:
    """Ids such as 18767120425 or 0800 read as numbers unless quoted."""
    value = node.value if isinstance(node, YScalar) and not node.quoted else None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return " (a number to YAML; write it in quotes)"
    return ""


def _locate(node: YNode, pointer: list[str]) -> Span:
    return _find(node, pointer).span


def _find(node: YNode, pointer: list[str]) -> YNode:
    """The deepest node a JSON pointer reaches."""
    for part in pointer:
        match node:
            case YMap():
                found = [v for k, v in node.items if k.text == part]
                if not found:
                    break
                node = found[0]
            case YSeq() if part.isdigit() and int(part) < len(node.items):
                node = node.items[int(part)]
            case _:
                break
    return node


# -- running -------------------------------------------------------------------------

def run_case(ready: Ready, router: Router, policy: str) -> CaseResult:
    """Decide (one event) or replay (events) and compare with the expectation."""
    case = ready.case
    if case.event is not None:
        assert ready.snapshot is not None
        shop = router.state(ready.snapshot)
        decision = router.decide(shop, ready.events[0], trace=True)
        records: list[Record] = [dict(decision.to_dict("fails"), buyer=decision.buyer)]
    else:
        records = Engine(router, ready.snapshot, trace="fails").run(ready.events)
    paths = tuple(tuple(r.get("path") or ()) for r in records)
    routing = [r for r in records if r["kind"] in ROUTING_KINDS] if case.event is None \
        else records
    if case.expect_records is not None:
        return _against_records(case, policy, records, paths)
    assert case.expect is not None
    last = routing[-1] if routing else None
    expected = [_line(case.expect, key) for key in case.expect]
    actual = ["(no routing record)"] if last is None else \
        [_line(last, key) for key in case.expect]
    passed = last is not None and all(_same(case.expect[k], last.get(k)) for k in case.expect)
    trace = None if passed or last is None else _trace(last)
    return CaseResult(case, policy, passed, expected, actual, trace, paths)


def _against_records(case: Case, policy: str, records: list[Record],
                     paths: tuple[tuple[str, ...], ...]) -> CaseResult:
    wanted = case.expect_records or []
    expected: list[str] = []
    actual: list[str] = []
    first_bad: Record | None = None
    for i in range(max(len(wanted), len(records))):
        keys = list(wanted[i] if i < len(wanted) else ("kind", "buyer", "agent", "reason"))
        if i < len(wanted):
            expected.append(f"[{i}] " + ", ".join(_line(wanted[i], k) for k in keys))
        if i < len(records):
            actual.append(f"[{i}] " + ", ".join(_line(records[i], k) for k in keys))
        ok = i < len(wanted) and i < len(records) and all(
            _same(wanted[i][k], records[i].get(k)) for k in keys)
        if not ok and first_bad is None and i < len(records):
            first_bad = records[i]
    passed = expected == actual and all(
        _same(w[k], r.get(k)) for w, r in zip(wanted, records, strict=False) for k in w)
    trace = None
    if not passed and first_bad is not None and first_bad.get("kind") in ROUTING_KINDS:
        trace = _trace(first_bad)
    return CaseResult(case, policy, passed, expected, actual, trace, paths)


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
        missed_nodes=tuple((n["id"], "" if n["type"] == "outcome" else n["label"], n["span"])
                           for n in nodes if n["id"] not in visited),
        bindings=len(bindings),
        missed_bindings=tuple((b["id"], b["span"]) for b in bindings if b["id"] not in visited))


# -- a whole run -----------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Run:
    """Every case's result, and each policy's coverage, in the order the files came."""

    results: list[CaseResult]
    coverage: list[Coverage]

    @property
    def failed(self) -> int:
        return sum(not r.passed for r in self.results)


def run_files(paths: list[Path]) -> tuple[Run | None, list[str]]:
    """Load, check and run every test file; (None, located problems) when any is unusable."""
    problems: list[str] = []
    policies: dict[Path, tuple[Router, dict[str, Any]] | None] = {}
    ready: list[tuple[Path, list[Ready]]] = []
    for path in paths:
        try:
            tests = load(path)
            compiled = _compiled(tests.policy, policies)
            if compiled is None:
                raise TestFileError(tests.policy_span, f"policy {display_name(tests.policy)} "
                                                       "has errors; run `policyc check` on it")
            ready.append((tests.policy.resolve(),
                          [prepare(case, compiled[0]) for case in tests.cases]))
        except TestFileError as err:
            problems.append(str(err))
    if problems:
        return None, problems
    results: list[CaseResult] = []
    by_policy: dict[Path, list[CaseResult]] = {}
    for key, cases in ready:
        router, _ = _known(policies, key)
        ran = [run_case(r, router, display_name(key)) for r in cases]
        results.extend(ran)
        by_policy.setdefault(key, []).extend(ran)
    covered = [coverage(_known(policies, key)[1], rs[0].policy, rs)
               for key, rs in by_policy.items()]
    return Run(results, covered), []


def _known(policies: dict[Path, tuple[Router, dict[str, Any]] | None], key: Path
           ) -> tuple[Router, dict[str, Any]]:
    compiled = policies[key]
    assert compiled is not None, "only policies that compiled have cases to run"
    return compiled


def _compiled(policy: Path, cache: dict[Path, tuple[Router, dict[str, Any]] | None]
              ) -> tuple[Router, dict[str, Any]] | None:
    key = policy.resolve()
    if key not in cache:
        artifact = compile_file(policy).artifact
        cache[key] = None if artifact is None else (Router(artifact), artifact)
    return cache[key]
