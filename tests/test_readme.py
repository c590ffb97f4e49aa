"""The README's reference tables agree with the tables in the code they describe."""

from __future__ import annotations

import re
from pathlib import Path

from policyc.dsl.diagnostic import CODES
from policyc.dsl.schema import POLICY, STEP_KINDS
from policyc.runtime.vocabulary import FIELDS, STEPS, STRATEGIES

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def _section(title: str) -> str:
    """The text of one `## title` section, up to the next level-2 heading."""
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", README, re.M | re.S)
    assert match, f"README has no `## {title}` section"
    return match.group(1)


def _first_cells(text: str) -> list[str]:
    """The first cell of every table row, backticks stripped."""
    return [m.group(1).strip().strip("`") for m in re.finditer(r"^\|([^|\n]+)\|", text, re.M)]


def test_diagnostics_table_lists_every_code_and_only_those() -> None:
    rows = [c for c in _first_cells(_section("Diagnostics")) if re.fullmatch(r"[EWI]\d{3}", c)]
    assert sorted(set(rows)) == sorted(CODES), "README table vs dsl/diagnostic.py CODES"
    assert len(rows) == len(set(rows)), "a code is listed twice"


def test_diagnostics_table_severities_match() -> None:
    for line in _section("Diagnostics").splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if cells and cells[0] in CODES:
            assert cells[1] == CODES[cells[0]][0].value, cells[0]


def test_every_expression_field_is_documented() -> None:
    cells = _first_cells(_section("The language, by example"))
    assert [f for f in FIELDS if f not in cells] == []


def test_every_route_step_is_documented() -> None:
    cells = _first_cells(_section("The language, by example"))
    assert set(STEPS) == set(STEP_KINDS)
    assert [k for k in STEPS if k not in cells] == []
    for kind, (_node, outcomes, _passes) in STEPS.items():
        row = next(line for line in README.splitlines() if line.startswith(f"| `{kind}` |"))
        for outcome, reason in outcomes:
            assert f"`{outcome}` / `{reason}`" in row, (kind, outcome, reason)


def test_every_selection_strategy_is_documented() -> None:
    cells = _first_cells(_section("The language, by example"))
    assert [s for s in STRATEGIES if s not in cells] == []


def test_every_top_level_key_appears_in_an_example() -> None:
    language = _section("The language, by example")
    missing = [f.name for f in POLICY.fields
               if not re.search(rf"^{re.escape(f.name)}:", language, re.M)]
    assert missing == []
