"""`policyc check` and `policyc compile`: diagnostics for merchants and CI, and the artifact."""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from .. import __version__
from ..compiler import Result, compile_file, render
from ..compiler.emit import dumps
from ..dsl.diagnostic import Diagnostic, Severity
from ..dsl.load import display_name
from ..dsl.span import file_span
from ..runtime.catalog import N_
from ..runtime.shape import InputError
from ..runtime.source_files import open_source
from .output import add_lang, language, policy_inputs, refuse_inputs, write_output

_POLICY_MARK = re.compile(rb"^policyc\s*:", re.MULTILINE)


_NO_SUCH = N_("no such file or folder")

def policy_files(paths: list[Path],
                 only_policies: bool = False) -> tuple[list[Path], list[Diagnostic]]:
    """Files named, plus every policy (a YAML file with a `policyc:` key) inside folders.

    With `only_policies`, named files without that key are skipped too (pre-commit
    hands over every changed YAML file, included roster and pin files among them).
    """
    files: list[Path] = []
    problems: list[Diagnostic] = []
    for path in paths:
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                if child.suffix in (".yaml", ".yml") and child.is_file() and _is_policy(child):
                    files.append(child)
        elif path.exists():
            if not only_policies or _is_policy(path):
                files.append(path)
        else:
            problems.append(Diagnostic("E100", _NO_SUCH, file_span(display_name(path)),
                                       template=_NO_SUCH))
    return files, problems


def no_policies(files: list[Path], problems: list[Diagnostic],
                only_policies: bool) -> int | None:
    """The exit status when the paths named nothing at all to work on, else None.

    Nothing is fine for a pre-commit hook (`--only-policies`: no changed policy);
    on the command line it is unusable input.
    """
    if files or problems:
        return None
    if only_policies:
        return 0
    print("policyc: no policy files found (a policy has a top-level `policyc:` key)",
          file=sys.stderr)
    return 2


ONLY_POLICIES_HELP = ("skip named files that are not policies (no top-level `policyc:` key), "
                      "as pre-commit hooks need")


def _is_policy(path: Path) -> bool:
    try:  # a FIFO or a device is refused unread (runtime/source_files.py)
        with open_source(path, "policy", stdin=False) as handle:
            return bool(_POLICY_MARK.search(handle.read(65536)))
    except (OSError, InputError):
        return True  # let the compiler report why it cannot be read


def _emit(diagnostics: list[Diagnostic], texts: dict[str, str], fmt: str,
          lang: str = "en") -> None:
    match fmt:
        case "json":
            out = render.to_json(diagnostics, lang)
        case "sarif":
            out = render.sarif(diagnostics, __version__, lang)
        case "github":
            out = render.github(diagnostics, lang)
        case _:
            out = render.text(diagnostics, texts, lang)
    sys.stdout.write(out)


def _status(diagnostics: list[Diagnostic], strict: bool) -> int:
    if any(d.code == "E100" for d in diagnostics):
        return 2
    failing = {Severity.ERROR} | ({Severity.WARNING} if strict else set())
    return 1 if any(d.severity in failing for d in diagnostics) else 0


def check_command(args: argparse.Namespace) -> int:
    """policyc check PATH...: report every finding in every policy."""
    files, diagnostics = policy_files(args.paths, args.only_policies)
    nothing = no_policies(files, diagnostics, args.only_policies)
    if nothing is not None:
        return nothing
    texts: dict[str, str] = {}
    for path in files:
        result = compile_file(path)
        diagnostics.extend(result.diagnostics)
        texts.update(result.texts)
    _emit(diagnostics, texts, args.format, language(args))
    return _status(diagnostics, args.strict)


def compile_command(args: argparse.Namespace) -> int:
    """policyc compile POLICY -o FILE: write the artifact when the policy has no errors."""
    result: Result = compile_file(args.policy)
    status = _status(result.diagnostics, args.strict)
    if result.diagnostics and (status or args.format != "text"):
        _emit(result.diagnostics, result.texts, args.format, language(args))
    if status or result.artifact is None:
        return status or 1
    refuse_inputs("compile", {"-o": args.output}, policy_inputs(args.policy, result.texts))
    write_output(args.output, dumps(result.artifact))
    if args.format == "text":
        print(f"wrote {args.output} ({result.artifact['policy']})")
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `check` and `compile` to the command line."""
    p = sub.add_parser("check", help="parse, validate and lint policy files")
    p.add_argument("paths", nargs="+", type=Path, help="policy files or folders")
    p.add_argument("--format", choices=("text", "json", "sarif", "github"), default="text")
    p.add_argument("--strict", action="store_true", help="warnings fail the check too")
    add_lang(p)
    p.add_argument("--only-policies", action="store_true", help=ONLY_POLICIES_HELP)
    p.set_defaults(run=check_command)

    p = sub.add_parser("compile", help="write the compiled decision-graph artifact")
    p.add_argument("policy", type=Path)
    p.add_argument("-o", "--output", type=Path, required=True)
    p.add_argument("--format", choices=("text", "json", "sarif", "github"), default="text")
    p.add_argument("--strict", action="store_true")
    add_lang(p)
    p.set_defaults(run=compile_command)
