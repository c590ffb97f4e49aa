"""`policyc check --format sarif` as GitHub code scanning ingests it.

The checks are those of the SARIF multitool's GitHub rule set (GH1001..GH1007,
GH1011..GH1018, GH2012) and the spec rules it runs beside them (SARIF1002 URI
references, SARIF1005 absolute help URIs, SARIF1007 region order, SARIF1010
rule ids), written as assertions so they run without .NET. When the multitool
itself is installed (`npm install @microsoft/sarif-multitool-linux`, see
`.ci/run`), the last test runs it too.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest

from policyc.cli import main
from policyc.dsl.diagnostic import CODES, EXPLANATIONS

REPO = Path(__file__).resolve().parents[1]
BROKEN = REPO / "tests" / "broken"
README = REPO / "README.md"
LEVELS = {"none", "note", "warning", "error"}
# Results with no URI scheme are URI references (RFC 3986): no spaces, no raw non-ASCII.
URI_REFERENCE = re.compile(r"[A-Za-z0-9\-._~/%!$&'()*+,;=:@]+")
PASCAL = re.compile(r"(?:[A-Z][a-z0-9]+)+")


def sarif(capsys: pytest.CaptureFixture[str], *paths: str) -> dict[str, Any]:
    main(["check", "--format", "sarif", *paths])
    doc: dict[str, Any] = json.loads(capsys.readouterr().out)
    return doc


def github_anchors(markdown: str) -> set[str]:
    """The anchors GitHub gives a Markdown file's headings (lower case, punctuation dropped)."""
    anchors = set()
    for heading in re.findall(r"^#{1,6} +(.+?) *$", markdown, re.MULTILINE):
        slug = re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
        anchors.add(slug)
    return anchors


@pytest.fixture
def odd_paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Broken policies under names with a space, CJK characters and a percent sign."""
    folder = tmp_path / "dir with space" / "策略"
    folder.mkdir(parents=True)
    names = ["坏 政策.yaml", "100% wrong.yaml", "plain.yaml"]
    for name in names:
        (folder / name).write_bytes((BROKEN / "E121_unknown_key.yaml").read_bytes())
    monkeypatch.chdir(tmp_path)
    return [f"dir with space/策略/{name}" for name in names]


def test_every_code_is_explained_as_data() -> None:
    assert list(EXPLANATIONS) == list(CODES)
    for code, text in EXPLANATIONS.items():
        assert text.endswith(".") and len(text) > len(CODES[code][1]), code


def test_rules_carry_descriptions_help_and_a_readme_anchor(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    driver = sarif(capsys, "policies")["runs"][0]["tool"]["driver"]
    assert driver["name"] == "policyc" and driver["version"]
    rules = driver["rules"]
    assert [r["id"] for r in rules] == list(CODES)
    assert len(rules) <= 1000  # GH1004
    anchors = github_anchors(README.read_text(encoding="utf-8"))
    for rule in rules:
        assert rule["shortDescription"]["text"] == CODES[rule["id"]][1]  # GH2012
        assert rule["fullDescription"]["text"] == EXPLANATIONS[rule["id"]]
        assert rule["help"]["text"].strip() and rule["help"]["markdown"].strip()
        assert PASCAL.fullmatch(rule["name"]), rule["name"]  # SARIF2012
        assert rule["defaultConfiguration"]["level"] in LEVELS
        uri = urlsplit(rule["helpUri"])
        assert uri.scheme == "https" and uri.netloc  # SARIF1005: absolute
        assert uri.fragment in anchors, f"README.md has no heading #{uri.fragment}"
        assert rule["helpUri"] in rule["help"]["markdown"]


def _check_result(result: dict[str, Any], rules: list[dict[str, Any]],
                  bases: dict[str, Any]) -> str:
    """Assert the GitHub ingestion rules on one result; return its file path, decoded."""
    assert rules[result["ruleIndex"]]["id"] == result["ruleId"]  # SARIF1010
    assert result["level"] in LEVELS
    assert result["message"]["text"].strip()  # GH1007, Base1015
    assert result["partialFingerprints"]  # GH1015
    (location,) = result["locations"]  # GH1001: one location, with a URI
    physical = location["physicalLocation"]
    artifact = physical["artifactLocation"]
    uri = artifact["uri"]
    region = physical["region"]
    assert region["startLine"] >= 1 and region.get("startColumn", 1) >= 1  # GH1003
    if "endLine" in region:  # SARIF1007
        assert (region["endLine"], region["endColumn"]) > (region["startLine"],
                                                           region["startColumn"])
    if uri.startswith("file:"):  # GH1005: absolute only as a file URI
        assert "uriBaseId" not in artifact
        assert URI_REFERENCE.fullmatch(uri[5:]), uri
        return unquote(urlsplit(uri).path)
    assert URI_REFERENCE.fullmatch(uri), uri  # SARIF1002: percent-encoded
    assert not uri.startswith("/") and ".." not in uri.split("/")
    assert urlsplit(uri).scheme == ""
    assert artifact["uriBaseId"] in bases  # SARIF1004
    return unquote(uri)


@pytest.mark.parametrize("paths", [
    sorted(str(p.relative_to(REPO)) for p in BROKEN.glob("*.yaml")),
    ["tests/broken/no_such_policy.yaml"],
], ids=["every-broken-policy", "missing-file"])
def test_results_follow_github_ingestion_rules(capsys: pytest.CaptureFixture[str],
                                               monkeypatch: pytest.MonkeyPatch,
                                               paths: list[str]) -> None:
    monkeypatch.chdir(REPO)
    doc = sarif(capsys, *paths)
    assert doc["$schema"].endswith("sarif-2.1.0.json")  # GH1011
    (run,) = doc["runs"]
    rules, bases = run["tool"]["driver"]["rules"], run["originalUriBaseIds"]
    assert all("uri" not in base for base in bases.values())  # no absolute path of the runner
    files = {_check_result(r, rules, bases) for r in run["results"]}
    assert files <= set(paths) and run["results"]


def test_paths_with_spaces_and_cjk_are_percent_encoded(capsys: pytest.CaptureFixture[str],
                                                       odd_paths: list[str]) -> None:
    run = sarif(capsys, *odd_paths)["runs"][0]
    rules, bases = run["tool"]["driver"]["rules"], run["originalUriBaseIds"]
    decoded = [_check_result(r, rules, bases) for r in run["results"]]
    assert decoded == odd_paths
    uris = [r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            for r in run["results"]]
    assert uris[0] == "dir%20with%20space/%E7%AD%96%E7%95%A5/%E5%9D%8F%20%E6%94%BF%E7%AD%96.yaml"
    assert uris[1].endswith("/100%25%20wrong.yaml")


def test_a_file_outside_the_working_directory_is_a_file_uri(
        capsys: pytest.CaptureFixture[str], odd_paths: list[str], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    run = sarif(capsys, f"../{odd_paths[0]}", str(tmp_path / odd_paths[1]))["runs"][0]
    rules, bases = run["tool"]["driver"]["rules"], run["originalUriBaseIds"]
    decoded = [_check_result(r, rules, bases) for r in run["results"]]
    assert decoded == [str(tmp_path / p) for p in odd_paths[:2]]


def test_the_same_finding_keeps_its_fingerprint_when_lines_move(
        capsys: pytest.CaptureFixture[str], odd_paths: list[str]) -> None:
    def fingerprint() -> tuple[int, str]:
        result = sarif(capsys, odd_paths[2])["runs"][0]["results"][0]
        line = result["locations"][0]["physicalLocation"]["region"]["startLine"]
        return line, result["partialFingerprints"]["policycFinding/v1"]
    before = fingerprint()
    policy = Path(odd_paths[2])
    policy.write_text("# a comment that moves every line\n" + policy.read_text("utf-8"), "utf-8")
    after = fingerprint()
    assert after[0] == before[0] + 1 and after[1] == before[1]


def _multitool() -> str | None:
    found = os.environ.get("SARIF_MULTITOOL") or shutil.which("Sarif.Multitool")
    local = REPO / ".ci" / "node_modules" / "@microsoft" / "sarif-multitool-linux" / \
        "Sarif.Multitool"
    return found or (str(local) if local.exists() else None)


def test_the_sarif_multitool_finds_no_error_or_warning(capsys: pytest.CaptureFixture[str],
                                                       odd_paths: list[str],
                                                       tmp_path: Path) -> None:
    tool = _multitool()
    if tool is None:
        if os.environ.get("CI"):  # .ci/run installs it; there a missing tool is a failure
            pytest.fail("SARIF multitool not installed (.ci/run installs it)")
        pytest.skip("SARIF multitool not installed (npm install @microsoft/sarif-multitool-linux)")
    log = tmp_path / "policyc.sarif"
    main(["check", "--format", "sarif", *odd_paths, str(BROKEN)])
    log.write_text(capsys.readouterr().out, encoding="utf-8")
    out = tmp_path / "validation.sarif"
    subprocess.run([tool, "validate", "--rule-kind", "Ghas;Sarif", "--level", "Error;Warning",
                    "--log", "ForceOverwrite", "-o", str(out), str(log)],
                   check=True, capture_output=True, timeout=120)
    found = json.loads(out.read_text(encoding="utf-8"))["runs"][0]["results"]
    assert [(r["ruleId"], r["message"]) for r in found] == []
