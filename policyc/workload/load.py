"""Read a workload model file into a `Model`, or located diagnostics (E1xx file, E5xx model).

The policy's YAML reader (dsl/yaml_tree.py: size cap, UTF-8, alias bombs, depth)
and validator (dsl/validate.py: types, unknown keys with "did you mean",
duplicates, defaults) do the reading; this module adds the model's own kinds
(policyc/workload/schema.py) and what only a whole model can say: one way to
get arrivals and staff, shares that add up, shifts that make sense.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from ..dsl.diagnostic import Diagnostic, Report, has_errors
from ..dsl.load import display_name
from ..dsl.schema import T
from ..dsl.span import Span
from ..dsl.validate import V, Validator, did_you_mean
from ..dsl.yaml_tree import YMap, YNode, YScalar, YSeq, parse_text, read_source
from ..runtime.clock import parse_instant
from ..runtime.vocabulary import ORDER_STATES, SOURCES
from .distributions import COUNT_KINDS, DURATION_KINDS, Distribution, fixed, parse_seconds
from .model import Arrivals, Handling, Model, Shares, Staff, Transfer, Window
from .schema import MODEL

DEFAULTS = {"first_read": 60.0, "first_reply": 60.0, "buyer_gap": 120.0, "read": 30.0,
            "reply": 60.0, "close": 300.0, "after": 60.0}  # exponential means, seconds
DAY_MINUTES = 24 * 60


@dataclass
class LoadedModel:
    """A model (None on errors), its findings, and the text of the file for carets."""

    model: Model | None
    diagnostics: list[Diagnostic]
    texts: dict[str, str] = field(default_factory=dict)


class ModelValidator(Validator):
    """The policy validator plus the model's kinds; `base` resolves relative paths."""

    def __init__(self, report: Report, base: Path) -> None:
        super().__init__(report)
        self.base = base

    def _seconds(self, node: YNode, t: T) -> V | None:
        s = self._scalar(node, "a duration")
        if s is None:
            return None
        seconds = parse_seconds(s.text)
        if seconds is None:
            self._bad(s, f"{s.text!r} is not a duration", "write a number and a unit: 30s, "
                                                          "1.5m, 2h")
            return None
        return V(seconds, s.span)

    def _path(self, node: YNode, t: T) -> V | None:
        s = self._scalar(node, "a file path")
        return None if s is None else V(Path(os.path.normpath(self.base / s.text)), s.span)

    def _rate(self, node: YNode, t: T) -> V | None:
        if isinstance(node, YScalar):
            one = self._number(node, T("num", min=0), float)
            return None if one is None else V((one.value,) * 24, node.span)
        if not isinstance(node, YSeq) or len(node.items) != 24:
            found = f"{len(node.items)} values" if isinstance(node, YSeq) else "a mapping"
            self.report.add("E508", f"`per_hour` is one rate or 24, one per hour from 00:00; "
                                    f"found {found}", node.span)
            return None
        rates = [self._number(item, T("num", min=0), float) for item in node.items]
        if any(r is None for r in rates):
            return None
        return V(tuple(cast(float, r.value) for r in rates if r is not None), node.span)

    def _shares(self, node: YNode, t: T) -> V | None:
        checked = self._map(node, T("map", item=T("num", min=0, max=1)))
        if checked is None:
            return None
        pairs = cast("list[tuple[V, V]]", checked.value)
        total = sum(cast(float, share.value) for _, share in pairs)
        if pairs and abs(total - 1.0) > 1e-6:
            self.report.add("E504", f"shares add up to {total:g}, not 1", node.span)
            return None
        return checked

    def _dist(self, node: YNode, t: T) -> V | None:
        return self._distribution(node, DURATION_KINDS, self._duration_value)

    def _count(self, node: YNode, t: T) -> V | None:
        return self._distribution(node, COUNT_KINDS, self._count_value)

    def _distribution(self, node: YNode, kinds: tuple[str, ...], value: Any) -> V | None:
        if isinstance(node, YScalar):  # `30s`, `2`: always that
            one = value(node)
            return None if one is None else V(Distribution("fixed", (one,), node.span),
                                              node.span)
        if not isinstance(node, YMap) or len(node.items) != 1:
            self.report.add("E507", "a distribution is a value or a mapping with one key: "
                                    + ", ".join(kinds), node.span)
            return None
        key, body = node.items[0]
        if key.text not in kinds:
            self.report.add("E507", f"unknown distribution {key.text!r}", key.span,
                            did_you_mean(key.text, kinds))
            return None
        params = self._params(key.text, body, value)
        return None if params is None else V(Distribution(key.text, params, node.span),
                                             node.span)

    def _params(self, kind: str, body: YNode, value: Any) -> tuple[float, ...] | None:
        """A distribution's parameters, by the shape its kind takes."""
        if kind in ("uniform", "empirical"):
            items = body.items if isinstance(body, YSeq) else ()
            wanted = len(items) == 2 if kind == "uniform" else len(items) >= 1
            values = [value(item) for item in items]
            if not wanted or any(v is None for v in values):
                return self._dist_bad(body, f"`{kind}` takes a list of "
                                            + ("two values, low and high" if kind == "uniform"
                                               else "one or more values"))
            if kind == "uniform" and values[0] > values[1]:
                return self._dist_bad(body, "`uniform`: low is above high")
            return tuple(values)
        if kind == "lognormal":
            pairs = {k.text: v for k, v in body.items} if isinstance(body, YMap) else {}
            if set(pairs) != {"median", "p90"}:
                return self._dist_bad(body, "`lognormal` takes {median: ..., p90: ...}")
            median, p90 = value(pairs["median"]), value(pairs["p90"])
            if median is None or p90 is None:
                return None
            if not 0 < median < p90:
                return self._dist_bad(body, "`lognormal`: 0 < median < p90 is needed")
            return (median, p90)
        one = value(body) if isinstance(body, YScalar) else None
        if one is None:
            return self._dist_bad(body, f"`{kind}` takes one value")
        return (one,)

    def _dist_bad(self, node: YNode, message: str) -> tuple[float, ...] | None:
        """Report a distribution's parameters as unusable (so: no parameters)."""
        self.report.add("E507", message, node.span)
        return None

    def _duration_value(self, node: YNode) -> float | None:
        checked = self._seconds(node, T("seconds"))
        return None if checked is None else float(checked.value)  # type: ignore[arg-type]

    def _count_value(self, node: YNode) -> float | None:
        checked = self._number(node, T("num", min=0), float)
        return None if checked is None else float(checked.value)  # type: ignore[arg-type]


def load_model(path: Path) -> LoadedModel:
    """Load and check one workload model file; never raises on bad input."""
    report = Report()
    name = display_name(path)
    text = read_source(path, report, name)
    texts = {} if text is None else {name: text}
    tree = None if text is None else parse_text(text, name, report)
    if tree is None:
        return LoadedModel(None, report.items, texts)
    if not isinstance(tree, YMap):
        report.add("E120", "a workload model is a YAML mapping", tree.span)
        return LoadedModel(None, report.items, texts)
    root = ModelValidator(report, path.parent).check(tree, MODEL)
    if root is None or has_errors(report.items):
        return LoadedModel(None, report.items, texts)
    model = _build(name, root, report)
    if has_errors(report.items):
        return LoadedModel(None, sorted(report.items, key=Diagnostic.sort_key), texts)
    return LoadedModel(model, report.items, texts)


def _build(name: str, root: V, report: Report) -> Model:
    top: dict[str, V] = root.value  # type: ignore[assignment]
    level: dict[str, V] = top["service_level"].value  # type: ignore[assignment]
    target = level["target"].value
    staff: dict[str, V] = top["staff"].value  # type: ignore[assignment]
    _one_of(report, top["staff"], staff, ("replay", "agents"), "staff")
    tick = top["tick"].value
    return Model(name, parse_instant(top["start"].value), float(top["duration"].value),  # type: ignore[arg-type]
                 int(top["seed"].value), None if tick is None else float(tick),  # type: ignore[call-overload, arg-type]
                 60.0 if target is None else float(target),  # type: ignore[arg-type]
                 float(level["goal"].value),  # type: ignore[arg-type]
                 _arrivals(top["arrivals"], report), _handling(top["handling"], report),
                 _staff(staff["agents"], report), staff["replay"].value,  # type: ignore[arg-type]
                 top["staff"].span)


def _one_of(report: Report, where: V, fields: dict[str, V], names: tuple[str, ...],
            section: str) -> None:
    given = [n for n in names if fields[n].given and fields[n].value is not None]
    if len(given) != 1:
        found = "both" if given else "neither"
        report.add("E505", f"`{section}` takes one of {' or '.join(names)}, found {found}",
                   where.span)


def _arrivals(node: V, report: Report) -> Arrivals:
    a: dict[str, V] = node.value  # type: ignore[assignment]
    _one_of(report, node, a, ("replay", "per_hour"), "arrivals")
    days: dict[str, V] = a["weekdays"].value  # type: ignore[assignment]
    return Arrivals(a["replay"].value, a["replay"].span if a["replay"].given else None,  # type: ignore[arg-type]
                    a["per_hour"].value or (),  # type: ignore[arg-type]
                    {d: float(v.value) for d, v in days.items()},  # type: ignore[arg-type]
                    _names(a["sources"], SOURCES, "source", "product_page", report),
                    _names(a["order_states"], ORDER_STATES, "order state", "none", report),
                    _names(a["intents"], None, "intent", "none", report),
                    a["wants_human"].value)  # type: ignore[arg-type]


def _names(node: V, known: tuple[str, ...] | None, what: str, default: str,
           report: Report) -> Shares:
    """Shares as (names, weights); names checked against `known` (intents: by the policy)."""
    if node.value is None:
        return (default,), (1.0,)
    pairs: list[tuple[V, V]] = node.value  # type: ignore[assignment]
    for key, _ in pairs:
        if known is not None and key.value not in known:
            report.add("E503", f"unknown {what} {key.value!r}", key.span,
                       did_you_mean(str(key.value), known))
    return (tuple(str(k.value) for k, _ in pairs),
            tuple(float(v.value) for _, v in pairs))  # type: ignore[arg-type]


def _handling(node: V, report: Report) -> Handling:
    h: dict[str, V] = node.value  # type: ignore[assignment]

    def dist(name: str) -> Distribution:
        given = h[name].value
        if isinstance(given, Distribution):
            return given
        return Distribution("exponential", (DEFAULTS[name],), node.span)

    transfer = None
    if h["transfer"].value is not None:
        t: dict[str, V] = h["transfer"].value  # type: ignore[assignment]
        _one_of(report, h["transfer"], t, ("to_group", "to_agent"), "transfer")
        after = t["after"].value
        transfer = Transfer(float(t["share"].value), t["to_group"].value, t["to_agent"].value,  # type: ignore[arg-type]
                            after if isinstance(after, Distribution) else
                            Distribution("exponential", (DEFAULTS["after"],), node.span),
                            h["transfer"].span)
    exchanges = h["exchanges"].value
    return Handling(dist("first_read"), dist("first_reply"),
                    exchanges if isinstance(exchanges, Distribution) else fixed(0, node.span),
                    dist("buyer_gap"), dist("read"), dist("reply"), dist("close"), transfer,
                    bool(h["finish_offline"].value), h["fit"].value,  # type: ignore[arg-type]
                    h["fit"].span if h["fit"].given else None)


def _staff(node: V, report: Report) -> tuple[Staff, ...]:
    if node.value is None:
        return ()
    seen: dict[str, Span] = {}
    out: list[Staff] = []
    for entry in node.value:  # type: ignore[attr-defined]
        s: dict[str, V] = entry.value
        agent = str(s["agent"].value)
        if agent in seen:
            report.add("E510", f"{agent!r} is scheduled twice (first at {seen[agent]})",
                       s["agent"].span)
            continue
        seen[agent] = s["agent"].span
        shifts = tuple(_window(w, report) for w in s["shifts"].value) or (Window(0, DAY_MINUTES),)  # type: ignore[attr-defined]
        breaks = tuple(_break(_window(w, report), shifts, w.span, report)
                       for w in s["breaks"].value)  # type: ignore[attr-defined]
        out.append(Staff(agent, tuple(str(d.value) for d in s["days"].value),  # type: ignore[attr-defined]
                         shifts, breaks, tuple(_absence(a, report) for a in s["absent"].value),  # type: ignore[attr-defined]
                         entry.span))
    return tuple(out)


def _break(b: Window, shifts: tuple[Window, ...], span: Span, report: Report) -> Window:
    """A break inside one of the shifts (past midnight of a late shift: the next day's)."""
    for candidate in (b, Window(b.start + DAY_MINUTES, b.end + DAY_MINUTES)):
        if any(w.start <= candidate.start and candidate.end <= w.end for w in shifts):
            return candidate
    report.add("E509", "a break lies outside every shift", span)
    return b


def _window(node: V, report: Report) -> Window:
    w: dict[str, V] = node.value  # type: ignore[assignment]
    start, end = int(w["from"].value), int(w["to"].value)  # type: ignore[call-overload]
    if start == end:
        report.add("E509", "`from` and `to` are the same time: an empty span", node.span)
    return Window(start, end if end > start else end + DAY_MINUTES)


def _absence(node: V, report: Report) -> tuple[float, float]:
    a: dict[str, V] = node.value  # type: ignore[assignment]
    start, end = parse_instant(a["from"].value), parse_instant(a["to"].value)
    if end <= start:
        report.add("E509", "an absence ends before it starts", node.span)
    return start, end
