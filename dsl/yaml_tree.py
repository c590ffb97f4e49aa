"""Read a policy file into a small YAML node tree that keeps every value's span.

PyYAML's composer gives nodes with marks; we copy them into our own frozen
nodes so that later stages never see PyYAML, and so that hostile input is
refused here: files that are too large, not UTF-8, too deeply nested, or whose
aliases would expand without bound (a "billion laughs" file).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from .diagnostic import Report
from .span import Span, file_span

MAX_BYTES = 8 * 1024 * 1024
MAX_DEPTH = 64
# An alias may re-use a node, but the expanded tree may not grow more than
# this many times the written one (plus some slack for small files).
EXPANSION_FACTOR = 10
EXPANSION_SLACK = 10_000

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True, slots=True)
class YScalar:
    """A scalar as written: `text` is the raw text, `tag` the YAML-resolved type."""

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


def _span(file: str, node: yaml.Node) -> Span:
    start, end = node.start_mark, node.end_mark
    return Span(file, start.line + 1, start.column + 1, end.line + 1, end.column + 1)


class _Converter:
    """Copies a composed PyYAML tree, counting expansion to stop alias bombs."""

    def __init__(self, file: str, report: Report) -> None:
        self.file = file
        self.report = report
        self.seen: set[int] = set()
        self.expanded = 0
        self.failed = False

    def convert(self, node: yaml.Node, depth: int = 0) -> YNode | None:
        if self.failed:
            return None
        self.expanded += 1
        self.seen.add(id(node))
        if self.expanded > EXPANSION_FACTOR * len(self.seen) + EXPANSION_SLACK:
            self._fail("E103", "aliases expand this document far beyond its written size", node)
            return None
        if depth > MAX_DEPTH:
            self._fail("E105", f"values are nested more than {MAX_DEPTH} levels deep", node)
            return None
        span = _span(self.file, node)
        if isinstance(node, yaml.ScalarNode):
            return YScalar(str(node.value), node.tag, node.style in ("'", '"'), span)
        if isinstance(node, yaml.SequenceNode):
            items = [self.convert(child, depth + 1) for child in node.value]
            return None if self.failed else YSeq(tuple(i for i in items if i is not None), span)
        pairs: list[tuple[YScalar, YNode]] = []
        for key, value in node.value:
            k = self.convert(key, depth + 1)
            v = self.convert(value, depth + 1)
            if self.failed or k is None or v is None:
                return None
            if not isinstance(k, YScalar):
                self._fail("E120", "mapping keys must be plain names", key)
                return None
            pairs.append((k, v))
        return YMap(tuple(pairs), span)

    def _fail(self, code: str, message: str, node: yaml.Node) -> None:
        self.failed = True
        self.report.add(code, message, _span(self.file, node))


def _decode(raw: bytes, file: str, report: Report) -> str | None:
    if b"\x00" in raw:
        offset = raw.index(b"\x00")
        line = raw.count(b"\n", 0, offset) + 1
        col = offset - (raw.rfind(b"\n", 0, offset) + 1) + 1
        report.add("E104", "file contains a NUL byte; is it a binary file?", Span(file, line, col))
        return None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = raw.count(b"\n", 0, err.start) + 1
        col = err.start - (raw.rfind(b"\n", 0, err.start) + 1) + 1
        report.add("E104", f"byte 0x{raw[err.start]:02x} is not valid UTF-8", Span(file, line, col))
        return None


def parse_text(text: str, file: str, report: Report) -> YNode | None:
    """Compose YAML text into a span-carrying tree; report problems instead of raising."""
    try:
        root = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        span = Span(file, mark.line + 1, mark.column + 1) if mark else file_span(file)
        problem = err.problem or err.context or "invalid YAML"
        report.add("E101", f"YAML syntax error: {problem}", span)
        return None
    except (yaml.YAMLError, RecursionError) as err:
        report.add("E101", f"YAML syntax error: {err}", file_span(file))
        return None
    if root is None:
        report.add("E120", "the file is empty; a policy is a YAML mapping", file_span(file))
        return None
    return _Converter(file, report).convert(root)


def read_file(path: Path, report: Report, display: str | None = None) -> YNode | None:
    """Read and compose one policy file, refusing unreadable, huge or binary files."""
    name = display or str(path)
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            report.add(
                "E102",
                f"file is {size:,} bytes; policy files are limited to {MAX_BYTES:,}",
                file_span(name),
                hint="split the roster or pins into included files",
            )
            return None
        raw = path.read_bytes()
    except IsADirectoryError:
        report.add("E100", "is a directory, not a policy file", file_span(name))
        return None
    except OSError as err:
        report.add("E100", f"cannot read file: {err.strerror or err}", file_span(name))
        return None
    text = _decode(raw, name, report)
    return None if text is None else parse_text(text, name, report)
