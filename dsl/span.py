"""Source spans: where in a policy file a thing was written (1-based line and column)."""

from __future__ import annotations

import re
from typing import NamedTuple


class Span(NamedTuple):
    """A 1-based position range in one policy file.

    Immutable and ordered by (file, line, col, ...). A named tuple rather than a
    frozen dataclass because every YAML scalar gets one: a frozen dataclass
    costs four times as much to build, a quarter of a large roster's load time.
    """

    file: str
    line: int
    col: int
    end_line: int = 0
    end_col: int = 0

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"

    def shifted(self, line_offset: int, col: int, length: int = 0) -> Span:
        """A span inside this one: `line_offset` lines down, at column `col` of that line."""
        line = self.line + line_offset
        return Span(self.file, line, col, line, col + max(length, 1))

    def to_json(self) -> str:
        return str(self)


def file_span(file: str) -> Span:
    """The span of a whole file, for diagnostics that have no better place."""
    return Span(file, 1, 1, 1, 1)


# YAML's line breaks; str.splitlines() would also split at \v, \f and \x1c-\x1e.
LINE_BREAK = re.compile("\r\n|[\n\r\x85\u2028\u2029]")


def source_lines(text: str) -> list[str]:
    """The lines of a policy file as YAML numbers them, so `span.line` indexes them."""
    return LINE_BREAK.split(text)
