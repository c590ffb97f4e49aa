"""How a command stops early, loads its policy and writes its output file, said once.

A command that cannot go on raises `Stop` with the message for a person and
the exit status; `cli.main` writes the message to standard error and returns
the status, so the commands need no error plumbing of their own.
"""

from __future__ import annotations

from pathlib import Path

from ..api import PolicyError, load
from ..runtime.artifact import ArtifactError, read_artifact
from ..runtime.router import Router
from ..runtime.source_files import STDIN


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
    if str(path) == STDIN:  # a compiled artifact piped in (a YAML policy has includes)
        try:
            return Router(read_artifact(STDIN))
        except ArtifactError as err:
            raise Stop(f"policyc {command}: {err}\n") from None
    if not path.is_file():
        raise Stop(f"{path}: {'not a regular file' if path.exists() else 'no such file'}\n")
    if path.suffix == ".jsonl":
        raise Stop(f"{path}: this looks like an event log (JSON Lines), not a policy or a "
                   "compiled artifact\n")
    try:
        return load(path)
    except PolicyError as err:
        raise Stop(err.report, policy_errors) from None
    except ArtifactError as err:
        raise Stop(f"policyc {command}: {err}\n") from None


def one_stdin(command: str, paths: dict[str, Path | None]) -> None:
    """Stop unless at most one of the inputs (by their command-line names) is `-`."""
    piped = [name for name, path in paths.items() if path is not None and str(path) == STDIN]
    if len(piped) > 1:
        raise Stop(f"policyc {command}: only one of {' and '.join(piped)} can be - "
                   "(standard input)\n")


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
