"""Read a policy file and the files it includes into a `Policy`, or diagnostics."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from policyc.runtime.catalog import N_

from .diagnostic import Diagnostic, Report, Words, has_errors
from .policy import Policy, build
from .schema import PINS_FILE, POLICY, ROSTER_FILE, T
from .validate import V, Validator
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
            self.report.add("E211", N_("{file!r} is included twice"), node.span, file=node.text)
            return None
        sub = Report()
        tree = _read(target, name, sub, self.hasher, self.texts)
        for d in sub.items:
            if d.code == "E100":  # the file could not be read: point at the include line
                self.report.add("E211", N_("included file {file!r}: {problem}"), node.span,
                                d.hint, file=node.text,
                                problem=Words(d.template or d.message, **dict(d.args)))
            else:
                self.report.add(d.code, d.message, d.span, d.hint)
        if tree is None:
            return None
        validator = Validator(self.report)
        wrapper_key, wrapper_type = _INCLUDE_WRAPPERS[item.kind]
        if isinstance(tree, YMap) and any(k.text == wrapper_key for k, _ in tree.items):
            checked = validator.check(tree, wrapper_type)
            fields = checked.value if checked is not None else None
            return fields.get(wrapper_key) if isinstance(fields, dict) else None
        return validator.check(tree, item)


def _read(path: Path, name: str, report: Report, hasher: hashlib._Hash,
          texts: dict[str, str]) -> YNode | None:
    """Read one file once: hash it, keep its text for the caret display, compose it."""
    text = read_source(path, report, name)
    if text is None:
        return None
    texts[name] = text
    hasher.update(name.encode() + b"\0" + text.encode("utf-8", "surrogatepass") + b"\0")
    return parse_text(text, name, report)


def load_policy(path: Path) -> Loaded:
    """Load and validate one policy file; never raises on bad input."""
    report = Report()
    name = display_name(path)
    texts: dict[str, str] = {}
    hasher = hashlib.sha256()
    tree = _read(path, name, report, hasher, texts)
    if tree is None:
        return Loaded(None, report.items, texts)
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
