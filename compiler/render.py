"""Render diagnostics: one function per output format (text, json, sarif, github)."""

from __future__ import annotations

import json
import unicodedata

from policyc.dsl.diagnostic import CODES, Diagnostic, Severity, Words
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


def sarif(diagnostics: list[Diagnostic], version: str) -> str:
    """SARIF 2.1.0, one run, every known code as a rule."""
    rules = [{"id": code, "shortDescription": {"text": title},
              "defaultConfiguration": {"level": _SARIF_LEVEL[sev]}}
             for code, (sev, title) in CODES.items()]
    index = {code: i for i, code in enumerate(CODES)}
    results = []
    for d in diagnostics:
        region: dict[str, int] = {"startLine": d.span.line, "startColumn": d.span.col}
        if d.span.end_line >= d.span.line and d.span.end_col > 0:
            region.update(endLine=d.span.end_line, endColumn=max(d.span.end_col, 1))
        message = d.message + (f" (hint: {d.hint})" if d.hint else "")
        results.append({
            "ruleId": d.code, "ruleIndex": index[d.code], "level": _SARIF_LEVEL[d.severity],
            "message": {"text": message},
            "locations": [{"physicalLocation": {
                "artifactLocation": {"uri": d.span.file}, "region": region}}],
        })
    doc = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{"tool": {"driver": {"name": "policyc", "version": version,
                                      "informationUri": TOOL_URI, "rules": rules}},
                  "results": results}],
    }
    return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"


def _escape(value: str, prop: bool = False) -> str:
    out = value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return out.replace(":", "%3A").replace(",", "%2C") if prop else out


def github(diagnostics: list[Diagnostic]) -> str:
    """GitHub Actions workflow commands (`::error file=...::message`)."""
    kind = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}
    lines = []
    for d in diagnostics:
        props = (f"file={_escape(d.span.file, True)},line={d.span.line},col={d.span.col},"
                 f"title={_escape(d.code + ' ' + d.title, True)}")
        message = d.message + (f" (hint: {d.hint})" if d.hint else "")
        lines.append(f"::{kind[d.severity]} {props}::{_escape(message)}")
    return "\n".join(lines) + ("\n" if lines else "")
