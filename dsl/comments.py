"""Find a YAML text's comments and blank lines, and attach each to the entry it belongs to.

PyYAML's scanner drops comments, so we take the text its tokens do not cover:
a `#` there, at a line start or after a blank, opens a comment. An entry is a
mapping key or a sequence item. A comment on its own line belongs to the next
entry (it is read as a heading for what follows); a comment after content
belongs to the outermost entry that starts on that line; an own-line comment
lined up under such a comment continues it. Comments before the first entry
are the file's header, comments after the last its footer.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field

import yaml

from .span import LINE_BREAK, source_lines
from .yaml_tree import LOADER, YMap, YNode, YScalar, YSeq


@dataclass
class Notes:
    """Comments and blank lines by entry; entries are keyed by `id()` of their node.

    In `leading` lists an empty string stands for a blank line.
    """

    header: list[str] = field(default_factory=list)
    header_gap: bool = False
    footer: list[str] = field(default_factory=list)
    footer_gap: bool = False
    leading: dict[int, list[str]] = field(default_factory=dict)
    trailing: dict[int, list[str]] = field(default_factory=dict)
    trailing_col: dict[int, int] = field(default_factory=dict)
    blank_before: set[int] = field(default_factory=set)
    reference: tuple[int, int] | None = None  # (line, col) of the first anchor, alias or tag

    def has(self, entry: int) -> bool:
        return entry in self.leading or entry in self.trailing


@dataclass(frozen=True)
class _Entry:
    key: int
    line: int  # 1-based
    col: int   # 1-based


@dataclass(frozen=True)
class _Comment:
    line: int
    col: int
    text: str
    own_line: bool


def entries(root: YNode) -> list[_Entry]:
    """Every mapping key and sequence item, outer before inner, in text order."""
    out: list[_Entry] = []

    def walk(node: YNode) -> None:
        if isinstance(node, YMap):
            for key, value in node.items:
                out.append(_Entry(id(key), key.span.line, key.span.col))
                walk(value)
        elif isinstance(node, YSeq):
            for item in node.items:
                out.append(_Entry(id(item), item.span.line, item.span.col))
                walk(item)

    walk(root)
    if isinstance(root, YScalar):  # a document that is one value
        out.append(_Entry(id(root), root.span.line, root.span.col))
    return sorted(out, key=lambda e: (e.line, e.col))  # stable: outer first on ties


def _scan(text: str, lines: list[str], starts: list[int]
          ) -> tuple[list[_Comment], set[int], tuple[int, int] | None]:
    """The comments, the blank line numbers, and where the first anchor, alias or tag is."""
    covered = bytearray(len(text) + 1)
    reference: tuple[int, int] | None = None
    for token in yaml.scan(text, Loader=LOADER):
        if reference is None and isinstance(token, yaml.AnchorToken | yaml.AliasToken
                                            | yaml.TagToken):
            reference = (token.start_mark.line + 1, token.start_mark.column + 1)
        if isinstance(token, yaml.ScalarToken):
            a, b = token.start_mark.index, token.end_mark.index
            if token.style in ("|", ">"):  # the header line (`|  # note`) may hold a comment
                a = _next_line(text, a)
            covered[a:b] = b"\x01" * (b - a)
    comments: list[_Comment] = []
    blank: set[int] = set()
    for number, (line, start) in enumerate(zip(lines, starts, strict=True), 1):
        if not line.strip():
            if not covered[start + len(line)]:  # not a blank line inside a block scalar
                blank.add(number)
            continue
        i = line.find("#")
        while i >= 0:
            if not covered[start + i] and (i == 0 or line[i - 1] in " \t"):
                comments.append(_Comment(number, i + 1, line[i:].rstrip(),
                                         not line[:i].strip()))
                break
            i = line.find("#", i + 1)
    return comments, blank, reference


def _next_line(text: str, index: int) -> int:
    """Where the line after the one holding `index` starts (the end of text if none)."""
    found = LINE_BREAK.search(text, index)
    return found.end() if found else len(text)


def attach(text: str, root: YNode) -> Notes:
    """Comments and blank lines of `text`, attached to the entries of its tree `root`."""
    lines = source_lines(text)
    starts = [0]
    for m in LINE_BREAK.finditer(text):
        starts.append(m.end())
    comments, blank, reference = _scan(text, lines, starts)
    notes = Notes(reference=reference)
    found = entries(root)
    positions = [(e.line, e.col) for e in found]
    last_trailing: tuple[int, int, int] | None = None  # (line, col, entry)
    for c in comments:
        if not c.own_line:
            entry = _owner_on_line(found, positions, c)
            if entry is None:
                notes.header.append(c.text)
                continue
            notes.trailing.setdefault(entry, []).append(c.text)
            notes.trailing_col.setdefault(entry, c.col)
            last_trailing = (c.line, c.col, entry)
            continue
        if last_trailing and last_trailing[0] == c.line - 1 and last_trailing[1] == c.col:
            notes.trailing[last_trailing[2]].append(c.text)
            last_trailing = (c.line, c.col, last_trailing[2])
            continue
        index = bisect_right(positions, (c.line, c.col))
        if index == len(found):
            notes.footer_gap = notes.footer_gap or (not notes.footer and c.line - 1 in blank)
            _add(notes.footer, c, blank)
        elif index == 0:
            _add(notes.header, c, blank)
        else:
            target = notes.leading.setdefault(found[index].key, [])
            if not target and c.line - 1 in blank:
                notes.blank_before.add(found[index].key)
            _add(target, c, blank)
    for e in found:
        if e.line - 1 in blank:
            if e.key in notes.leading:
                notes.leading[e.key].append("")
            else:
                notes.blank_before.add(e.key)
    if found and notes.header and found[0].line - 1 in blank:
        notes.header_gap = True
    return notes


def _add(target: list[str], c: _Comment, blank: set[int]) -> None:
    if target and c.line - 1 in blank:
        target.append("")
    target.append(c.text)


def _owner_on_line(found: list[_Entry], positions: list[tuple[int, int]],
                   c: _Comment) -> int | None:
    """The outermost entry starting on the comment's line, else the last one before it."""
    first = bisect_left(positions, (c.line, 0))
    if first < len(found) and found[first].line == c.line and found[first].col < c.col:
        return found[first].key
    index = bisect_right(positions, (c.line, c.col))
    return found[index - 1].key if index else None
