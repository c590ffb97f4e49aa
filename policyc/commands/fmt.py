"""`policyc fmt`: rewrite policies in the canonical layout, or with --check show the diff."""

from __future__ import annotations

import argparse
import difflib
import sys
from pathlib import Path

from ..compiler import render
from ..dsl.diagnostic import Diagnostic, Report
from ..dsl.format import format_text
from ..dsl.load import display_name
from ..dsl.yaml_tree import read_file
from ..runtime.atomic_write import write_atomic
from .check import ONLY_POLICIES_HELP, no_policies, policy_files

# Diagnostics that mean the file cannot be read as YAML at all (exit 2);
# anything else (an expression that does not parse) is a finding (exit 1).
_UNUSABLE = ("E100", "E101", "E102", "E103", "E104", "E105")


def _status(diagnostics: list[Diagnostic]) -> int:
    if any(d.code in _UNUSABLE for d in diagnostics):
        return 2
    return 1 if diagnostics else 0


def _read(path: Path, name: str) -> tuple[str | None, list[Diagnostic]]:
    report = Report()
    if read_file(path, report, name) is None:
        return None, report.items
    return path.read_bytes().decode("utf-8"), []  # a byte-order mark stays, as fmt keeps it


def diff(before: str, after: str, name: str) -> str:
    """A unified diff from the file as written to the file as formatted."""
    lines = difflib.unified_diff(before.splitlines(keepends=True), after.splitlines(keepends=True),
                                 fromfile=name, tofile=f"{name} (formatted)")
    return "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n"
                   for line in lines)


def _format_one(path: Path, check: bool) -> int:
    name = display_name(path)
    text, problems = _read(path, name)
    if text is None:
        sys.stdout.write(render.text(problems, {}))
        return _status(problems)
    result = format_text(text, name)
    if result.refused is not None:
        span, why = result.refused
        print(f"{span}: {why}; file left as it is", file=sys.stderr)
        return 2
    if result.text is None:
        sys.stdout.write(render.text(result.diagnostics, {name: text}))
        return _status(result.diagnostics)
    if result.text == text:
        return 0
    if check:
        sys.stdout.write(diff(text, result.text, name))
        return 1
    try:
        # Atomic (a full disk leaves the policy as it was), text as is: its own line endings.
        write_atomic(path, result.text)
    except OSError as err:
        print(f"policyc: cannot write {name}: {err.strerror or err}", file=sys.stderr)
        return 2
    print(f"reformatted {name}", file=sys.stderr)
    return 0


def fmt_command(args: argparse.Namespace) -> int:
    """policyc fmt PATH... [--check]: format every policy; exit 1 in --check mode on changes."""
    files, problems = policy_files(args.paths, args.only_policies)
    nothing = no_policies(files, problems, args.only_policies)
    if nothing is not None:
        return nothing
    if problems:
        sys.stdout.write(render.text(problems, {}))
    status = 2 if problems else 0
    for path in files:
        status = max(status, _format_one(path, args.check))
    return status


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `fmt` to the command line."""
    p = sub.add_parser("fmt", help="format policy files in the canonical layout")
    p.add_argument("paths", nargs="+", type=Path, help="policy files or folders")
    p.add_argument("--check", action="store_true",
                   help="change nothing; print a diff and exit 1 when a file is not formatted")
    p.add_argument("--only-policies", action="store_true", help=ONLY_POLICIES_HELP)
    p.set_defaults(run=fmt_command)
