"""Read a policy file and the files it includes into a `Policy`, or diagnostics."""

from __future__ import annotations

import hashlib
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from policyc.runtime.catalog import N_

from .diagnostic import Diagnostic, Report, Words, has_errors, quoted
from .policy import Policy, build
from .schema import PINS_FILE, POLICY, ROSTER_FILE, T
from .validate import V, Validator
from .yaml_problems import os_said
from .yaml_tree import YMap, YNode, YScalar, YSeq, parse_text, read_source

# An included file holds either the bare value or a mapping with this one key.
_INCLUDE_WRAPPERS = {"list": ("roster", ROSTER_FILE), "map": ("pins", PINS_FILE)}


@dataclass
class Loaded:
    """The outcome of loading: a policy (None on errors), its findings and its text."""

    policy: Policy | None
    diagnostics: list[Diagnostic]
    texts: dict[str, str] = field(default_factory=dict)
    digest: str = ""


def display_name(path: Path) -> str:
    """Paths are shown relative to the working directory when they are inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


class _Includes:
    """Resolves `roster: roster.yaml` style includes relative to the including file.

    An include is part of the policy, so it must live beside it: a relative path
    that stays inside the policy's folder once symlinks are resolved, naming a
    regular file. Anything else (an absolute path, `..` out of the folder, a link
    to /etc/passwd, /proc/self/status, a pipe) is refused before it is opened, so
    no diagnostic can echo the content of a file the policy's author does not own.
    """

    def __init__(self, base: Path, report: Report, hasher: hashlib._Hash,
                 texts: dict[str, str]) -> None:
        self.base = base
        self.folder = base.absolute().parent
        self.report = report
        self.hasher = hasher
        self.texts = texts
        self.seen = {base.resolve()}  # the policy itself cannot be included again

    def __call__(self, node: YScalar, item: T) -> V | None:
        target = self._confined(node)
        if target is None:
            return None
        if target in self.seen:
            self.report.add("E211", N_("{file} is included twice"), node.span,
                            file=quoted(node.text))
            return None
        self.seen.add(target)
        name = display_name(self.base.parent / node.text)
        sub = Report()
        # The hash names an include by its path from the policy's folder, never by
        # where the command was run: the same files give the same hash from anywhere.
        key = PurePosixPath(*target.relative_to(self.folder.resolve()).parts).as_posix()
        tree = _read(target, name, sub, self.hasher, self.texts, key)
        for d in sub.items:
            if d.code == "E100":  # the file could not be read: point at the include line
                problem = (Words(d.template, **dict(d.args)) if d.template is not None
                           else d.message)
                self.report.add("E211", N_("included file {file}: {problem}"), node.span,
                                d.hint, file=quoted(node.text), problem=problem)
            else:
                self.report.again(d)
        if tree is None:
            return None
        validator = Validator(self.report)
        wrapper_key, wrapper_type = _INCLUDE_WRAPPERS[item.kind]
        if isinstance(tree, YMap) and any(k.text == wrapper_key for k, _ in tree.items):
            checked = validator.check(tree, wrapper_type)
            fields = checked.value if checked is not None else None
            return fields.get(wrapper_key) if isinstance(fields, dict) else None
        return validator.check(tree, item)

    def _confined(self, node: YScalar) -> Path | None:
        """The included file's resolved path, or None after saying why it is refused."""
        target, why, hint = _confine(self.folder, node.text)
        if why is not None:
            self.report.add("E211", N_("included file {file} {why}"), node.span, hint,
                            file=quoted(node.text), why=why)
        return target


_CONFINED_HINT = Words(N_("included files live in the policy's folder or below it"))


def _confine(folder: Path, written: str) -> tuple[Path | None, Words | None, Words | None]:
    """(resolved path, None, None) for an include the policy may read, else
    (None, why not, hint). Checked before anything is opened."""
    if Path(written).is_absolute() or written.startswith("~"):
        return None, Words(N_("is an absolute path")), _CONFINED_HINT
    try:
        target = (folder / written).resolve()  # `..` and every symlink on the way
        inside = target.is_relative_to(folder.resolve())
        mode = os.stat(target).st_mode if inside else 0
    except OSError as err:
        return None, Words(N_("cannot be read: {why}"), why=os_said(err)), None
    except (ValueError, RuntimeError):  # a NUL byte in the path, a symlink loop
        return None, Words(N_("cannot be resolved")), _CONFINED_HINT
    if not inside:
        return None, Words(N_("is outside the policy's folder")), _CONFINED_HINT
    if not stat.S_ISREG(mode):
        return None, Words(N_("is not a regular file")), Words(
            N_("include a YAML file, not a folder, pipe or device"))
    return target, None, None


def _read(path: Path, name: str, report: Report, hasher: hashlib._Hash,
          texts: dict[str, str], key: str) -> YNode | None:
    """Read one file once: hash it under `key`, keep its text for the caret display, compose it."""
    text = read_source(path, report, name)
    if text is None:
        return None
    texts[name] = text
    hasher.update(key.encode() + b"\0" + text.encode("utf-8", "surrogatepass") + b"\0")
    return parse_text(text, name, report)


def load_policy(path: Path) -> Loaded:
    """Load and validate one policy file; never raises on bad input.

    The digest covers the policy's text and each included file's path (from the
    policy's folder) and text, so it names the policy's content wherever it is read.
    """
    report = Report()
    name = display_name(path)
    texts: dict[str, str] = {}
    hasher = hashlib.sha256()
    tree = _read(path, name, report, hasher, texts, "")
    if tree is None:
        return Loaded(None, report.items, texts)
    if not isinstance(tree, YMap):
        report.add("E120", N_("a policy is a YAML mapping, found {found}"), tree.span,
                   found=_what(tree))
        return Loaded(None, report.items, texts)
    validator = Validator(report, include=_Includes(path, report, hasher, texts))
    root = validator.check(tree, POLICY)
    digest = "sha256:" + hasher.hexdigest()
    if root is None or has_errors(report.items):
        return Loaded(None, report.items, texts, digest)
    policy = build(root, name, tuple(texts))
    return Loaded(policy, report.items, texts, digest)


def _what(node: YNode) -> Words:
    return Words(N_("a list") if isinstance(node, YSeq) else N_("a single value"))
