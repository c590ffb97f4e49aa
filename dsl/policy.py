"""The policy AST: what a checked policy file says, every part with its span."""

from __future__ import annotations

from dataclasses import dataclass, field

from .expr import Expr
from .span import Span
from .validate import V


@dataclass(frozen=True, slots=True)
class Ref:
    """A name that refers to an agent or group, where it was written."""

    name: str
    span: Span


@dataclass(frozen=True, slots=True)
class Agent:
    id: str
    role: str
    created_at: str
    chat_permission: bool
    capacity: int | None
    score: int
    reception_rate: float | None
    conversion_rate: float | None
    efficiency: float
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


@dataclass(frozen=True, slots=True)
class Pin:
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


def _refs(v: V) -> tuple[Ref, ...]:
    items = v.value if isinstance(v.value, list) else []
    return tuple(Ref(str(i.value), i.span) for i in items)


def _get(d: dict[str, V], key: str) -> object:
    return d[key].value if key in d else None


def _agent(v: V) -> Agent:
    d: dict[str, V] = v.value  # type: ignore[assignment]
    return Agent(
        id=str(_get(d, "id")), role=str(_get(d, "role") or "agent"),
        created_at=str(_get(d, "created_at")),
        chat_permission=bool(_get(d, "chat_permission")),
        capacity=_get(d, "capacity"),  # type: ignore[arg-type]
        score=int(_get(d, "score") or 0),  # type: ignore[call-overload]
        reception_rate=_get(d, "reception_rate"),  # type: ignore[arg-type]
        conversion_rate=_get(d, "conversion_rate"),  # type: ignore[arg-type]
        efficiency=float(_get(d, "efficiency") or 0.0),  # type: ignore[arg-type]
        span=v.span,
    )


def _group(key: V, v: V) -> Group:
    d: dict[str, V] = v.value  # type: ignore[assignment]
    return Group(
        id=str(key.value), members=_refs(d["members"]), sources=_refs(d["sources"]),
        order_states=_refs(d["order_states"]), intents=_refs(d["intents"]),
        select=_get(d, "select"),  # type: ignore[arg-type]
        overflow=_refs(d["overflow"]), span=key.span,
    )


def _binding(index: int, v: V) -> Binding:
    d: dict[str, V] = v.value  # type: ignore[assignment]
    return Binding(
        path=f"bindings[{index}]", when=_get(d, "when"),  # type: ignore[arg-type]
        groups=_refs(d["to"]), agents=_refs(d["agents"]),
        enabled=bool(_get(d, "enabled")), select=_get(d, "select"),  # type: ignore[arg-type]
        span=v.span,
    )


def _group_binding(group: Group) -> Binding | None:
    """A group's own sources/order_states/intents, as a binding (one mechanism)."""
    from .expr import BoolOp, In, Name, SetLit

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
    d: dict[str, V] = v.value  # type: ignore[assignment]
    params = {k: x.value for k, x in d.items() if k not in ("step", "when")}
    return Step(path=f"route[{index}]", kind=str(d["step"].value),
                when=_get(d, "when"), params=params, span=v.span)  # type: ignore[arg-type]


def _pins(v: V, default_mode: str) -> tuple[Pin, ...]:
    pairs = v.value if isinstance(v.value, list) else []
    out = []
    for key, pin in pairs:
        d: dict[str, V] = pin.value
        mode = d["mode"].value if d.get("mode") and d["mode"].value else default_mode
        out.append(Pin(str(key.value), Ref(str(d["agent"].value), d["agent"].span),
                       str(mode), key.span))
    return tuple(out)


_SETTINGS = ("queue", "staging", "working_hours", "auto_replies", "timeouts", "offline_pool")


def build(root: V, file: str, files: tuple[str, ...]) -> Policy:
    """Build the AST from a validated tree (validation errors already reported)."""
    d: dict[str, V] = root.value  # type: ignore[assignment]
    shop: dict[str, V] = d["shop"].value  # type: ignore[assignment]
    roster = d["roster"].value if d.get("roster") and d["roster"].value else []
    groups = tuple(_group(k, g) for k, g in (d["groups"].value or []))  # type: ignore[union-attr]
    explicit = tuple(_binding(i, b) for i, b in enumerate(d["bindings"].value))  # type: ignore[arg-type]
    implicit = tuple(b for b in (_group_binding(g) for g in groups) if b is not None)
    selection: dict[str, V] = d["selection"].value  # type: ignore[assignment]
    return Policy(
        file=file,
        shop=Shop(
            id=str(shop["id"].value), timezone=str(shop["timezone"].value),
            grouping=bool(shop["grouping"].value),
            one_group_per_agent=bool(shop["one_group_per_agent"].value),
            include_main_account=bool(shop["include_main_account"].value),
            exclude_admins=bool(shop["exclude_admins"].value),
            sources=_refs(shop["sources"]), span=d["shop"].span,
        ),
        intents=_refs(d["intents"]),
        agents=tuple(_agent(a) for a in roster),  # type: ignore[union-attr]
        groups=groups,
        bindings=explicit + implicit,
        pins=_pins(d["pins"], str(d["pin_mode"].value)),
        route=tuple(_step(i, s) for i, s in enumerate(d["route"].value)),  # type: ignore[arg-type]
        strategy=str(selection["strategy"].value),
        busy_threshold=int(selection["busy_threshold"].value),  # type: ignore[call-overload]
        settings={k: plain(d.get(k)) for k in _SETTINGS},
        setting_spans={k: d[k].span for k in _SETTINGS if k in d},
        span=root.span,
        files=files,
    )
