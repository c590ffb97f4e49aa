"""Check a YAML tree against the schema table and turn it into located values.

The result is a tree of `V` (value + span): mappings become dicts of V, lists
lists of V, expressions parsed AST, durations seconds, times minutes. Missing
keys get their default with the parent's span and `given=False`. Every problem
is a diagnostic; a value that failed gives None and validation goes on, so one
run reports as much as it can.
"""

from __future__ import annotations

import difflib
import math
import re
import unicodedata
from collections.abc import Callable
from datetime import date, datetime
from typing import NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from policyc.runtime.catalog import N_
from policyc.runtime.clock import YEARS

from .diagnostic import Report, Words, quoted, token
from .expr import MAX_DURATION_SECONDS, parse_duration, parse_expr, parse_minutes
from .schema import EXPR, GROUP, IDENT, STEP_KINDS, F, T
from .span import Span
from .yaml_tree import YMap, YNode, YScalar, YSeq

_LONG_DURATION = re.compile(r"[0-9]{13,}[smhd]")
_IDENT = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.@\-]{0,127}$")  # the common, ASCII case
_NAME_PUNCT = frozenset("_.@-")


def is_name(text: str) -> bool:
    """A name: Unicode letters and digits of any script (王芳, 客服-小林), combining marks
    after the first character, and _ - . @; up to 128 characters."""
    if _IDENT.match(text):
        return True
    if text.isascii() or not text or len(text) > 128:
        return False
    first = text[0]
    if not (first == "_" or unicodedata.category(first)[0] in "LN"):
        return False
    return all(ch in _NAME_PUNCT or unicodedata.category(ch)[0] in "LNM" for ch in text[1:])


def name_text(text: str) -> str:
    """A name as it is compared and stored: NFC (one spelling per name)."""
    return text if text.isascii() else unicodedata.normalize("NFC", text)


def did_you_mean(word: str, choices: list[str] | tuple[str, ...]) -> str | None:
    """The hint naming the closest known word (as runtime/shape.py words it), kept as
    `Words` so a renderer can say it in the reader's language."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return Words(N_("did you mean `{word}`?"), word=close[0]) if close else None


class V(NamedTuple):
    """A validated value and where it was written (a named tuple for the same reason as
    YScalar: hundreds of thousands are built for a large policy)."""

    value: object
    span: Span
    given: bool = True


def expression_text(s: YScalar) -> str:
    """The expression a `when:` scalar holds, as the expression parser should read it."""
    # YAML reads `when: true` (or `yes`, `on`) as a boolean; the expression language agrees.
    return ("true" if s.value else "false") if isinstance(s.value, bool) else s.text


# What a value was expected to be, or was found to be (E120), as the catalogs say them.
KIND_WORDS = (N_("a mapping"), N_("a list"), N_("a scalar"), N_("text"), N_("a name"),
              N_("true or false"), N_("a number"), N_("a duration"), N_("a time of day"),
              N_("a date and time"), N_("a time zone"), N_("an expression"),
              N_("a step name or a mapping with `step:`"), N_("a date"),
              N_("a name, a number or a list of names"))


def _kind_name(node: YNode) -> str:
    match node:
        case YMap():
            return "a mapping"
        case YSeq():
            return "a list"
        case _:
            return "a scalar"


# Resolves an `include` value written as a path: (the path scalar, the included type).
Include = Callable[[YScalar, T], V | None]


class Validator:
    """Walks one YAML tree; `include` resolves `include` values given as paths."""

    def __init__(self, report: Report, include: Include | None = None) -> None:
        self.report = report
        self.include = include
        self._checks: dict[str, Callable[[YNode, T], V | None]] = {}  # kind -> bound _kind

    def check(self, node: YNode, t: T) -> V | None:
        """`node` checked against type `t`; None (after reporting why) when it does not fit."""
        if ((t.nullable or t.kind == "include") and isinstance(node, YScalar)
                and node.value is None and not node.quoted):
            return V(None, node.span)
        method = self._checks.get(t.kind)
        if method is None:
            method = self._checks[t.kind] = getattr(self, f"_{t.kind}")
        return method(node, t)

    # -- helpers -----------------------------------------------------------
    def _wrong(self, node: YNode, expected: str) -> None:
        self.report.add("E120", N_("expected {expected}, found {found}"), node.span,
                        expected=Words(expected), found=Words(_kind_name(node)))

    def _scalar(self, node: YNode, expected: str) -> YScalar | None:
        if isinstance(node, YScalar):
            return node
        self._wrong(node, expected)
        return None

    def _bad(self, node: YScalar, message: str, hint: str | None = None,
             **args: object) -> None:
        self.report.add("E123", message, node.span, hint, **args)

    # -- scalar kinds --------------------------------------------------------
    def _str(self, node: YNode, t: T) -> V | None:
        s = self._scalar(node, "text")
        return None if s is None else V(s.text, s.span)

    def _ident(self, node: YNode, t: T) -> V | None:
        s = self._scalar(node, "a name")
        if s is None:
            return None
        if not is_name(s.text):
            self._bad(s, N_("{name} is not a valid name"), N_(
                "names use letters and digits (any script) and _ - . @, up to 128 characters"),
                name=quoted(s.text))
            return None
        return V(name_text(s.text), s.span)

    def _bool(self, node: YNode, t: T) -> V | None:
        s = self._scalar(node, "true or false")
        if s is None:
            return None
        if not isinstance(s.value, bool):
            self._bad(s, N_("expected true/false (or on/off), found {text}"), text=quoted(s.text))
            return None
        return V(s.value, s.span)

    def _int(self, node: YNode, t: T) -> V | None:
        return self._number(node, t, int)

    def _num(self, node: YNode, t: T) -> V | None:
        return self._number(node, t, float)

    def _number(self, node: YNode, t: T, kind: type) -> V | None:
        s = self._scalar(node, "a number")
        if s is None:
            return None
        value = s.value
        # .nan passes every range test and .inf overflows; a huge int meets the range test.
        infinite = isinstance(value, float) and not math.isfinite(value)
        if isinstance(value, bool) or not isinstance(value, int | float) or (
            kind is int and not isinstance(value, int)
        ) or infinite:
            self._bad(s, N_("expected a whole number, found {text}") if kind is int
                      else N_("expected a number, found {text}"), text=quoted(s.text))
            return None
        if (t.min is not None and value < t.min) or (t.max is not None and value > t.max):
            if t.min is not None and t.max is not None:
                range_message = N_("{text} is out of range: must be at least {min} and at most "
                                   "{max}")
            elif t.min is not None:
                range_message = N_("{text} is out of range: must be at least {min}")
            else:
                range_message = N_("{text} is out of range: must be at most {max}")
            self._bad(s, range_message, text=token(s.text), min=t.min, max=t.max)
            return None
        return V(kind(value), s.span)

    def _duration(self, node: YNode, t: T) -> V | None:
        s = self._scalar(node, "a duration")
        if s is None:
            return None
        seconds = parse_duration(s.text)
        if seconds is None and _LONG_DURATION.fullmatch(s.text):
            seconds = MAX_DURATION_SECONDS + 1  # too many digits to read: surely too long
        if seconds is None:
            self._bad(s, N_("{text} is not a duration"),
                      N_("write a number and a unit: 10m, 72h, 3d"), text=quoted(s.text))
            return None
        if seconds > MAX_DURATION_SECONDS:
            self._bad(s, N_("{text} is longer than {days}d"),
                      N_("durations are at most ten years"), text=quoted(s.text),
                      days=MAX_DURATION_SECONDS // 86400)
            return None
        if t.min is not None and seconds < t.min:
            self._bad(s, N_("{text} is shorter than {seconds}s"),
                      N_("write at least {seconds}s"), text=quoted(s.text), seconds=t.min)
            return None
        return V(seconds, s.span)

    def _time(self, node: YNode, t: T) -> V | None:
        s = self._scalar(node, "a time of day")
        if s is None:
            return None
        minutes = parse_minutes(s.text)
        if minutes is None:
            self._bad(s, N_("{text} is not a time of day"),
                      N_("write HH:MM, e.g. 09:00 or 21:30"), text=quoted(s.text))
            return None
        return V(minutes, s.span)

    def _datetime(self, node: YNode, t: T) -> V | None:
        s = self._scalar(node, "a date and time")
        if s is None:
            return None
        try:
            moment = datetime.fromisoformat(s.text)
        except ValueError:
            self._bad(s, N_("{text} is not an ISO 8601 date-time"),
                      N_("e.g. 2024-03-01T09:00:00+08:00"), text=quoted(s.text))
            return None
        if moment.tzinfo is None:
            self._bad(s, N_("{text} has no UTC offset"), N_("add one, e.g. +08:00"),
                      text=quoted(s.text))
            return None
        if not YEARS[0] <= moment.year <= YEARS[1]:  # what the runtime's clock accepts
            self._bad(s, N_("{text}: the year is outside {first}-{last}"), text=repr(s.text),
                      first=YEARS[0], last=YEARS[1])
            return None
        return V(moment.isoformat(), s.span)

    def _date(self, node: YNode, t: T) -> V | None:
        s = self._scalar(node, "a date")
        if s is None:
            return None
        try:
            day = date.fromisoformat(s.text) if len(s.text) == 10 else None
        except ValueError:
            day = None
        if day is None:
            self._bad(s, N_("{text} is not a date"), N_("write YYYY-MM-DD, e.g. 2026-12-25"),
                      text=quoted(s.text))
            return None
        if not YEARS[0] <= day.year <= YEARS[1]:
            self._bad(s, N_("{text}: the year is outside {first}-{last}"), text=repr(s.text),
                      first=YEARS[0], last=YEARS[1])
            return None
        return V(day.isoformat(), s.span)

    def _attribute(self, node: YNode, t: T) -> V | None:
        """An agent's attribute value: a name, a whole number, or a list of names (checked
        against `agent_attributes:` by the compiler, which knows the declarations)."""
        if isinstance(node, YSeq):
            return self._list(node, T("list", item=IDENT))
        s = self._scalar(node, "a name, a number or a list of names")
        if s is None:
            return None
        if isinstance(s.value, int) and not isinstance(s.value, bool):
            return V(s.value, s.span)
        return self._ident(s, t)

    def _timezone(self, node: YNode, t: T) -> V | None:
        s = self._scalar(node, "a time zone")
        if s is None:
            return None
        try:
            ZoneInfo(s.text)
        except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: `Asia` is a folder
            self._bad(s, N_("unknown time zone {text}"),
                      N_("use an IANA name such as Asia/Taipei"), text=quoted(s.text))
            return None
        return V(s.text, s.span)

    def _enum(self, node: YNode, t: T) -> V | None:
        s = self._scalar(node, "one of " + ", ".join(t.values))
        if s is None:
            return None
        if s.text not in t.values:
            self._bad(s, N_("{text} is not one of: {values}"),
                      did_you_mean(s.text, t.values), text=quoted(s.text),
                      values=", ".join(t.values))
            return None
        return V(s.text, s.span)

    def _expr(self, node: YNode, t: T) -> V | None:
        s = self._scalar(node, "an expression")
        if s is None:
            return None
        text = expression_text(s)
        # Columns inside the expression map onto the file only when the scalar is the
        # text itself on one line (no folding, block style or YAML escapes).
        width = s.span.end_col - s.span.col - (2 if s.quoted else 0)
        verbatim = s.span.end_line == s.span.line and width == len(text)
        expr = parse_expr(text, s.span, self.report, col_offset=1 if s.quoted else 0,
                          verbatim=verbatim)
        return None if expr is None else V(expr, s.span)

    # -- containers ----------------------------------------------------------
    def _list(self, node: YNode, t: T) -> V | None:
        if isinstance(node, YScalar) and node.value is None:
            return V([], node.span)
        if not isinstance(node, YSeq):
            self._wrong(node, "a list")
            return None
        assert t.item is not None
        items = [self.check(child, t.item) for child in node.items]
        return V([i for i in items if i is not None], node.span)

    def _map(self, node: YNode, t: T) -> V | None:
        if isinstance(node, YScalar) and node.value is None:
            return V([], node.span)
        if not isinstance(node, YMap):
            self._wrong(node, "a mapping")
            return None
        assert t.item is not None
        seen: dict[str, Span] = {}
        pairs: list[tuple[V, V]] = []
        # Pin tables hold up to 100,000 `buyer: agent` lines: the plain form is
        # checked here without the four calls of the general path.
        pins = t.item.kind == "pin"
        groups = t.item is GROUP
        ident = _IDENT.match
        for key, value in node.items:
            if key.text in seen:
                self.report.add("E124", N_("{key} is given twice (first at {first})"),
                                key.span, key=quoted(key.text), first=str(seen[key.text]))
                continue
            seen[key.text] = key.span
            if groups and not is_name(key.text):
                self._bad(key, N_("{name} is not a valid name"), N_(
                    "names use letters and digits (any script) and _ - . @, up to 128 "
                    "characters"), name=quoted(key.text))
                continue
            if pins and type(value) is YScalar and ident(value.text):
                pairs.append((V(key.text, key.span),
                              V({"agent": V(value.text, value.span)}, value.span)))
                continue
            checked = self.check(value, t.item)
            if checked is not None:
                pairs.append((V(name_text(key.text) if groups else key.text, key.span), checked))
        return V(pairs, node.span)

    def _obj(self, node: YNode, t: T) -> V | None:
        if not isinstance(node, YMap):
            self._wrong(node, "a mapping")
            return None
        return self.fields(node, t.fields)

    def fields(self, node: YMap, fields: tuple[F, ...]) -> V:
        """Check a mapping's keys against `fields`, filling defaults."""
        by_name = {f.name: f for f in fields}
        out: dict[str, V] = {}
        seen: dict[str, Span] = {}
        for key, value in node.items:
            name = key.text
            if name in seen:
                self.report.add("E124", N_("{key} is given twice (first at {first})"),
                                key.span, key=quoted(name), first=str(seen[name]))
                continue
            seen[name] = key.span
            spec = by_name.get(name)
            if spec is None:
                self.report.add("E121", N_("unknown key {key}"), key.span,
                                did_you_mean(name, list(by_name)), key=quoted(name))
                continue
            checked = self.check(value, spec.type)
            if checked is not None:
                out[name] = checked
        for spec in fields:
            if spec.name in out or spec.name in seen:
                continue
            if spec.required:
                self.report.add("E122", N_("missing required key {key}"), node.span,
                                key=quoted(spec.name))
            else:
                out[spec.name] = self._default(spec, node.span)
        return V(out, node.span)

    def _default(self, spec: F, span: Span) -> V:
        t, default = spec.type, spec.default
        if default is None or t.kind in ("str", "ident", "enum", "bool", "int", "num"):
            return V(default, span, given=False)
        # Defaults written in the policy's own notation go through the same checks.
        if t.kind == "duration":
            return V(parse_duration(str(default)), span, given=False)
        if t.kind == "time":
            return V(parse_minutes(str(default)), span, given=False)
        if t.kind == "obj" and isinstance(default, dict):
            inner = _yaml_of(default, span)
            assert isinstance(inner, YMap)
            return V(self.fields(inner, t.fields).value, span, given=False)
        if t.kind == "list" and isinstance(default, list):
            return V([V(v, span, given=False) for v in default], span, given=False)
        if t.kind in ("map", "include") and isinstance(default, dict | list):
            return V([], span, given=False)
        return V(default, span, given=False)

    def _step(self, node: YNode, t: T) -> V | None:
        """A route step: `- pin` or `- {step: recent_contact, window: 72h}`."""
        if isinstance(node, YScalar):
            node = YMap(((YScalar("step", "tag:yaml.org,2002:str", False, node.span), node),),
                        node.span)
        if not isinstance(node, YMap):
            self._wrong(node, "a step name or a mapping with `step:`")
            return None
        kind_node = next((v for k, v in node.items if k.text == "step"), None)
        if not isinstance(kind_node, YScalar):
            self.report.add("E122", N_("a route step needs `step:` naming its kind"), node.span,
                            N_("kinds: {kinds}"), kinds=", ".join(STEP_KINDS))
            return None
        if kind_node.text not in STEP_KINDS:
            self._bad(kind_node, N_("unknown step kind {text}"),
                      did_you_mean(kind_node.text, tuple(STEP_KINDS)), text=quoted(kind_node.text))
            return None
        fields = (F("step", IDENT, required=True), F("when", EXPR, default=None),
                  *STEP_KINDS[kind_node.text])
        return self.fields(node, fields)

    def _pin(self, node: YNode, t: T) -> V | None:
        if isinstance(node, YScalar):  # `buyer: agent`, the policy's pin_mode applies
            agent = self._ident(node, t)
            return None if agent is None else V({"agent": agent}, node.span)
        assert t.item is not None
        return self.check(node, t.item)

    def _include(self, node: YNode, t: T) -> V | None:
        assert t.item is not None
        if isinstance(node, YScalar) and node.value is not None and self.include is not None:
            return self.include(node, t.item)
        if isinstance(node, YSeq) and t.item.kind == "map" and self.include is not None:
            return self._includes(node, t.item)
        return self.check(node, t.item)

    def _includes(self, node: YSeq, t: T) -> V | None:
        """A table split over several files (`pins: [pins-1.yaml, pins-2.yaml]`, each under
        the size cap): each file included in turn, as one table; a key that a later file
        gives again is given twice, as within one file."""
        assert self.include is not None
        seen: dict[object, Span] = {}
        pairs: list[tuple[V, V]] = []
        for item in node.items:
            if not isinstance(item, YScalar) or item.value is None:
                self._wrong(item, "the path of a YAML file")
                continue
            table = self.include(item, t)
            if table is None or not isinstance(table.value, list):
                continue
            for key, value in table.value:
                first = seen.get(key.value)
                if first is not None:
                    self.report.add("E124", N_("{key} is given twice (first at {first})"),
                                    key.span, key=quoted(str(key.value)), first=str(first))
                    continue
                seen[key.value] = key.span
                pairs.append((key, value))
        return V(pairs, node.span)


def _yaml_of(value: object, span: Span) -> YNode:
    """Turn a schema default back into YAML nodes so it is validated like written text."""
    if isinstance(value, dict):
        return YMap(tuple((YScalar(k, "tag:yaml.org,2002:str", False, span), _yaml_of(v, span))
                          for k, v in value.items()), span)
    if isinstance(value, list):
        return YSeq(tuple(_yaml_of(v, span) for v in value), span)
    if isinstance(value, bool):
        return YScalar("true" if value else "false", "tag:yaml.org,2002:bool", False, span)
    if value is None:
        return YScalar("null", "tag:yaml.org,2002:null", False, span)
    if isinstance(value, int):
        return YScalar(str(value), "tag:yaml.org,2002:int", False, span)
    return YScalar(str(value), "tag:yaml.org,2002:str", False, span)
