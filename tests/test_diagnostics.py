"""Golden files for diagnostics: one broken policy per code, and hostile files made on the fly.

Each `tests/broken/<CODE>_<what>.yaml` starts with `# expect: <CODE> <line>:<col>`
and sits next to `<same name>.expected`, the exact `policyc check` text output
(source line and caret included). Hostile inputs that cannot live in the repo
(missing, 10 MB, alias bomb, invalid UTF-8, deep nesting...) are written into
tmp_path; their golden files are in `tests/broken/generated/`.

To refresh the golden files after an intended change of wording, run

    POLICYC_REGOLD=1 .venv/bin/pytest tests/test_diagnostics.py

and review the diff of tests/broken/ before committing it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from goldens import assert_golden

from policyc.cli import main
from policyc.dsl.diagnostic import CODES, Severity

REPO = Path(__file__).resolve().parents[1]
BROKEN = REPO / "tests" / "broken"
GENERATED = BROKEN / "generated"
_EXPECT = re.compile(r"^# expect: ([EWI]\d{3}) (\d+):(\d+)$", re.MULTILINE)


@dataclass(frozen=True)
class Expect:
    code: str
    line: int
    col: int

    @property
    def severity(self) -> Severity:
        return CODES[self.code][0]

    @property
    def status(self) -> int:
        if self.code == "E100":
            return 2
        return 1 if self.severity is Severity.ERROR else 0


def expectation(path: Path) -> Expect:
    found = _EXPECT.search(path.read_text(encoding="utf-8"))
    assert found, f"{path.name} lacks an `# expect: CODE line:col` header"
    return Expect(found[1], int(found[2]), int(found[3]))


def run_check(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = main(["check", *args])
    out, err = capsys.readouterr()
    return status, out, err


def assert_reported(out: str, file: str, expect: Expect) -> None:
    head = f"{file}:{expect.line}:{expect.col}: {expect.severity.value}[{expect.code}]: "
    assert head in out, f"expected `{head}` in:\n{out}"


# -- broken policies kept in the repository ------------------------------------------
CASES = sorted(BROKEN.glob("*.yaml"))


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_broken_policy(path: Path, capsys: pytest.CaptureFixture[str],
                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    expect = expectation(path)
    rel = str(path.relative_to(REPO))
    status, out, err = run_check(capsys, rel)
    assert err == ""
    assert_reported(out, rel, expect)
    assert status == expect.status
    assert_golden(path.with_suffix(".expected"), out)
    if expect.severity is not Severity.ERROR:
        strict, _, _ = run_check(capsys, "--strict", rel)
        assert strict == (1 if expect.severity is Severity.WARNING else 0)


# -- hostile files, written into tmp_path ----------------------------------------------
def _alias_bomb() -> bytes:
    lines = ["policyc: 1", 'a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 10)]
    return ("\n".join(lines) + "\n").encode()


_SHOP = "policyc: 1\nshop: {id: demo, timezone: Asia/Taipei}\n"
_MAIN = '  - {id: boss, role: main, created_at: "2024-01-01T09:00:00+08:00"}\n'

# name -> (file bytes or None for "do not create", expected finding)
HOSTILE: dict[str, tuple[Callable[[], bytes] | None, Expect]] = {
    "E100_missing_file": (None, Expect("E100", 1, 1)),
    "E102_ten_megabytes": (lambda: b"policyc: 1\n" + b"#" * (10 * 1024 * 1024) + b"\n",
                           Expect("E102", 1, 1)),
    "E103_billion_laughs": (_alias_bomb, Expect("E103", 6, 10)),
    "E104_latin1_byte": (lambda: b"policyc: 1\nshop:\n  id: d\xe9mo\n", Expect("E104", 3, 8)),
    "E104_binary_garbage": (lambda: b"policyc: 1\n" + bytes(range(256)) * 4,
                            Expect("E104", 2, 1)),
    "E105_deep_flow_lists": (lambda: b"policyc: 1\nx: " + b"[" * 200 + b"]" * 200 + b"\n",
                             Expect("E105", 2, 68)),
    # PyYAML's libyaml composer recursed once per level and crashed the interpreter here.
    "E105_million_brackets": (lambda: b"policyc: 1\nx: " + b"[" * 10**6 + b"]" * 10**6 + b"\n",
                              Expect("E105", 2, 68)),
    "E105_alias_of_deep_list": (
        lambda: (b"policyc: 1\na: &a " + b"[" * 40 + b"]" * 40
                 + b"\nb: " + b"[" * 40 + b"*a" + b"]" * 40 + b"\n"),
        Expect("E105", 3, 44)),
    "E101_undefined_alias": (lambda: b"policyc: 1\nshop: *nope\n", Expect("E101", 2, 7)),
    "E101_two_documents": (lambda: b"policyc: 1\n---\npolicyc: 1\n", Expect("E101", 2, 1)),
    "E105_deep_block_maps": (
        lambda: ("policyc: 1\n" + "".join(" " * i + f"k{i}:\n" for i in range(100))
                 + " " * 100 + "leaf\n").encode(),
        Expect("E105", 66, 65)),
    "E101_tab_indent": (lambda: b"policyc: 1\nshop:\n\tid: x\n", Expect("E101", 3, 1)),
    "E101_unclosed_quote": (lambda: b'policyc: 1\nshop:\n  id: "demo\n', Expect("E101", 4, 1)),
    "E110_dangling_and": (
        lambda: (_SHOP + "roster:\n" + _MAIN + "route:\n  - step: stage\n"
                 "    when: wants_human and\n").encode(),
        Expect("E110", 7, 26)),
    # lark's transformer recursed once per `not` and raised RecursionError.
    "E110_three_thousand_nots": (
        lambda: (_SHOP + "roster:\n" + _MAIN + "route:\n  - step: stage\n"
                 "    when: " + "not " * 3000 + "wants_human\n").encode(),
        Expect("E110", 7, 263)),
    "E110_brackets_for_set": (
        lambda: (_SHOP + "roster:\n" + _MAIN + "route:\n  - step: stage\n"
                 "    when: source in [product_page]\n").encode(),
        Expect("E110", 7, 21)),
    # int() refuses more than 4300 digits: lark raised VisitError from the transformer.
    "E213_five_thousand_digit_number": (
        lambda: (_SHOP + "roster:\n" + _MAIN + "route:\n  - step: stage\n"
                 "    when: shop.online > " + "9" * 5000 + "\n").encode(),
        Expect("E213", 7, 25)),
    "E213_five_thousand_digit_duration": (
        lambda: (_SHOP + "roster:\n" + _MAIN + "route:\n  - step: stage\n"
                 "    when: shop.online > " + "9" * 5000 + "m\n").encode(),
        Expect("E213", 7, 25)),
    "E213_long_text_literal": (
        lambda: (_SHOP + "roster:\n" + _MAIN + "route:\n  - step: stage\n"
                 '    when: buyer.id == "' + "x" * 5000 + '"\n').encode(),
        Expect("E213", 7, 23)),
    "E123_five_thousand_digit_window": (
        lambda: (_SHOP + "roster:\n" + _MAIN + "route:\n  - step: recent_contact\n"
                 "    window: " + "9" * 5000 + "d\n  - main_account\n").encode(),
        Expect("E123", 7, 13)),
    # An 8 MB string in one expression once took 2.3 GB to parse.
    "E110_eight_megabyte_expression": (
        lambda: (_SHOP + "roster:\n" + _MAIN + "route:\n  - step: stage\n"
                 '    when: buyer.id == "' + "x" * 8_000_000 + '"\n').encode(),
        Expect("E110", 7, 11)),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_file(name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                      monkeypatch: pytest.MonkeyPatch) -> None:
    make, expect = HOSTILE[name]
    monkeypatch.chdir(tmp_path)
    if make is not None:
        (tmp_path / f"{name}.yaml").write_bytes(make())
    status, out, err = run_check(capsys, f"{name}.yaml")
    assert "Traceback" not in out + err
    assert err == ""
    assert_reported(out, f"{name}.yaml", expect)
    assert status == expect.status
    assert_golden(GENERATED / f"{name}.expected", out)


def test_every_code_has_a_golden_case() -> None:
    covered = {expectation(p).code for p in CASES} | {e.code for _, e in HOSTILE.values()}
    assert covered == set(CODES)


def test_cases_are_named_by_their_code() -> None:
    for path in CASES:
        assert path.name.startswith(expectation(path).code + "_"), path.name


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_include_of_a_device_is_refused_not_read_forever(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    policy = tmp_path / "policy.yaml"
    policy.write_text(_SHOP + "roster: /dev/zero\nroute: [stage]\n", encoding="utf-8")
    status, out, err = run_check(capsys, "policy.yaml")
    assert status == 1
    # Refused before it is opened: an include is a relative path to a regular file.
    assert "policy.yaml:3:9: error[E211]: included file '/dev/zero' is an absolute path" in out
    assert err == ""


def test_many_unknown_agents_get_a_few_hints_and_no_minutes_long_wait(
        tmp_path: Path) -> None:
    """Each did-you-mean scans the roster; 2,000 stale pins once took half a minute."""
    from policyc.compiler import compile_file
    from policyc.compiler.resolve import MAX_HINTED

    roster = "".join(f'  - {{id: agent{i}, created_at: "2024-01-01T09:00:00+08:00"}}\n'
                     for i in range(1000))
    pins = "".join(f"  buyer{i}: agnet{i}\n" for i in range(1000))
    policy = tmp_path / "policy.yaml"
    policy.write_text(_SHOP + "roster:\n" + _MAIN + roster + "pins:\n" + pins
                      + "route: [pin, stage]\n", encoding="utf-8")
    unknown = [d for d in compile_file(policy).diagnostics if d.code == "E201"]
    assert len(unknown) == 1000
    assert sum(d.hint is not None for d in unknown) == MAX_HINTED
    assert unknown[0].hint == "did you mean `agent0`?"
