"""Read a workload model file into a `Model`, or located diagnostics (E1xx file, E5xx model).

The policy's YAML reader (dsl/yaml_tree.py: size cap, UTF-8, alias bombs, depth)
and validator (dsl/validate.py: types, unknown keys with "did you mean",
duplicates, defaults) do the reading; this module adds the model's own kinds
(policyc/workload/schema.py): durations, distributions, rates, shares (which
add up to 1) and paths. policyc/workload/build.py makes the `Model` of it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from ..dsl.diagnostic import Diagnostic, Report, Words, has_errors
from ..dsl.load import display_name
from ..dsl.schema import T
from ..dsl.validate import V, Validator, did_you_mean
from ..dsl.yaml_tree import YMap, YNode, YScalar, YSeq, parse_text, read_source
from ..runtime.catalog import N_
from .build import build
from .distributions import COUNT_KINDS, DURATION_KINDS, Distribution, parse_seconds
from .model import Model
from .schema import MODEL


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
            self._bad(s, N_("{text} is not a duration"),
                      N_("write a number and a unit: 30s, 1.5m, 2h"), text=repr(s.text))
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
            found = (Words(N_("{n} values"), n=len(node.items)) if isinstance(node, YSeq)
                     else Words(N_("a mapping")))
            self.report.add("E508", N_("`per_hour` is one rate or 24, one per hour from 00:00; "
                                       "found {found}"), node.span, None, found=found)
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
            self.report.add("E504", N_("shares add up to {total}, not 1"), node.span, None,
                            total=f"{total:g}")
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
            self.report.add("E507", N_("a distribution is a value or a mapping with one key: "
                                       "{kinds}"), node.span, None, kinds=", ".join(kinds))
            return None
        key, body = node.items[0]
        if key.text not in kinds:
            self.report.add("E507", N_("unknown distribution {name}"), key.span,
                            did_you_mean(key.text, kinds), name=repr(key.text))
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
                return self._dist_bad(body, N_("`{kind}` takes a list of two values, low and "
                                               "high") if kind == "uniform"
                                      else N_("`{kind}` takes a list of one or more values"),
                                      kind=kind)
            if kind == "uniform" and values[0] > values[1]:
                return self._dist_bad(body, N_("`uniform`: low is above high"))
            return tuple(values)
        if kind == "lognormal":
            pairs = {k.text: v for k, v in body.items} if isinstance(body, YMap) else {}
            if set(pairs) != {"median", "p90"}:
                return self._dist_bad(body, N_("`lognormal` takes {{median: ..., p90: ...}}"),
                                      kind=kind)
            median, p90 = value(pairs["median"]), value(pairs["p90"])
            if median is None or p90 is None:
                return None
            if not 0 < median < p90:
                return self._dist_bad(body, N_("`lognormal`: 0 < median < p90 is needed"))
            return (median, p90)
        one = value(body) if isinstance(body, YScalar) else None
        if one is None:
            return self._dist_bad(body, N_("`{kind}` takes one value"), kind=kind)
        return (one,)

    def _dist_bad(self, node: YNode, message: str, **args: object) -> tuple[float, ...] | None:
        """Report a distribution's parameters as unusable (so: no parameters)."""
        self.report.add("E507", message, node.span, None, **args)
        return None

    def _duration_value(self, node: YNode) -> float | None:
        checked = self._seconds(node, T("seconds"))
        return None if checked is None else cast(float, checked.value)

    def _count_value(self, node: YNode) -> float | None:
        checked = self._number(node, T("num", min=0), float)
        return None if checked is None else cast(float, checked.value)


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
        report.add("E120", N_("a workload model is a YAML mapping"), tree.span)
        return LoadedModel(None, report.items, texts)
    root = ModelValidator(report, path.parent).check(tree, MODEL)
    if root is None or has_errors(report.items):
        return LoadedModel(None, report.items, texts)
    model = build(name, root, report)
    if has_errors(report.items):
        return LoadedModel(None, sorted(report.items, key=Diagnostic.sort_key), texts)
    return LoadedModel(model, report.items, texts)
