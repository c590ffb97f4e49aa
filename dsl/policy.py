"""The policy AST: what a checked policy file says, every part with its span."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple, cast

from .expr import BoolOp, Expr, In, Name, SetLit
from .span import Span
from .validate import V


class Ref(NamedTuple):
    """A name that refers to an agent or group, where it was written.

    Refs and pins are named tuples, like spans: a large policy has one per pin and
    per group member, and they are four times cheaper to build than frozen dataclasses.
    """

    name: str
    span: Span


@dataclass(frozen=True, slots=True)
class Agent:
    id: str
    name: str | None  # display name for merchants (`name:`)
    role: str
    created_at: str
    chat_permission: bool
    capacity: int | None
    score: int
    reception_rate: float | None
    conversion_rate: float | None
    efficiency: float
    span: Span
    # `attributes:`: name -> (a name, a number or a tuple of names, where written)
    attributes: tuple[tuple[str, object, Span], ...] = ()
    # `channel_capacity:`: (channel, most open chats of it)
    channel_capacity: tuple[tuple[Ref, int], ...] = ()
    # `proxy:` (T12 代理账号): who takes this agent's pinned and returning buyers meanwhile
    proxy: Ref | None = None


@dataclass(frozen=True, slots=True)
class Channel:
    """One entry of `channels:`: sources that share a capacity weight and per-agent caps."""

    id: str
    sources: tuple[Ref, ...]
    weight: int
    span: Span


@dataclass(frozen=True, slots=True)
class Attribute:
    """One declared agent attribute (`agent_attributes:`): its type and allowed values."""

    name: str
    type: str  # set | one | number
    values: tuple[Ref, ...]
    span: Span


@dataclass(frozen=True, slots=True)
class Requirement:
    """One stage of a binding's requirement: agents meeting `agent` while the chat has
    waited less than `seconds` (None: for good)."""

    agent: Expr
    seconds: int | None
    span: Span


class Target(NamedTuple):
    """One timed target of a binding (`targets:`): `group` opens once the chat has waited
    `seconds`; `span` is the entry's."""

    group: Ref
    seconds: int
    span: Span


@dataclass(frozen=True, slots=True)
class Priority:
    """A queue priority rule: chats matching `when` wait with this priority."""

    path: str
    when: Expr
    priority: int
    span: Span


@dataclass(frozen=True, slots=True)
class Group:
    id: str
    members: tuple[Ref, ...]
    sources: tuple[Ref, ...]
    order_states: tuple[Ref, ...]
    intents: tuple[Ref, ...]
    select: str | None
    overflow: tuple[Ref, ...]
    span: Span
    fallback: bool = True  # false: kept out of every `other_online` step's pool
    bot_first: Expr | None = None  # T14: while true, the assistant answers its chats first

    @property
    def bot_first_path(self) -> str:
        """The id of its bot-first condition (the compiled conditions' key)."""
        return f"groups.{self.id}.bot_first"


@dataclass(frozen=True, slots=True)
class Binding:
    """One entry of the ordered bindings table; `path` is its stable id."""

    path: str
    when: Expr | None
    groups: tuple[Ref, ...]
    agents: tuple[Ref, ...]
    enabled: bool
    select: str | None
    span: Span
    implicit: bool = False  # lowered from a group's sources/order_states/intents
    require: tuple[Requirement, ...] = ()
    split: tuple[tuple[Ref, int], ...] = ()  # (group, weight) of `split:`
    # `targets:` (escalation over time): `groups` holds their groups in the same order.
    targets: tuple[Target, ...] = ()
    # The keys written beside `targets:` that it replaces (to, agents, split), for E123.
    alongside: tuple[tuple[str, Span], ...] = ()


class Pin(NamedTuple):
    """Buyer `buyer` goes to `agent` (Y8 strict, T14 prefer)."""

    buyer: str
    agent: Ref
    mode: str
    span: Span


@dataclass(frozen=True, slots=True)
class Step:
    """One route step; `params` holds the kind's own keys, already typed."""

    path: str
    kind: str
    when: Expr | None
    params: dict[str, object]
    span: Span


@dataclass(frozen=True, slots=True)
class Shop:
    id: str
    timezone: str
    language: str  # the buyers' language: default auto-reply texts
    grouping: bool
    one_group_per_agent: bool
    include_main_account: bool
    exclude_admins: bool
    sources: tuple[Ref, ...]
    span: Span


@dataclass(frozen=True, slots=True)
class Policy:
    """A whole policy, with its included files already merged in."""

    file: str
    shop: Shop
    intents: tuple[Ref, ...]
    agents: tuple[Agent, ...]
    groups: tuple[Group, ...]
    bindings: tuple[Binding, ...]
    pins: tuple[Pin, ...]
    route: tuple[Step, ...]
    strategy: str
    busy_threshold: int
    settings: dict[str, object]
    setting_spans: dict[str, Span]
    span: Span
    files: tuple[str, ...] = field(default_factory=tuple)
    # Y6 weighted: None = the roster's efficiency; else closes per online hour = 1.0.
    reference_rate: float | None = None
    order_states: tuple[Ref, ...] = ()  # declared beyond the built-in ones
    attributes: tuple[Attribute, ...] = ()
    calendars: dict[str, object] = field(default_factory=dict)  # name -> plain calendar
    channels: tuple[Channel, ...] = ()
    calendar_spans: dict[str, Span] = field(default_factory=dict)
    priorities: tuple[Priority, ...] = ()


def plain(v: V | None) -> object:
    """A validated value with all spans stripped (for settings the runtime reads as data)."""
    if v is None:
        return None
    value = v.value
    if isinstance(value, dict):
        return {k: plain(x) for k, x in value.items()}
    if isinstance(value, list):
        return [plain(x) if isinstance(x, V) else [plain(x[0]), plain(x[1])] for x in value]
    return value


# Typed views of validated values. Validation has already reported anything
# malformed, so a view of the wrong shape is simply empty.
def _fields(v: V | None) -> dict[str, V]:
    return cast("dict[str, V]", v.value) if v is not None and isinstance(v.value, dict) else {}


def _items(v: V | None) -> list[V]:
    return cast("list[V]", v.value) if v is not None and isinstance(v.value, list) else []


def _pairs(v: V | None) -> list[tuple[V, V]]:
    """The (key, value) pairs of a validated `map`."""
    return cast("list[tuple[V, V]]", _items(v))


def _refs(v: V | None) -> tuple[Ref, ...]:
    return tuple(Ref(str(i.value), i.span) for i in _items(v))


def _opt_ref(v: V | None) -> Ref | None:
    """A name written in the policy (with where), or None when absent or null."""
    return None if v is None or v.value is None else Ref(str(v.value), v.span)


def _get(d: dict[str, V], key: str) -> object:
    return d[key].value if key in d else None


def _opt_str(d: dict[str, V], key: str) -> str | None:
    value = _get(d, key)
    return None if value is None else str(value)


def _opt_num(d: dict[str, V], key: str) -> float | None:
    value = _get(d, key)
    return float(value) if isinstance(value, int | float) else None


def _int(d: dict[str, V], key: str, default: int) -> int:
    value = _get(d, key)
    return int(value) if isinstance(value, int | float) else default


def _when(d: dict[str, V]) -> Expr | None:
    return cast("Expr | None", _get(d, "when"))


def _attribute_values(v: V | None) -> tuple[tuple[str, object, Span], ...]:
    out: list[tuple[str, object, Span]] = []
    for key, value in _pairs(v):
        raw = value.value
        kept = tuple(str(i.value) for i in raw) if isinstance(raw, list) else raw
        out.append((str(key.value), kept, key.span))
    return tuple(out)


def _agent(v: V) -> Agent:
    d = _fields(v)
    capacity = _get(d, "capacity")
    return Agent(
        id=str(_get(d, "id")), name=_opt_str(d, "name"), role=str(_get(d, "role") or "agent"),
        created_at=str(_get(d, "created_at")),
        chat_permission=bool(_get(d, "chat_permission")),
        capacity=capacity if isinstance(capacity, int) else None,
        score=_int(d, "score", 0),
        reception_rate=_opt_num(d, "reception_rate"),
        conversion_rate=_opt_num(d, "conversion_rate"),
        efficiency=_opt_num(d, "efficiency") or 0.0,
        span=v.span, attributes=_attribute_values(d.get("attributes")),
        channel_capacity=tuple((Ref(str(k.value), k.span), int(cast("int", n.value)))
                               for k, n in _pairs(d.get("channel_capacity"))),
        proxy=_opt_ref(d.get("proxy")),
    )


def _channel(key: V, v: V) -> Channel:
    d = _fields(v)
    return Channel(id=str(key.value), sources=_refs(d.get("sources")),
                   weight=_int(d, "weight", 1), span=key.span)


def _group(key: V, v: V) -> Group:
    d = _fields(v)
    return Group(
        id=str(key.value), members=_refs(d.get("members")), sources=_refs(d.get("sources")),
        order_states=_refs(d.get("order_states")), intents=_refs(d.get("intents")),
        select=_opt_str(d, "select"), overflow=_refs(d.get("overflow")), span=key.span,
        fallback=bool(_get(d, "fallback")),
        bot_first=cast("Expr | None", _get(d, "bot_first")),
    )


def _requirement(v: V) -> Requirement:
    d = _fields(v)
    seconds = _get(d, "for")
    return Requirement(cast("Expr", _get(d, "agent")),
                       seconds if isinstance(seconds, int) else None, v.span)


def _target(v: V) -> Target | None:
    d = _fields(v)
    if "group" not in d:
        return None  # E122 reported
    seconds = _get(d, "wait")
    return Target(Ref(str(d["group"].value), d["group"].span),
                  seconds if isinstance(seconds, int) else 0, v.span)


def _binding(index: int, v: V) -> Binding:
    d = _fields(v)
    targets = tuple(t for t in (_target(x) for x in _items(d.get("targets"))) if t is not None)
    groups = _refs(d.get("to"))
    alongside: tuple[tuple[str, Span], ...] = ()
    if "targets" in d and d["targets"].given:
        alongside = tuple((k, d[k].span) for k in ("to", "agents", "split")
                          if k in d and d[k].given)
        groups = tuple(t.group for t in targets)
    return Binding(
        path=f"bindings[{index}]", when=_when(d),
        groups=groups, agents=_refs(d.get("agents")),
        enabled=bool(_get(d, "enabled")), select=_opt_str(d, "select"), span=v.span,
        require=tuple(_requirement(r) for r in _items(d.get("require"))
                      if "agent" in _fields(r)),
        split=tuple((Ref(str(k.value), k.span), int(cast("int", w.value)))
                    for k, w in _pairs(d.get("split"))),
        targets=targets, alongside=alongside,
    )


def _attributes(v: V | None) -> tuple[Attribute, ...]:
    out = []
    for key, value in _pairs(v):
        d = _fields(value)
        out.append(Attribute(str(key.value), str(_get(d, "type") or "one"),
                             _refs(d.get("values")), key.span))
    return tuple(out)


def _priorities(queue: dict[str, V]) -> tuple[Priority, ...]:
    return tuple(Priority(f"queue.priority[{i}]", cast("Expr", _get(_fields(r), "when")),
                          _int(_fields(r), "priority", 0), r.span)
                 for i, r in enumerate(_items(queue.get("priority")))
                 if "when" in _fields(r))


def _group_binding(group: Group) -> Binding | None:
    """A group's own sources/order_states/intents, as a binding (one mechanism)."""
    parts: list[Expr] = []
    for field_name, refs in (("source", group.sources), ("order.state", group.order_states),
                             ("intent", group.intents)):
        if refs:
            name = Name(tuple(field_name.split(".")), refs[0].span)
            items = tuple(Name((r.name,), r.span) for r in refs)
            parts.append(In(name, SetLit(items, refs[0].span), False, refs[0].span))
    if not parts:
        return None
    when: Expr = parts[0] if len(parts) == 1 else BoolOp("and", tuple(parts), group.span)
    return Binding(path=f"groups.{group.id}", when=when, groups=(Ref(group.id, group.span),),
                   agents=(), enabled=True, select=None, span=group.span, implicit=True)


def _step(index: int, v: V) -> Step:
    d = _fields(v)
    params = {k: x.value for k, x in d.items() if k not in ("step", "when")}
    return Step(path=f"route[{index}]", kind=str(_get(d, "step")), when=_when(d),
                params=params, span=v.span)


def _pins(v: V | None, default_mode: str) -> tuple[Pin, ...]:
    # One loop, no helpers: a pin table may hold 100,000 entries.
    out = []
    for key, pin in _pairs(v):
        d = cast("dict[str, V]", pin.value)
        agent, mode = d["agent"], d.get("mode")
        out.append(Pin(str(key.value), Ref(str(agent.value), agent.span),
                       str(mode.value) if mode and mode.value else default_mode, key.span))
    return tuple(out)


_SETTINGS = ("queue", "staging", "working_hours", "auto_replies", "timeouts", "offers",
             "offline_pool")


def _setting_spans(d: dict[str, V]) -> dict[str, Span]:
    """Where each setting was written, by dotted path (`auto_replies.welcome.text`)."""
    spans: dict[str, Span] = {}
    todo = [(k, d[k]) for k in _SETTINGS if k in d]
    while todo:
        path, v = todo.pop()
        spans[path] = v.span
        todo += [(f"{path}.{k}", x) for k, x in _fields(v).items() if x.given]
    return spans


def build(root: V, file: str, files: tuple[str, ...]) -> Policy:
    """Build the AST from a validated tree (validation errors already reported)."""
    d = _fields(root)
    shop = _fields(d["shop"])
    groups = tuple(_group(k, g) for k, g in _pairs(d.get("groups")))
    explicit = tuple(_binding(i, b) for i, b in enumerate(_items(d.get("bindings"))))
    implicit = tuple(b for b in (_group_binding(g) for g in groups) if b is not None)
    selection = _fields(d.get("selection"))
    settings = {k: plain(d.get(k)) for k in _SETTINGS}
    queue = settings.get("queue")
    if isinstance(queue, dict):  # its rules are lowered conditions, kept as `priorities`
        queue.pop("priority", None)
    calendars = _pairs(d.get("calendars"))
    return Policy(
        file=file,
        shop=Shop(
            id=str(shop["id"].value), timezone=str(shop["timezone"].value),
            language=str(_get(shop, "language") or "zh-Hans"),
            grouping=bool(_get(shop, "grouping")),
            one_group_per_agent=bool(_get(shop, "one_group_per_agent")),
            include_main_account=bool(_get(shop, "include_main_account")),
            exclude_admins=bool(_get(shop, "exclude_admins")),
            sources=_refs(shop.get("sources")), span=d["shop"].span,
        ),
        intents=_refs(d.get("intents")),
        agents=tuple(_agent(a) for a in _items(d.get("roster"))),
        groups=groups,
        bindings=explicit + implicit,
        pins=_pins(d.get("pins"), str(_get(d, "pin_mode") or "strict")),
        route=tuple(_step(i, s) for i, s in enumerate(_items(d.get("route")))),
        strategy=str(_get(selection, "strategy") or "fewest_unread"),
        busy_threshold=_int(selection, "busy_threshold", 4),
        reference_rate=((_opt_num(selection, "reference_rate") or 10.0)
                        if _get(selection, "efficiency") == "measured" else None),
        settings=settings,
        setting_spans=_setting_spans(d),
        span=root.span,
        files=files,
        order_states=_refs(d.get("order_states")),
        attributes=_attributes(d.get("agent_attributes")),
        channels=tuple(_channel(k, c) for k, c in _pairs(d.get("channels"))),
        calendars={str(k.value): plain(c) for k, c in calendars},
        calendar_spans={str(k.value): k.span for k, _ in calendars},
        priorities=_priorities(_fields(d.get("queue"))),
    )
