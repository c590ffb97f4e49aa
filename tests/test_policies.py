"""The shipped policies and the S4 main-account variants compile, with the expected notes."""

from __future__ import annotations

from pathlib import Path

import pytest

from policyc.cli import main
from policyc.compiler import compile_file
from policyc.dsl.diagnostic import Severity

ROOT = Path(__file__).resolve().parent.parent
POLICIES = sorted(p for p in (ROOT / "policies").glob("*.yaml")
                  if "\npolicyc:" in "\n" + p.read_text(encoding="utf-8"))
VARIANTS = ROOT / "tests" / "variants"


def _codes(path: Path) -> list[str]:
    result = compile_file(path)
    errors = [f"{d.span}: {d.code} {d.message}" for d in result.diagnostics
              if d.severity is Severity.ERROR]
    assert errors == [], "\n".join(errors)
    assert result.artifact is not None
    return [d.code for d in result.diagnostics]


def test_the_three_platforms_are_shipped() -> None:
    assert {p.stem for p in POLICIES} >= {"shopee", "youzan", "taobao"}


@pytest.mark.parametrize("path", POLICIES, ids=lambda p: p.name)
def test_shipped_policy_compiles_without_errors_or_warnings(path: Path) -> None:
    codes = _codes(path)
    warnings = [c for c in codes if c.startswith("W")]
    assert warnings == []


def test_policy_folder_checks_clean() -> None:
    assert main(["check", str(ROOT / "policies")]) == 0


@pytest.mark.parametrize(("variant", "expected", "absent"), [
    ("s4a", set(), {"I401", "I402"}),    # S4-A grouping off: main takes every chat
    ("s4b", {"I401"}, {"I402"}),         # S4-B include off: main only by forwarding
    ("s4c", {"I402"}, {"I401"}),         # S4-C main in no group: last resort only
    ("s4d", set(), {"I401", "I402"}),    # S4-D main in a group: an ordinary agent
], ids=["S4-A grouping off", "S4-B include main off", "S4-C main not in a group",
        "S4-D main in a group"])
def test_s4_main_account_variant(variant: str, expected: set[str], absent: set[str]) -> None:
    codes = set(_codes(VARIANTS / f"{variant}.yaml"))
    assert expected <= codes
    assert not absent & codes
    assert not {c for c in codes if c.startswith("W")}


def test_s4_variant_artifacts_record_the_two_flags() -> None:
    shops = {}
    for name in ("s4a", "s4b", "s4c", "s4d"):
        artifact = compile_file(VARIANTS / f"{name}.yaml").artifact
        assert artifact is not None
        shops[name] = artifact["shop"]
    assert shops["s4a"]["grouping_enabled"] is False
    assert shops["s4b"]["include_main_account"] is False
    assert shops["s4c"]["main_in_group"] is False
    assert shops["s4d"]["main_in_group"] is True
