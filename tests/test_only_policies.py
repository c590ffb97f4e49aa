"""`--only-policies`: what pre-commit hooks pass (every changed YAML file) is filtered."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from policyc.cli import main

ROOT = Path(__file__).resolve().parents[1]


def test_check_reads_a_named_file_as_a_policy() -> None:
    assert main(["check", str(ROOT / "policies/youzan-pins.yaml")]) == 1


@pytest.mark.parametrize("command", [["check"], ["fmt", "--check"]])
def test_named_non_policies_are_skipped(command: list[str],
                                        capsys: pytest.CaptureFixture[str]) -> None:
    pins = str(ROOT / "policies/youzan-pins.yaml")
    assert main([*command, "--only-policies", pins]) == 0
    assert capsys.readouterr().out == ""
    assert main([*command, "--only-policies", pins, str(ROOT / "policies/shopee.yaml")]) == 0


def test_only_policies_still_reports_broken_policies(tmp_path: Path) -> None:
    broken = tmp_path / "p.yaml"
    broken.write_text("policyc: 1\nshop: [\n")
    assert main(["check", "--only-policies", str(broken)]) == 1


def test_hooks_use_the_filter() -> None:
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert all("--only-policies" in h["entry"] for h in hooks)
