"""The compiled artifact: the versioned JSON contract between compiler and runtime.

The runtime reads only this file (never the YAML policy, lark or networkx).
`ARTIFACT` is its shape, every table and setting the router reads; an artifact
is checked against it (after its format and version) and then for what a shape
cannot say (every group, agent and node it names exists, the time zone is
known), so a hand-edited or old artifact is a located ArtifactError, never a
traceback in `Router`. `policyc/schemas/artifact.schema.json` is generated from it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from . import source_files
from .clock import zone
from .formats import CAPACITY, NAME, RANGES, SCORE
from .inputs import looks_like
from .shape import (
    Custom,
    Fixed,
    Flag,
    InputError,
    Instant,
    Items,
    Key,
    Nullable,
    Number,
    Record,
    ShapeError,
    Table,
    Tagged,
    Text,
    Whole,
    check,
    show,
)
from .vocabulary import FIELDS, LANGUAGES, ROLES, SOURCES, STEPS, STRATEGIES, WEEKDAYS

ARTIFACT_FORMAT = "policyc.artifact"
ARTIFACT_VERSION = 1
MAX_CONDITION_DEPTH = 128  # the policy language allows 64 (dsl/expr.py); lowering adds a few


class ArtifactError(ValueError):
    """The file is not an artifact this runtime can run."""


# -- conditions: the lowered `when:` trees of compiler/typecheck.py ---------------------

_SCALAR = (str, int, float, type(None))
_ORDERED = ("<", "<=", ">", ">=")


def _condition(value: object, at: str) -> None:
    """Check a lowered condition tree without recursion (a hostile one may be deep)."""
    todo = [(value, at, 1)]
    while todo:
        node, here, depth = todo.pop()
        if depth > MAX_CONDITION_DEPTH:
            raise ShapeError(here, f"a condition nested more than {MAX_CONDITION_DEPTH} deep")
        if not isinstance(node, list) or not node or not isinstance(node[0], str):
            raise ShapeError(here, f"a condition is a list naming its form, found {show(node)}")
        todo += [(part, f"{here}/{i}", depth + 1) for i, part in _atom(node, here)]


def field_kind(name: str) -> str:
    """A field's type: FIELDS, a calendar's `calendar.<name>` (true while open) or an
    agent attribute's `agent.<name>` (its declaration is checked with the references)."""
    if name in FIELDS:
        return FIELDS[name]
    if name.startswith("calendar.") and len(name) > 9:
        return "bool"
    if name.startswith("agent.") and len(name) > 6:
        return "agent"  # set, enum or int: any operand form
    return ""


def _field(node: list[Any], i: int, here: str, kinds: tuple[str, ...] = ()) -> str:
    name = node[i] if len(node) > i else None
    kind = field_kind(name) if isinstance(name, str) else ""
    if kind == "agent":
        return str(name)
    if not kind or (kinds and kind.split(":")[0] not in kinds):
        wanted = f" ({' or '.join(kinds)})" if kinds else ""
        raise ShapeError(f"{here}/{i}", f"{show(name)} is not a field{wanted} a condition reads")
    return str(name)


def _atom(node: list[Any], here: str) -> list[tuple[int, object]]:
    """Check one form's own operands; the sub-conditions it holds, to check next."""
    op, size = node[0], len(node)
    fits = True
    match op:
        case "and" | "or":
            return list(enumerate(node[1:], 1)) if size >= 2 else _bad(here, op)
        case "not":
            return [(1, node[1])] if size == 2 else _bad(here, op)
        case "const":
            fits = size == 2 and isinstance(node[1], bool)
        case "field":
            fits = size == 2 and bool(_field(node, 1, here, ("bool",)))
        case "in":
            _field(node, 1, here, ("str", "enum", "int", "time", "bool"))
            fits = size == 3 and isinstance(node[2], list) and len(node[2]) <= 10_000 \
                and all(isinstance(v, _SCALAR) for v in node[2])
        case "has":
            _field(node, 1, here, ("set",))
            fits = size == 3 and isinstance(node[2], str)
        case "cmp":
            fits = size == 4 and node[1] in ("==", "!=", *_ORDERED)
            if fits and node[1] in _ORDERED:
                _field(node, 2, here, ("int", "time"))
                fits = isinstance(node[3], int) and not isinstance(node[3], bool)
            elif fits:
                _field(node, 2, here)
                fits = isinstance(node[3], _SCALAR)
        case "time_in":
            fits = size == 3 and all(isinstance(v, int) and not isinstance(v, bool)
                                     and 0 <= v <= 1440 for v in node[1:])
        case _:
            raise ShapeError(f"{here}/0", f"unknown condition form {show(op)}")
    return [] if fits else _bad(here, op)


def _bad(here: str, op: str) -> list[tuple[int, object]]:
    raise ShapeError(here, f"a malformed `{op}` condition")


CONDITION = Custom("condition", _condition, {
    "type": "array", "minItems": 1, "prefixItems": [{"type": "string"}],
    "description": "a lowered `when:` expression (compiler/typecheck.py)"})

# -- the tables -------------------------------------------------------------------------

SPAN = Text(max_len=4096, doc="file:line:col in the policy")
SECONDS = Whole(0, 100 * 366 * 86_400)
MINUTE = Whole(0, 1440)
NAMES = Items(NAME)
STRATEGY = Nullable(Text(STRATEGIES))


def _record(name: str, *keys: Key, optional: tuple[str, ...] = ()) -> Record:
    """A record whose keys are all required but the `optional` ones."""
    return Record(name, tuple(Key(k.name, k.shape, k.name not in optional, k.doc)
                              for k in keys))


def _keys(**shapes: Any) -> tuple[Key, ...]:
    return tuple(Key(name.rstrip("_"), shape) for name, shape in shapes.items())


SHOP = _record("the shop", *_keys(
    id=NAME, timezone=Text(max_len=128), language=Text(LANGUAGES), grouping_enabled=Flag(),
    grouping_switch=Flag(), include_main_account=Flag(), exclude_admins=Flag(),
    main=Nullable(NAME), main_in_group=Flag(), one_group_per_agent=Flag(), span=SPAN),
    optional=("grouping_switch", "one_group_per_agent", "language"))
RATE = Nullable(Number(*RANGES["rate"]))
ATTRIBUTE_VALUE = Custom("attribute value", lambda value, at: _attribute_value(value, at), {
    "anyOf": [{"type": "string"}, {"type": "integer"}, {"type": "array",
                                                        "items": {"type": "string"}}]})
AGENT = _record("an agent", *_keys(
    id=NAME, name=Nullable(Text(max_len=4096)), role=Text(ROLES), created_at=Instant(),
    chat_permission=Flag(), capacity=Nullable(CAPACITY), score=SCORE, reception_rate=RATE,
    conversion_rate=RATE, efficiency=Number(*RANGES["efficiency"]), groups=NAMES, span=SPAN,
    attributes=Table(ATTRIBUTE_VALUE), channel_capacity=Table(Whole(0, 10_000)), proxy=NAME),
    optional=("name", "attributes", "channel_capacity", "proxy"))
CHANNEL = _record("a channel", *_keys(id=NAME, sources=Items(Text(SOURCES)),
                                      weight=Whole(1, 100), span=SPAN))
# T14 group bot first: the condition under which the assistant answers the group's chats.
BOT_FIRST = _record("a group's bot first", *_keys(when=CONDITION, span=SPAN))
GROUP = _record("a group", *_keys(id=NAME, members=NAMES, select=STRATEGY, overflow=NAMES,
                                  span=SPAN, fallback=Flag(), bot_first=BOT_FIRST),
                optional=("fallback", "bot_first"))
REQUIREMENT = _record("a requirement stage", *_keys(agent=CONDITION, for_=Nullable(SECONDS),
                                                  span=SPAN))
SPLIT = Fixed((NAME, Whole(1, 10_000)))
# A timed target (`targets:`): its group, the seconds of waiting before it opens, its span.
# Optional, like `require` and `split`: an artifact compiled before timed targets reads
# the same (version 1), every group open from the start.
TARGET = Fixed((NAME, SECONDS, SPAN))
BINDING = _record("a binding", *_keys(id=NAME, when=Nullable(CONDITION), groups=NAMES,
                                      agents=NAMES, select=STRATEGY, span=SPAN,
                                      require=Items(REQUIREMENT), split=Items(SPLIT),
                                      targets=Items(TARGET)),
                  optional=("require", "split", "targets"))
# A binding written with `enabled: false`: not part of the graph, named by why-not.
SWITCHED_OFF = _record("a switched-off binding", *_keys(id=NAME, groups=NAMES, agents=NAMES,
                                                        span=SPAN))
_PARAMS: dict[str, tuple[Key, ...]] = {
    "recent_contact": _keys(window=Nullable(SECONDS), grace=SECONDS, reach_hidden=Flag()),
    "bindings": _keys(enabled=Flag()),
    "other_online": _keys(include_main=Flag(), select=STRATEGY),
}
STEP = Tagged("kind", "step kind", {
    kind: _record(f"a `{kind}` step", *_keys(
        id=Text(max_len=256), when=Nullable(CONDITION), span=SPAN,
        params=_record(f"`{kind}` parameters", *_PARAMS.get(kind, ()))))
    for kind in STEPS})
REPLY = _record("an auto reply", *_keys(enabled=Flag(), text=Nullable(Text(max_len=4000))))
WINDOW = _record("a window", *_keys(from_=MINUTE, to=MINUTE))
SETTINGS = _record("the settings", *_keys(
    queue=_record("queue settings", *_keys(
        order=Text(("oldest_first", "newest_first")), take_on_online=Nullable(Whole(0, 10**6)))),
    staging=_record("staging settings", *_keys(mode=Text(("first_online", "even_split")),
                                                cap=Whole(1, 100_000))),
    working_hours=Nullable(_record("working hours", *_keys(
        days=Items(Text(WEEKDAYS)), from_=MINUTE, to=MINUTE))),
    auto_replies=_record("auto replies", *_keys(
        welcome=REPLY, queued=REPLY, after_hours=REPLY, customer_timeout=REPLY,
        agent_timeout=REPLY), optional=("customer_timeout", "agent_timeout")),
    timeouts=_record("timeouts", *_keys(**{k: Nullable(SECONDS) for k in (
        "close_read_idle", "customer_no_response", "agent_no_response",
        "reassign_unreplied")})),
    offers=Nullable(_record("offers", *_keys(push_timeout=Whole(1, 10 * 366 * 86400)))),
    offline_pool=Nullable(_record("the offline pool", *_keys(
        windows=Items(WINDOW), scope=Text(("wants_human_24h", "all_24h")),
        target=Text(("routing_rules", "groups", "agents")), groups=NAMES, agents=NAMES,
        min_online=Whole(0, 10**6), max_avg_pending=Nullable(Whole(0, 10**6)),
        per_agent=Whole(1, 10**6), hard_cap=Whole(1, 5000)))),
), optional=("offers",))  # artifacts compiled before offers have none
ATTRIBUTE = _record("an agent attribute", *_keys(type=Text(("set", "one", "number")),
                                                values=NAMES))
CALENDAR = _record("a calendar", *_keys(
    hours=_record("hours per weekday", *_keys(**{d: Items(WINDOW) for d in WEEKDAYS})),
    dates=Items(_record("a date's hours", *_keys(date=Text(max_len=10), hours=Items(WINDOW)))),
    holidays=Items(Text(max_len=10)), span=SPAN))
PRIORITY = _record("a queue priority", *_keys(id=Text(max_len=256), when=CONDITION,
                                              priority=Whole(-1000, 1000), span=SPAN))
NODE = _record("a graph node", *_keys(
    id=Text(max_len=4096), type=Text(max_len=64), label=Text(max_len=1 << 16), span=SPAN,
    group=NAME, binding=Text(max_len=4096), outcome=Text(max_len=64),
    reason=Text(max_len=64), kind=Text(max_len=64), bot_first_of=NAME),
    optional=("label", "group", "binding", "outcome", "reason", "kind", "bot_first_of"))
EDGE = _record("a graph edge", *_keys(from_=Text(max_len=4096), to=Text(max_len=4096),
                                      label=Text(max_len=256)))
ARTIFACT = _record("an artifact", *_keys(
    format=Text((ARTIFACT_FORMAT,)), version=Whole(ARTIFACT_VERSION, ARTIFACT_VERSION),
    policy=Text(max_len=128, doc="sha256: of the policy"),
    file=Text(max_len=4096), files=Items(Text(max_len=4096)),
    shop=SHOP, agents=Items(AGENT, unique="id"), groups=Items(GROUP, unique="id"),
    bindings=Items(BINDING, unique="id"),
    switched_off=Items(SWITCHED_OFF, unique="id"),
    pins=Table(Fixed((NAME, Text(("strict", "prefer")), SPAN))),
    route=Items(STEP, unique="id"),
    selection=_record("the selection", *_keys(strategy=Text(STRATEGIES),
                                              busy_threshold=Whole(0, 10_000),
                                              efficiency=Text(("roster", "measured")),
                                              reference_rate=Number(1, 1000)),
                      optional=("efficiency", "reference_rate")),
    settings=SETTINGS,
    attributes=Table(ATTRIBUTE), calendars=Table(CALENDAR), priorities=Items(PRIORITY),
    channels=Items(CHANNEL, unique="id"),
    graph=_record("the graph", *_keys(nodes=Items(NODE, unique="id"), edges=Items(EDGE))),
), optional=("file", "files", "switched_off", "attributes", "calendars", "priorities",
             "channels"))


def _attribute_value(value: object, at: str) -> None:
    ok = (isinstance(value, str) and len(value) <= 256) or (
        isinstance(value, int) and not isinstance(value, bool) and abs(value) <= 10**9) or (
        isinstance(value, list) and len(value) <= 1000
        and all(isinstance(v, str) and len(v) <= 256 for v in value))
    if not ok:
        raise ShapeError(at, f"an attribute value is a name, a number or a list of names, "
                             f"found {show(value)}")


# -- checking ---------------------------------------------------------------------------

def _references(data: dict[str, Any]) -> None:
    """Every agent, group and time zone the artifact names exists; ShapeError if not."""
    agents = {a["id"] for a in data["agents"]}
    groups = {g["id"] for g in data["groups"]}

    def known(names: list[str], among: set[str], at: str, what: str) -> None:
        for i, name in enumerate(names):
            if name not in among:
                raise ShapeError(f"{at}/{i}", f"unknown {what} {show(name)}")

    channels = {c["id"] for c in data.get("channels", [])}
    for i, a in enumerate(data["agents"]):
        known(a["groups"], groups, f"/agents/{i}/groups", "group")
        known(sorted(a.get("channel_capacity", {})), channels,
              f"/agents/{i}/channel_capacity", "channel")
        known([a["proxy"]] if "proxy" in a else [], agents - {a["id"]}, f"/agents/{i}/proxy",
              "agent")
    for i, g in enumerate(data["groups"]):
        known(g["members"], agents, f"/groups/{i}/members", "agent")
        known(g["overflow"], groups, f"/groups/{i}/overflow", "group")
    for i, b in enumerate(data["bindings"]):
        known(b["groups"], groups, f"/bindings/{i}/groups", "group")
        known(b["agents"], agents, f"/bindings/{i}/agents", "agent")
        known([g for g, _w in b.get("split", [])], set(b["groups"]), f"/bindings/{i}/split",
              "group")
        _timed_targets(b, f"/bindings/{i}/targets")
    _dynamic_fields(data)
    for buyer, pin in data["pins"].items():
        known(pin[:1], agents, f"/pins/{buyer}", "agent")
    pool = data["settings"]["offline_pool"]
    if pool is not None:
        known(pool["groups"], groups, "/settings/offline_pool/groups", "group")
        known(pool["agents"], agents, "/settings/offline_pool/agents", "agent")
    route = data["route"]
    last = route[-1] if route else None
    if last is None or STEPS[last["kind"]][2] or last["when"] is not None:
        raise ShapeError(f"/route/{max(len(route) - 1, 0)}", "the route may end without an "
                         "outcome: its last step must always decide (stage, queue, ...) "
                         "and have no `when`")
    shop = data["shop"]
    if shop["main"] is not None:
        known([shop["main"]], agents, "/shop/main", "agent")
    try:
        zone(shop["timezone"])
    except (KeyError, ValueError, OSError):  # ZoneInfoNotFoundError is a KeyError
        raise ShapeError("/shop/timezone", f"unknown time zone {show(shop['timezone'])}") \
            from None


def _timed_targets(b: dict[str, Any], at: str) -> None:
    """A binding's timed targets are its groups, in order, opening no earlier than the
    one before (the router reads the waits beside `groups`)."""
    targets = b.get("targets") or []
    if not targets:
        return
    if [t[0] for t in targets] != b["groups"]:
        raise ShapeError(at, f"the targets name {show([t[0] for t in targets])}, not the "
                             f"binding's groups {show(b['groups'])} in their order")
    if b["agents"] or b.get("split"):
        raise ShapeError(at, "a binding with timed targets has no agents or split")
    for j in range(1, len(targets)):
        if targets[j][1] < targets[j - 1][1]:
            raise ShapeError(f"{at}/{j}/1", f"target {show(targets[j][0])} opens before the "
                                            f"one above it")


def _dynamic_fields(data: dict[str, Any]) -> None:
    """Every `agent.<name>` and `calendar.<name>` a condition reads is declared."""
    declared = {f"agent.{n}" for n in data.get("attributes", {})} | {
        f"calendar.{n}" for n in data.get("calendars", {})}
    for where, cond in _conditions(data):
        todo = [cond]
        while todo:
            node = todo.pop()
            if not isinstance(node, list) or not node:
                continue
            if node[0] in ("and", "or", "not"):
                todo += node[1:]
                continue
            at = {"in": 1, "has": 1, "field": 1, "cmp": 2}.get(node[0])
            name = node[at] if at is not None and len(node) > at else None
            if isinstance(name, str) and name.startswith(("agent.", "calendar.")) \
                    and name not in declared:
                raise ShapeError(where, f"{show(name)} is not a declared field")


def _conditions(data: dict[str, Any]) -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    for i, b in enumerate(data["bindings"]):
        out.append((f"/bindings/{i}/when", b["when"]))
        out += [(f"/bindings/{i}/require/{j}/agent", r["agent"])
                for j, r in enumerate(b.get("require", []))]
    out += [(f"/groups/{i}/bot_first/when", g["bot_first"]["when"])
            for i, g in enumerate(data["groups"]) if "bot_first" in g]
    out += [(f"/route/{i}/when", r["when"]) for i, r in enumerate(data["route"])]
    out += [(f"/priorities/{i}/when", p["when"]) for i, p in enumerate(data.get("priorities", []))]
    return out


def check_artifact(data: Any, origin: str = "artifact") -> dict[str, Any]:
    """Validate an artifact dict (envelope, version, every table) and return it."""
    if not isinstance(data, dict):
        raise ArtifactError(f"{origin}: not a policyc artifact (expected a JSON object)")
    if data.get("format") != ARTIFACT_FORMAT:
        seems = looks_like(data)
        what = f"this looks like {seems}" if seems else f"format {show(data.get('format'))}"
        raise ArtifactError(f"{origin}: not a policyc artifact ({what})")
    if data.get("version") != ARTIFACT_VERSION:
        raise ArtifactError(f"{origin}: artifact version {show(data.get('version'))}; this "
                            f"runtime reads version {ARTIFACT_VERSION} (recompile the policy)")
    try:
        check(ARTIFACT, data, origin)
        _references(data)
    except InputError as err:
        raise ArtifactError(str(err)) from None
    except ShapeError as err:
        raise ArtifactError(f"{origin}{err.pointer}: {err.message}") from None
    return data


def read_artifact(path: Path | str) -> dict[str, Any]:
    """Load and validate an artifact file (a capped regular file; `-` is standard input)."""
    try:
        data = source_files.read_json(path, "artifact")
    except InputError as err:
        raise ArtifactError(str(err)) from None
    return check_artifact(data, source_files.label(path))

