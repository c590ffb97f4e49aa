"""The `policyc` command line: a thin layer that parses flags and calls the stages.

`main(argv) -> int` is what tests call; exit codes follow CONTRACT.md:
0 ok, 1 findings, 2 unusable input.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from . import __version__
from .commands import check_command, compile_command

Command = Callable[[argparse.Namespace], int]


class _Parser(argparse.ArgumentParser):
    """argparse that reports bad flags as exit 2 with a one-line message, no usage dump."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"policyc: {message}\n(see `policyc {self.prog.split()[-1]} --help`)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="policyc", description="Routing policies for customer-service chat.")
    parser.add_argument("--version", action="version", version=f"policyc {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    p = sub.add_parser("check", help="parse, validate and lint policy files")
    p.add_argument("paths", nargs="+", type=Path, help="policy files or folders")
    p.add_argument("--format", choices=("text", "json", "sarif", "github"), default="text")
    p.add_argument("--strict", action="store_true", help="warnings fail the check too")
    p.set_defaults(run=check_command)

    p = sub.add_parser("compile", help="write the compiled decision-graph artifact")
    p.add_argument("policy", type=Path)
    p.add_argument("-o", "--output", type=Path, required=True)
    p.add_argument("--format", choices=("text", "json", "sarif", "github"), default="text")
    p.add_argument("--strict", action="store_true")
    p.set_defaults(run=compile_command)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one policyc command; returns the exit status."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as stop:
        return int(stop.code or 0)
    run: Command = args.run
    try:
        return run(args)
    except BrokenPipeError:
        return 0
    except KeyboardInterrupt:
        print("policyc: interrupted", file=sys.stderr)
        return 130


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())
