"""How a command stops early, loads its policy and writes its output file, said once.

A command that cannot go on raises `Stop` with the message for a person and
the exit status; `cli.main` writes the message to standard error and returns
the status, so the commands need no error plumbing of their own.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ..api import PolicyError, load
from ..runtime.artifact import ArtifactError
from ..runtime.catalog import choose
from ..runtime.router import Router


class Stop(Exception):
    """The command stops: `message` (a whole line or lines) goes to standard error as is."""

    def __init__(self, message: str, status: int = 2) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def load_policy(path: Path, command: str, policy_errors: int) -> Router:
    """The Router of a policy file or compiled `.json` artifact, or Stop.

    A missing file or a broken artifact is unusable input (2); a policy with
    errors stops with its diagnostics and `policy_errors` as the status.
    """
    if not path.is_file():
        raise Stop(f"{path}: no such file\n")
    try:
        return load(path)
    except PolicyError as err:
        raise Stop(err.report, policy_errors) from None
    except ArtifactError as err:
        raise Stop(f"policyc {command}: {err}\n") from None


def cannot_write(path: Path, err: OSError) -> Stop:
    """The Stop for an output file that cannot be written."""
    return Stop(f"policyc: cannot write {path}: {err.strerror or err}\n")


def write_output(path: Path, text: str) -> None:
    """Write `text` to `path`, creating folders; Stop (2) when it cannot be written."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as err:
        raise cannot_write(path, err) from None


def _lang_flag(text: str) -> str:
    try:
        return choose(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def add_lang(parser: argparse.ArgumentParser) -> None:
    """`--lang`: the language of every message a person reads (catalog.LANGUAGES)."""
    parser.add_argument("--lang", type=_lang_flag, default=None,
                        help="zh-Hans, zh-Hant or en (default: the locale's LANGUAGE, LC_ALL, "
                             "LC_MESSAGES or LANG, else en)")


def language(args: argparse.Namespace) -> str:
    """The language a command speaks: `--lang`, else the locale's."""
    return getattr(args, "lang", None) or choose(None)
