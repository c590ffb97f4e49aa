"""How a command stops early, loads its policy and writes its output file, said once.

Every output goes through `write_output` (atomic: runtime/atomic_write.py) after
`refuse_inputs` made sure it names none of the command's inputs.

A command that cannot go on raises `Stop` with the message for a person and
the exit status; `cli.main` writes the message to standard error and returns
the status, so the commands need no error plumbing of their own.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from ..api import PolicyError, load
from ..runtime.artifact import ArtifactError, read_artifact
from ..runtime.atomic_write import write_atomic
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


def write_output(path: Path, text: str | Iterable[str]) -> None:
    """Write `text` to `path` atomically (runtime/atomic_write.py), creating folders;
    Stop (2) when it cannot be written, the old file left as it was."""
    try:
        write_atomic(path, text)
    except OSError as err:
        raise cannot_write(path, err) from None


Inputs = list[tuple[str, Path]]  # (what it is, for a person: "the policy", path)


def refuse_inputs(command: str, outputs: dict[str, Path | None], inputs: Inputs) -> None:
    """Stop (2) when an output (by its flag) names one of the command's inputs, or
    another output: writing it would destroy what the command reads (`compile x.yaml
    -o x.yaml`). Paths are compared resolved, and as the same file (hard or soft links)."""
    named = [(flag, path) for flag, path in outputs.items() if path is not None]
    for i, (flag, path) in enumerate(named):
        for what, source in [*inputs, *((f"the {f} output", p) for f, p in named[:i])]:
            if _same_file(path, source):
                raise Stop(f"policyc {command}: {flag} {path} is {what} ({source}); "
                           "refusing to overwrite it: name another file\n")


def policy_inputs(policy: Path, files: Iterable[object]) -> Inputs:
    """The policy and the files it includes (`files`: the names the compiler recorded,
    tried against the working folder and against the policy's own folder)."""
    inputs: Inputs = [("the policy", policy)]
    for name in files:
        for candidate in (Path(str(name)), policy.parent / str(name)):
            if candidate.exists() and not _same_file(candidate, policy):
                inputs.append(("a file the policy includes", candidate))
    return inputs


def _same_file(a: Path, b: Path) -> bool:
    if os.path.realpath(a) == os.path.realpath(b):
        return True
    try:
        return os.path.samefile(a, b)
    except OSError:  # one of them does not exist (yet): not the same file
        return False
