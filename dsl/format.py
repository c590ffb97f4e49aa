"""Format a policy file: schema key order, one layout, re-printed expressions, comments kept.

The layout, for every policy alike:

* keys in the order of `schema.py`'s fields (route steps: `step`, `when`, then
  the kind's own keys); unknown keys after the known ones, as written; the keys
  of tables (groups, pins) as written;
* two-space indentation, sequences indented under their key; blank lines
  around every top-level key that takes more than one line, and before comments;
  other blank lines kept, at most one, before an entry;
* lists of plain values, and mappings of plain values that are items of a list
  or table (roster agents, windows, pins), on one line in flow style when they
  fit in 100 columns and hold no comments; everything else in block style;
* the route one step a line; a step with nothing but its kind written as the
  bare kind (`- stage`), any other in block style;
* `when:` expressions re-printed from their AST (see `unparse.py`); other
  scalars exactly as written, except multi-line and block scalars, which
  become one double-quoted line;
* comments where they were: own-line comments above the entry they precede,
  end-of-line comments after their entry, at their column when there is room.

Formatting is idempotent, and a formatted policy compiles to the same artifact
(spans and hash aside). Files with anchors, aliases or tags are refused, not
rewritten: expanding them would change what the author wrote.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

import yaml

from .comments import Notes, attach
from .diagnostic import Diagnostic, Report, has_errors
from .expr import parse_expr
from .schema import AGENT, EXPR, IDENT, PINS_FILE, POLICY, ROSTER_FILE, STEP_KINDS, F, T
from .span import Span, source_lines
from .unparse import Unprintable, unparse
from .validate import expression_text
from .yaml_tree import YMap, YNode, YScalar, YSeq, parse_text

WIDTH = 100
INDENT = 2
_NEWLINE = re.compile("\r\n|\r|\n")  # the line endings a file may be kept in


@dataclass
class Formatted:
    """The formatted text, or None with the reasons it could not be formatted."""

    text: str | None
    diagnostics: list[Diagnostic]
    refused: tuple[Span, str] | None = None  # a readable file fmt will not rewrite, and why


@dataclass
class _Line:
    text: str
    comments: list[str] = field(default_factory=list)
    col: int = 0  # 1-based column of the first comment as written


def _root_type(node: YNode) -> T | None:
    if isinstance(node, YSeq):
        return T("list", item=AGENT)
    keys = {k.text for k, _ in node.items} if isinstance(node, YMap) else set()
    for key, t in (("policyc", POLICY), ("roster", ROSTER_FILE), ("pins", PINS_FILE)):
        if key in keys:
            return t
    return None


def _step_type(node: YMap) -> T:
    kind = next((v.text for k, v in node.items if k.text == "step" and isinstance(v, YScalar)),
                "")
    return T("obj", fields=(F("step", IDENT), F("when", EXPR), *STEP_KINDS.get(kind, ())))


def _resolve(t: T | None, node: YNode) -> T | None:
    """The type that governs a node's layout, once includes, pins and steps are unwrapped."""
    if t is None:
        return None
    match t.kind:
        case "include" | "pin":
            if isinstance(node, YScalar) or (t.kind == "include" and isinstance(node, YSeq)
                                             and t.item is not None and t.item.kind == "map"):
                return None  # a path, or a list of them (a table split over files)
            return _resolve(t.item, node)
        case "step":
            return _step_type(node) if isinstance(node, YMap) else None
    return t


def _ordered(node: YMap, t: T | None) -> list[tuple[YScalar, YNode, T | None]]:
    if t is not None and t.kind == "obj":
        index = {f.name: i for i, f in enumerate(t.fields)}
        types = {f.name: f.type for f in t.fields}
        pairs = sorted(node.items, key=lambda kv: index.get(kv[0].text, len(index)))
        return [(k, v, types.get(k.text)) for k, v in pairs]
    item = t.item if t is not None and t.kind == "map" else None
    return [(k, v, item) for k, v in node.items]


def _flow_safe(text: str) -> bool:
    """Whether a scalar written in block style reads the same inside `[...]` or `{...}`."""
    if text[:1] in ("'", '"'):
        return True
    if not text or text[0] in "|>&*!%@`#?:" or (text[0] == "-" and not text[1:2].isdigit()):
        return False
    return not any(c in text for c in ",[]{}") and ": " not in text and " #" not in text \
        and not text.endswith(":")


def _quoted(text: str) -> str:
    """A double-quoted YAML scalar (JSON's escapes, plus YAML's for its own line breaks)."""
    return (json.dumps(text, ensure_ascii=False).replace("\x85", "\\N")
            .replace("\u2028", "\\L").replace("\u2029", "\\P"))


def _yaml_string(text: str) -> str:
    """`text` as a YAML scalar that reads back as that string: plain when it can be."""
    if text in ("true", "false"):
        return text  # `when: true` reads as a boolean, which expressions accept
    try:
        plain = yaml.safe_load(f"k: {text}") == {"k": text}
    except yaml.YAMLError:
        plain = False
    return text if plain else "'" + text.replace("'", "''") + "'"


class _Formatter:
    def __init__(self, text: str, notes: Notes, report: Report) -> None:
        self.src = source_lines(text)
        self.notes = notes
        self.report = report
        self.out: list[_Line] = []
        self.exprs: dict[int, str] = {}  # scalar id -> printed, so each is parsed once

    # -- scalars ---------------------------------------------------------------
    def scalar(self, s: YScalar, t: T | None) -> str:
        raw = self.raw(s)
        if t is None or t.kind != "expr" or (s.value is None and not s.quoted):
            return raw
        if id(s) not in self.exprs:
            self.exprs[id(s)] = self.expression(s, raw)
        return self.exprs[id(s)]

    def expression(self, s: YScalar, raw: str) -> str:
        expr = parse_expr(expression_text(s), s.span, self.report, col_offset=1 if s.quoted else 0)
        if expr is None:
            return raw
        try:
            return _yaml_string(unparse(expr))
        except Unprintable:
            return raw

    def raw(self, s: YScalar) -> str:
        """A scalar as written when it fits on one line; else as one double-quoted line."""
        if not s.quoted and not s.text and s.tag.endswith(":null"):
            return ""  # an empty value: `key:`
        line = s.span.line - 1
        if s.span.line == s.span.end_line and line < len(self.src):
            text = self.src[line][s.span.col - 1:s.span.end_col - 1]
            if s.quoted or text[:1] not in ("|", ">"):  # not a block scalar
                return text
        return _quoted(s.text) if s.tag.endswith(":str") else s.text

    def flow(self, node: YNode, t: T | None) -> str | None:
        """The node on one line in flow style, or None when it must be a block."""
        t = _resolve(t, node)
        if isinstance(node, YScalar):
            text = self.scalar(node, t)
            return text if _flow_safe(text) else None
        if isinstance(node, YSeq):
            item_type = t.item if t is not None and t.kind == "list" else None
            if item_type is not None and item_type.kind == "step" and node.items:
                return None  # the route reads top to bottom, one step a line
            parts = [None if self.notes.has(id(i)) or not isinstance(i, YScalar)
                     else self.flow(i, item_type) for i in node.items]
            return None if None in parts else "[" + ", ".join(map(str, parts)) + "]"
        texts: list[str] = []
        for key, value, value_type in _ordered(node, t):
            if self.notes.has(id(key)) or not isinstance(value, YScalar):
                return None
            item = self.flow(value, value_type)
            if item is None or not _flow_safe(self.raw(key)):
                return None
            texts.append(f"{self.raw(key)}: {item}")
        return "{" + ", ".join(texts) + "}"

    # -- lines -----------------------------------------------------------------
    def emit(self, text: str, entry: int | None) -> None:
        line = _Line(text)
        if entry is not None and entry in self.notes.trailing:
            line.comments = list(self.notes.trailing[entry])
            line.col = self.notes.trailing_col[entry]
        self.out.append(line)

    def blank(self) -> None:
        if self.out and self.out[-1].text:
            self.out.append(_Line(""))

    def leading(self, entry: int, indent: int, first: bool) -> None:
        if not first and entry in self.notes.blank_before:
            self.blank()
        for comment in self.notes.leading.get(entry, []):
            self.out.append(_Line(" " * indent + comment if comment else ""))

    # -- blocks ----------------------------------------------------------------
    def mapping(self, node: YMap, t: T | None, indent: int, top: bool = False) -> None:
        as_item = t is not None and t.kind == "map"
        previous_block = False
        for i, (key, value, value_type) in enumerate(_ordered(node, t)):
            start = len(self.out)
            self.leading(id(key), indent, i == 0 or top)
            lines = len(self.out)
            self.value(" " * indent + self.raw(key) + ":", id(key), value, value_type, indent,
                       as_item)
            # Top level: blank lines around every key that takes more than one line,
            # and before comments.
            block = len(self.out) - lines > 1
            if top and i > 0 and (block or previous_block or lines > start
                                  or id(key) in self.notes.blank_before):
                self.out.insert(start, _Line(""))
            previous_block = block

    def value(self, head: str, entry: int, node: YNode, t: T | None, indent: int,
              as_item: bool) -> None:
        t = _resolve(t, node)
        if isinstance(node, YScalar):
            text = self.scalar(node, t)
            self.emit(f"{head} {text}" if text else head, entry)
            return
        may_flow = isinstance(node, YSeq) or as_item or not node.items
        flow = self.flow(node, t) if may_flow else None
        if flow is not None and len(head) + 1 + len(flow) <= WIDTH:
            self.emit(f"{head} {flow}", entry)
            return
        self.emit(head, entry)
        if isinstance(node, YMap):
            self.mapping(node, t, indent + INDENT)
        else:
            self.sequence(node, t, indent + INDENT)

    def sequence(self, node: YSeq, t: T | None, indent: int) -> None:
        item_type = t.item if t is not None and t.kind == "list" else None
        for i, item in enumerate(node.items):
            self.adopt(item, item_type)
            self.leading(id(item), indent, i == 0)
            self.item(item, item_type, indent)

    def adopt(self, item: YNode, t: T | None) -> None:
        """A list item takes the comments of the key it starts with once formatted.

        They end up on or above the `- ` line, where reading the output again
        would attach them to the item; attaching them so now keeps fmt idempotent.
        """
        if isinstance(item, YMap) and item.items:
            first = id(_ordered(item, _resolve(t, item))[0][0])
        elif isinstance(item, YSeq) and item.items:
            first = id(item.items[0])
        else:
            return
        notes = self.notes
        if first in notes.leading:
            notes.leading.setdefault(id(item), []).extend(notes.leading.pop(first))
        if first in notes.trailing:
            notes.trailing_col.setdefault(id(item), notes.trailing_col.pop(first))
            notes.trailing.setdefault(id(item), []).extend(notes.trailing.pop(first))

    def item(self, node: YNode, t: T | None, indent: int) -> None:
        dash, entry = " " * indent + "-", id(node)
        if isinstance(node, YMap) and t is not None and t.kind == "step" \
                and len(node.items) == 1 and node.items[0][0].text == "step" \
                and isinstance(node.items[0][1], YScalar) and not self.notes.has(
                    id(node.items[0][0])):
            node = node.items[0][1]  # `- {step: stage}` is `- stage`
        resolved = _resolve(t, node)
        if isinstance(node, YScalar):
            text = self.scalar(node, resolved)
            self.emit(f"{dash} {text}" if text else dash, entry)
            return
        steps_flow = not (t is not None and t.kind == "step")  # a step's keys read as a block
        flow = self.flow(node, t) if steps_flow else None
        if flow is not None and indent + 2 + len(flow) <= WIDTH:
            self.emit(f"{dash} {flow}", entry)
            return
        self.block_item(node, resolved, indent)

    def block_item(self, node: YMap | YSeq, t: T | None, indent: int) -> None:
        """`- key: value` with the mapping's other keys under the first; `- - a` likewise."""
        start = len(self.out)
        if isinstance(node, YMap):
            self.mapping(node, t, indent + INDENT)
        else:
            self.sequence(node, t, indent + INDENT)
        body = self.out[start:]
        del self.out[start:]
        first = next(i for i, line in enumerate(body)
                     if line.text and not line.text.lstrip().startswith("#"))
        for line in body[:first]:  # comments of a key that sorted to the front
            self.out.append(_Line(" " * indent + line.text.lstrip() if line.text else ""))
        head = body[first]
        head.text = " " * indent + "- " + head.text[indent + INDENT:]
        own = self.notes.trailing.get(id(node), [])
        if own:
            head.col = self.notes.trailing_col[id(node)] if not head.comments else head.col
            head.comments = own + head.comments
        self.out.extend(body[first:])

    # -- document --------------------------------------------------------------
    def document(self, root: YNode) -> str:
        for comment in self.notes.header:
            self.out.append(_Line(comment))
        if self.notes.header and self.notes.header_gap:
            self.out.append(_Line(""))
        t = _root_type(root)
        if isinstance(root, YMap):
            self.mapping(root, t, 0, top=t is not None)
        elif isinstance(root, YSeq):
            self.sequence(root, t, 0)
        else:
            self.emit(self.raw(root), id(root))
        if self.notes.footer_gap:
            self.blank()
        for comment in self.notes.footer:
            self.out.append(_Line(comment))
        return "".join(_render(line) + "\n" for line in self.out)


def _render(line: _Line) -> str:
    if not line.comments:
        return line.text.rstrip()
    col = max(line.col - 1, len(line.text) + 2)
    first = line.text + " " * (col - len(line.text)) + line.comments[0]
    return "\n".join([first, *(" " * col + c for c in line.comments[1:])])


def format_text(text: str, file: str) -> Formatted:
    """Format one policy text; diagnostics (and no text) when it cannot be read.

    The result keeps the file's line ending (that of its first line break), so a
    CRLF file stays CRLF, and its byte-order mark if it has one; the layout itself
    is worked out on `\\n` lines.
    """
    newline = next((m.group() for m in _NEWLINE.finditer(text)), "\n")
    bom = "\ufeff" if text.startswith("\ufeff") else ""
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    report = Report()
    root = parse_text(text, file, report)
    if root is None or has_errors(report.items):
        return Formatted(None, report.items)
    notes = attach(text, root)
    if notes.reference is not None:
        return Formatted(None, report.items, (Span(file, *notes.reference),
                                              "fmt cannot rewrite YAML anchors, aliases or tags"))
    out = _Formatter(text, notes, report).document(root)
    if has_errors(report.items):
        return Formatted(None, report.items)
    if parse_text(out, file, Report()) is None:  # a shape the layout rules do not cover
        return Formatted(None, report.items, (Span(file, 1, 1),
                                              "fmt cannot lay this file out as valid YAML"))
    return Formatted(bom + (out if newline == "\n" else out.replace("\n", newline)),
                     report.items)

