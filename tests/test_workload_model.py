"""Workload model files: one broken model per code, located diagnostics, exit 2 (golden files).

Each `tests/workload/<CODE>_<what>.yaml` starts with `# expect: <CODE> <line>:<col>`
and sits next to `<same name>.expected`, the exact message `policyc simulate
--workload` prints (source line, caret, hint). Refresh with POLICYC_REGOLD=1 and
review the diff. The README's workload code table is kept equal to
dsl/diagnostic.py `WORKLOAD_CODES`.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from goldens import assert_golden

from policyc.cli import main
from policyc.dsl.diagnostic import WORKLOAD_CODES

REPO = Path(__file__).resolve().parents[1]
CASES = sorted((REPO / "tests" / "workload").glob("*.yaml"))
SHOPEE = str(REPO / "policies" / "shopee.yaml")
_EXPECT = re.compile(r"^# expect: ([EWI]\d{3}) (\d+):(\d+)$", re.MULTILINE)


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_broken_model_is_located(case: Path, capsys: pytest.CaptureFixture[str],
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    found = _EXPECT.search(case.read_text(encoding="utf-8"))
    assert found, f"{case.name} lacks an `# expect: CODE line:col` header"
    code, line, col = found[1], found[2], found[3]
    monkeypatch.chdir(REPO)
    status = main(["simulate", SHOPEE, "--workload", str(case.relative_to(REPO))])
    out, err = capsys.readouterr()
    assert status == 2 and out == ""
    assert "Traceback" not in err
    first = err.splitlines()[0]
    assert first.startswith(f"tests/workload/{case.name}:{line}:{col}: error[{code}]"), first
    assert_golden(case.with_suffix(".expected"), err)


def test_every_workload_code_has_a_case() -> None:
    covered = {_EXPECT.search(c.read_text(encoding="utf-8"))[1] for c in CASES}  # type: ignore[index]
    assert set(WORKLOAD_CODES) <= covered


def test_readme_lists_the_workload_codes() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = re.search(r"^## Workload models\n(.*?)(?=^## |\Z)", readme, re.M | re.S)
    assert section, "README has no `## Workload models` section"
    rows = re.findall(r"^\| (E5\d\d) \| (\w+) \|", section[1], re.M)
    assert sorted(code for code, _ in rows) == sorted(WORKLOAD_CODES)
    for code, severity in rows:
        assert severity == WORKLOAD_CODES[code][0].value


@pytest.mark.parametrize("text, message", [
    ("", "the file is empty"),
    ("[1, 2]", "a workload model is a YAML mapping"),
    ("workload: 1\nstart: [\n", "YAML syntax error"),
])
def test_unusable_files_stop_with_exit_2(text: str, message: str, tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    model = tmp_path / "model.yaml"
    model.write_text(text, encoding="utf-8")
    assert main(["simulate", SHOPEE, "--workload", str(model)]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_a_missing_model_or_a_directory_is_unusable(tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["simulate", SHOPEE, "--workload", str(tmp_path / "none.yaml")]) == 2
    assert "no such file" in capsys.readouterr().err
    assert main(["simulate", SHOPEE, "--workload", str(tmp_path)]) == 2
    assert "not a regular file" in capsys.readouterr().err


def test_published_json_schema_is_the_generated_one() -> None:
    from policyc.workload.jsonschema import dumps

    published = REPO / "schemas" / "workload.schema.json"
    assert published.read_text(encoding="utf-8") == dumps(), (
        "regenerate: python -m policyc.workload.jsonschema > schemas/workload.schema.json")


def test_shipped_models_meet_the_json_schema_and_a_misspelt_key_does_not() -> None:
    import json

    import jsonschema
    import yaml

    schema = json.loads((REPO / "schemas" / "workload.schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    models = [p for p in sorted((REPO / "policies" / "workloads").glob("*.yaml"))
              if "workload" in yaml.safe_load(p.read_text(encoding="utf-8"))]
    assert len(models) >= 2
    for path in models:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert list(validator.iter_errors(doc)) == [], path.name
        doc["handling"]["frist_read"] = "30s"
        assert not validator.is_valid(doc)


@pytest.mark.parametrize("lang", ["en", "zh-Hans", "zh-Hant"])
def test_broken_models_in_every_language(lang: str, capsys: pytest.CaptureFixture[str],
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """A planner reads these too: every broken model's finding in the three languages
    (tests/golden/lang/workload-errors-*.txt), the codes and places the same in each."""
    monkeypatch.chdir(REPO)
    said = []
    for case in CASES:
        assert main(["simulate", SHOPEE, "--workload", str(case.relative_to(REPO)),
                     "--lang", lang]) == 2
        said.append(capsys.readouterr().err)
    heads = [text.split(": ", 2)[:2] for text in said]
    assert [h[0] for h in heads] == [f"tests/workload/{c.name}:{m[2]}:{m[3]}" for c, m in
                                     ((c, _EXPECT.search(c.read_text(encoding="utf-8")))
                                      for c in CASES) if m]
    assert_golden(REPO / "tests" / "golden" / "lang" / f"workload-errors-{lang}.txt",
                  "".join(said))
