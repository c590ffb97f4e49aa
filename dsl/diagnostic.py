"""Diagnostics as values: a stable code, a severity, a message, a span and optional hints.

Every stage of the pipeline reports through these; one table (`CODES`) lists
every code the project can emit, and the README's diagnostics table is checked
against it by a test.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from policyc.runtime.catalog import N_

from .span import Span


class Severity(StrEnum):
    """How bad a finding is; `--strict` promotes warnings (never info) to failures."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


# code -> (severity, short title). Codes are stable: never reuse a retired one.
CODES: dict[str, tuple[Severity, str]] = {
    # E1xx: the file cannot be read as a policy
    "E100": (Severity.ERROR, N_("file cannot be read")),
    "E101": (Severity.ERROR, N_("YAML syntax error")),
    "E102": (Severity.ERROR, N_("file too large")),
    "E103": (Severity.ERROR, N_("YAML aliases expand too far (alias bomb)")),
    "E104": (Severity.ERROR, N_("file is not UTF-8 text")),
    "E105": (Severity.ERROR, N_("YAML nesting too deep")),
    "E110": (Severity.ERROR, N_("expression syntax error")),
    "E120": (Severity.ERROR, N_("value has the wrong type")),
    "E121": (Severity.ERROR, N_("unknown key")),
    "E122": (Severity.ERROR, N_("missing required key")),
    "E123": (Severity.ERROR, N_("invalid value")),
    "E124": (Severity.ERROR, N_("duplicate key")),
    # E2xx: the policy reads but does not make sense
    "E201": (Severity.ERROR, N_("unknown agent")),
    "E202": (Severity.ERROR, N_("unknown group")),
    "E203": (Severity.ERROR, N_("unknown name in expression (source, order state, intent, day)")),
    "E204": (Severity.ERROR, N_("unknown field in expression")),
    "E205": (Severity.ERROR, N_("type mismatch in expression")),
    "E206": (Severity.ERROR, N_("duplicate agent or group id")),
    "E207": (Severity.ERROR, N_("agent in two groups")),
    "E208": (Severity.ERROR, N_("route can end with no outcome")),
    "E209": (Severity.ERROR, N_("group overflow chain has a cycle")),
    "E210": (Severity.ERROR, N_("auto-reply text longer than 1000 characters")),
    "E211": (Severity.ERROR, N_("included file problem")),
    "E212": (Severity.ERROR, N_("more than one main account")),
    "E213": (Severity.ERROR, N_("literal out of range in expression (time, number, text)")),
    "E214": (Severity.ERROR, N_("timed targets open out of order")),
    "E215": (Severity.ERROR, N_("agent is its own proxy")),
    "E220": (Severity.ERROR, N_("unknown channel")),
    "E221": (Severity.ERROR, N_("source in two channels")),
    # W3xx: lint — the policy works, but probably not as meant
    "W301": (Severity.WARNING, N_("group has no members")),
    "W302": (Severity.WARNING, N_("group member has no chat permission")),
    "W303": (Severity.WARNING, N_("pin to an agent without chat permission")),
    "W304": (Severity.WARNING, N_("binding is shadowed by an earlier one")),
    "W305": (Severity.WARNING, N_("source is covered by no binding")),
    "W306": (Severity.WARNING, N_("source is covered by no binding at some time of the week")),
    "W307": (Severity.WARNING, N_("route step is unreachable")),
    "W308": (Severity.WARNING, N_("designated binding switched on with no target")),
    "W309": (Severity.WARNING, N_("working hours empty or inverted")),
    "W310": (Severity.WARNING, N_("auto-reply text empty; the default text is used")),
    "W311": (Severity.WARNING, N_("grouping is on but no group has a member (treated as off)")),
    "W312": (Severity.WARNING, N_("name mixes look-alike scripts or looks like another name")),
    "W313": (Severity.WARNING, N_("bidi control character in a name or reply text")),
    "W314": (Severity.WARNING,
             N_("source is covered by no binding on a calendar holiday or date")),
    "W315": (Severity.WARNING, N_("group has members but nothing routes to it")),
    "W316": (Severity.WARNING, N_("timed target is reached earlier through an overflow")),
    "W317": (Severity.WARNING, N_("bot first never hands a buyer to a person")),
    "W318": (Severity.WARNING, N_("timeout notice switched on but its timeout is off")),
    # I4xx: information the merchant should know
    "I401": (Severity.INFO, N_("main account receives no chats unless forwarded (S4-B)")),
    "I402": (Severity.INFO, N_("main account receives only last-resort chats (S4-C)")),
}

# E5xx: workload models (policyc/workload/), read with the same YAML reader and schema
# checks as policies (E1xx above for the file itself); listed in the README's "Workload
# models" section, kept apart from CODES because `policyc check` never reads a model.
WORKLOAD_CODES: dict[str, tuple[Severity, str]] = {
    "E501": (Severity.ERROR, "agent not in the policy's roster"),
    "E502": (Severity.ERROR, "unknown group"),
    "E503": (Severity.ERROR, "unknown source or order state in shares"),
    "E504": (Severity.ERROR, "shares do not add up to 1"),
    "E505": (Severity.ERROR, "two ways given, or none, where one is needed"),
    "E506": (Severity.ERROR, "replayed or fitted log cannot be used"),
    "E507": (Severity.ERROR, "invalid distribution"),
    "E508": (Severity.ERROR, "arrival rate is not 24 hourly values"),
    "E509": (Severity.ERROR, "shift, break or absence does not make sense"),
    "E510": (Severity.ERROR, "agent scheduled twice"),
}

_ALL_CODES = {**CODES, **WORKLOAD_CODES}


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


# Diagnostics quote what the user wrote, never more than this many characters of it:
# a message must not carry a file's content (an included secret, a huge literal).
QUOTE_LIMIT = 40


def quoted(text: str, limit: int = QUOTE_LIMIT) -> str:
    """`text` as a message quotes it: repr-escaped (control characters, bidi marks) and cut
    to `limit` characters, an ellipsis showing the cut."""
    shown = repr(text[:limit])
    return shown if len(text) <= limit else f"{shown[:-1]}…{shown[-1]}"


def token(text: str, limit: int = QUOTE_LIMIT) -> str:
    """Like `quoted`, without the quotes: for names a message puts in backticks."""
    if len(text) <= limit and text.isprintable():
        return text
    return quoted(text, limit)[1:-1]

# code -> what the finding means and what to do about it, for readers who meet the
# code without its message (SARIF rule help, code-scanning pages). Data keyed by
# code, like CODES; titles and explanations are catalog message ids (marked N_).
EXPLANATIONS: dict[str, str] = {
    "E100": N_("The named policy, folder or included file does not exist or cannot be opened. "
               "Check the path and the file's permissions."),
    "E101": N_("The file is not valid YAML (an unclosed bracket or quote, a bad indent). "
               "Fix the YAML at the marked place; nothing else is checked until it parses."),
    "E102": N_("The file is over the 8 MiB size limit, so it is not read at all. "
               "Split the policy into included roster and pin files."),
    "E103": N_("YAML aliases (`*name`) would expand into more values than the limit allows, "
               "as an alias bomb does. Write the values out or use fewer nested aliases."),
    "E104": N_("The file is not UTF-8 text (for example saved as Big5 or GBK). "
               "Save it as UTF-8."),
    "E105": N_("Lists and maps are nested deeper than the limit of 64 levels. "
               "Flatten the structure."),
    "E110": N_("A `when:` expression does not parse. Comparisons use `==`, `!=`, `<`, `>`, "
               "`in`; combine them with `and`, `or`, `not`."),
    "E120": N_("A value has the wrong type, such as a single name where a list is expected. "
               "Write the value in the type the key takes."),
    "E121": N_("The key is not part of the policy language here, usually a misspelling; "
               "it would otherwise be ignored silently. Use the suggested key."),
    "E122": N_("A key that must be present is missing, such as `timezone` in `shop:`. "
               "Add it."),
    "E123": N_("The value is outside what the key accepts (a score over 100, a malformed "
               "duration or time). Use a value in the documented range and form."),
    "E124": N_("The same key is written twice in one map, so one of the values would be lost. "
               "Keep one."),
    "E201": N_("An agent id is used that the roster does not define. "
               "Fix the spelling or add the agent to the roster."),
    "E202": N_("A group id is used that `groups:` does not define. "
               "Fix the spelling or add the group."),
    "E203": N_("An expression names a source, order state, intent or day that does not exist. "
               "Use one of the known names (the hint suggests the nearest)."),
    "E204": N_("An expression reads a field that does not exist, such as `order.stat`. "
               "Use one of the documented fields."),
    "E205": N_("An expression compares values of different types, such as a yes/no field "
               "with a string. Compare like with like."),
    "E206": N_("Two agents or two groups share an id, so references to it are ambiguous. "
               "Give each a unique id."),
    "E207": N_("An agent is a member of two groups; the platform allows one group per agent "
               "(S2). Remove the agent from one group."),
    "E208": N_("Some message can pass every route step without getting an outcome. "
               "End the route with a step that always decides, such as `stage` or `queue`."),
    "E209": N_("Group overflow targets form a loop (a overflows to b, b back to a). "
               "Break the chain."),
    "E210": N_("An auto-reply text is longer than the platform's 1000-character limit. "
               "Shorten it."),
    "E211": N_("An included roster or pin file is missing, unreadable, not of the expected "
               "form, or not allowed: includes are relative paths to regular files inside the "
               "policy's folder (no absolute paths, no `..` or symlink out of it). Fix the "
               "include path or the included file."),
    "E212": N_("The roster has more than one agent with `role: main`. A shop has at most "
               "one main account (a shop may name none). Keep one."),
    "E213": N_("An expression holds a literal no field can take: a time of day that does not "
               "exist (`99:99`), a number over 15 characters, text over 1000 characters or a "
               "duration of more than 12 digits. Write a value in range."),
    "E214": N_("A binding's `targets:` give a later group a shorter `wait:` than an earlier "
               "one; targets open in the order written, so the later one would open first. "
               "Reorder them or lengthen the wait."),
    "E215": N_("A roster entry names itself as its own `proxy:` (T12 proxy account), so "
               "nobody would take its buyers while it is away. Name another agent, or remove "
               "the key."),
    "E220": N_("A roster entry's `channel_capacity:` names a channel that `channels:` does "
               "not declare, so the cap would hold for nothing. Declare the channel or fix "
               "the name."),
    "E221": N_("A source is listed in two channels of `channels:`, so its chats would have "
               "two weights and two caps. List each source in one channel."),
    "W301": N_("A group has no members, so its sources can never be served by it. "
               "Add members or remove the group."),
    "W302": N_("A group member has no chat permission, so it never receives chats through "
               "the group. Grant the permission or remove the member."),
    "W303": N_("A buyer is pinned to an agent without chat permission, so the pin never "
               "takes effect. Pin to an agent who can chat."),
    "W304": N_("An earlier binding matches every message this one would, so this one never "
               "applies. Reorder the bindings or narrow the earlier one."),
    "W305": N_("A source listed in `shop.sources` is named by no binding, so its chats always "
               "fall through to the later route steps. Bind it or remove it."),
    "W306": N_("At some times of the week no binding covers a source (for example outside a "
               "`time in` window). Add a binding for the remaining hours."),
    "W307": N_("A route step comes after a step that always decides, so it is never reached. "
               "Remove it or move it earlier."),
    "W308": N_("A designated binding is switched on but names no group or agent, so it takes "
               "no chats. Give it a target or switch it off."),
    "W309": N_("Working hours are empty or end before they start. "
               "Check `from:` and `to:`."),
    "W310": N_("An auto-reply is enabled with empty text, so the platform's default text is "
               "sent. Write the text or rely on the default on purpose."),
    "W311": N_("Grouping is switched on but no group has a member, so routing behaves as if "
               "grouping were off (S3). Add members or switch grouping off."),
    "W312": N_("An agent or group id mixes letters of scripts that look alike (Latin with "
               "Cyrillic or Greek), or looks like another id once width, case and look-alike "
               "letters are folded, so two names a merchant reads as one are different. "
               "Write each name in one script and keep look-alike names apart."),
    "W313": N_("A display name or an auto-reply text holds an invisible bidi control character "
               "that reorders the text on screen. Remove it."),
    "W314": N_("On a holiday or a date with its own hours in a calendar, no binding covers a "
               "source at some time of that day (a binding reads `calendar.<name>`, and no "
               "other binding takes the chats while it is closed). Add a binding for them."),
    "W315": N_("A group has members, but no binding, overflow list or offline-pool target "
               "names it, so no chat is ever routed to it as a group (its members still take "
               "fallback chats). Bind it or remove it."),
    "W316": N_("A binding's later target opens after a wait, but an earlier target's "
               "overflow chain already reaches that group, so it takes chats from the start "
               "and the wait widens nothing. Drop the overflow or the target."),
    "W317": N_("A bot-first condition (a group's `bot_first:` or a `bot_first` step's "
               "`when:`) does not read `wants_human`, so a buyer who asks for a person is "
               "answered by the assistant again and never reaches an agent (T14 hands over "
               "on request). Add `not wants_human` to the condition."),
    "W318": N_("A Y11 timeout notice (`auto_replies.customer_timeout` or `agent_timeout`) is "
               "switched on, but its timeout (`timeouts.customer_no_response` or "
               "`agent_no_response`) is null, so no chat is ever closed by it and the notice "
               "is never sent. Set the timeout or switch the notice off."),
    "I401": N_("With `include_main_account: false` the main account receives chats only when "
               "an agent forwards them (S4-B). This is a note, not a fault."),
    "I402": N_("The main account is in no group and receives chats only as the last resort, "
               "when every other agent is offline (S4-C). This is a note, not a fault."),
}


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
        return _ALL_CODES[self.code][0]

    @property
    def title(self) -> str:
        return _ALL_CODES[self.code][1]

    @property
    def explanation(self) -> str:
        return EXPLANATIONS[self.code]

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

    def again(self, d: Diagnostic) -> None:
        """Record a finding another report made (an included file's), words and all."""
        self.items.append(d)

    def add(self, code: str, message: str, span: Span, hint: str | None = None,
            **args: object) -> None:
        """Record a finding; an unregistered code is a programming error, so it raises.

        With `args`, `message` and `hint` are catalog message ids (marked `N_`) with
        `{name}` placeholders that `args` fill; without, they are used as written (and
        looked up in the catalogs as they are). A `Words` message keeps its own id.
        """
        if code not in _ALL_CODES:
            raise KeyError(f"unregistered diagnostic code {code}")
        if hint is not None and not isinstance(hint, Words):
            hint = Words(hint, **args)
        if isinstance(message, Words) and not args:  # said elsewhere, its words kept
            self.items.append(Diagnostic(code, str(message), span, hint,
                                         template=message.template,
                                         args=tuple(sorted(message.args.items()))))
            return
        if not args:
            self.items.append(Diagnostic(code, message, span, hint, template=message))
            return
        self.items.append(Diagnostic(code, message.format(**args), span, hint,
                                     template=message, args=tuple(sorted(args.items()))))
