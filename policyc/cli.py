"""The `policyc` command line: a thin layer that parses flags and calls the stages.

`main(argv) -> int` is what tests call; exit codes follow CONTRACT.md:
0 ok, 1 findings, 2 unusable input.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable
from typing import NoReturn

from . import __version__
from .commands.output import Stop

Command = Callable[[argparse.Namespace], int]

# Modules under policyc/commands/, in the order `policyc --help` lists them.
COMMAND_MODULES = ("check", "diff", "explain", "fmt", "graph", "serve", "simulate", "test")


class _Parser(argparse.ArgumentParser):
    """argparse that reports bad flags as exit 2 with a one-line message, no usage dump."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message}\n(see `{self.prog} --help`)\n")


def build_parser() -> argparse.ArgumentParser:
    """The `policyc` parser, one subcommand per module of COMMAND_MODULES."""
    parser = _Parser(prog="policyc", description="Routing policies for customer-service chat.")
    parser.add_argument("--version", action="version", version=f"policyc {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    for name in COMMAND_MODULES:
        importlib.import_module(f"{__package__}.commands.{name}").register(sub)
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
    except Stop as stop:
        sys.stderr.write(stop.message)
        return stop.status
    except BrokenPipeError:
        return 0
    except KeyboardInterrupt:
        print("policyc: interrupted", file=sys.stderr)
        return 130


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())
