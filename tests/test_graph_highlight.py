"""`policyc graph --state --event`: the decided message's path is highlighted (golden DOT)."""

from __future__ import annotations

from pathlib import Path

import pytest
from goldens import assert_golden

from policyc.cli import main

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "graph" / "shopee-highlight.dot"
EXAMPLE = ["--state", "policies/examples/shopee-state.json",
           "--event", "policies/examples/shopee-event.json"]


def test_highlighted_dot_golden(capsys: pytest.CaptureFixture[str],
                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    assert main(["graph", "policies/shopee.yaml", "--format", "dot", *EXAMPLE]) == 0
    out = capsys.readouterr().out
    assert_golden(GOLDEN, out)
    taken = [line for line in out.splitlines() if "penwidth=3" in line]
    # the example goes entry -> grouping -> recent contact -> bindings -> presale -> assigned
    assert any('"route[1].groups.presale>presale"' in line for line in taken)
    assert not any('"route[2]"' in line and "->" not in line for line in taken)


@pytest.mark.parametrize("args", [["--state", "policies/examples/shopee-state.json"],
                                  ["--state", "nope.json", "--event",
                                   "policies/examples/shopee-event.json"]],
                         ids=["state without event", "missing state"])
def test_bad_highlight_input_exits_2(args: list[str], capsys: pytest.CaptureFixture[str],
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    assert main(["graph", "policies/shopee.yaml", *args]) == 2
    assert "Traceback" not in capsys.readouterr().err
