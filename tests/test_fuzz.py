"""Hypothesis: whatever text a merchant (or an attacker) writes, the compiler answers with
diagnostics, never an exception.

Random text, random YAML trees, mutations of the shipped Shopee policy and random
expressions go through `compile_file` and `parse_expr`; every diagnostic must carry a
registered code and a 1-based location, and every renderer must cope with it.

And whatever `check` accepts must run: seeded structured mutants of every shipped
policy (and random conditions) that compile are run through the engine on a
generated day of messages, statuses, reads, replies, closes, picks, transfers and
ticks; any exception fails (issue 14). The coverage lint's bit masks are checked
against the point-by-point analysis they replaced.
"""

from __future__ import annotations

import copy
import json
import os
import random
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from policyc import __version__
from policyc.commands.check import policy_files
from policyc.compiler import Result, compile_file, render
from policyc.compiler.coverage import CoverageResult, Point, analyse, evaluate, grid, uses_time
from policyc.compiler.emit import dumps
from policyc.dsl.diagnostic import CODES, Report
from policyc.dsl.expr import parse_expr
from policyc.dsl.span import Span, source_lines
from policyc.runtime.engine import Engine
from policyc.runtime.inputs import check_event
from policyc.runtime.router import Router
from policyc.runtime.vocabulary import FIELDS, ORDER_STATES, SOURCES, STATUSES, STEPS, WEEKDAYS

REPO = Path(__file__).resolve().parents[1]
SHOPEE = (REPO / "policies" / "shopee.yaml").read_text(encoding="utf-8")
# POLICYC_FUZZ_EXAMPLES=2000 runs a longer hunt; the default keeps the suite quick.
EXAMPLES = int(os.environ.get("POLICYC_FUZZ_EXAMPLES", "60"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@pytest.fixture(scope="module")
def workdir() -> Iterator[Path]:
    """A folder holding the shipped policies' included files, so mutants can include them."""
    with tempfile.TemporaryDirectory() as tmp:
        for path in (REPO / "policies").glob("*.yaml"):
            (Path(tmp) / path.name).write_bytes(path.read_bytes())
        yield Path(tmp)


def compile_text(folder: Path, data: str | bytes) -> Result:
    path = folder / "policy.yaml"
    if isinstance(data, str):
        path.write_text(data, encoding="utf-8", errors="surrogatepass")
    else:
        path.write_bytes(data)
    return compile_file(path)


MAX_MESSAGE_CHARS = 400


def assert_only_diagnostics(result: Result) -> None:
    """Codes are registered, locations 1-based, and every output format renders."""
    for d in result.diagnostics:
        assert d.code in CODES
        assert d.span.line >= 1 and d.span.col >= 1, d
        # Messages quote bounded, escaped tokens, never a file's content (issue 14).
        assert len(d.message) <= MAX_MESSAGE_CHARS and d.message.isprintable(), d
        text = result.texts.get(d.span.file)
        if text is not None:  # inside the file (the end of the file counts)
            lines = source_lines(text)
            assert d.span.line <= len(lines), d
            assert d.span.col <= len(lines[d.span.line - 1]) + 1, d
    render.text(result.diagnostics, result.texts)
    json.loads(render.to_json(result.diagnostics))
    json.loads(render.sarif(result.diagnostics, __version__))
    render.github(result.diagnostics)


# -- random text --------------------------------------------------------------------
@FUZZ
@given(st.text(max_size=400))
def test_random_text(workdir: Path, text: str) -> None:
    assert_only_diagnostics(compile_text(workdir, text))


@FUZZ
@given(st.binary(max_size=300))
def test_random_bytes(workdir: Path, data: bytes) -> None:
    assert_only_diagnostics(compile_text(workdir, data))


# YAML-ish text: the characters that make YAML interesting, so the parser gets far.
_YAML_ALPHABET = st.sampled_from([*"abc:-[]{},&*!|>'\"#?%@ \n\t0123456789.", "policyc: 1\n",
                                  "shop:\n", "  ", "- ", "route:", "&a ", "*a"])


@FUZZ
@given(st.lists(_YAML_ALPHABET, max_size=120).map("".join))
def test_yaml_shaped_text(workdir: Path, text: str) -> None:
    assert_only_diagnostics(compile_text(workdir, text))


# -- random YAML trees --------------------------------------------------------------
_WORDS = st.sampled_from(["policyc", "shop", "id", "timezone", "roster", "groups", "members",
                          "sources", "route", "step", "when", "to", "agents", "pins", "bindings",
                          "intents", "selection", "strategy", "overflow", "role", "main",
                          "created_at", "queue", "staging", "working_hours", "from",
                          "auto_replies", "welcome", "text", "enabled", "timeouts",
                          "offline_pool", "Asia/Taipei", "2024-01-01T09:00:00+08:00",
                          "09:00", "10m", "source in {product_page}", *SOURCES, *STEPS])
_SCALARS = (st.none() | st.booleans() | st.integers(-10**6, 10**6)
            | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20) | _WORDS)
_TREES = st.recursive(
    _SCALARS,
    lambda children: (st.lists(children, max_size=5)
                      | st.dictionaries(_WORDS | st.text(max_size=8), children, max_size=6)),
    max_leaves=40)


@FUZZ
@given(_TREES)
@example({"roster": "\x00"})  # an include path with a NUL byte raised ValueError
def test_random_yaml_trees(workdir: Path, tree: Any) -> None:
    assert_only_diagnostics(compile_text(workdir, yaml.safe_dump(tree, allow_unicode=True)))


@FUZZ
@given(st.dictionaries(_WORDS, _TREES, max_size=8))
def test_random_policy_shaped_trees(workdir: Path, tree: dict[str, Any]) -> None:
    tree = {"policyc": 1, **tree}
    assert_only_diagnostics(compile_text(workdir, yaml.safe_dump(tree, allow_unicode=True)))


# -- mutations of a real policy ------------------------------------------------------
def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path into a loaded YAML value."""
    out = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            out += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            out += _paths(value, (*prefix, index))
    return out


class _TimesAsText(yaml.SafeLoader):
    """PyYAML reads `from: 13:30` as the sexagesimal int 810; policyc reads it as a time.
    Keeping such scalars as text lets a loaded policy be dumped back unchanged."""


def _int_or_time(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> object:
    text = loader.construct_scalar(node)
    return text if ":" in text else yaml.SafeLoader.construct_yaml_int(loader, node)


_TimesAsText.add_constructor("tag:yaml.org,2002:int", _int_or_time)


def _load(text: str) -> Any:
    return yaml.load(text, Loader=_TimesAsText)


SHOPEE_TREE = _load(SHOPEE)
SHOPEE_PATHS = _paths(SHOPEE_TREE)[1:]


def _mutate(tree: Any, path: tuple[Any, ...], action: str, value: Any) -> Any:
    parent = tree
    for step in path[:-1]:
        parent = parent[step]
    last = path[-1]
    match action:
        case "delete":
            del parent[last]
        case "replace":
            parent[last] = value
        case "duplicate" if isinstance(parent, list):
            parent.insert(last, parent[last])
        case _:
            parent[last] = [parent[last], value]
    return tree


# Every shipped policy (the files `policyc check policies/` finds), loaded as data.
SHIPPED = {p.name: _load(p.read_text(encoding="utf-8"))
           for p in policy_files([REPO / "policies"])[0]}


@FUZZ
@given(st.lists(st.tuples(st.sampled_from(SHOPEE_PATHS),
                          st.sampled_from(["delete", "replace", "duplicate", "wrap"]),
                          _SCALARS | _TREES), min_size=1, max_size=4))
@example([(("route",), "replace", None)])  # an empty route crashed the graph builder
def test_mutated_shopee_tree(workdir: Path, mutations: list[tuple[Any, ...]]) -> None:
    _compile_mutant(workdir, SHOPEE_TREE, mutations)


@FUZZ
@given(st.sampled_from(sorted(SHIPPED)).flatmap(lambda name: st.tuples(
    st.just(name),
    st.lists(st.tuples(st.sampled_from(_paths(SHIPPED[name])[1:]),
                       st.sampled_from(["delete", "replace", "duplicate", "wrap"]),
                       _SCALARS | _TREES), min_size=1, max_size=4))))
def test_mutated_shipped_trees(workdir: Path, case: tuple[str, list[tuple[Any, ...]]]) -> None:
    name, mutations = case
    _compile_mutant(workdir, SHIPPED[name], mutations)


def _compile_mutant(workdir: Path, original: Any, mutations: list[tuple[Any, ...]]) -> None:
    tree = copy.deepcopy(original)
    for path, action, value in mutations:
        try:
            tree = _mutate(tree, path, action, value)
        except (KeyError, IndexError, TypeError):
            continue  # an earlier mutation removed this path
    assert_only_diagnostics(compile_text(workdir, yaml.safe_dump(tree, allow_unicode=True)))


@FUZZ
@given(st.data())
def test_mutated_shopee_text(workdir: Path, data: st.DataObject) -> None:
    lines = SHOPEE.splitlines(keepends=True)
    for _ in range(data.draw(st.integers(1, 4))):
        i = data.draw(st.integers(0, len(lines) - 1))
        match data.draw(st.sampled_from(["drop", "dup", "swap", "insert", "chop", "indent"])):
            case "drop":
                del lines[i]
            case "dup":
                lines.insert(i, lines[i])
            case "swap":
                j = data.draw(st.integers(0, len(lines) - 1))
                lines[i], lines[j] = lines[j], lines[i]
            case "insert":
                at = data.draw(st.integers(0, len(lines[i])))
                lines[i] = lines[i][:at] + data.draw(_YAML_ALPHABET) + lines[i][at:]
            case "chop":
                lines[i] = lines[i][:data.draw(st.integers(0, len(lines[i])))] + "\n"
            case _:
                lines[i] = " " + lines[i]
        if not lines:
            break
    assert_only_diagnostics(compile_text(workdir, "".join(lines)))


# -- expressions ---------------------------------------------------------------------
_BASE = Span("policy.yaml", 7, 11)
_TOKENS = st.sampled_from([
    "and", "or", "not", "in", "not in", "==", "!=", "<", "<=", ">", ">=", "(", ")", "{", "}",
    ",", "..", "true", "false", "none", "09:00", "24:00", "99:99", "10m", "3d", "42", "1.5",
    '"vip"', "'x'", '"a\\"b"', '"\\x"', '"\\u12"', "=", "&&", "||", "!", "[", "]", ".", "\n",
    *FIELDS, *SOURCES, *ORDER_STATES, *WEEKDAYS, "intent_a", "prodct_page"])


def _parse_ok(text: str, col_offset: int) -> None:
    report = Report()
    parse_expr(text, _BASE, report, col_offset)
    for d in report.items:
        assert d.code in ("E110", "E213")
        assert d.span.line >= _BASE.line and d.span.col >= 1


@settings(max_examples=EXAMPLES * 3, deadline=None)
@given(st.text(max_size=60), st.integers(0, 1))
def test_parse_expr_random_text(text: str, col_offset: int) -> None:
    _parse_ok(text, col_offset)


@settings(max_examples=EXAMPLES * 3, deadline=None)
@given(st.lists(_TOKENS, max_size=12).map(" ".join), st.integers(0, 1))
@example('buyer.id == "\\x"', 0)  # unicode_escape raised inside the lark transformer
def test_parse_expr_random_tokens(text: str, col_offset: int) -> None:
    _parse_ok(text, col_offset)


@FUZZ
@given(st.lists(_TOKENS, min_size=1, max_size=10).map(" ".join))
def test_random_conditions_compile(workdir: Path, condition: str) -> None:
    """Expressions that parse go on through the type checker and coverage analysis."""
    when = json.dumps(condition)
    text = SHOPEE.replace("  - bindings\n", f"  - step: bindings\n    when: {when}\n")
    text += f"bindings:\n  - when: {when}\n    to: [presale]\n"
    result = compile_text(workdir, text)
    assert_only_diagnostics(result)
    run_compiled(result, len(condition), "fails")


# -- included files ------------------------------------------------------------------
@FUZZ
@given(_TREES | st.fixed_dictionaries({"roster": _TREES}) | st.fixed_dictionaries({"pins": _TREES}),
       st.sampled_from(["roster", "pins"]))
def test_random_included_files(workdir: Path, included: Any, key: str) -> None:
    (workdir / "part.yaml").write_text(yaml.safe_dump(included, allow_unicode=True),
                                       encoding="utf-8")
    tree = yaml.safe_load(SHOPEE)
    tree[key] = "part.yaml"
    assert_only_diagnostics(compile_text(workdir, yaml.safe_dump(tree, allow_unicode=True)))


@FUZZ
@given(st.lists(st.tuples(st.text("abc-_.", min_size=1, max_size=6),
                          st.sampled_from(["chrissy", "elly", "intern", "nobody", "shop-main"]),
                          st.sampled_from([None, "strict", "prefer", "sometimes"])),
                max_size=8))
def test_random_pins(workdir: Path, pins: list[tuple[str, str, str | None]]) -> None:
    lines = ["pins:"]
    for buyer, agent, mode in pins:
        lines.append(f"  {buyer!r}: {agent}" if mode is None
                     else f"  {buyer!r}: {{agent: {agent}, mode: {mode}}}")
    text = SHOPEE.replace("route:\n", "route:\n  - pin\n", 1) + "\n".join(lines) + "\n"
    assert_only_diagnostics(compile_text(workdir, text))


# -- coverage analysis ---------------------------------------------------------------
_ATOMS = st.one_of(
    st.lists(st.sampled_from(SOURCES[:3]), min_size=1, max_size=2).map(
        lambda s: ["in", "source", s]),
    st.tuples(st.integers(0, 47), st.integers(0, 48)).map(
        lambda t: ["time_in", t[0] * 30, t[1] * 30]),
    st.sampled_from(WEEKDAYS).map(lambda d: ["cmp", "==", "day", d]),
    st.tuples(st.sampled_from(["<", "<=", ">", ">="]), st.integers(0, 1440)).map(
        lambda t: ["cmp", t[0], "time", t[1]]),
    st.just(["field", "wants_human"]),
    st.booleans().map(lambda b: ["const", b]))
_CONDITIONS = st.recursive(_ATOMS, lambda inner: st.one_of(
    inner.map(lambda c: ["not", c]),
    st.lists(inner, min_size=2, max_size=3).flatmap(
        lambda items: st.sampled_from(["and", "or"]).map(lambda op: [op, *items]))),
    max_leaves=6)


@settings(max_examples=EXAMPLES * 2, deadline=None)
@given(_CONDITIONS, st.sampled_from(SOURCES[:3]))
def test_coverage_shortcut_is_sound(condition: Any, source: str) -> None:
    """A definite answer for `source` at any time holds at every half hour of the week."""
    anytime = evaluate(condition, Point(source, -1, -1))
    if anytime is not None:
        assert all(evaluate(condition, p) == anytime for p in grid([source], True))


def _analyse_point_by_point(conditions: list[Any], sources: list[str]) -> CoverageResult:
    """The coverage analysis as first written (and 94 s for 8,000 timed bindings): every
    binding evaluated at every point. `analyse` must agree with it exactly."""
    points = grid(sources, any(c is not None and uses_time(c) for c in conditions))
    possible = [False] * len(conditions)
    winner_of: dict[int, set[int]] = {i: set() for i in range(len(conditions))}
    uncovered: dict[str, list[Point]] = {s: [] for s in sources}
    for p in points:
        covered, winner = False, None
        for i, cond in enumerate(conditions):
            result = evaluate(cond, p)
            if result is False:
                continue
            covered = True
            if winner is not None:
                winner_of[i].add(winner)
            else:
                possible[i] = True
                if result is True:
                    winner = i
        if not covered:
            uncovered[p.source].append(p)
    seen: dict[str, int] = {}
    shadowed: dict[int, int] = {}
    for i, cond in enumerate(conditions):
        key = json.dumps(cond, sort_keys=True)
        if key in seen:
            shadowed[i] = seen[key]
            continue
        seen[key] = i
        if not possible[i] and winner_of[i]:
            shadowed[i] = min(winner_of[i])
    per_source = len(points) // max(len(sources), 1)
    return CoverageResult(shadowed, uncovered, {s: per_source for s in sources})


@settings(max_examples=EXAMPLES, deadline=None)
@given(st.lists(st.none() | _CONDITIONS, min_size=1, max_size=6),
       st.lists(st.sampled_from(SOURCES[:3]), min_size=1, max_size=3, unique=True))
def test_mask_analysis_agrees_with_point_by_point(conditions: list[Any],
                                                  sources: list[str]) -> None:
    assert analyse(conditions, sources) == _analyse_point_by_point(conditions, sources)


# -- structured mutants that compile must also run -------------------------------------
# Issue 14: 8,800 structured mutants found policies `check` accepted whose first message
# raised. Each mutant of a shipped policy below either gets diagnostics or compiles and
# then runs through the engine on a short generated day without raising.
_EXTREME_NUMBERS = [0, -1, 1, 10_000, 10_001, 2**63, 10**400, 1e308, float("inf"),
                    float("nan"), 0.5, -0.0]
_UNICODE_DIGITS = ["²", "٣", "１０", "²d", "٣m", "²:00", "١٢:٠٠", "𝟗h", "⁵s"]
_EXPR_FIELDS = [*FIELDS, "order.stat", "shop"]
_EXPR_OPS = ["==", "!=", "<", "<=", ">", ">=", "in", "not in"]
_EXPR_LITERALS = ["none", "true", "false", "0", "42", "1.5", "9" * 16, "9" * 5000, "09:00",
                  "24:00", "23:59", "99:99", "24:01", "10m", "0s", "3d", "9" * 13 + "d",
                  '"vip"', "''", '"' + "x" * 1001 + '"', "{}", '{"a"}', "{product_page}",
                  "{none, unpaid}", "{09:00, 10:00}", "{1, 2}", "09:00..21:30", "21:30..09:00",
                  "00:00..24:00", "9:99..10:00", "²", "²:00", "١٢:٠٠", *SOURCES[:3],
                  *ORDER_STATES[:2], *WEEKDAYS[:2], "refund", "buyer.tags", "time"]


# Well-typed atoms with edge values, so many mutants compile and reach the engine.
_TYPED_ATOMS = ["source in {product_page, order_page}", "source != live_story",
                "time >= 24:00", "time < 00:00", "time in 21:30..09:00", "time in 00:00..24:00",
                "time in 09:00..09:00", "shop.online > 999999999999999", "shop.online >= 0.5",
                "shop.available == 0", "order.state == none", "order.state in {none, unpaid}",
                "intent == none", "order.id != none", "item.id == ''", '"vip" in buyer.tags',
                '"" not in buyer.tags', 'buyer.id in {"b-1", "b-2"}', "day in {sat, sun}",
                "day != mon", "wants_human", "not wants_human", "true", "false",
                "wants_human == false", 'buyer.id == "\\u00e9\\n"']


# The literals a field is most often confused with: none, invalid or edge times,
# durations, sets, huge numbers, text; one of these against a random field and operator.
_EDGE_LITERALS = ["none", "99:99", "24:00", "10m", '{"a"}', "0", "9" * 15, '"vip"']
# Ordered fields and operators come up more often: that is where a value of the wrong
# type reaches a comparison the runtime evaluates.
_EDGE_FIELDS = [*FIELDS, "shop.online", "shop.available", "time", "buyer.tags"]
_EDGE_OPS = [*_EXPR_OPS, "<", ">", ">=", "in"]


def _atom(rng: random.Random) -> str:
    match rng.choice(["typed", "typed", "typed", "edge", "edge", "any"]):
        case "typed":
            return rng.choice(_TYPED_ATOMS)
        case "edge":
            field = rng.choice(_EDGE_FIELDS)
            op = rng.choice(_EDGE_OPS)
            literal = rng.choice(_EDGE_LITERALS)
            return rng.choice([f"{field} {op} {literal}", f"{literal} {op} {field}"])
    left = rng.choice(_EXPR_FIELDS + _EXPR_LITERALS[:4])
    op = rng.choice(_EXPR_OPS)
    right = rng.choice(_EXPR_LITERALS + _EXPR_FIELDS[:3])
    return rng.choice([f"{left} {op} {right}", f"{right} {op} {left}", left])


def _expression(rng: random.Random) -> str:
    text = _atom(rng)
    for _ in range(rng.choice([0, 0, 0, 1, 2])):
        joint = rng.choice(["and", "or", "and not"])
        text = f"({text}) {joint} {_atom(rng)}"
    return text


def _leaves(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[tuple[Any, ...], Any]]:
    return [(path, _at(node, path)) for path in _paths(node, prefix)]


def _at(node: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        node = node[step]
    return node


def _set(tree: Any, path: tuple[Any, ...], value: Any) -> None:
    _at(tree, path[:-1])[path[-1]] = value


def _structured_mutation(tree: Any, rng: random.Random, kind: str | None = None) -> None:
    """One seeded change of the YAML tree, of the kinds issue 14's campaign used."""
    nodes = _leaves(tree)[1:]
    path, value = rng.choice(nodes)
    kind = kind or rng.choice(["swap", "retype", "drop", "expression", "number", "unicode",
                               "duplicate"])
    match kind:
        case "swap":  # values of two keys trade places (neither inside the other)
            other, other_value = rng.choice(nodes)
            if path[:len(other)] != other and other[:len(path)] != path:
                _set(tree, path, copy.deepcopy(other_value))
                _set(tree, other, copy.deepcopy(value))
        case "retype":
            _set(tree, path, rng.choice(
                [str(value), [value], {"x": value}, None, True, 3, "", [], {}]))
        case "drop":
            del _at(tree, path[:-1])[path[-1]]
        case "expression":  # a `when:` on a binding or route step (`- pin` becomes a mapping)
            steps = [("route", i) for i in range(len(tree.get("route") or []))
                     if isinstance(tree.get("route"), list)]
            bindings = [("bindings", i) for i in range(len(tree.get("bindings") or []))
                        if isinstance(tree.get("bindings"), list)]
            where = rng.choice(steps + bindings or [path])
            item = _at(tree, where)
            if isinstance(item, str):
                _set(tree, where, {"step": item, "when": _expression(rng)})
            elif isinstance(item, dict):
                item["when"] = _expression(rng)
        case "number":
            _set(tree, path, rng.choice(_EXTREME_NUMBERS))
        case "unicode":
            _set(tree, path, rng.choice(_UNICODE_DIGITS))
        case _:
            parent = _at(tree, path[:-1])
            if isinstance(parent, list):
                parent.insert(path[-1], copy.deepcopy(value))


def _day_of_events(artifact: dict[str, Any], seed: int) -> list[dict[str, Any]]:
    """A short deterministic day: statuses, messages, reads, replies, closes, picks,
    transfers, capacity changes and ticks, over the artifact's own agents and groups."""
    rng = random.Random(seed)
    agents = [a["id"] for a in artifact["agents"]]
    groups = [g["id"] for g in artifact["groups"]] or ["none"]
    buyers = [f"b-{i}" for i in range(8)] + [str(b) for b in list(artifact["pins"])[:2]]
    events: list[dict[str, Any]] = []
    minute = 0
    for _ in range(60):
        minute += rng.randint(0, 50)
        at = (datetime(2026, 11, 23, tzinfo=UTC) + timedelta(minutes=minute)).isoformat()
        agent, buyer = rng.choice(agents), rng.choice(buyers)
        kind = rng.choice(["message"] * 5 + ["agent_status"] * 3 + [
            "read", "reply", "close", "tick", "tick", "pick", "transfer", "set_capacity",
            "membership"])
        event: dict[str, Any] = {"type": kind, "at": at}
        match kind:
            case "message":
                event |= {"buyer": buyer, "source": rng.choice(SOURCES),
                          "order_state": rng.choice([None, *ORDER_STATES]),
                          "intent": rng.choice([None, "refund", "presale"]),
                          "buyer_tags": rng.sample(["vip", "a", "new"], rng.randint(0, 2)),
                          "wants_human": rng.random() < 0.5}
            case "agent_status":
                event |= {"agent": agent, "status": rng.choice(STATUSES)}
            case "read" | "reply" | "close" | "pick":
                event |= {"agent": agent, "buyer": buyer}
            case "transfer":
                event |= {"agent": agent, "buyer": buyer}
                event |= ({"to_group": rng.choice(groups)} if rng.random() < 0.5
                          else {"to_agent": rng.choice(agents)})
            case "set_capacity":
                event |= {"agent": agent, "capacity": rng.choice([None, 1, 2, 5])}
            case "membership":
                event |= {"agent": agent, "group": rng.choice(groups),
                          "member": rng.random() < 0.5}
        events.append(check_event(event, f"event {len(events)}", set(agents)))
    return events


def run_compiled(result: Result, seed: int, trace: str | None) -> None:
    """Compile-clean policies run a generated day through the engine; nothing may raise."""
    artifact = result.artifact
    if artifact is None:
        return
    router = Router(json.loads(dumps(artifact)))  # as `compile -o` then `simulate` read it
    engine = Engine(router, trace=trace)
    events = [e for e in _day_of_events(artifact, seed)
              if e["type"] != "membership" or e["group"] in router.groups]
    for event in events:
        for record in engine.feed(event):
            json.dumps(record)
    engine.counters()


_CORPUS = settings(max_examples=int(os.environ.get("POLICYC_FUZZ_EXAMPLES", "60")) * 4,
                   deadline=None, derandomize=True,
                   suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@_CORPUS
@given(st.sampled_from(sorted(SHIPPED)), st.integers(0, 2**32),
       st.sampled_from([None, "fails", "full"]))
@example("shopee.yaml", -1, None)  # the shipped policy unchanged runs too
@example("taobao.yaml", 868, None)  # 10**400 as a number: math.isfinite raised OverflowError
def test_structured_mutants_that_compile_also_run(
        workdir: Path, name: str, seed: int, trace: str | None) -> None:
    """A seed names one mutant: a changed condition, then up to two changes of any kind
    (the mutations draw from `random.Random(seed)`, so a failure's seed reproduces it)."""
    tree = copy.deepcopy(SHIPPED[name])
    rng = random.Random(seed)
    if seed >= 0:
        _structured_mutation(tree, rng, "expression")
        for _ in range(rng.randint(0, 2)):
            try:
                _structured_mutation(tree, rng)
            except (KeyError, IndexError, TypeError):
                continue  # an earlier mutation removed or retyped this path
    result = compile_text(workdir, yaml.safe_dump(tree, allow_unicode=True))
    assert_only_diagnostics(result)
    run_compiled(result, abs(seed), trace)


# The conditions issue 14 found accepted by `check` and then raising on the first
# message; each must now be refused or run, in every shipped policy's first binding
# or step.
ISSUE_14_CONDITIONS = ["time > 99:99", "shop.online > none", 'buyer.tags in {"a"}',
                       "shop.online > 10m", "time in 9:99..10:00", "time < none",
                       'buyer.tags not in {"a"}', "shop.available >= none", "day == none"]


@pytest.mark.parametrize("condition", ISSUE_14_CONDITIONS)
@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_issue_14_conditions_are_refused_or_run(workdir: Path, name: str,
                                                condition: str) -> None:
    tree = copy.deepcopy(SHIPPED[name])
    step = tree["route"][0]
    tree["route"][0] = {"step": step, "when": condition} if isinstance(step, str) else {
        **step, "when": condition}
    result = compile_text(workdir, yaml.safe_dump(tree, allow_unicode=True))
    assert_only_diagnostics(result)
    assert result.artifact is None, condition  # all of them are mistakes
    run_compiled(result, 14, "full")


def test_the_mutant_corpus_reaches_the_engine(workdir: Path) -> None:
    """The corpus is not all diagnostics: of 60 seeded mutants, many compile and run."""
    compiled = 0
    for seed in range(60):
        name = sorted(SHIPPED)[seed % len(SHIPPED)]
        tree = copy.deepcopy(SHIPPED[name])
        _structured_mutation(tree, random.Random(seed), "expression")
        result = compile_text(workdir, yaml.safe_dump(tree, allow_unicode=True))
        compiled += result.artifact is not None
        run_compiled(result, seed, None)
    assert compiled >= 10, compiled  # 15 today
