"""`policyc test`: run the policy test files beside the policies; text, JSON or JUnit XML."""

from __future__ import annotations

import argparse
import json
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from ..policy_test_file import discover
from ..policy_tests import CaseResult, Coverage, Run, run_files
from ..runtime.catalog import N_, say
from .output import Stop, add_lang, language, write_output


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
                         node=node + (f" ({label})" if label else ""), span=span)
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


def junit(run: Run) -> str:
    """JUnit XML: a testsuite per test file, a testcase per case, a failure with the diff."""
    root = ET.Element("testsuites", name="policyc test", tests=str(len(run.results)),
                      failures=str(run.failed), errors="0")
    suites: dict[str, ET.Element] = {}
    for r in run.results:
        suite = suites.get(r.case.file)
        if suite is None:
            suite = suites[r.case.file] = ET.SubElement(root, "testsuite", name=r.case.file)
            props = ET.SubElement(suite, "properties")
            ET.SubElement(props, "property", name="policy", value=r.policy)
        case = ET.SubElement(suite, "testcase", name=r.case.name,
                             classname=_classname(r.case.file), file=r.case.file,
                             line=str(r.case.span.line))
        if not r.passed:
            failure = ET.SubElement(case, "failure", message="expected and actual differ",
                                    type="PolicyTestFailure")
            failure.text = failure_text(r)
    for name, suite in suites.items():
        mine = [r for r in run.results if r.case.file == name]
        suite.set("tests", str(len(mine)))
        suite.set("failures", str(sum(not r.passed for r in mine)))
        suite.set("errors", "0")
    out = ET.SubElement(root, "system-out")
    out.text = "\n".join(line for c in run.coverage for line in coverage_lines(c))
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
    run, problems = run_files(files)
    if run is None:
        raise Stop("".join(p + "\n" for p in problems))
    lang = language(args)
    report = {"json": to_json, "junit": junit}.get(args.format, lambda r: text(r, lang))(run)
    status = 1 if run.failed else 0
    if args.output is None:
        sys.stdout.write(report)
        return status
    write_output(args.output, report)
    print(say(lang, N_("{summary}; wrote {path}"), summary=summary(run, lang), path=args.output))
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
