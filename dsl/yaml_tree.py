"""Read a policy file into a small YAML node tree that keeps every value's span.

PyYAML's composer gives nodes with marks; we copy them into our own frozen
nodes so that later stages never see PyYAML, and so that hostile input is
refused here: files that are too large, not UTF-8, too deeply nested, or whose
aliases would expand without bound (a "billion laughs" file).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple, NoReturn, Protocol, cast

import yaml

from policyc.runtime.catalog import N_
from policyc.runtime.shape import InputError
from policyc.runtime.source_files import open_source

from .diagnostic import Report, Words
from .span import Span, file_span, source_lines
from .yaml_problems import os_said, refusal_said, said

MAX_BYTES = 8 * 1024 * 1024
MAX_DEPTH = 64
_TOO_DEEP = N_("values are nested more than {limit} levels deep")
_SYNTAX = N_("YAML syntax error: {problem}")
_CANNOT_READ = N_("cannot read file: {why}")
# An alias may re-use a node, but the expanded tree may not grow more than
# this many times the written one (plus some slack for small files).
EXPANSION_FACTOR = 10
EXPANSION_SLACK = 10_000

# libyaml's loader when PyYAML was built with it: its scanner is about 10x faster.
LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class YScalar(NamedTuple):
    """A scalar as written: `text` is the raw text, `tag` the YAML-resolved type.

    Immutable like the other nodes, but a named tuple: there is one per scalar of
    a 100,000-line pins file, and a frozen dataclass costs four times as much to
    build (see bench/compile_bench.py).
    """

    text: str
    tag: str
    quoted: bool
    span: Span

    @property
    def value(self) -> object:
        """The scalar as YAML 1.1 types it, except that sexagesimal numbers stay text."""
        match self.tag.rsplit(":", 1)[-1]:
            case "null":
                return None
            case "bool":
                return self.text.lower() in ("true", "yes", "on", "y")
            case "int" if ":" not in self.text:
                try:
                    return int(self.text.replace("_", ""), 0)
                except ValueError:
                    return self.text
            case "float" if ":" not in self.text:
                try:
                    return float(self.text.replace("_", ""))
                except ValueError:
                    return self.text
            case _:
                return self.text


@dataclass(frozen=True, slots=True)
class YMap:
    """A mapping, keeping written order and duplicate keys (reported later)."""

    items: tuple[tuple[YScalar, YNode], ...]
    span: Span


@dataclass(frozen=True, slots=True)
class YSeq:
    """A sequence."""

    items: tuple[YNode, ...]
    span: Span


YNode = YScalar | YMap | YSeq


_STR = "tag:yaml.org,2002:str"
# first character -> [(tag, pattern)], the YAML 1.1 implicit types of the safe loader.
_IMPLICIT: dict[str | None, list[tuple[str, re.Pattern[str]]]] = dict(
    LOADER.yaml_implicit_resolvers)
_WILDCARD = None in _IMPLICIT


def _resolve(value: str) -> str:
    """The tag PyYAML's resolver gives a plain scalar, without its per-call overhead."""
    for tag, pattern in _IMPLICIT.get(value[:1], ()):
        if pattern.match(value):
            return tag
    for tag, pattern in _IMPLICIT.get(None, ()):
        if pattern.match(value):
            return tag
    return _STR


class _Mark(Protocol):
    """A position in the YAML text (PyYAML's pure and libyaml marks both fit)."""

    line: int
    column: int


class _Failed(Exception):
    """Stops composing after a hostile-input diagnostic has been reported."""


@dataclass(slots=True)
class _Open:
    """A mapping or sequence whose end event has not come yet."""

    is_map: bool
    start: _Mark | None
    anchor: str | None
    items: list[YNode]
    size: int = 1
    height: int = 0


class _Composer:
    """Builds the YNode tree straight from PyYAML's event stream, without recursion.

    PyYAML's own composer recurses once per nesting level (in C with the
    libyaml loader), so a file of a million `[` crashes the interpreter; here
    nesting is a list, checked against MAX_DEPTH as it grows. Aliases share the
    anchored node; their expanded size is counted to stop alias bombs.
    """

    def __init__(self, file: str, report: Report) -> None:
        self.file = file
        self.report = report
        self.stack: list[_Open] = []
        self.anchors: dict[str, tuple[YNode, int, int]] = {}  # anchor -> node, size, height
        self.written = 0
        self.expanded = 0
        self.root: YNode | None = None
        self.documents = 0

    def span(self, start: _Mark | None, end: _Mark | None) -> Span:
        if start is None or end is None:
            return file_span(self.file)
        return Span(self.file, start.line + 1, start.column + 1, end.line + 1, end.column + 1)

    def fail(self, code: str, message: str, where: Span | yaml.Event,
             **args: object) -> NoReturn:
        if isinstance(where, yaml.Event):
            where = self.span(where.start_mark, where.end_mark)
        self.report.add(code, message, where, None, **args)
        raise _Failed

    def compose(self, loader: yaml.CSafeLoader | yaml.SafeLoader) -> YNode | None:
        next_event, scalar, scalar_event = loader.get_event, self.scalar, yaml.ScalarEvent
        while True:
            event = next_event()
            if type(event) is scalar_event:  # most events; an exact type test is cheapest
                scalar(event)
            elif isinstance(event, yaml.ScalarEvent):
                self.scalar(event)
            elif isinstance(event, yaml.MappingStartEvent | yaml.SequenceStartEvent):
                self.open(event)
            elif isinstance(event, yaml.MappingEndEvent | yaml.SequenceEndEvent):
                self.close(event)
            elif isinstance(event, yaml.AliasEvent):
                self.alias(event)
            elif isinstance(event, yaml.DocumentStartEvent):
                self.documents += 1
                if self.documents > 1:
                    self.fail("E101", N_("YAML syntax error: a policy file holds one "
                                         "document, found a second"), event)
            elif isinstance(event, yaml.StreamEndEvent) or event is None:
                return self.root

    def scalar(self, event: yaml.ScalarEvent) -> None:
        # The hot path of a large roster or pins file: kept free of helper calls.
        stack = self.stack
        if len(stack) > MAX_DEPTH:
            self.check_depth(0, event)
        value, tag, start, end = event.value, event.tag, event.start_mark, event.end_mark
        assert start is not None and end is not None  # the parser marks every event
        if tag is None or tag == "!":
            plain = event.implicit[0] and (_WILDCARD or value[:1] in _IMPLICIT)
            tag = _resolve(value) if plain else _STR
        node = YScalar(value, tag, event.style in ("'", '"'),
                       Span(self.file, start.line + 1, start.column + 1, end.line + 1,
                            end.column + 1))
        self.written += 1
        if event.anchor is None and stack:  # a scalar is always a valid key or item
            top = stack[-1]
            top.items.append(node)
            top.size += 1
            if not top.height:
                top.height = 1
            return
        self.add(node, event.anchor, 1, 0)

    def open(self, event: yaml.MappingStartEvent | yaml.SequenceStartEvent) -> None:
        self.check_depth(0, event)
        self.written += 1
        self.stack.append(_Open(isinstance(event, yaml.MappingStartEvent), event.start_mark,
                                event.anchor, []))

    def close(self, event: yaml.MappingEndEvent | yaml.SequenceEndEvent) -> None:
        top = self.stack.pop()
        span = self.span(top.start, event.end_mark)
        node: YNode
        if top.is_map:
            keys = top.items[0::2]
            node = YMap(tuple(zip(cast("list[YScalar]", keys), top.items[1::2], strict=True)),
                        span)
        else:
            node = YSeq(tuple(top.items), span)
        self.add(node, top.anchor, top.size, top.height)

    def alias(self, event: yaml.AliasEvent) -> None:
        if event.anchor not in self.anchors:
            self.fail("E101", N_("YAML syntax error: alias *{anchor} names no anchor "
                                 "written before it"), event, anchor=event.anchor)
        node, size, height = self.anchors[event.anchor]
        self.expanded += size
        if self.expanded > EXPANSION_FACTOR * self.written + EXPANSION_SLACK:
            self.fail("E103", N_("aliases expand this document far beyond its written size"),
                      event)
        self.check_depth(height, event)
        self.add(node, None, size, height)

    def check_depth(self, height: int, event: yaml.Event) -> None:
        if len(self.stack) + height > MAX_DEPTH:
            self.fail("E105", _TOO_DEEP, event, limit=MAX_DEPTH)

    def add(self, node: YNode, anchor: str | None, size: int, height: int) -> None:
        if anchor is not None:
            self.anchors[anchor] = (node, size, height)
        if not self.stack:
            self.root = node
            return
        parent = self.stack[-1]
        if parent.is_map and len(parent.items) % 2 == 0 and not isinstance(node, YScalar):
            self.fail("E120", N_("mapping keys must be plain names"), node.span)
        parent.items.append(node)
        parent.size += size
        parent.height = max(parent.height, height + 1)


def _byte_span(raw: bytes, file: str, offset: int) -> Span:
    """Where byte `offset` of undecodable text is: its line, and its column counted in bytes."""
    line = raw.count(b"\n", 0, offset) + 1
    col = offset - (raw.rfind(b"\n", 0, offset) + 1) + 1
    return Span(file, line, col)


def _decode(raw: bytes, file: str, report: Report) -> str | None:
    if b"\x00" in raw:
        report.add("E104", N_("file contains a NUL byte; is it a binary file?"),
                   _byte_span(raw, file, raw.index(b"\x00")))
        return None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        report.add("E104", N_("byte 0x{byte} is not valid UTF-8"),
                   _byte_span(raw, file, err.start), byte=f"{raw[err.start]:02x}")
        return None


def _within(text: str, file: str, line: int, col: int) -> Span:
    """A position clamped to the text: libyaml reports end-of-input one line past the end."""
    lines = source_lines(text)
    if line > len(lines):
        line, col = len(lines), len(lines[-1]) + 1
    return Span(file, line, min(col, len(lines[line - 1]) + 1))


def _deep_bracket(text: str, file: str, stop: int) -> Span:
    """Where flow nesting first passes MAX_DEPTH in text[:stop] (brackets in quotes skipped)."""
    depth, quote, line, col = 0, "", 1, 1
    for char in text[:stop]:
        if quote:
            quote = "" if char == quote else quote
        elif char in "\"'":
            quote = char
        elif char in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return Span(file, line, col)
        elif char in "]}":
            depth -= 1
        if char == "\n":
            line, col, quote = line + 1, 1, ""
        else:
            col += 1
    return _within(text, file, line, col)


def parse_text(text: str, file: str, report: Report) -> YNode | None:
    """Compose YAML text into a span-carrying tree; report problems instead of raising."""
    loader = LOADER(text)
    try:
        root = _Composer(file, report).compose(loader)
    except _Failed:
        return None
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        if "nesting depth" in str(err.problem):
            # PyYAML >= 6.0.3 caps flow nesting in its scanner, which runs ahead of the
            # events our composer counts: report our own limit at the bracket that broke it.
            report.add("E105", _TOO_DEEP,
                       _deep_bracket(text, file, mark.index if mark else len(text)),
                       limit=MAX_DEPTH)
            return None
        span = _within(text, file, mark.line + 1, mark.column + 1) if mark else file_span(file)
        problem = err.problem or err.context or "invalid YAML"
        where = err.context_mark
        if err.problem and err.context and where is not None:  # e.g. an unclosed quote
            report.add("E101", N_("YAML syntax error: {problem} {context} at {where}"), span,
                       problem=said(problem), context=said(err.context),
                       where=f"{where.line + 1}:{where.column + 1}")
        else:
            report.add("E101", _SYNTAX, span, problem=said(problem))
        return None
    except yaml.YAMLError as err:
        report.add("E101", _SYNTAX, file_span(file), problem=said(str(err)))
        return None
    finally:
        loader.dispose()
    if root is None:
        report.add("E120", N_("the file is empty; a policy is a YAML mapping"),
                   file_span(file))
    elif isinstance(root, YScalar) and root.span.line > 1:
        # An empty document (`---`): libyaml puts its null on the line after the last.
        inside = _within(text, file, root.span.line, root.span.col)
        if inside.line != root.span.line:
            root = root._replace(span=inside)
    return root


def read_source(path: Path, report: Report, display: str | None = None) -> str | None:
    """The text of one policy file, refusing unreadable, huge, binary or irregular files.

    The file is opened without blocking and must be a regular file
    (runtime/source_files.py), so a FIFO, a device or a folder named as a policy or
    an include (`roster: /dev/zero`) is refused before a byte is read; at most
    MAX_BYTES + 1 bytes are read.
    """
    name = display or str(path)
    try:
        with open_source(path, "policy", stdin=False) as handle:
            raw = handle.read(MAX_BYTES + 1)
    except InputError as err:
        if err.message.startswith("file is"):
            _too_big(report, name, Words(N_("{size} bytes"), size=f"{os.stat(path).st_size:,}"))
        else:
            report.add("E100", refusal_said(err.message), file_span(name))
        return None
    except (OSError, ValueError) as err:  # ValueError: a NUL byte in the path
        report.add("E100", _CANNOT_READ, file_span(name), why=os_said(err))
        return None
    if len(raw) > MAX_BYTES:
        _too_big(report, name, Words(N_("over {size} bytes"), size=f"{MAX_BYTES:,}"))
        return None
    return _decode(raw, name, report)


def _too_big(report: Report, name: str, shown: str) -> None:
    report.add("E102", N_("file is {shown}; policy files are limited to {limit}"),
               file_span(name), N_("split the roster or pins into included files"),
               shown=shown, limit=f"{MAX_BYTES:,}")


def read_file(path: Path, report: Report, display: str | None = None) -> YNode | None:
    """Read and compose one policy file, refusing unreadable, huge or binary files."""
    name = display or str(path)
    text = read_source(path, report, name)
    return None if text is None else parse_text(text, name, report)
