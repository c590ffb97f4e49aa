"""`policyc test`: run the policy test files beside the policies; text, JSON or JUnit XML."""

from __future__ import annotations

import argparse
import json
import re
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from ..compiler.page_words import said
from ..policy_test_file import discover
from ..policy_tests import CaseResult, Coverage, Run, Unusable, run_files
from ..runtime.catalog import N_, say
from .output import Stop, add_lang, language, refuse_inputs, write_output


def _case_line(r: CaseResult, lang: str) -> str:
    rules = f"  [{', '.join(r.case.rules)}]" if r.case.rules else ""
    verdict = say(lang, N_("PASS") if r.passed else N_("FAIL"))
    return f"{verdict}  {r.case.span.file}:{r.case.span.line}  {r.case.name}{rules}"


def failure_text(r: CaseResult, lang: str = "en") -> str:
    """What a failed case shows: expected against actual, then the trace (fails level)."""
    lines = [say(lang, N_("expected vs actual:")), *(f"  {d}" for d in r.diff())]
    if r.trace:
        lines += [say(lang, N_("trace (fails):")), *(f"  {t}" for t in r.trace.splitlines())]
    return "\n".join(lines)


def coverage_lines(c: Coverage, lang: str = "en") -> list[str]:
    """One policy's coverage: counts, then each node and binding no case reached."""
    nodes = c.nodes - len(c.missed_nodes)
    bindings = c.bindings - len(c.missed_bindings)
    out = ["  " + say(lang, N_("{policy}: {nodes}/{all_nodes} graph nodes, {bindings}/"
                               "{all_bindings} bindings reached by {cases} case(s)"),
                      policy=c.policy, nodes=nodes, all_nodes=c.nodes, bindings=bindings,
                      all_bindings=c.bindings, cases=c.cases)]
    out += ["    " + say(lang, N_("node not reached:    {node} at {span}"),
                         node=node + (f" ({said(label, lang)})" if label else ""), span=span)
            for node, label, span in c.missed_nodes]
    out += ["    " + say(lang, N_("binding not reached: {binding} at {span}"), binding=b, span=span)
            for b, span in c.missed_bindings]
    return out


def summary(run: Run, lang: str = "en") -> str:
    """`N passed, M failed`."""
    return say(lang, N_("{passed} passed, {failed} failed"),
               passed=len(run.results) - run.failed, failed=run.failed)


def text(run: Run, lang: str = "en") -> str:
    """The text report: a line per case (failures with their diff), coverage, summary."""
    out: list[str] = []
    for r in run.results:
        out.append(_case_line(r, lang))
        if not r.passed:
            out.extend(f"      {line}" for line in failure_text(r, lang).splitlines())
    out.append(say(lang, N_("coverage:")))
    for c in run.coverage:
        out.extend(coverage_lines(c, lang))
    out.append(summary(run, lang))
    return "\n".join(out) + "\n"


def _case_json(r: CaseResult) -> dict[str, Any]:
    return {"file": r.case.file, "line": r.case.span.line, "col": r.case.span.col,
            "name": r.case.name, "rules": list(r.case.rules), "policy": r.policy,
            "passed": r.passed, "expected": r.expected, "actual": r.actual,
            "diff": [] if r.passed else r.diff(), "trace": r.trace}


def _coverage_json(c: Coverage) -> dict[str, Any]:
    return {"policy": c.policy, "cases": c.cases,
            "nodes": {"reachable": c.nodes, "missed": [
                {"id": n, "label": label, "span": span} for n, label, span in c.missed_nodes]},
            "bindings": {"total": c.bindings, "missed": [
                {"id": b, "span": span} for b, span in c.missed_bindings]}}


def to_json(run: Run) -> str:
    """The JSON report: cases, coverage and summary."""
    doc = {"cases": [_case_json(r) for r in run.results],
           "coverage": [_coverage_json(c) for c in run.coverage],
           "summary": {"passed": len(run.results) - run.failed, "failed": run.failed}}
    return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"


# XML 1.0 cannot hold these characters at all, not even as character references.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _xml(text: str) -> str:
    """`text` with the characters XML cannot carry written as visible `\\uXXXX` escapes."""
    return _NOT_XML.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def _seconds(value: float) -> str:
    return f"{value:.6f}"  # JUnit's (Surefire's) time: plain decimal seconds


def _element(parent: ET.Element, tag: str, text: str | None = None,
             **attributes: str) -> ET.Element:
    element = ET.SubElement(parent, tag, {k: _xml(v) for k, v in attributes.items()})
    if text is not None:
        element.text = _xml(text)
    return element


def _suite(root: ET.Element, file: str, cases: list[tuple[CaseResult, float]],
           setup: float, coverage: list[str] | None) -> None:
    policy = cases[0][0].policy
    failures = sum(not r.passed for r, _ in cases)
    suite = _element(root, "testsuite", name=file, tests=str(len(cases)),
                     failures=str(failures), errors="0", skipped="0", file=file,
                     time=_seconds(setup + sum(t for _, t in cases)))
    props = _element(suite, "properties")
    _element(props, "property", name="policy", value=policy)
    for r, seconds in cases:
        case = _element(suite, "testcase", name=r.case.name, classname=_classname(file),
                        time=_seconds(seconds))
        if not r.passed:
            _element(case, "failure", f"{r.case.span}\n{failure_text(r)}",
                     message="expected and actual differ", type="PolicyTestFailure")
    if coverage:
        _element(suite, "system-out", "coverage:\n" + "\n".join(coverage))


def _broken_suite(root: ET.Element, broken: Unusable) -> None:
    suite = _element(root, "testsuite", name=broken.file, tests="1", failures="0",
                     errors="1", skipped="0", file=broken.file, time=_seconds(broken.seconds))
    case = _element(suite, "testcase", name="read the test file",
                    classname=_classname(broken.file), time=_seconds(broken.seconds))
    _element(case, "error", str(broken.error), message=broken.error.message,
             type="TestFileError")


def junit(run: Run) -> str:
    """JUnit XML (the Jenkins/Ant junit-10.xsd shape): a testsuite per test file.

    A testcase per case, a failure with the located diff; a file that could not be
    run is a suite with one errored case. A policy's coverage goes in the
    `system-out` of its first file's suite (the schema allows none directly
    under `testsuites`, where strict readers reject it).
    """
    by_file: dict[str, list[tuple[CaseResult, float]]] = {}
    for r, seconds in zip(run.results, run.seconds, strict=True):
        by_file.setdefault(r.case.file, []).append((r, seconds))
    total = sum(run.seconds) + sum(run.file_seconds.values()) + sum(
        b.seconds for b in run.unusable)
    root = ET.Element("testsuites", name="policyc test",
                      tests=str(len(run.results) + len(run.unusable)),
                      failures=str(run.failed), errors=str(len(run.unusable)),
                      time=_seconds(total))
    coverage = {c.policy: coverage_lines(c) for c in run.coverage}
    for file, cases in by_file.items():  # a policy's coverage in its first file's suite
        _suite(root, file, cases, run.file_seconds.get(file, 0.0),
               coverage.pop(cases[0][0].policy, None))
    for broken in run.unusable:
        _broken_suite(root, broken)
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def _classname(file: str) -> str:
    stem = file.removesuffix(".yaml").removesuffix(".yml")
    return stem.replace("/", ".").replace("\\", ".")


def test_command(args: argparse.Namespace) -> int:
    """policyc test [PATH...] [--format text|json|junit] [-o FILE]."""
    files, problems = discover(args.paths or [Path(".")])
    if not files and not problems:
        problems = ["policyc test: no test files found (a test file is named "
                    "<policy>.test.yaml and sits beside its policy)"]
    if problems:
        raise Stop("".join(p + "\n" for p in problems))
    run = run_files(files)
    if run.unusable and args.format != "junit":
        raise Stop("".join(f"{b.error}\n" for b in run.unusable))
    lang = language(args)
    report = {"json": to_json, "junit": junit}.get(args.format, lambda r: text(r, lang))(run)
    # A test file that cannot be run is unusable input (2) even when the JUnit report,
    # written anyway so CI shows the good files, lists it as an error.
    status = 2 if run.unusable else 1 if run.failed else 0
    if args.output is None:
        sys.stdout.write(report)
    else:
        inputs = [("a test file", f) for f in files]
        inputs += [("a policy under test", Path(c.policy)) for c in run.coverage]
        refuse_inputs("test", {"-o": args.output}, inputs)
        write_output(args.output, report)
        print(say(lang, N_("{summary}; wrote {path}"), summary=summary(run, lang),
                  path=args.output))
    sys.stderr.write("".join(f"{b.error}\n" for b in run.unusable))
    return status


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `test` to the command line."""
    p = sub.add_parser("test", help="run policy test files (<policy>.test.yaml)")
    p.add_argument("paths", nargs="*", type=Path,
                   help="test files, policies (their <stem>.test.yaml) or folders (default: .)")
    p.add_argument("--format", choices=("text", "json", "junit"), default="text")
    p.add_argument("-o", "--output", type=Path, help="write the report to FILE")
    add_lang(p)
    p.set_defaults(run=test_command)
