"""`policyc check` as merchants and CI use it: exit codes, formats and --strict."""

from __future__ import annotations

from pathlib import Path

import pytest

from policyc.cli import main

REPO = Path(__file__).resolve().parents[1]


def test_shipped_policies_check_clean(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(REPO / "policies")]) == 0
    assert "0 error(s)" in capsys.readouterr().out
