"""`policyc check` as merchants and CI use it: exit codes, output formats and --strict."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import jsonschema
import jsonschema.validators
import pytest

from policyc.cli import main

REPO = Path(__file__).resolve().parents[1]
BROKEN = REPO / "tests" / "broken"
# The repository is cloned with the shared specs beside it.
SHARED = Path(__file__).resolve().parents[2] / "shared"
SARIF_SCHEMA = SHARED / "schemas" / "sarif-schema-2.1.0.json"

ERROR = "tests/broken/E207_agent_in_two_groups.yaml"
WARNING = "tests/broken/W305_uncovered_source.yaml"
NOTE = "tests/broken/I402_main_last_resort.yaml"


@pytest.fixture(autouse=True)
def _in_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)


def check(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = main(["check", *args])
    out, err = capsys.readouterr()
    return status, out, err


def test_shipped_policies_check_clean(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = check(capsys, "policies")
    assert status == 0
    assert "0 error(s)" in out


@pytest.mark.parametrize(("path", "plain", "strict"), [
    (ERROR, 1, 1),
    (WARNING, 0, 1),
    (NOTE, 0, 0),  # --strict promotes warnings, never notes
])
def test_exit_codes_and_strict(capsys: pytest.CaptureFixture[str], path: str, plain: int,
                               strict: int) -> None:
    assert check(capsys, path)[0] == plain
    assert check(capsys, "--strict", path)[0] == strict


def test_missing_file_is_unusable_input(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = check(capsys, "tests/broken/no_such_policy.yaml")
    assert status == 2
    assert "tests/broken/no_such_policy.yaml:1:1: error[E100]: no such file" in out
    assert err == ""


def test_folder_without_policies(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    status, _, err = check(capsys, str(tmp_path))
    assert status == 2
    assert "no policy files found" in err


def test_bad_flag_is_one_line_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = check(capsys, "--format", "xml", ERROR)
    assert status == 2
    assert "Traceback" not in err
    assert "invalid choice" in err


def test_json_format(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = check(capsys, "--format", "json", ERROR, WARNING)
    assert status == 1
    found = json.loads(out)["diagnostics"]
    assert [(d["code"], d["file"], d["line"], d["col"]) for d in found] == [
        ("E207", ERROR, 16, 15), ("W305", WARNING, 7, 27)]
    assert found[0]["severity"] == "error"
    assert found[0]["hint"].startswith("S2:")


def _sarif_schema() -> dict[str, object]:
    if not SARIF_SCHEMA.exists():
        # CI always has ../shared beside the clone; there a missing schema is a failure.
        if os.environ.get("CI"):
            pytest.fail(f"shared SARIF schema not found at {SARIF_SCHEMA}")
        pytest.skip(f"shared SARIF schema not found at {SARIF_SCHEMA}")
    schema: dict[str, object] = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    return schema


@pytest.mark.parametrize("paths", [
    sorted(str(p.relative_to(REPO)) for p in BROKEN.glob("*.yaml")),
    ["policies"],
    ["tests/broken/no_such_policy.yaml"],
], ids=["every-broken-policy", "clean", "missing-file"])
def test_sarif_validates_against_the_schema(capsys: pytest.CaptureFixture[str],
                                            paths: list[str]) -> None:
    schema = _sarif_schema()
    _, out, _ = check(capsys, "--format", "sarif", *paths)
    doc = json.loads(out)
    validator = jsonschema.validators.validator_for(schema)(schema)
    errors = sorted(validator.iter_errors(doc), key=str)
    assert not errors, errors[0].message
    run = doc["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]


def test_sarif_locates_results(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = check(capsys, "--format", "sarif", ERROR)
    (result,) = json.loads(out)["runs"][0]["results"]
    assert result["ruleId"] == "E207"
    assert result["level"] == "error"
    location = result["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == ERROR
    assert (location["region"]["startLine"], location["region"]["startColumn"]) == (16, 15)


def test_github_annotations(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = check(capsys, "--format", "github", ERROR, WARNING, NOTE)
    assert status == 1
    lines = out.splitlines()
    assert lines[0].startswith(f"::error file={ERROR},line=16,col=15,title=E207 ")
    assert lines[0].split("::")[2].startswith("agent `ann` is in group `presale` and `aftersale`")
    assert any(line.startswith(f"::notice file={NOTE},line=5,col=3,") for line in lines)
    assert any(line.startswith(f"::warning file={WARNING},line=7,col=27,") for line in lines)


def test_github_escapes_newlines_and_commas(capsys: pytest.CaptureFixture[str],
                                            tmp_path: Path) -> None:
    odd = tmp_path / "a,b:c.yaml"
    odd.write_text("policyc: 1\nshop: [\n", encoding="utf-8")
    _, out, _ = check(capsys, "--format", "github", str(odd))
    (line,) = out.splitlines()
    assert "a%2Cb%3Ac.yaml" in line


def test_console_script_runs_without_traceback(tmp_path: Path) -> None:
    """The installed `policyc` script (not only main()) handles hostile input."""
    script = Path(sys.executable).with_name("policyc")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "policyc"]
    garbage = tmp_path / "garbage.yaml"
    garbage.write_bytes(b"policyc: 1\n\xff\xfe\x00junk")
    env = dict(os.environ, PYTHONIOENCODING="utf-8")
    done = subprocess.run([*command, "check", str(garbage), ERROR], capture_output=True,
                          text=True, cwd=REPO, env=env, timeout=60, check=False)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert "error[E104]" in done.stdout
    assert "error[E207]" in done.stdout


def test_compile_writes_the_same_bytes_twice(capsys: pytest.CaptureFixture[str],
                                             tmp_path: Path) -> None:
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    assert main(["compile", "policies/shopee.yaml", "-o", str(first)]) == 0
    assert main(["compile", "policies/shopee.yaml", "-o", str(second)]) == 0
    assert first.read_bytes() == second.read_bytes()
    assert json.loads(first.read_text(encoding="utf-8"))["format"] == "policyc.artifact"
    assert "wrote " in capsys.readouterr().out


@pytest.mark.parametrize(("path", "status"), [
    (ERROR, 1), ("tests/broken/no_such_policy.yaml", 2)])
def test_compile_refuses_a_broken_policy(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                         path: str, status: int) -> None:
    out = tmp_path / "artifact.json"
    assert main(["compile", path, "-o", str(out)]) == status
    assert not out.exists()
    assert "error[E" in capsys.readouterr().out
