"""Policy diff: what changes between two compiled policies, statically and over one event log.

`static_diff` compares two artifacts section by section, ignoring spans (so a
reformatted policy diffs as unchanged): bindings and route steps are paired by
content first (a binding moved or renamed from `groups.x` to `bindings[0]` is
the same binding), then by id or kind (the same row, changed); groups by id.

`replay_diff` feeds the same events to one engine per policy and pairs what
each made of every `message` event: its `route` or `continued` record, plus
the `release` records that later handed that message's waiting chat out
(paired by the message event the engine carries in them: the same object, or
failing that an equal one; never by buyer or time alone). A message *routes
differently* when the outcome, agent, group or reason of its record differs,
or its releases differ in any of those four (`release`); when it happens is not
compared. The log's agent actions (read, reply, close, transfer) are replayed
as written under both policies, so where the new policy sent a chat elsewhere
they may be ignored by the engine; `ignored` counts those per side.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from .runtime.engine import Engine
from .runtime.records import DECIDED, Event, Record
from .runtime.router import Router

FIELDS = ("outcome", "agent", "group", "reason")
_SECTIONS = ("shop", "agents", "pins", "selection", "settings")

Row = dict[str, Any]
_POSITIONAL = re.compile(r"[a-z_]+\[\d+\]")  # `route[2]`, `bindings[0]`: ids that are positions


# -- static --------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class RowChange:
    """One binding or route step added, removed, changed or moved (positions 1-based)."""

    change: str  # added | removed | changed | moved | renamed (a new, non-positional id)
    old_id: str | None
    new_id: str | None
    old_at: int | None
    new_at: int | None
    text: str  # the row as a person reads it (the new one, unless removed)
    detail: tuple[str, ...] = ()  # for `changed`: "field: old -> new"


@dataclass(frozen=True, slots=True)
class GroupChange:
    group: str
    change: str  # added | removed | changed
    members_added: tuple[str, ...] = ()
    members_removed: tuple[str, ...] = ()
    detail: tuple[str, ...] = ()  # select, overflow, member order


@dataclass(frozen=True, slots=True)
class StaticDiff:
    bindings: tuple[RowChange, ...]
    route: tuple[RowChange, ...]
    groups: tuple[GroupChange, ...]
    sections: tuple[str, ...]  # other artifact sections that differ
    nodes_added: tuple[str, ...]
    nodes_removed: tuple[str, ...]

    @property
    def empty(self) -> bool:
        return not (self.bindings or self.route or self.groups or self.sections
                    or self.nodes_added or self.nodes_removed)


def show_when(expr: Any) -> str:
    """A lowered `when:` condition (compiler/typecheck.py forms) as policy text.

    >>> show_when(["and", ["in", "source", ["a", "b"]], ["not", ["field", "wants_human"]]])
    'source in {a, b} and not wants_human'
    """
    if expr is None:
        return "always"
    match expr[0]:
        case "and" | "or":
            parts = [show_when(e) for e in expr[1:]]
            return f" {expr[0]} ".join(f"({p})" if e[0] in ("and", "or") else p
                                       for p, e in zip(parts, expr[1:], strict=True))
        case "not" if expr[1][0] == "in":
            return f"{expr[1][1]} not in {{{', '.join(map(str, expr[1][2]))}}}"
        case "not":
            inner = show_when(expr[1])
            return f"not ({inner})" if expr[1][0] in ("and", "or") else f"not {inner}"
        case "in":
            return f"{expr[1]} in {{{', '.join(map(str, expr[2]))}}}"
        case "has":
            return f"{expr[2]} in {expr[1]}"
        case "cmp":
            return f"{expr[2]} {expr[1]} {json.dumps(expr[3], ensure_ascii=False)}"
        case "time_in":
            return f"time in {_hhmm(expr[1])}..{_hhmm(expr[2])}"
        case "field":
            return str(expr[1])
        case _:
            return "true" if expr[1] else "false"


def _hhmm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def _binding_text(b: Row) -> str:
    targets = [*b["groups"], *(f"agent {a}" for a in b["agents"])]
    select = f" (select {b['select']})" if b["select"] else ""
    return f"when {show_when(b['when'])} -> {', '.join(targets) or 'nobody'}{select}"


def _step_text(s: Row) -> str:
    params = ", ".join(f"{k} {json.dumps(v, ensure_ascii=False)}"
                       for k, v in sorted(s["params"].items()))
    when = f" when {show_when(s['when'])}" if s["when"] is not None else ""
    return f"{s['kind']}{when}" + (f" ({params})" if params else "")


def _key(row: Row, fields: Iterable[str]) -> str:
    return json.dumps([row[f] for f in fields], sort_keys=True, ensure_ascii=False)


def _pair(old: list[Row], new: list[Row], keys: list[tuple[str, ...]]
          ) -> list[tuple[int, int]]:
    """Pair rows, pass by pass: each pass matches still-free rows with equal `keys[n]`,
    in table order (linear: a policy may have thousands of bindings)."""
    pairs: list[tuple[int, int]] = []
    free_old, free_new = list(range(len(old))), list(range(len(new)))
    for fields in keys:
        waiting: dict[str, list[int]] = {}
        for j in free_new:
            waiting.setdefault(_key(new[j], fields), []).append(j)
        matched: list[tuple[int, int]] = []
        for i in free_old:
            candidates = waiting.get(_key(old[i], fields))
            if candidates:
                matched.append((i, candidates.pop(0)))
        pairs += matched
        free_old = sorted(set(free_old) - {i for i, _ in matched})
        free_new = sorted(set(free_new) - {j for _, j in matched})
    return sorted(pairs)


def _rows(old: list[Row], new: list[Row], keys: list[tuple[str, ...]],
          compared: tuple[str, ...], text: Callable[[Row], str]) -> tuple[RowChange, ...]:
    """Added, removed, changed and moved rows of two ordered tables.

    A paired row moved when its rank among the paired rows differs (so adding a
    row before it is not a move).
    """
    pairs = _pair(old, new, keys)
    new_rank = {j: r for r, j in enumerate(sorted(j for _, j in pairs))}
    out: list[RowChange] = []
    for rank, (i, j) in enumerate(pairs):
        o, n = old[i], new[j]
        detail = tuple(line for f in compared for line in _field_change(f, o[f], n[f]))
        moved = new_rank[j] != rank
        renamed = o["id"] != n["id"] and not (_POSITIONAL.fullmatch(o["id"])
                                              and _POSITIONAL.fullmatch(n["id"]))
        if detail or moved or renamed:
            change = "changed" if detail else "moved" if moved else "renamed"
            out.append(RowChange(change, o["id"], n["id"], i + 1, j + 1, text(n), detail))
    paired_old, paired_new = {i for i, _ in pairs}, {j for _, j in pairs}
    out += [RowChange("removed", r["id"], None, i + 1, None, text(r))
            for i, r in enumerate(old) if i not in paired_old]
    out += [RowChange("added", None, r["id"], None, j + 1, text(r))
            for j, r in enumerate(new) if j not in paired_new]
    return tuple(sorted(out, key=lambda c: (c.new_at or c.old_at or 0, c.change)))


def _field_change(name: str, old: object, new: object) -> list[str]:
    """`name: old -> new`, one line per changed key of a mapping (route step params)."""
    if old == new:
        return []
    if name == "when":
        return [f"when: {show_when(old)} -> {show_when(new)}"]
    if isinstance(old, dict) and isinstance(new, dict):
        return [f"{name}.{k}: {_show(old.get(k))} -> {_show(new.get(k))}"
                for k in sorted(old.keys() | new.keys()) if old.get(k) != new.get(k)]
    return [f"{name}: {_show(old)} -> {_show(new)}"]


def _show(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)


def _groups(old: list[Row], new: list[Row]) -> tuple[GroupChange, ...]:
    before, after = {g["id"]: g for g in old}, {g["id"]: g for g in new}
    out: list[GroupChange] = []
    for gid in [*before, *(g for g in after if g not in before)]:
        o, n = before.get(gid), after.get(gid)
        if o is None or n is None:
            row = o or n
            assert row is not None
            out.append(GroupChange(gid, "added" if o is None else "removed",
                                   tuple(row["members"]) if o is None else (),
                                   tuple(row["members"]) if n is None else ()))
            continue
        added = tuple(m for m in n["members"] if m not in o["members"])
        removed = tuple(m for m in o["members"] if m not in n["members"])
        detail = tuple(f"{f}: {_show(o[f])} -> {_show(n[f])}" for f in ("select", "overflow")
                       if o[f] != n[f])
        if not (added or removed) and o["members"] != n["members"]:
            detail = ("member order: " + ", ".join(n["members"]), *detail)
        if added or removed or detail:
            out.append(GroupChange(gid, "changed", added, removed, detail))
    return tuple(out)


def _strip(value: Any) -> Any:
    """A section without its spans (where the text was, not what it says)."""
    if isinstance(value, dict):
        return {k: _strip(v) for k, v in value.items() if k != "span"}
    if isinstance(value, list):
        return [_strip(v) for v in value]
    return value


def _section(artifact: dict[str, Any], name: str) -> Any:
    """A section to compare; an agent's `groups` is left out (the groups report it)."""
    if name == "agents":
        return [_strip({k: v for k, v in a.items() if k != "groups"}) for a in artifact[name]]
    if name == "pins":  # buyer -> [agent, mode, span]
        return {buyer: pin[:2] for buyer, pin in artifact[name].items()}
    return _strip(artifact[name])


def static_diff(old: dict[str, Any], new: dict[str, Any]) -> StaticDiff:
    """What differs between two artifacts, spans aside."""
    bindings = _rows(old["bindings"], new["bindings"],
                     [("when", "groups", "agents", "select"), ("id",), ("groups", "agents")],
                     ("when", "groups", "agents", "select"), _binding_text)
    route = _rows(old["route"], new["route"], [("kind", "when", "params"), ("id", "kind"),
                                               ("kind",)],
                  ("kind", "when", "params"), _step_text)
    sections = tuple(s for s in _SECTIONS if _section(old, s) != _section(new, s))
    nodes_old = [n["id"] for n in old["graph"]["nodes"]]
    nodes_new = [n["id"] for n in new["graph"]["nodes"]]
    known_old, known_new = set(nodes_old), set(nodes_new)  # once, not once per node
    return StaticDiff(
        bindings, route, _groups(old["groups"], new["groups"]), sections,
        tuple(n for n in nodes_new if n not in known_old),
        tuple(n for n in nodes_old if n not in known_new))


# -- replay --------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Handling:
    """What one policy made of one message: its route/continued record, later releases."""

    record: Record
    releases: tuple[Record, ...] = ()

    def key(self) -> tuple[tuple[object, ...], ...]:
        return tuple(tuple(r[f] for f in FIELDS) for r in (self.record, *self.releases))


@dataclass(frozen=True, slots=True)
class MessageChange:
    index: int  # 0-based position of the message among the events
    event: Event
    old: Handling
    new: Handling
    fields: tuple[str, ...]  # of FIELDS, plus "release"


@dataclass(frozen=True, slots=True)
class Load:
    id: str
    old: int
    new: int


@dataclass(frozen=True, slots=True)
class ReplayDiff:
    events: int
    messages: int
    changes: tuple[MessageChange, ...]
    reasons: tuple[tuple[str, str, int], ...]  # (old reason, new reason, messages)
    agents: tuple[Load, ...]
    groups: tuple[Load, ...]
    ignored: tuple[int, int]  # events each engine ignored (old, new)


class _Messages:
    """Which message a release record belongs to: the message event it carries.

    The engine carries the fed event object itself; an equal copy (same JSON)
    is paired with the latest such message, so a refactor that copies events
    does not silently drop releases from the comparison.
    """

    def __init__(self) -> None:
        self.by_id: dict[int, int] = {}
        self.by_text: dict[str, int] = {}

    def add(self, index: int, event: Event) -> None:
        self.by_id[id(event)] = index
        self.by_text[json.dumps(event, sort_keys=True, ensure_ascii=False)] = index

    def owner(self, message: Event) -> int | None:
        found = self.by_id.get(id(message))
        if found is None:
            found = self.by_text.get(json.dumps(message, sort_keys=True, ensure_ascii=False))
        return found


class _Side:
    """One engine over the log: each message's records, assignments and ignored events."""

    def __init__(self, router: Router, trace: str | None) -> None:
        self.engine = Engine(router, trace=trace)
        self.message: dict[int, Record] = {}  # event index -> route/continued record
        self.releases: dict[int, list[Record]] = {}
        self.agents: Counter[str] = Counter()  # assignments (route, release, transfer)
        self.groups: Counter[str] = Counter()
        self.ignored = 0

    def feed(self, index: int, event: Event, messages: _Messages) -> None:
        for rec in self.engine.feed(event):
            kind = rec["kind"]
            if kind in ("route", "continued") and event["type"] == "message":
                self.message[index] = rec  # G1: exactly one per message event
            elif kind == "release":
                owner = messages.owner(rec["event"])
                if owner is not None:
                    self.releases.setdefault(owner, []).append(rec)
            self.ignored += kind == "ignored"
            if kind in DECIDED:
                self.agents.update([rec["agent"]] if rec["agent"] is not None else [])
                self.groups.update([rec["group"]] if rec["group"] is not None else [])

    def handling(self, index: int) -> Handling:
        return Handling(self.message[index], tuple(self.releases.get(index, ())))


def _differs(old: Handling, new: Handling) -> tuple[str, ...]:
    fields = tuple(f for f in FIELDS if old.record[f] != new.record[f])
    if old.key()[1:] != new.key()[1:]:
        fields += ("release",)
    return fields


def _loads(old: Counter[str], new: Counter[str]) -> tuple[Load, ...]:
    return tuple(Load(k, old[k], new[k]) for k in sorted(set(old) | set(new)))


def replay_diff(old: Router, new: Router, events: list[Event],
                trace: str | None = "fails") -> ReplayDiff:
    """Replay `events` (checked, in time order) under both policies and pair the outcomes."""
    a, b = _Side(old, trace), _Side(new, trace)
    messages = _Messages()
    for index, event in enumerate(events):
        if event["type"] == "message":
            messages.add(index, event)
        a.feed(index, event, messages)
        b.feed(index, event, messages)
    changes: list[MessageChange] = []
    for index in sorted(a.message):
        before, after = a.handling(index), b.handling(index)
        fields = _differs(before, after)
        if fields:
            changes.append(MessageChange(index, events[index], before, after, fields))
    reasons = Counter((c.old.record["reason"], c.new.record["reason"]) for c in changes)
    return ReplayDiff(
        len(events), len(a.message), tuple(changes),
        tuple((o, n, k) for (o, n), k in sorted(reasons.items(),
                                                key=lambda kv: (-kv[1], kv[0]))),
        _loads(a.agents, b.agents), _loads(a.groups, b.groups), (a.ignored, b.ignored))
