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

Command = Callable[[argparse.Namespace], int]

# command -> (module under policyc/commands/ that registers it, its one-line help), in the
# order `policyc --help` lists them. Only the module of the command being run is imported:
# `policyc --version` and `explain` need neither networkx nor jinja2 (bench/startup.py).
# tests/test_startup.py checks that every module registers exactly these, with this help.
COMMANDS: dict[str, tuple[str, str]] = {
    "check": ("check", "parse, validate and lint policy files"),
    "compile": ("check", "write the compiled decision-graph artifact"),
    "diff": ("diff", "which messages of a log two policies route differently"),
    "explain": ("explain", "decide one event and show why"),
    "why-not": ("explain", "why an agent receives no new chats"),
    "fmt": ("fmt", "format policy files in the canonical layout"),
    "graph": ("graph", "draw a policy's decision graph (DOT, Mermaid or HTML)"),
    "serve": ("serve", "route live over HTTP (many shops, durable log)"),
    "simulate": ("simulate", "run the stateful engine over an event log"),
    "test": ("test", "run policy test files (<policy>.test.yaml)"),
}


class _Parser(argparse.ArgumentParser):
    """argparse that reports bad flags as exit 2 with a one-line message, no usage dump."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message}\n(see `{self.prog} --help`)\n")


def _command_in(argv: list[str]) -> str | None:
    """The command word of `argv` when it names a known command (the first non-option)."""
    word = next((a for a in argv if not a.startswith("-")), None)
    return word if word in COMMANDS else None


def build_parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    """The `policyc` parser for `argv`: the named command's module registers its flags.

    Without a known command (`--help`, `--version`, a typo) every command is listed
    from COMMANDS and no command module is imported.
    """
    parser = _Parser(prog="policyc", description="Routing policies for customer-service chat.")
    parser.add_argument("--version", action="version", version=f"policyc {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    command = _command_in(sys.argv[1:] if argv is None else argv)
    if command is not None:
        module = COMMANDS[command][0]
        importlib.import_module(f"{__package__}.commands.{module}").register(sub)
        return parser
    for name, (_, summary) in COMMANDS.items():
        sub.add_parser(name, help=summary, add_help=False)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one policyc command; returns the exit status."""
    parser = build_parser(argv)
    try:
        args = parser.parse_args(argv)
    except SystemExit as stop:
        return int(stop.code or 0)
    from .commands.output import Stop  # imported by every command module already

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
