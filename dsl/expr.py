"""Parse `when:` expressions (grammar in expr.lark) into span-carrying AST nodes."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import cast

import lark
from lark import Lark, Token, Transformer, v_args

from policyc.runtime.catalog import N_

from .diagnostic import Report, quoted, token
from .span import Span


@dataclass(frozen=True, slots=True)
class Name:
    """A bare dotted name: a field (`order.state`) or a symbol (`product_page`)."""

    parts: tuple[str, ...]
    span: Span

    @property
    def dotted(self) -> str:
        return ".".join(self.parts)


@dataclass(frozen=True, slots=True)
class Literal:
    """A written constant; `kind` is string, number, bool, none, time or duration.

    Times are minutes after midnight, durations seconds.
    """

    kind: str
    value: object
    span: Span


@dataclass(frozen=True, slots=True)
class SetLit:
    """`{a, b, c}`."""

    items: tuple[Expr, ...]
    span: Span


@dataclass(frozen=True, slots=True)
class TimeRange:
    """`09:00..21:30`; a range whose end is before its start wraps past midnight."""

    start: int
    end: int
    span: Span


@dataclass(frozen=True, slots=True)
class Compare:
    op: str
    left: Expr
    right: Expr
    span: Span


@dataclass(frozen=True, slots=True)
class In:
    item: Expr
    container: Expr
    negated: bool
    span: Span


@dataclass(frozen=True, slots=True)
class BoolOp:
    """`and` / `or` over two or more operands."""

    op: str
    items: tuple[Expr, ...]
    span: Span


@dataclass(frozen=True, slots=True)
class Not:
    item: Expr
    span: Span


Expr = Name | Literal | SetLit | TimeRange | Compare | In | BoolOp | Not


# Digits are ASCII only: str.isdigit() also accepts `²` or `٣`, which int() refuses.
_HHMM = re.compile(r"([0-9]{1,2}):([0-9]{2})")
_DURATION = re.compile(r"([0-9]{1,12})([smhd])")


def parse_minutes(text: str) -> int | None:
    """`09:30` -> 570; None when not a valid time of day (24:00 is allowed as end of day)."""
    match = _HHMM.fullmatch(text)
    if match is None:
        return None
    h, m = int(match[1]), int(match[2])
    if m > 59 or h > 24 or (h == 24 and m != 0):
        return None
    return h * 60 + m


_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
# The longest duration a policy may write: ten years (the validator says so, located).
MAX_DURATION_SECONDS = 3650 * 86400


def parse_duration(text: str) -> int | None:
    """`10m` -> 600, `72h` -> 259200, `3d` -> 259200; None when not a duration.

    At most 12 digits are read, so a 5000-digit duration is refused rather than
    handed to int(); the range (MAX_DURATION_SECONDS) is the caller's to check.
    """
    match = _DURATION.fullmatch(text.strip())
    if match is None:
        return None
    return int(match[1]) * _UNIT_SECONDS[match[2]]


@lru_cache(maxsize=1)
def _parser() -> Lark:
    grammar = (Path(__file__).parent / "expr.lark").read_text(encoding="utf-8")
    return Lark(grammar, parser="lalr", propagate_positions=True, maybe_placeholders=False)


_ESCAPES = {"\\": "\\", '"': '"', "'": "'", "n": "\n", "t": "\t", "r": "\r"}
_ESCAPE = re.compile(r"\\(u[0-9A-Fa-f]{4}|.)", re.DOTALL)
_ESCAPE_HINT = N_(r"the escapes are \\ \" \' \n \t \r and \uXXXX")
_TIME_HINT = N_("write HH:MM from 00:00 to 24:00")
_NOT_A_TIME = N_("`{text}` is not a time of day")
# Bounds on what one expression may hold, so a hostile literal costs a located error
# rather than gigabytes (lark keeps several copies of every token) or int()'s limit.
MAX_EXPR_CHARS = 20_000
MAX_TEXT_CHARS = 1_000
MAX_NUMBER_CHARS = 15


def _unescape(body: str) -> str | None:
    r"""Resolve \\ \" \' \n \t \r and \uXXXX in a string literal; None for any other escape."""
    bad = False

    def one(match: re.Match[str]) -> str:
        nonlocal bad
        code = match[1]
        if code in _ESCAPES:
            return _ESCAPES[code]
        if len(code) == 5 and not 0xD800 <= int(code[1:], 16) <= 0xDFFF:
            return chr(int(code[1:], 16))
        bad = True
        return code

    text = _ESCAPE.sub(one, body)
    return None if bad else text


class _ToAst(Transformer[Token, Expr]):
    """Builds AST nodes, placing each at its position inside the YAML file."""

    def __init__(self, base: Span, col_offset: int, verbatim: bool = True) -> None:
        super().__init__()
        self.base = base
        self.col_offset = col_offset
        self.verbatim = verbatim
        # found while building: (code, span, message, hint, the message's arguments)
        self.problems: list[tuple[str, Span, str, str | None, dict[str, object]]] = []

    def _at(self, line: int | None, col: int | None, end_col: int | None = None) -> Span:
        if not self.verbatim:
            return self.base
        line = line or 1
        col = col or 1
        first = line == 1
        start = col + (self.base.col - 1 + self.col_offset if first else 0)
        length = (end_col - col) if end_col else 1
        return Span(self.base.file, self.base.line + line - 1, start,
                    self.base.line + line - 1, start + length)

    def _tok(self, tok: Token) -> Span:
        return self._at(tok.line, tok.column, tok.end_column)

    def _meta(self, meta: lark.tree.Meta) -> Span:
        if getattr(meta, "empty", True):
            return self._at(1, 1)
        same_line = meta.line == meta.end_line
        return self._at(meta.line, meta.column, meta.end_column if same_line else None)

    def start(self, items: list[Expr]) -> Expr:
        return items[0]

    @v_args(meta=True)
    def disj(self, meta: lark.tree.Meta, items: list[Expr]) -> Expr:
        return BoolOp("or", tuple(items), self._meta(meta))

    @v_args(meta=True)
    def conj(self, meta: lark.tree.Meta, items: list[Expr]) -> Expr:
        return BoolOp("and", tuple(items), self._meta(meta))

    @v_args(meta=True)
    def not_(self, meta: lark.tree.Meta, items: list[Expr]) -> Expr:
        return Not(items[0], self._meta(meta))

    @v_args(meta=True)
    def compare(self, meta: lark.tree.Meta, items: list[object]) -> Expr:
        left, op, right = items
        assert isinstance(op, Token)
        return Compare(str(op), cast("Expr", left), cast("Expr", right), self._meta(meta))

    @v_args(meta=True)
    def in_(self, meta: lark.tree.Meta, items: list[Expr]) -> Expr:
        return In(items[0], items[1], False, self._meta(meta))

    @v_args(meta=True)
    def not_in(self, meta: lark.tree.Meta, items: list[Expr]) -> Expr:
        return In(items[0], items[1], True, self._meta(meta))

    @v_args(meta=True)
    def set(self, meta: lark.tree.Meta, items: list[Expr]) -> Expr:
        return SetLit(tuple(i for i in items if i is not None), self._meta(meta))

    @v_args(meta=True)
    def name(self, meta: lark.tree.Meta, items: list[Token]) -> Expr:
        return Name(tuple(str(t) for t in items), self._meta(meta))

    def _literal_problem(self, tok: Token, message: str, hint: str, **args: object) -> None:
        self.problems.append(("E213", self._tok(tok), message, hint, args))

    def string(self, items: list[Token]) -> Expr:
        tok = items[0]
        body = str(tok)[1:-1]
        text = _unescape(body) if "\\" in body else body
        if text is None:
            self.problems.append(("E110", self._tok(tok), N_("unknown escape sequence in {text}"),
                                  _ESCAPE_HINT, {"text": token(str(tok))}))
            text = body
        elif len(text) > MAX_TEXT_CHARS:
            self._literal_problem(tok, N_("text of {length} characters in an expression"),
                                  N_("quoted text is at most {limit} characters"),
                                  length=f"{len(text):,}", limit=MAX_TEXT_CHARS)
        return Literal("string", text, self._tok(tok))

    def number(self, items: list[Token]) -> Expr:
        tok = items[0]
        if len(tok) > MAX_NUMBER_CHARS:
            self._literal_problem(tok, N_("number {text} is too long"),
                                  N_("numbers are at most {limit} characters"),
                                  text=quoted(str(tok)), limit=MAX_NUMBER_CHARS)
            return Literal("number", 0, self._tok(tok))
        value: object = float(tok) if "." in tok else int(tok)
        return Literal("number", value, self._tok(tok))

    def time(self, items: list[Token]) -> Expr:
        tok = items[0]
        minutes = parse_minutes(str(tok))
        if minutes is None:
            self._literal_problem(tok, _NOT_A_TIME, _TIME_HINT, text=str(tok))
        return Literal("time", minutes, self._tok(tok))

    def duration(self, items: list[Token]) -> Expr:
        tok = items[0]
        seconds = parse_duration(str(tok))
        if seconds is None:
            self._literal_problem(tok, N_("duration {text} is too long"),
                                  N_("durations are at most 12 digits and a unit"),
                                  text=quoted(str(tok)))
        return Literal("duration", seconds, self._tok(tok))

    @v_args(meta=True)
    def range(self, meta: lark.tree.Meta, items: list[Token]) -> Expr:
        ends = []
        for tok in items:
            minutes = parse_minutes(str(tok))
            if minutes is None:
                self._literal_problem(tok, _NOT_A_TIME, _TIME_HINT, text=str(tok))
            ends.append(minutes or 0)
        return TimeRange(ends[0], ends[1], self._meta(meta))

    @v_args(meta=True)
    def true(self, meta: lark.tree.Meta, _: list[Token]) -> Expr:
        return Literal("bool", True, self._meta(meta))

    @v_args(meta=True)
    def false(self, meta: lark.tree.Meta, _: list[Token]) -> Expr:
        return Literal("bool", False, self._meta(meta))

    @v_args(meta=True)
    def none(self, meta: lark.tree.Meta, _: list[Token]) -> Expr:
        return Literal("none", None, self._meta(meta))


# Known mistakes and the message a merchant should see for them (lark's
# match_examples idea: the table is also a test).
_HINTS: tuple[tuple[str, str], ...] = (
    ("=", N_("to compare, write `==`")),
    ("&&", N_("write `and`")),
    ("||", N_("write `or`")),
    ("!", N_("write `not`")),
    ("[", N_("sets are written with braces: {{a, b}}")),
)


def _hint_for(text: str, col: int) -> str | None:
    rest = text[col - 1:]
    for prefix, hint in _HINTS:
        if rest.startswith(prefix) and not rest.startswith(("==", "!=")):
            return hint
    return None


def _syntax_error(err: lark.exceptions.UnexpectedInput, text: str
                  ) -> tuple[int, int, str, dict[str, object]]:
    """Line, column, message and its arguments of a parse failure, in the merchant's words."""
    lines = text.splitlines() or [""]
    at_end = isinstance(err, lark.exceptions.UnexpectedEOF) or (
        isinstance(err, lark.exceptions.UnexpectedToken) and err.token.type == "$END")
    if at_end:
        last = max((i for i, line in enumerate(lines) if line.strip()), default=0)
        return last + 1, len(lines[last].rstrip()) + 1, N_("expression ends too early"), {}
    line = min(max(getattr(err, "line", 1) or 1, 1), len(lines))
    col = max(getattr(err, "column", 1) or 1, 1)
    if isinstance(err, lark.exceptions.UnexpectedToken):
        found = str(err.token)
    elif isinstance(err, lark.exceptions.UnexpectedCharacters):
        found = err.char
    else:
        found = lines[line - 1][col - 1:col]
    return line, col, N_("unexpected {found} in expression"), {"found": quoted(found or "end")}


# Deeper expressions are refused: every later stage walks expressions recursively.
MAX_EXPR_DEPTH = 64


def _too_deep(tree: lark.Tree[Token]) -> lark.Tree[Token] | None:
    """The first subtree nested deeper than MAX_EXPR_DEPTH, found without recursion."""
    todo = [(tree, 1)]
    while todo:
        node, depth = todo.pop()
        if depth > MAX_EXPR_DEPTH:
            return node
        todo += [(child, depth + 1) for child in node.children if isinstance(child, lark.Tree)]
    return None


def parse_expr(text: str, base: Span, report: Report, col_offset: int = 0,
               verbatim: bool = True) -> Expr | None:
    """Parse one expression written in a YAML scalar that starts at `base`.

    `col_offset` is how far the expression text starts after the scalar's first
    column (1 for a quoted scalar). When the text is not a verbatim copy of the
    file (a folded or block scalar, YAML escapes), every node gets `base` instead
    of a column that would point at the wrong place. Errors are reported as E110
    and give None.
    """
    if not text.strip():
        report.add("E110", N_("expression is empty"), base)
        return None
    if len(text) > MAX_EXPR_CHARS:
        report.add("E110", N_("expression is {length} characters long"), base,
                   hint=N_("an expression is at most {limit} characters; split it into "
                           "several bindings or steps"),
                   length=f"{len(text):,}", limit=f"{MAX_EXPR_CHARS:,}")
        return None
    try:
        tree = _parser().parse(text)
    except lark.exceptions.UnexpectedInput as err:
        line, col, message, args = _syntax_error(err, text)
        span = _ToAst(base, col_offset, verbatim)._at(line, col)
        source_line = (text.splitlines() or [""])[line - 1]
        report.add("E110", message, span, hint=_hint_for(source_line, col), **args)
        return None
    except lark.exceptions.LarkError as err:
        report.add("E110", N_("expression error: {kind}"), base, kind=type(err).__name__)
        return None
    builder = _ToAst(base, col_offset, verbatim)
    too_deep = _too_deep(tree)
    if too_deep is not None:
        report.add("E110", N_("expression nests more than {limit} levels deep"),
                   builder._meta(too_deep.meta), hint=N_("split it into several route steps"),
                   limit=MAX_EXPR_DEPTH)
        return None
    expr = builder.transform(tree)
    for code, span, message, hint, args in builder.problems:
        report.add(code, message, span, hint=hint, **args)
    return None if builder.problems else expr
