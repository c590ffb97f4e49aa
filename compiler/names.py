"""Lint names people read: mixed-script confusables and bidi controls (W312, W313).

Agent and group ids may be written in any script (王芳, 客服-小林), so two ids can
look alike and be different (Latin `elly` and `еlly` with a Cyrillic е), and a
bidi control can make a name or a reply text display in another order than it
is stored. Both compile; both are worth a look.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator

from policyc.dsl.diagnostic import Report, Words
from policyc.dsl.policy import Policy
from policyc.dsl.span import Span
from policyc.runtime.catalog import N_

# Scripts whose letters are easily taken for each other's.
_CONFUSABLE_SCRIPTS = frozenset({"LATIN", "CYRILLIC", "GREEK", "ARMENIAN", "CHEROKEE"})
# Cyrillic and Greek letters that look like a Latin one (after casefold).
_LOOKALIKE = str.maketrans("аеорсухіјѕһԁӏкмтвнοανρτικυ", "aeopcyxijshdlkmtbhoavptiku")
# Characters that reorder text on display (Unicode bidi embeddings, overrides,
# isolates and marks): "Trojan Source".
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
                          "\u200e\u200f\u061c")


# The scripts W312 names, as a merchant calls them.
SCRIPT_WORDS: dict[str, str] = {"LATIN": N_("Latin"), "CYRILLIC": N_("Cyrillic"),
                                "GREEK": N_("Greek"), "ARMENIAN": N_("Armenian"),
                                "CHEROKEE": N_("Cherokee")}


def _script(ch: str) -> str | None:
    if not ch.isalpha():
        return None
    name = unicodedata.name(ch, "")
    return name.split(" ")[0] if name else None


def scripts(text: str) -> list[str]:
    """The confusable scripts whose letters `text` mixes, in order of appearance."""
    seen: list[str] = []
    for ch in text:
        script = _script(ch)
        if script in _CONFUSABLE_SCRIPTS and script not in seen:
            seen.append(script)
    return seen


def skeleton(text: str) -> str:
    """What a name looks like: width and case folded, look-alike letters made Latin."""
    return unicodedata.normalize("NFKC", text).casefold().translate(_LOOKALIKE)


def _names(policy: Policy) -> Iterator[tuple[Words, str, Span]]:
    agent, group = Words(N_("agent")), Words(N_("group"))
    for a in policy.agents:
        yield agent, a.id, a.span
    for g in policy.groups:
        yield group, g.id, g.span


def lint_names(policy: Policy, report: Report) -> None:
    """W312 for a name mixing scripts or looking like another; W313 for bidi controls."""
    first_of: dict[str, tuple[str, Span]] = {}
    for kind, name, span in _names(policy):
        mixed = scripts(name)
        if len(mixed) > 1:
            report.add("W312", N_("{kind} `{name}` mixes {scripts} letters, which look alike"),
                       span, N_("write the name in one script"), kind=kind, name=name,
                       scripts=Words(" + ".join(f"{{s{i}}}" for i in range(len(mixed))),
                                     **{f"s{i}": Words(SCRIPT_WORDS.get(s, s.title()))
                                        for i, s in enumerate(mixed)}))
        key = skeleton(name)
        other = first_of.setdefault(key, (name, span))
        if other[0] != name:
            report.add("W312", N_("{kind} `{name}` looks like `{other}` ({where}) but is "
                                  "another name"), span, N_("rename one of them"), kind=kind,
                       name=name, other=other[0], where=str(other[1]))
    for agent in policy.agents:
        if agent.name is not None and BIDI_CONTROLS.intersection(agent.name):
            report.add("W313", N_("the display name of `{agent}` holds a bidi control "
                                  "character, which reorders it on screen"), agent.span,
                       N_("remove the invisible control characters"), agent=agent.id)
    replies = policy.settings.get("auto_replies")
    if isinstance(replies, dict):
        for reply, spec in replies.items():
            text = spec.get("text") if isinstance(spec, dict) else None
            if isinstance(text, str) and BIDI_CONTROLS.intersection(text):
                where = policy.setting_spans.get(f"auto_replies.{reply}.text", policy.span)
                report.add("W313", N_("auto reply `{reply}` holds a bidi control character, "
                                      "which reorders it on screen"), where,
                           N_("remove the invisible control characters"), reply=reply)
