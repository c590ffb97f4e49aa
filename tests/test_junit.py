"""`policyc test --format junit` as CI readers take it: valid against the common JUnit XSD.

tests/junit/junit-10.xsd states the Jenkins/Ant report shape (see its header);
every report here is validated against it with xmlschema.
"""

from __future__ import annotations

import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import xmlschema

from policyc.cli import main

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = xmlschema.XMLSchema10(ROOT / "tests" / "junit" / "junit-10.xsd")
GOLDEN_POLICY = ROOT / "tests" / "golden" / "policy-test" / "shopee.yaml"

NOW = '"2026-11-23T10:00:00+08:00"'


def case(name: str, agent: str = "elly") -> str:
    return f"""\
  - name: {name}
    state: {{at: {NOW}, agents: [{{id: elly, status: online}}]}}
    event: {{buyer: b-1, source: product_page}}
    expect: {{agent: {agent}}}
"""


@pytest.fixture
def shop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder with a frozen Shopee policy and a good test file (one pass, one failure)."""
    shutil.copy(GOLDEN_POLICY, tmp_path / "shopee.yaml")
    (tmp_path / "a-good.test.yaml").write_text(
        "policy: shopee.yaml\ncases:\n" + case("S5 only online member") +
        case("S5 expects the wrong agent", agent="chrissy"), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def junit(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, ET.Element, str]:
    """Run `policyc test --format junit`, validate the report, return status, root, stderr."""
    status = main(["test", "--format", "junit", *args])
    out, err = capsys.readouterr()
    SCHEMA.validate(out)  # raises with the offending element and rule
    return status, ET.fromstring(out), err


def junit_file(capsys: pytest.CaptureFixture[str], report: Path) -> tuple[int, ET.Element, str]:
    """The same with `-o REPORT`: the report is the file, standard output a summary line."""
    status = main(["test", "--format", "junit", "-o", str(report)])
    out, err = capsys.readouterr()
    assert out.endswith(f"; wrote {report}\n")
    written = report.read_text(encoding="utf-8")
    SCHEMA.validate(written)
    return status, ET.fromstring(written), err


def test_shipped_tests_report_validates_with_measured_times(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    status, root, _ = junit(capsys, "policies")
    assert status == 0 and root.get("failures") == "0" and root.get("errors") == "0"
    suites = root.findall("testsuite")
    assert len(suites) == 3
    for suite in suites:
        cases = [float(c.get("time", "")) for c in suite.iter("testcase")]
        assert cases and all(t > 0 for t in cases)
        # Each time is written to the microsecond, so a sum of rounded parts may pass the
        # rounded whole by half a microsecond per part.
        assert float(suite.get("time", "")) >= sum(cases) - 1e-6 * len(cases)
    parts = [float(s.get("time", "")) for s in suites]
    assert float(root.get("time", "")) >= sum(parts) - 1e-6 * len(parts)
    assert root.find("system-out") is None  # strict readers reject it under testsuites
    outputs = [s.findtext("system-out") or "" for s in suites]
    assert all(text.startswith("coverage:\n") for text in outputs)


def test_a_failure_carries_its_location_and_diff(shop: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    status, root, _ = junit(capsys)
    assert status == 1 and (root.get("tests"), root.get("failures")) == ("2", "1")
    passed, failed = root.iter("testcase")
    assert passed.find("failure") is None
    failure = failed.find("failure")
    assert failure is not None and failure.get("type") == "PolicyTestFailure"
    text = failure.text or ""
    assert text.startswith("a-good.test.yaml:7:5\n") and "+agent: elly" in text


@pytest.mark.parametrize(("content", "located"), [
    (b"policy: shopee.yaml\ncases: [\n", "b-broken.test.yaml:3:1: "),  # not YAML
    (b"policy: shopee.yaml\ncases:\n  - name: caf\xe9\n", "b-broken.test.yaml:"),  # not UTF-8
    (b"policy: shopea.yaml\ncases:\n" + case("x").encode(),
     "b-broken.test.yaml:1:9: unknown policy 'shopea.yaml'"),
], ids=["malformed-yaml", "unreadable-bytes", "unknown-policy"])
def test_one_broken_test_file_still_reports_the_good_ones(
        shop: Path, capsys: pytest.CaptureFixture[str], content: bytes, located: str) -> None:
    (shop / "b-broken.test.yaml").write_bytes(content)
    status, root, err = junit_file(capsys, Path("reports", "junit.xml"))
    assert status == 2  # a test file that cannot run is unusable input
    assert err.startswith(located) and "Traceback" not in err
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("3", "1", "1")
    good, broken = root.findall("testsuite")
    assert good.get("name") == "a-good.test.yaml" and len(good.findall("testcase")) == 2
    assert (broken.get("name"), broken.get("errors"), broken.get("tests")) == (
        "b-broken.test.yaml", "1", "1")
    error = broken.find("testcase/error")
    assert error is not None and (error.text or "").startswith(located)


def test_control_characters_in_a_case_name_give_well_formed_xml(
        shop: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (shop / "a-good.test.yaml").write_text(
        'policy: shopee.yaml\ncases:\n' + case('"bell \\a, escape \\e, nul \\0 and \\x01"'),
        encoding="utf-8")
    status, root, _ = junit(capsys)
    assert status == 0
    (testcase,) = root.iter("testcase")
    assert testcase.get("name") == "bell \\u0007, escape \\u001b, nul \\u0000 and \\u0001"


def test_text_and_json_still_stop_on_a_broken_file(shop: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    (shop / "b-broken.test.yaml").write_text("policy: shopee.yaml\ncases: [\n", "utf-8")
    for fmt in ("text", "json"):
        status = main(["test", "--format", fmt])
        out, err = capsys.readouterr()
        assert (status, out) == (2, "") and err.startswith("b-broken.test.yaml:3:1: ")
