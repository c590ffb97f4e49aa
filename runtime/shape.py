"""Input shapes as data: one table per input kind gives both its checker and its JSON Schema.

A shape is a small frozen value (`Record`, `Text`, `Whole`, ...). `check`
walks a parsed JSON value against it and raises `InputError` at the first
problem, located by a JSON pointer, with a "did you mean" for a misspelt key
or word; `shape_schema.json_schema` turns the same shape into the JSON Schema
published in `policyc/schemas/`. Nothing is silently ignored: every record is closed.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .clock import TimeError, parse_instant

Json = dict[str, Any]


class InputError(ValueError):
    """A bad input file or value: `where` (file, `file:line`) and `pointer` locate it."""

    def __init__(self, where: str, message: str, pointer: str = "") -> None:
        super().__init__(f"{where}{pointer}: {message}")
        self.where = where + pointer
        self.file = where
        self.pointer = pointer
        self.message = message


def did_you_mean(word: str, choices: list[str] | tuple[str, ...]) -> str | None:
    """A hint naming the closest known word, if any is close."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"did you mean `{close[0]}`?" if close else None


def show(value: object, limit: int = 60) -> str:
    """A value as a message quotes it: repr, bounded (a hostile input may be huge)."""
    if isinstance(value, dict | list):
        return "an object" if isinstance(value, dict) else "a list"
    try:
        text = repr(value)
    except ValueError:  # an int beyond the interpreter's digit limit
        return "a number too long to show"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def escape(key: str) -> str:
    """A key as a JSON pointer token (RFC 6901)."""
    return key.replace("~", "~0").replace("/", "~1") if "~" in key or "/" in key else key


@dataclass(frozen=True, slots=True)
class Text:
    """A string; with `values`, one of them (an enum)."""

    values: tuple[str, ...] = ()
    max_len: int = 1024
    doc: str = ""


@dataclass(frozen=True, slots=True)
class Whole:
    """A whole number in [lo, hi] (never a boolean)."""

    lo: int
    hi: int
    doc: str = ""


@dataclass(frozen=True, slots=True)
class Number:
    """A finite number in [lo, hi]."""

    lo: float
    hi: float
    doc: str = ""


@dataclass(frozen=True, slots=True)
class Flag:
    """true or false; `says` what each means, for messages."""

    says: tuple[str, str] | None = None
    doc: str = ""


@dataclass(frozen=True, slots=True)
class Instant:
    """An ISO 8601 time with a UTC offset, in the years `clock.py` accepts."""

    doc: str = "an ISO 8601 time with a UTC offset"


@dataclass(frozen=True, slots=True)
class Nullable:
    """The inner shape, or null."""

    inner: Shape


@dataclass(frozen=True, slots=True)
class Items:
    """A list; `unique` names an item key no two items may share."""

    item: Shape
    max_items: int = 1_000_000
    unique: str = ""
    doc: str = ""


@dataclass(frozen=True, slots=True)
class Table:
    """A mapping of non-empty names to values of one shape."""

    value: Shape
    doc: str = ""


@dataclass(frozen=True, slots=True)
class Fixed:
    """A fixed-length list, one shape per position."""

    items: tuple[Shape, ...]
    doc: str = ""


@dataclass(frozen=True, slots=True)
class Key:
    """One key of a record."""

    name: str
    shape: Shape
    required: bool = False
    doc: str = ""


@dataclass(frozen=True, slots=True)
class Record:
    """A JSON object with exactly these keys (the required ones present)."""

    name: str  # how messages name it: "an agent", "`read` event"
    keys: tuple[Key, ...]
    doc: str = ""
    by_name: dict[str, Key] = field(default_factory=dict, compare=False)
    required: list[str] = field(default_factory=list, compare=False)

    def __post_init__(self) -> None:
        self.by_name.update({k.name: k for k in self.keys})
        self.required.extend(k.name for k in self.keys if k.required)


@dataclass(frozen=True, slots=True)
class Tagged:
    """A record whose `tag` key says which variant it is (an event's `type`)."""

    tag: str
    noun: str  # "event type"
    variants: dict[str, Record]
    doc: str = ""


@dataclass(frozen=True, slots=True)
class Custom:
    """A shape with its own check (a recursive condition tree) and schema."""

    name: str
    check: Callable[[object, str], None]  # raises ShapeError(pointer, message)
    schema: Json


Shape = (Text | Whole | Number | Flag | Instant | Nullable | Items | Table | Fixed | Record
         | Tagged | Custom)


class ShapeError(ValueError):
    """A value does not fit its shape; `pointer` says where inside the value."""

    def __init__(self, pointer: str, message: str) -> None:
        super().__init__(f"{pointer}: {message}")
        self.pointer = pointer
        self.message = message


def _kind(value: object) -> str:
    match value:
        case None:
            return "null"
        case bool():
            return "a boolean"
        case int() | float():
            return "a number"
        case str():
            return "a string"
        case list():
            return "a list"
        case dict():
            return "an object"
    return type(value).__name__


def check(shape: Shape, value: object, where: str = "", pointer: str = "") -> None:
    """Check `value` against `shape`; InputError(where, message, pointer) at the first misfit."""
    try:
        _check(shape, value)
    except ShapeError as err:
        raise InputError(where, err.message, pointer + err.pointer) from None


def _inside(err: ShapeError, step: str | int) -> ShapeError:
    """The error, its pointer now starting one step up (built only when there is one)."""
    err.pointer = f"/{escape(step) if isinstance(step, str) else step}{err.pointer}"
    return err


def _check(shape: Shape, value: object) -> None:
    """Pointers are relative to `value`; each container adds its step on the way out."""
    match shape:
        case Record():
            _record(shape, value)
        case Text():
            _text(shape, value)
        case Whole():
            if isinstance(value, bool) or not isinstance(value, int) \
                    or not shape.lo <= value <= shape.hi:
                raise ShapeError("", f"expected a whole number from {shape.lo} to {shape.hi}, "
                                     f"found {show(value)}")
        case Number():
            if isinstance(value, bool) or not isinstance(value, int | float) \
                    or not math.isfinite(value) or not shape.lo <= value <= shape.hi:
                raise ShapeError("", f"expected a number from {shape.lo:g} to {shape.hi:g}, "
                                     f"found {show(value)}")
        case Flag():
            if not isinstance(value, bool):
                yes, no = (f" ({w})" for w in shape.says) if shape.says else ("", "")
                raise ShapeError("", f"expected true{yes} or false{no}, found {show(value)}")
        case Instant():
            try:
                parse_instant(value)
            except TimeError as err:
                raise ShapeError("", str(err)) from None
        case Nullable():
            if value is not None:
                _check(shape.inner, value)
        case Items():
            _items(shape, value)
        case Table():
            _table(shape, value)
        case Fixed():
            if not isinstance(value, list) or len(value) != len(shape.items):
                raise ShapeError("", f"expected a list of {len(shape.items)}, "
                                     f"found {_kind(value)}")
            for i, (part, item) in enumerate(zip(shape.items, value, strict=True)):
                try:
                    _check(part, item)
                except ShapeError as err:
                    raise _inside(err, i) from None
        case Tagged():
            _tagged(shape, value)
        case Custom():
            shape.check(value, "")


def _text(shape: Text, value: object) -> None:
    if shape.values:
        if value not in shape.values or not isinstance(value, str):
            hint = did_you_mean(value, shape.values) if isinstance(value, str) else None
            raise ShapeError("", f"{show(value)} is not one of {', '.join(shape.values)}"
                                 + (f"; {hint}" if hint else ""))
    elif not isinstance(value, str) or not value:
        raise ShapeError("", f"expected a non-empty string, found {show(value)}")
    elif len(value) > shape.max_len:
        raise ShapeError("", f"a string of {len(value)} characters; at most {shape.max_len}")


def _items(shape: Items, value: object) -> None:
    if not isinstance(value, list):
        raise ShapeError("", f"expected a list, found {_kind(value)}")
    if len(value) > shape.max_items:
        raise ShapeError("", f"{len(value)} items; at most {shape.max_items}")
    seen: set[object] = set()
    for i, item in enumerate(value):
        try:
            _check(shape.item, item)
        except ShapeError as err:
            raise _inside(err, i) from None
        if shape.unique:
            assert isinstance(item, dict)
            name = item[shape.unique]
            if name in seen:
                raise ShapeError(f"/{i}/{shape.unique}", f"{show(name)} is listed twice")
            seen.add(name)


def _table(shape: Table, value: object) -> None:
    if not isinstance(value, dict):
        raise ShapeError("", f"expected an object, found {_kind(value)}")
    for key, item in value.items():
        if not key:
            raise ShapeError("", "a name is a non-empty string")
        try:
            _check(shape.value, item)
        except ShapeError as err:
            raise _inside(err, key) from None


def _record(shape: Record, value: object, tag: str = "") -> None:
    if not isinstance(value, dict):
        raise ShapeError("", f"{shape.name} is a JSON object, found {_kind(value)}")
    known = shape.by_name
    for name, item in value.items():
        key = known.get(name)
        if key is None:
            if name == tag:
                continue
            hint = did_you_mean(name, tuple(known)) or f"known: {', '.join(known)}"
            raise ShapeError(f"/{escape(name)}", f"unknown key `{name}` in {shape.name}; {hint}")
        try:
            _check(key.shape, item)
        except ShapeError as err:
            raise _inside(err, name) from None
    for name in shape.required:
        if name not in value:
            raise ShapeError(f"/{escape(name)}", f"{shape.name} lacks `{name}`")


def _tagged(shape: Tagged, value: object) -> None:
    if not isinstance(value, dict):
        raise ShapeError("", f"expected a JSON object, found {_kind(value)}")
    kind = value.get(shape.tag)
    variant = shape.variants.get(kind) if isinstance(kind, str) else None
    if variant is None:
        hint = did_you_mean(kind, tuple(shape.variants)) if isinstance(kind, str) else None
        raise ShapeError(f"/{shape.tag}", f"unknown {shape.noun} {show(kind)}; "
                         + (hint or "known: " + ", ".join(shape.variants)))
    _record(variant, value, shape.tag)
