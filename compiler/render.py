"""Render diagnostics: one function per output format (text, json, sarif, github)."""

from __future__ import annotations

import hashlib
import json
import os
import re
import unicodedata
from pathlib import Path, PurePath
from urllib.parse import quote

from policyc.dsl.diagnostic import CODES, EXPLANATIONS, Diagnostic, Severity
from policyc.dsl.span import source_lines

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


def text(diagnostics: list[Diagnostic], texts: dict[str, str]) -> str:
    """Compiler-style text: location, severity and code, the source line with a caret."""
    out: list[str] = []
    split: dict[str, list[str]] = {}  # each file's lines, split once
    for d in diagnostics:
        out.append(f"{d.span}: {d.severity.value}[{d.code}]: {d.message}")
        if d.span.file in texts and d.span.file not in split:
            split[d.span.file] = source_lines(texts[d.span.file])
        shown = _source_line(split.get(d.span.file), d)
        if shown:
            gutter = f"{d.span.line:>5} | "
            out.append(gutter + shown[0])
            out.append(" " * (len(gutter) - 2) + "| " + shown[1])
        if d.hint:
            out.append(f"      = hint: {d.hint}")
    counts = {s: sum(1 for d in diagnostics if d.severity is s) for s in Severity}
    out.append(f"{counts[Severity.ERROR]} error(s), {counts[Severity.WARNING]} warning(s), "
               f"{counts[Severity.INFO]} note(s)")
    return "\n".join(out) + "\n"


def as_dict(d: Diagnostic) -> dict[str, object]:
    """One diagnostic as the JSON format writes it (a missing end is the start)."""
    return {"code": d.code, "severity": d.severity.value, "message": d.message,
            "file": d.span.file, "line": d.span.line, "col": d.span.col,
            "end_line": d.span.end_line or d.span.line, "end_col": d.span.end_col or d.span.col,
            "hint": d.hint}


def to_json(diagnostics: list[Diagnostic]) -> str:
    """The JSON format: `{"diagnostics": [...]}`, in the order given."""
    return json.dumps({"diagnostics": [as_dict(d) for d in diagnostics]}, ensure_ascii=False,
                      indent=2) + "\n"


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


def _rule(code: str) -> dict[str, object]:
    severity, title = CODES[code]
    full = EXPLANATIONS[code]
    markdown = (f"**{code}** ({severity.value}): {title}.\n\n{full}\n\n"
                f"See the [table of diagnostic codes]({DIAGNOSTICS_URI}).")
    return {"id": code, "name": _rule_name(title),
            "shortDescription": {"text": title},
            "fullDescription": {"text": full},
            "help": {"text": f"{code}: {full} See {DIAGNOSTICS_URI}", "markdown": markdown},
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
    """Stable across edits that move the finding: code, file and message, not the line."""
    key = "\0".join((d.code, d.span.file, d.message))
    seen[key] = seen.get(key, 0) + 1
    return hashlib.sha256(f"{key}\0{seen[key]}".encode()).hexdigest()[:32]


def sarif(diagnostics: list[Diagnostic], version: str) -> str:
    """SARIF 2.1.0 as GitHub code scanning ingests it: one run, every known code a rule."""
    index = {code: i for i, code in enumerate(CODES)}
    seen: dict[str, int] = {}
    results = []
    for d in diagnostics:
        message = d.message + (f" (hint: {d.hint})" if d.hint else "")
        results.append({
            "ruleId": d.code, "ruleIndex": index[d.code], "level": _SARIF_LEVEL[d.severity],
            "message": {"text": message},
            "locations": [{"physicalLocation": {
                "artifactLocation": artifact_location(d.span.file), "region": _region(d)}}],
            "partialFingerprints": {"policycFinding/v1": _fingerprint(d, seen)},
        })
    driver = {"name": "policyc", "version": version, "semanticVersion": version,
              "informationUri": TOOL_URI, "rules": [_rule(code) for code in CODES]}
    doc = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{"tool": {"driver": driver},
                  "originalUriBaseIds": {SRCROOT: {"description": {
                      "text": "The working directory policyc check ran in."}}},
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
