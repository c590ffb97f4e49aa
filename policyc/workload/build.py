"""Turn a checked workload model tree (dsl/validate.py values) into the typed `Model`.

What only the whole model can say is reported here: one way to get arrivals,
staff and a transfer's target (E505), known sources and order states in the
shares (E503), shifts, breaks and absences that make sense (E509), each agent
scheduled once (E510).
"""

from __future__ import annotations

from typing import Any, cast

from ..dsl.diagnostic import Report
from ..dsl.span import Span
from ..dsl.validate import V, did_you_mean
from ..runtime.catalog import N_
from ..runtime.clock import parse_instant
from ..runtime.vocabulary import ORDER_STATES, SOURCES
from .distributions import Distribution, fixed
from .model import Arrivals, Handling, Model, Shares, Staff, Transfer, Window

DEFAULTS = {"first_read": 60.0, "first_reply": 60.0, "buyer_gap": 120.0, "read": 30.0,
            "reply": 60.0, "close": 300.0, "after": 60.0}  # exponential means, seconds
DAY_MINUTES = 24 * 60


class Fields:
    """A checked mapping: each key's value (typed by the schema that checked it) and span."""

    def __init__(self, node: V) -> None:
        self.node = node
        self.items = cast("dict[str, V]", node.value)

    def __getitem__(self, key: str) -> Any:
        return self.items[key].value

    def given(self, key: str) -> bool:
        return self.items[key].given and self.items[key].value is not None

    def span(self, key: str) -> Span:
        return self.items[key].span

    def sub(self, key: str) -> Fields:
        return Fields(self.items[key])

    def each(self, key: str) -> list[Fields]:
        return [Fields(item) for item in cast("list[V]", self[key] or [])]


def build(name: str, root: V, report: Report) -> Model:
    """The model of a checked tree; problems go to `report`."""
    top = Fields(root)
    level, staff = top.sub("service_level"), top.sub("staff")
    one_of(report, staff, ("replay", "agents"), "staff")
    return Model(name, parse_instant(top["start"]), float(top["duration"]), int(top["seed"]),
                 None if top["tick"] is None else float(top["tick"]),
                 60.0 if level["target"] is None else float(level["target"]),
                 float(level["goal"]), _arrivals(top.sub("arrivals"), report),
                 _handling(top.sub("handling"), report),
                 _staff(staff, report), staff["replay"], staff.node.span)


def one_of(report: Report, fields: Fields, names: tuple[str, ...], section: str) -> None:
    """E505 unless exactly one of `names` is given."""
    given = [n for n in names if fields.given(n)]
    if len(given) != 1:
        first, second = names
        report.add("E505", N_("`{section}` takes one of {first} or {second}, found both")
                   if given else N_("`{section}` takes one of {first} or {second}, found "
                                    "neither"), fields.node.span, None, section=section,
                   first=first, second=second)


def _arrivals(a: Fields, report: Report) -> Arrivals:
    one_of(report, a, ("replay", "per_hour"), "arrivals")
    days = Fields(a.items["weekdays"])
    return Arrivals(a["replay"], a.span("replay") if a.given("replay") else None,
                    a["per_hour"] or (), {d: float(days[d]) for d in days.items},
                    _names(a.items["sources"], SOURCES, "source", "product_page", report),
                    _names(a.items["order_states"], ORDER_STATES, "order state", "none",
                           report),
                    _names(a.items["intents"], None, "intent", "none", report),
                    a["wants_human"])


def _names(node: V, known: tuple[str, ...] | None, what: str, default: str,
           report: Report) -> Shares:
    """Shares as (names, weights); names checked against `known` (intents are free)."""
    if node.value is None:
        return (default,), (1.0,)
    pairs = cast("list[tuple[V, V]]", node.value)
    for key, _ in pairs:
        if known is not None and key.value not in known:
            report.add("E503", N_("unknown source {name}") if what == "source"
                       else N_("unknown order state {name}"), key.span,
                       did_you_mean(str(key.value), known), name=repr(key.value))
    return (tuple(str(k.value) for k, _ in pairs),
            tuple(float(cast(float, v.value)) for _, v in pairs))


def _handling(h: Fields, report: Report) -> Handling:
    def dist(fields: Fields, name: str) -> Distribution:
        given = fields[name]
        if isinstance(given, Distribution):
            return given
        return Distribution("exponential", (DEFAULTS[name],), fields.node.span)

    transfer = None
    if h.given("transfer"):
        t = h.sub("transfer")
        one_of(report, t, ("to_group", "to_agent"), "transfer")
        transfer = Transfer(float(t["share"]), t["to_group"], t["to_agent"], dist(t, "after"),
                            t.node.span)
    exchanges = h["exchanges"]
    return Handling(dist(h, "first_read"), dist(h, "first_reply"),
                    exchanges if isinstance(exchanges, Distribution) else
                    fixed(0, h.node.span),
                    dist(h, "buyer_gap"), dist(h, "read"), dist(h, "reply"), dist(h, "close"),
                    transfer, bool(h["finish_offline"]), h["fit"],
                    h.span("fit") if h.given("fit") else None)


def _staff(staff: Fields, report: Report) -> tuple[Staff, ...]:
    seen: dict[str, Span] = {}
    out: list[Staff] = []
    for s in staff.each("agents"):
        agent = str(s["agent"])
        if agent in seen:
            report.add("E510", N_("{agent} is scheduled twice (first at {first})"),
                       s.span("agent"), None, agent=repr(agent), first=str(seen[agent]))
            continue
        seen[agent] = s.span("agent")
        shifts = tuple(_window(w, report) for w in s.each("shifts")) or (
            Window(0, DAY_MINUTES),)
        breaks = tuple(_break(_window(w, report), shifts, w.node.span, report)
                       for w in s.each("breaks"))
        days = tuple(str(d.value) for d in cast("list[V]", s["days"]))
        out.append(Staff(agent, days, shifts, breaks,
                         tuple(_absence(a, report) for a in s.each("absent")), s.node.span))
    return tuple(out)


def _break(b: Window, shifts: tuple[Window, ...], span: Span, report: Report) -> Window:
    """A break inside one of the shifts (past midnight of a late shift: the next day's)."""
    for candidate in (b, Window(b.start + DAY_MINUTES, b.end + DAY_MINUTES)):
        if any(w.start <= candidate.start and candidate.end <= w.end for w in shifts):
            return candidate
    report.add("E509", N_("a break lies outside every shift"), span)
    return b


def _window(w: Fields, report: Report) -> Window:
    start, end = int(w["from"]), int(w["to"])
    if start == end:
        report.add("E509", N_("`from` and `to` are the same time: an empty span"),
                   w.node.span)
    return Window(start, end if end > start else end + DAY_MINUTES)


def _absence(a: Fields, report: Report) -> tuple[float, float]:
    start, end = parse_instant(a["from"]), parse_instant(a["to"])
    if end <= start:
        report.add("E509", N_("an absence ends before it starts"), a.node.span)
    return start, end
