"""Diagnostics as values: a stable code, a severity, a message, a span and optional hints.

Every stage of the pipeline reports through these; one table (`CODES`) lists
every code the project can emit, and the README's diagnostics table is checked
against it by a test.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from .span import Span


class Severity(StrEnum):
    """How bad a finding is; `--strict` promotes warnings (never info) to failures."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


# code -> (severity, short title). Codes are stable: never reuse a retired one.
CODES: dict[str, tuple[Severity, str]] = {
    # E1xx: the file cannot be read as a policy
    "E100": (Severity.ERROR, "file cannot be read"),
    "E101": (Severity.ERROR, "YAML syntax error"),
    "E102": (Severity.ERROR, "file too large"),
    "E103": (Severity.ERROR, "YAML aliases expand too far (alias bomb)"),
    "E104": (Severity.ERROR, "file is not UTF-8 text"),
    "E105": (Severity.ERROR, "YAML nesting too deep"),
    "E110": (Severity.ERROR, "expression syntax error"),
    "E120": (Severity.ERROR, "value has the wrong type"),
    "E121": (Severity.ERROR, "unknown key"),
    "E122": (Severity.ERROR, "missing required key"),
    "E123": (Severity.ERROR, "invalid value"),
    "E124": (Severity.ERROR, "duplicate key"),
    # E2xx: the policy reads but does not make sense
    "E201": (Severity.ERROR, "unknown agent"),
    "E202": (Severity.ERROR, "unknown group"),
    "E203": (Severity.ERROR, "unknown name in expression (source, order state, intent, day)"),
    "E204": (Severity.ERROR, "unknown field in expression"),
    "E205": (Severity.ERROR, "type mismatch in expression"),
    "E206": (Severity.ERROR, "duplicate agent or group id"),
    "E207": (Severity.ERROR, "agent in two groups"),
    "E208": (Severity.ERROR, "route can end with no outcome"),
    "E209": (Severity.ERROR, "group overflow chain has a cycle"),
    "E210": (Severity.ERROR, "auto-reply text longer than 1000 characters"),
    "E211": (Severity.ERROR, "included file problem"),
    "E212": (Severity.ERROR, "no main account"),
    # W3xx: lint — the policy works, but probably not as meant
    "W301": (Severity.WARNING, "group has no members"),
    "W302": (Severity.WARNING, "group member has no chat permission"),
    "W303": (Severity.WARNING, "pin to an agent without chat permission"),
    "W304": (Severity.WARNING, "binding is shadowed by an earlier one"),
    "W305": (Severity.WARNING, "source is covered by no binding"),
    "W306": (Severity.WARNING, "source is covered by no binding at some time of the week"),
    "W307": (Severity.WARNING, "route step is unreachable"),
    "W308": (Severity.WARNING, "designated binding switched on with no target"),
    "W309": (Severity.WARNING, "working hours empty or inverted"),
    "W310": (Severity.WARNING, "auto-reply text empty; the default text is used"),
    "W311": (Severity.WARNING, "grouping is on but no group has a member (treated as off)"),
    "W312": (Severity.WARNING, "name mixes look-alike scripts or looks like another name"),
    "W313": (Severity.WARNING, "bidi control character in a name or reply text"),
    # I4xx: information the merchant should know
    "I401": (Severity.INFO, "main account receives no chats unless forwarded (S4-B)"),
    "I402": (Severity.INFO, "main account receives only last-resort chats (S4-C)"),
}


class Words(str):
    """English text that remembers its catalog message id and the values it was filled
    with, so it can be said again in another language (a hint built apart from its
    diagnostic, such as "did you mean ...?")."""

    template: str
    args: dict[str, object]

    def __new__(cls, template: str, **args: object) -> Words:
        text = super().__new__(cls, template.format(**args) if args else template)
        text.template, text.args = template, args
        return text


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One finding about a policy, located at `span`.

    `message` is English; `template` is its catalog message id and `args` the values
    it was filled with, and a `Words` hint carries its own, so a renderer can say
    the same finding in another language (compiler/render.py).
    """

    code: str
    message: str
    span: Span
    hint: str | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)
    template: str | None = None
    args: tuple[tuple[str, object], ...] = ()

    @property
    def severity(self) -> Severity:
        return CODES[self.code][0]

    @property
    def title(self) -> str:
        return CODES[self.code][1]

    def sort_key(self) -> tuple[str, int, int, str]:
        """Diagnostics are shown in file order, then by code at the same place."""
        return (self.span.file, self.span.line, self.span.col, self.code)


def has_errors(diagnostics: list[Diagnostic]) -> bool:
    """True when any diagnostic is an error."""
    return any(d.severity is Severity.ERROR for d in diagnostics)


class Report:
    """Collects diagnostics during one stage; stages return what they collected."""

    def __init__(self) -> None:
        self.items: list[Diagnostic] = []

    def add(self, code: str, message: str, span: Span, hint: str | None = None,
            **args: object) -> None:
        """Record a finding; an unregistered code is a programming error, so it raises.

        With `args`, `message` and `hint` are catalog message ids (marked `N_`) with
        `{name}` placeholders that `args` fill; without, they are used as written.
        """
        if code not in CODES:
            raise KeyError(f"unregistered diagnostic code {code}")
        if hint is not None and not isinstance(hint, Words):
            hint = Words(hint, **args)
        if not args:
            self.items.append(Diagnostic(code, message, span, hint, template=message))
            return
        self.items.append(Diagnostic(code, message.format(**args), span, hint,
                                     template=message, args=tuple(sorted(args.items()))))
