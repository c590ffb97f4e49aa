"""Read a policy file and the files it includes into a `Policy`, or diagnostics."""

from __future__ import annotations

import contextlib
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from .diagnostic import Diagnostic, Report, has_errors
from .policy import Policy, build
from .schema import PINS_FILE, POLICY, ROSTER_FILE, T
from .validate import V, Validator
from .yaml_tree import YMap, YNode, YScalar, YSeq, read_file

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
    """Resolves `roster: roster.yaml` style includes relative to the including file."""

    def __init__(self, base: Path, report: Report, hasher: hashlib._Hash,
                 texts: dict[str, str]) -> None:
        self.base = base
        self.report = report
        self.hasher = hasher
        self.texts = texts

    def __call__(self, node: YScalar, item: T) -> V | None:
        target = (self.base.parent / node.text)
        name = display_name(target)
        if name in self.texts:
            self.report.add("E211", f"{node.text!r} is included twice", node.span)
            return None
        sub = Report()
        tree = read_file(target, sub, name)
        for d in sub.items:
            self.report.add("E211" if d.code == "E100" else d.code,
                            f"included file {node.text!r}: {d.message}" if d.code == "E100"
                            else d.message, node.span if d.code == "E100" else d.span, d.hint)
        if tree is None:
            _quote_failed(target, name, sub.items, self.texts)
            return None
        _remember(target, name, self.hasher, self.texts)
        validator = Validator(self.report)
        wrapper_key, wrapper_type = _INCLUDE_WRAPPERS[item.kind]
        if isinstance(tree, YMap) and any(k.text == wrapper_key for k, _ in tree.items):
            checked = validator.check(tree, wrapper_type)
            fields = checked.value if checked is not None else None
            return fields.get(wrapper_key) if isinstance(fields, dict) else None
        return validator.check(tree, item)


def _remember(path: Path, name: str, hasher: hashlib._Hash, texts: dict[str, str]) -> None:
    raw = path.read_bytes()
    hasher.update(name.encode() + b"\0" + raw + b"\0")
    texts[name] = raw.decode("utf-8-sig", errors="replace")


# Findings in text that decoded fine, so the renderer can quote the line.
_QUOTABLE = frozenset({"E101", "E103", "E105", "E120"})


def _quote_failed(path: Path, name: str, found: list[Diagnostic],
                  texts: dict[str, str]) -> None:
    """Keep the text of a file that was read but not composed, for the caret display."""
    if any(d.code in _QUOTABLE and d.span.file == name for d in found):
        with contextlib.suppress(OSError):
            texts[name] = path.read_bytes().decode("utf-8-sig", errors="replace")


def load_policy(path: Path) -> Loaded:
    """Load and validate one policy file; never raises on bad input."""
    report = Report()
    name = display_name(path)
    texts: dict[str, str] = {}
    hasher = hashlib.sha256()
    tree = read_file(path, report, name)
    if tree is None:
        _quote_failed(path, name, report.items, texts)
        return Loaded(None, report.items, texts)
    _remember(path, name, hasher, texts)
    if not isinstance(tree, YMap):
        report.add("E120", f"a policy is a YAML mapping, found {_what(tree)}", tree.span)
        return Loaded(None, report.items, texts)
    validator = Validator(report, include=_Includes(path, report, hasher, texts))
    root = validator.check(tree, POLICY)
    digest = "sha256:" + hasher.hexdigest()
    if root is None or has_errors(report.items):
        return Loaded(None, report.items, texts, digest)
    policy = build(root, name, tuple(texts))
    return Loaded(policy, report.items, texts, digest)


def _what(node: YNode) -> str:
    return "a list" if isinstance(node, YSeq) else "a single value"
