"""Render diagnostics: one function per output format (text, json, sarif, github)."""

from __future__ import annotations

import hashlib
import json
import os
import re
import unicodedata
from pathlib import Path, PurePath
from urllib.parse import quote

from policyc.dsl.diagnostic import CODES, EXPLANATIONS, Diagnostic, Severity, Words
from policyc.dsl.span import source_lines
from policyc.runtime.catalog import N_, catalog, say

TOOL_URI = "https://example.invalid/policyc"  # no public home yet; SARIF wants a URI


def _blank(ch: str) -> str:
    """What to put under `ch` so the caret lines up: tabs stay, wide CJK characters take two."""
    if ch == "\t":
        return ch
    return "  " if unicodedata.east_asian_width(ch) in ("W", "F") else " "


def _source_line(lines: list[str] | None, d: Diagnostic) -> tuple[str, str] | None:
    if lines is None or not 1 <= d.span.line <= len(lines):
        return None
    line = lines[d.span.line - 1]
    if len(line) > 200:
        return None
    width = 1
    if d.span.end_line == d.span.line and d.span.end_col > d.span.col:
        width = d.span.end_col - d.span.col
    indent = "".join(_blank(ch) for ch in line[:d.span.col - 1])
    caret = indent + "^" + "~" * (min(width, len(line) - d.span.col + 1) - 1)
    return line, caret


def _said(lang: str, template: str, args: dict[str, object]) -> str:
    """`template` in `lang`, filled; an argument that is itself `Words` is said too."""
    translated = catalog(lang).gettext(template)
    if not args:
        return translated
    return translated.format(**{k: _said(lang, v.template, v.args) if isinstance(v, Words)
                                else v for k, v in args.items()})


def message(d: Diagnostic, lang: str = "en") -> str:
    """The diagnostic's message in `lang`, through the catalogs (English as written)."""
    if lang == "en" or d.template is None:
        return d.message
    return _said(lang, d.template, dict(d.args))


def hint(d: Diagnostic, lang: str = "en") -> str | None:
    """The diagnostic's hint in `lang` (None when it has none)."""
    if lang == "en" or not isinstance(d.hint, Words):
        return d.hint
    return _said(lang, d.hint.template, d.hint.args)


_SEVERITY = {Severity.ERROR: N_("error"), Severity.WARNING: N_("warning"),
             Severity.INFO: N_("info")}


def text(diagnostics: list[Diagnostic], texts: dict[str, str], lang: str = "en") -> str:
    """Compiler-style text: location, severity and code, the source line with a caret."""
    out: list[str] = []
    split: dict[str, list[str]] = {}  # each file's lines, split once
    for d in diagnostics:
        out.append(f"{d.span}: {say(lang, _SEVERITY[d.severity])}[{d.code}]: "
                   f"{message(d, lang)}")
        if d.span.file in texts and d.span.file not in split:
            split[d.span.file] = source_lines(texts[d.span.file])
        shown = _source_line(split.get(d.span.file), d)
        if shown:
            gutter = f"{d.span.line:>5} | "
            out.append(gutter + shown[0])
            out.append(" " * (len(gutter) - 2) + "| " + shown[1])
        shown_hint = hint(d, lang)
        if shown_hint:
            out.append("      = " + say(lang, N_("hint: {hint}"), hint=shown_hint))
    counts = {s: sum(1 for d in diagnostics if d.severity is s) for s in Severity}
    out.append(say(lang, N_("{errors} error(s), {warnings} warning(s), {notes} note(s)"),
                   errors=counts[Severity.ERROR], warnings=counts[Severity.WARNING],
                   notes=counts[Severity.INFO]))
    return "\n".join(out) + "\n"


def as_dict(d: Diagnostic, lang: str = "en") -> dict[str, object]:
    """One diagnostic as the JSON format writes it (a missing end is the start); the
    code is stable, `message` and `hint` are in `lang`."""
    return {"code": d.code, "severity": d.severity.value, "message": message(d, lang),
            "file": d.span.file, "line": d.span.line, "col": d.span.col,
            "end_line": d.span.end_line or d.span.line, "end_col": d.span.end_col or d.span.col,
            "hint": hint(d, lang)}


def to_json(diagnostics: list[Diagnostic], lang: str = "en") -> str:
    """The JSON format: `{"diagnostics": [...]}`, in the order given."""
    return json.dumps({"diagnostics": [as_dict(d, lang) for d in diagnostics]},
                      ensure_ascii=False, indent=2) + "\n"


_SARIF_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}

# Where each rule's help points: the README's table of every code (its heading's anchor).
DIAGNOSTICS_URI = f"{TOOL_URI}/blob/main/README.md#diagnostics"
# The folder `policyc check` ran in; relative artifact URIs are resolved against it, as
# code scanning resolves them against the checkout (no absolute path leaks into the log).
SRCROOT = "%SRCROOT%"


def _rule_name(title: str) -> str:
    """A PascalCase name from a code's title, as SARIF rule names are written."""
    # "S4-B" is one word (S4b); "a" is dropped, as "HasACycle" is not PascalCase.
    words = re.findall(r"[A-Za-z0-9]+(?:-[A-Za-z0-9](?![A-Za-z0-9]))?", title)
    return "".join(w[:1].upper() + w[1:].lower().replace("-", "") for w in words if w != "a")


def _rule(code: str, lang: str = "en") -> dict[str, object]:
    severity, english = CODES[code]
    title, full = say(lang, english), say(lang, EXPLANATIONS[code])
    table = say(lang, N_("See the [table of diagnostic codes]({uri})."), uri=DIAGNOSTICS_URI)
    head = say(lang, N_("**{code}** ({severity}): {title}."), code=code,
               severity=say(lang, _SEVERITY[severity]), title=title)
    markdown = f"{head}\n\n{full}\n\n{table}"
    see = say(lang, N_("See {uri}"), uri=DIAGNOSTICS_URI)
    # The rule's name is an identifier code scanning shows and keys on: English always.
    return {"id": code, "name": _rule_name(english),
            "shortDescription": {"text": title},
            "fullDescription": {"text": full},
            "help": {"text": f"{code}: {full} {see}", "markdown": markdown},
            "helpUri": DIAGNOSTICS_URI,
            "defaultConfiguration": {"level": _SARIF_LEVEL[severity]}}


def artifact_location(file: str) -> dict[str, str]:
    """A SARIF artifactLocation: percent-encoded, relative to %SRCROOT% when inside it.

    A file outside the working directory (an absolute or `../` path) becomes a
    `file:` URI, the only absolute form code scanning accepts.
    """
    path = PurePath(file)
    if path.is_absolute() or ".." in path.parts:
        return {"uri": Path(os.path.abspath(file)).as_uri()}
    return {"uri": quote(path.as_posix(), safe="/"), "uriBaseId": SRCROOT}


def _region(d: Diagnostic) -> dict[str, int]:
    start = (max(d.span.line, 1), max(d.span.col, 1))
    region = {"startLine": start[0], "startColumn": start[1]}
    end = (d.span.end_line, d.span.end_col)
    if end[1] > 0 and end > start:
        region.update(endLine=end[0], endColumn=end[1])
    return region


def _fingerprint(d: Diagnostic, seen: dict[str, int]) -> str:
    """Stable across edits that move the finding: code, file and message, not the line.
    The English message, so the same finding keeps its fingerprint in every language."""
    key = "\0".join((d.code, d.span.file, d.message))
    seen[key] = seen.get(key, 0) + 1
    return hashlib.sha256(f"{key}\0{seen[key]}".encode()).hexdigest()[:32]


def _with_hint(d: Diagnostic, lang: str) -> str:
    """The message and, when there is one, its hint in parentheses, in `lang`."""
    shown = hint(d, lang)
    said = message(d, lang)
    return say(lang, N_("{message} (hint: {hint})"), message=said, hint=shown) if shown else said


def sarif(diagnostics: list[Diagnostic], version: str, lang: str = "en") -> str:
    """SARIF 2.1.0 as GitHub code scanning ingests it: one run, every known code a rule;
    messages and rule texts in `lang` (rule ids, names and fingerprints stay the same)."""
    index = {code: i for i, code in enumerate(CODES)}
    seen: dict[str, int] = {}
    results = []
    for d in diagnostics:
        results.append({
            "ruleId": d.code, "ruleIndex": index[d.code], "level": _SARIF_LEVEL[d.severity],
            "message": {"text": _with_hint(d, lang)},
            "locations": [{"physicalLocation": {
                "artifactLocation": artifact_location(d.span.file), "region": _region(d)}}],
            "partialFingerprints": {"policycFinding/v1": _fingerprint(d, seen)},
        })
    driver = {"name": "policyc", "version": version, "semanticVersion": version,
              "informationUri": TOOL_URI, "rules": [_rule(code, lang) for code in CODES]}
    doc = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{"tool": {"driver": driver},
                  "originalUriBaseIds": {SRCROOT: {"description": {
                      "text": say(lang, N_("The working directory policyc check ran in."))}}},
                  "results": results}],
    }
    return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"


def _escape(value: str, prop: bool = False) -> str:
    out = value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return out.replace(":", "%3A").replace(",", "%2C") if prop else out


def github(diagnostics: list[Diagnostic], lang: str = "en") -> str:
    """GitHub Actions workflow commands (`::error file=...::message`), the title and the
    message in `lang`."""
    kind = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}
    lines = []
    for d in diagnostics:
        props = (f"file={_escape(d.span.file, True)},line={d.span.line},col={d.span.col},"
                 f"title={_escape(d.code + ' ' + say(lang, d.title), True)}")
        lines.append(f"::{kind[d.severity]} {props}::{_escape(_with_hint(d, lang))}")
    return "\n".join(lines) + ("\n" if lines else "")
