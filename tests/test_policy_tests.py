"""`policyc test` through the CLI: the shipped test files pass, failures show a diff, formats.

The failing run is compared with tests/golden/policy-test/failing.txt; refresh
it with POLICYC_REGOLD=1 and review the diff.
"""

from __future__ import annotations

import json
import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml
from goldens import assert_golden

from policyc.cli import main
from policyc.commands.check import policy_files

ROOT = Path(__file__).resolve().parents[1]
POLICIES = ROOT / "policies"
GOLDEN = ROOT / "tests" / "golden" / "policy-test"

NOW = '"2026-11-23T10:00:00+08:00"'
# Two failing cases (a wrong agent; an engine record too many) and a passing one, run
# against tests/golden/policy-test/shopee.yaml, a frozen copy of the shipped policy.
FAILING = f"""\
policy: shopee.yaml
cases:
  - name: S5 fewest unread (expects the wrong agent)
    rule: S5
    state:
      at: {NOW}
      agents:
        - {{id: chrissy, status: online, unread: 3}}
        - {{id: elly, status: online, unread: 1}}
    event: {{buyer: b-1, source: product_page}}
    expect: {{outcome: assigned, agent: chrissy, reason: source_group, selection: fewest_unread}}
  - name: S7 staged then released (a record not expected)
    rule: S7
    events:
      - {{type: message, at: "2026-11-23T08:00:00+08:00", buyer: b-1, source: product_page}}
      - {{type: agent_status, at: "2026-11-23T09:00:00+08:00", agent: fanny, status: online}}
    expect_records:
      - {{kind: route, outcome: staged, reason: staged_nobody_online}}
  - name: S5 the only online member of the group
    rule: S5
    state: {{at: {NOW}, agents: [{{id: elly, status: online}}]}}
    event: {{buyer: b-1, source: product_page}}
    expect: {{agent: elly, selection: only_candidate}}
"""


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = main(["test", *args])
    out, err = capsys.readouterr()
    return status, out, err


@pytest.fixture
def shop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder with the Shopee policy (frozen for the golden) and the failing test file."""
    shutil.copy(GOLDEN / "shopee.yaml", tmp_path / "shopee.yaml")
    (tmp_path / "failing.test.yaml").write_text(FAILING, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


# -- the shipped test files ---------------------------------------------------------------

def test_shipped_test_files_pass(capsys: pytest.CaptureFixture[str],
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    status, out, err = run(capsys, "policies/")
    assert (status, err) == (0, "")
    assert re.search(r"^\d+ passed, 0 failed$", out, re.M)
    assert "FAIL" not in out
    for name in ("shopee", "youzan", "taobao"):
        assert f"PASS  policies/{name}.test.yaml:" in out


@pytest.mark.parametrize("name", ["shopee", "youzan", "taobao"])
def test_shipped_tests_reach_every_node_and_binding(
        name: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    status, out, _ = run(capsys, f"policies/{name}.yaml")  # a policy: its <stem>.test.yaml
    assert status == 0
    line = next(x for x in out.splitlines() if x.startswith(f"  policies/{name}.yaml:"))
    nodes, bindings = re.findall(r"(\d+)/(\d+)", line)
    assert nodes[0] == nodes[1] and bindings[0] == bindings[1], line
    assert "not reached" not in out


def test_every_shipped_policy_has_a_test_file_naming_rule_ids() -> None:
    policies, _ = policy_files([POLICIES])
    for policy in policies:
        tests = policy.with_name(policy.stem + ".test.yaml")
        assert tests.is_file(), f"{policy.name} has no {tests.name}"
        cases = yaml.safe_load(tests.read_text(encoding="utf-8"))["cases"]
        assert all(case.get("rule") for case in cases), f"{tests.name}: a case without `rule`"


def test_check_ignores_test_files(capsys: pytest.CaptureFixture[str],
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    policies, _ = policy_files([POLICIES])
    assert not [p for p in policies if p.name.endswith(".test.yaml")]
    assert main(["check", "policies/"]) == 0
    assert ".test.yaml" not in capsys.readouterr().out


# -- failures -----------------------------------------------------------------------------

def test_failing_case_shows_diff_and_trace_golden(shop: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(capsys)
    assert (status, err) == (1, "")
    assert_golden(GOLDEN / "failing.txt", out)
    assert "-agent: chrissy\n" in out and "+agent: elly\n" in out
    assert "trace (fails):" in out and "[shopee.yaml:" in out
    assert out.endswith("1 passed, 2 failed\n")


def test_coverage_lists_unreached_nodes_and_bindings(shop: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(capsys, "failing.test.yaml")
    coverage = out[out.index("coverage:"):]
    assert "  shopee.yaml: " in coverage and "bindings reached by 3 case(s)" in coverage
    assert "node not reached:    outcome:assigned:recent_contact at shopee.yaml:" in coverage
    assert "binding not reached: groups.aftersale at shopee.yaml:" in coverage
    assert "grouping_off" not in coverage  # grouping is on: that outcome cannot be reached
    assert "groups.presale at" not in coverage


def test_json_format(shop: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "--format", "json")
    doc = json.loads(out)
    assert status == 1
    assert doc["summary"] == {"passed": 1, "failed": 2}
    first = doc["cases"][0]
    assert (first["file"], first["line"], first["rules"], first["passed"]) == (
        "failing.test.yaml", 3, ["S5"], False)
    assert "-agent: chrissy" in first["diff"] and "+agent: elly" in first["diff"]
    assert first["expected"][1] == "agent: chrissy" and first["actual"][1] == "agent: elly"
    assert "process (fails):" in first["trace"]
    assert doc["cases"][2]["diff"] == [] and doc["cases"][2]["trace"] is None
    missed = doc["coverage"][0]["bindings"]["missed"]
    assert [b["id"] for b in missed] == ["groups.aftersale"]


def test_junit_format_is_well_formed(shop: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "--format", "junit", "-o", "reports/junit.xml")
    assert status == 1
    assert out == "1 passed, 2 failed; wrote reports/junit.xml\n"
    root = ET.parse(shop / "reports" / "junit.xml").getroot()
    assert (root.tag, root.get("tests"), root.get("failures")) == ("testsuites", "3", "2")
    suite = root.find("testsuite")
    assert suite is not None and suite.get("name") == "failing.test.yaml"
    cases = suite.findall("testcase")
    failure = cases[0].find("failure")
    assert failure is not None and "+agent: elly" in (failure.text or "")
    assert (failure.text or "").startswith("failing.test.yaml:3:5\n")  # the XSD has no line=
    assert cases[2].find("failure") is None


def test_junit_of_the_shipped_tests(capsys: pytest.CaptureFixture[str],
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    status, out, _ = run(capsys, "policies", "--format", "junit")
    root = ET.fromstring(out)
    assert status == 0 and root.get("failures") == "0"
    assert {s.get("name") for s in root.iter("testsuite")} == {
        "policies/cosmetics.test.yaml", "policies/shopee.test.yaml",
        "policies/shopee-zh.test.yaml", "policies/taobao.test.yaml",
        "policies/taobao-zh.test.yaml",
        "policies/youzan.test.yaml", "policies/workloads/sale-day-shop.test.yaml",
        "policies/workloads/shopee-elly.test.yaml"}


# -- unusable input: exit 2 with a located message, never a traceback ---------------------

CASE = f"""\
policy: shopee.yaml
cases:
  - name: a case
    state: {{at: {NOW}, agents: [{{id: elly, status: online}}]}}
    event: {{buyer: b-1, source: product_page}}
    expect: {{agent: elly}}
"""

BAD = [
    ("malformed YAML", CASE.replace("product_page}", "product_page"),
     "bad.test.yaml:6:11: YAML syntax error"),
    ("unknown policy", CASE.replace("policy: shopee.yaml", "policy: shopea.yaml"),
     "bad.test.yaml:1:9: unknown policy 'shopea.yaml'"),
    ("bad event", CASE.replace("source: product_page", "source: prodct_page"),
     "bad.test.yaml:5:33: event/source: 'prodct_page' is not one of"),
    ("unknown agent in the state", CASE.replace("id: elly", "id: ely"),
     "bad.test.yaml:4:60: state/agents/0/id: unknown agent 'ely'"),
    ("unknown expect key", CASE.replace("{agent: elly}", "{agnt: elly}"),
     "bad.test.yaml:6:14: cases/0/expect/agnt: unknown key `agnt` in an expectation; "
     "did you mean `agent`?"),
    ("unknown case key", CASE.replace("    expect:", "    expected:"),
     "bad.test.yaml:6:5: cases/0/expected: unknown key `expected` in a case; "
     "did you mean `expect`?"),
    ("no cases", "policy: shopee.yaml\ncases: []\n",
     "bad.test.yaml:2:8: `cases:` is a non-empty list"),
    ("event and events", CASE.replace("    expect:", "    events: []\n    expect:"),
     "bad.test.yaml:3:5: a case has exactly one of `event:`"),
    ("events out of order", CASE.replace(
        "    event: {buyer: b-1, source: product_page}",
        "    events:\n"
        "      - {type: tick, at: \"2026-11-23T10:00:00+08:00\"}\n"
        "      - {type: tick, at: \"2026-11-23T09:00:00+08:00\"}"),
     "bad.test.yaml:7:26: events/1/at: 2026-11-23T09:00:00+08:00 is earlier"),
    ("unquoted number as buyer", CASE.replace("buyer: b-1", "buyer: 18767120425"),
     "bad.test.yaml:5:20: event/buyer: expected a non-empty string, found 18767120425 "
     "(a number to YAML; write it in quotes)"),
    # issue 8: a misspelt state key was ignored and the case passed
    ("misspelt state key", CASE.replace("agents:", "agnets:"),
     "bad.test.yaml:4:46: state/agnets: unknown key `agnets` in a state snapshot; "
     "did you mean `agents`?"),
    ("misspelt event key", CASE.replace("source: product_page", "source: product_page, "
                                                                "buyer_tag: vip"),
     "bad.test.yaml:5:47: event/buyer_tag: unknown key `buyer_tag` in `message` event; "
     "did you mean `buyer_tags`?"),
    ("misspelt expected outcome", CASE.replace("{agent: elly}", "{outcome: asigned}"),
     "bad.test.yaml:6:23: cases/0/expect/outcome: 'asigned' is not one of"),
    ("two cases with one name", CASE + CASE.split("cases:\n")[1],
     "bad.test.yaml:7:5: a second case named 'a case'"),
]


@pytest.mark.parametrize(("text", "message"), [(t, m) for _, t, m in BAD],
                         ids=[name for name, _, _ in BAD])
def test_bad_input_exits_2_with_a_located_message(
        shop: Path, capsys: pytest.CaptureFixture[str], text: str, message: str) -> None:
    (shop / "bad.test.yaml").write_text(text, encoding="utf-8")
    status, out, err = run(capsys, "bad.test.yaml")
    assert (status, out) == (2, "")
    assert err.startswith(message), err
    assert "Traceback" not in err


def test_policy_with_no_test_file_and_missing_paths(shop: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = run(capsys, "shopee.yaml", "nowhere/")
    assert status == 2
    assert err.splitlines() == ["shopee.yaml: no test file shopee.test.yaml beside it",
                                "nowhere: no such test file, policy or folder"]


def test_default_policy_is_the_stem_beside_the_test_file(
        shop: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (shop / "shopee.test.yaml").write_text(CASE.replace("policy: shopee.yaml\n", ""),
                                           encoding="utf-8")
    status, out, _ = run(capsys, "shopee.yaml")
    assert status == 0 and out.endswith("1 passed, 0 failed\n")
    (shop / "orphan.test.yaml").write_text(CASE.replace("policy: shopee.yaml\n", ""),
                                           encoding="utf-8")
    status, _, err = run(capsys, "orphan.test.yaml")
    assert status == 2 and err.startswith("orphan.test.yaml:1:1: no policy orphan.yaml")


# -- pre-commit hooks -----------------------------------------------------------------------

def test_pre_commit_hooks_name_check_and_fmt() -> None:
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    by_id = {hook["id"]: hook for hook in hooks}
    assert by_id["policyc-check"]["entry"] == "policyc check --only-policies"
    assert by_id["policyc-fmt"]["entry"] == "policyc fmt --check --only-policies"
    for hook in by_id.values():
        assert hook["language"] == "python"
        assert re.search(hook["files"], "policies/shopee.yaml")
        assert re.search(hook["files"], "policies/shopee.yml")
        assert re.search(hook["exclude"], "policies/shopee.test.yaml")
        assert not re.search(hook["files"], "README.md")


def test_expect_and_expect_records_are_both_checked(
        shop: Path, capsys: pytest.CaptureFixture[str]) -> None:
    both = FAILING.split("  - name: S5 the only")[0].replace(
        "      - {kind: route, outcome: staged, reason: staged_nobody_online}",
        "      - {kind: route, outcome: staged}\n"
        "      - {kind: release, agent: fanny}\n"
        "    expect: {agent: gavin}")
    (shop / "both.test.yaml").write_text(both, encoding="utf-8")
    _, out, _ = run(capsys, "both.test.yaml")
    assert "FAIL  both.test.yaml:12  S7" in out
    assert "-agent: gavin\n" in out and "+agent: fanny\n" in out
    assert "-[1]" not in out  # the records matched


def test_the_readme_example_runs(shop: Path, capsys: pytest.CaptureFixture[str]) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("### `policyc test"):]
    example = section[section.index("```yaml\n") + 8:section.index("```\n", 8)]
    (shop / "shopee.test.yaml").write_text(example, encoding="utf-8")
    status, out, _ = run(capsys, "shopee.test.yaml")
    assert status == 0 and out.endswith("2 passed, 0 failed\n")


def test_a_policy_with_errors_is_unusable_input(shop: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copy(ROOT / "tests" / "broken" / "E207_agent_in_two_groups.yaml", shop / "e207.yaml")
    (shop / "e207.test.yaml").write_text(CASE.replace("shopee.yaml", "e207.yaml"),
                                         encoding="utf-8")
    status, out, err = run(capsys, "e207.test.yaml")
    assert (status, out) == (2, "")
    assert err.startswith("e207.test.yaml:1:9: policy e207.yaml has errors; run `policyc check`")


def test_a_pool_run_record_is_matched_on_its_counts(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """T8: `expect_records` may name a `pool_run`'s counts; a wrong one shows in the diff."""
    shutil.copy(POLICIES / "taobao.yaml", tmp_path / "taobao.yaml")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "taobao.test.yaml").write_text(
        "cases:\n"
        "  - name: T5 T8 one agent online, the run fails\n"
        "    events:\n"
        "      - {type: message, at: '2026-11-23T08:00:00+08:00', buyer: p-1,\n"
        "         source: product_page, wants_human: true}\n"
        "      - {type: agent_status, at: '2026-11-23T08:55:00+08:00', agent: a-chen,\n"
        "         status: online}\n"
        "      - {type: tick, at: '2026-11-23T09:00:00+08:00'}\n"
        "    expect_records:\n"
        "      - {kind: route, reason: offline_pool}\n"
        "      - {kind: pool_run, online: 1, distributed: 1, failed: 0}\n", encoding="utf-8")
    status, out, _ = run(capsys, "taobao.test.yaml")
    assert status == 1
    assert "-[1] kind: pool_run, online: 1, distributed: 1, failed: 0\n" in out
    assert "+[1] kind: pool_run, online: 1, distributed: 0, failed: 1\n" in out
