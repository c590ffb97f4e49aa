"""Policy test files: find `<policy>.test.yaml` files and read them into cases.

The file is read with the policy reader (`dsl/yaml_tree.py`), so every case,
state and event keeps its `file:line:col`. `TEST_FILE` is its shape (runtime
shapes, so `policyc/schemas/test-file.schema.json` is generated from it): an
unknown key anywhere, a wrong value, a case with both `event:` and `events:`, an
unknown policy are TestFileError values located there. A case's state and events
have the CONTRACT.md shapes; they are checked against them and the policy's
roster when the case runs (`policy_tests.prepare`).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .dsl.diagnostic import Report
from .dsl.load import display_name
from .dsl.span import Span, file_span
from .dsl.yaml_tree import YMap, YNode, YScalar, YSeq, read_file
from .runtime.formats import ANY, EVENT, MESSAGE, NAME, SNAPSHOT
from .runtime.records import KINDS
from .runtime.shape import (
    Custom,
    InputError,
    Instant,
    Items,
    Key,
    Nullable,
    Record,
    Shape,
    ShapeError,
    Text,
    check,
)
from .runtime.shape_schema import json_schema
from .runtime.vocabulary import OUTCOMES, REASONS, REPLIES, SELECTIONS

SUFFIXES = (".test.yaml", ".test.yml")
_SKIP_DIRS = {"node_modules", "__pycache__"}


# -- the shape of a test file -------------------------------------------------------

def _when_run(shape: Shape, doc: str) -> Custom:
    """A part checked when its case runs, against the policy too (`policy_tests.prepare`)."""
    return Custom("checked when the case runs", lambda value, at: None,
                  {**json_schema(shape), "description": doc})


def _rule_ids(value: object, at: str) -> None:
    items = value if isinstance(value, list) else [value]
    if not items or not all(isinstance(i, str | int) and not isinstance(i, bool) and str(i)
                            for i in items):
        raise ShapeError(at, "`rule:` is a rule id (S8) or a list of them")


# A single `event:` is a message; its `type` and `at` default to message and the state's.
TEST_MESSAGE = Record("`message` event", (
    Key("type", Text(("message",))), Key("at", Instant()),
    *(k for k in MESSAGE.keys if k.name != "at")))
OUTCOME_KEYS = (
    Key("outcome", Text(OUTCOMES)), Key("agent", Nullable(NAME)), Key("group", Nullable(NAME)),
    Key("reason", Text(tuple(REASONS))), Key("selection", Nullable(Text(SELECTIONS))),
    Key("auto_replies", Items(Text(REPLIES))))
POOL_RUN_KEYS = ("online", "cap", "in_scope", "over_cap", "distributed", "failed", "failures")
EXPECT = Record("an expectation", OUTCOME_KEYS,
                doc="fields the decision (or the last routing record) must have")
EXPECT_RECORD = Record("an expected record", (
    Key("kind", Text(KINDS)), Key("buyer", NAME), *OUTCOME_KEYS,
    Key("why", ANY), Key("routed_by", ANY), Key("auto_reply_texts", Items(Text())),
    *(Key(k, ANY) for k in POOL_RUN_KEYS)),
    doc="fields one engine record must have, in order")
CASE = Record("a case", (
    Key("name", Text(), required=True, doc="unique in the file"),
    Key("rule", Custom("rule ids", _rule_ids, {"anyOf": [
        {"type": ["string", "integer"]}, {"type": "array", "items": {"type": ["string",
                                                                             "integer"]}}]}),
        doc="the ROUTING.md rule id(s) the case proves"),
    Key("state", _when_run(SNAPSHOT, "the state snapshot (CONTRACT.md)")),
    Key("event", _when_run(TEST_MESSAGE, "one message, decided by the router")),
    Key("events", _when_run(Items(EVENT), "events fed in order through the engine")),
    Key("expect", EXPECT),
    Key("expect_records", Items(EXPECT_RECORD)),
), doc="exactly one of `event:` and `events:`; `expect:` or (with `events:`) `expect_records:`")
TEST_FILE = Record("a test file", (
    Key("policy", Text(max_len=4096), doc="the policy, relative to this file "
                                          "(default: <stem>.yaml beside it)"),
    Key("cases", Items(CASE), required=True),
), doc="policyc policy tests (`policyc test`)")
FILE_KEYS = tuple(TEST_FILE.by_name)
CASE_KEYS = tuple(CASE.by_name)
EXPECT_KEYS = tuple(EXPECT.by_name)
RECORD_KEYS = tuple(EXPECT_RECORD.by_name)


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


# -- finding test files ------------------------------------------------------------

def is_test_file(path: Path) -> bool:
    """Named `<policy>.test.yaml` (or `.test.yml`)."""
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
    _check_shape(root)
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


def _check_shape(root: YNode) -> None:
    """The whole file against TEST_FILE; the first misfit, located at its YAML node."""
    try:
        check(TEST_FILE, plain(root))
    except InputError as err:
        parts = [p.replace("~1", "/").replace("~0", "~") for p in err.pointer.split("/")[1:]]
        span = locate_key(root, parts) if err.message.startswith("unknown key") \
            else locate(root, parts)
        node = find(root, parts)
        where = f"{err.pointer.lstrip('/')}: " if err.pointer else ""
        raise TestFileError(span, f"{where}{err.message}{quote_hint(node)}") from None


def locate_key(node: YNode, pointer: list[str]) -> Span:
    """Where the last key of a JSON pointer is written (the key, not its value)."""
    parent = find(node, pointer[:-1])
    if isinstance(parent, YMap):
        for key, _ in parent.items:
            if key.text == pointer[-1]:
                return key.span
    return parent.span


def _fields(node: YMap, known: tuple[str, ...], what: str) -> dict[str, YNode]:
    """A mapping's values by key; unknown and repeated keys are errors."""
    out: dict[str, YNode] = {}
    for key, value in node.items:
        if key.text not in known:
            raise TestFileError(key.span, f"unknown key `{key.text}` in {what}")
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


def quote_hint(node: YNode) -> str:
    """Ids such as 18767120425 or 0800 read as numbers unless quoted."""
    value = node.value if isinstance(node, YScalar) and not node.quoted else None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return " (a number to YAML; write it in quotes)"
    return ""


def locate(node: YNode, pointer: list[str]) -> Span:
    """Where in the test file a JSON pointer into `node` points (as far as it reaches)."""
    return find(node, pointer).span


def find(node: YNode, pointer: list[str]) -> YNode:
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
