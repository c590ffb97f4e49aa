"""The optional fast JSON encoder of records writes the standard library's bytes (issue 13).

`policyc.record_json.dumps` uses orjson when it is installed; these properties hold
its output to `json.dumps(..., ensure_ascii=False, separators=(",", ":"))` for any
value a record can hold (floats below 1e-4 and orjson's refusals included, which
fall back), and the engine's records through `simulate -o` and the journal alike.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policyc import record_json
from policyc.api import load
from policyc.cli import main
from policyc.runtime.engine import Engine
from policyc.runtime.journal import records_text

pytest.importorskip("orjson", reason="orjson is the `fast` extra (and in the dev lock)")

ROOT = Path(__file__).resolve().parents[1]


def stdlib(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


# What a record may hold: JSON values with string keys and finite floats (inputs refuse
# NaN and infinity), any text (control characters, U+2028, astral planes, quotes).
scalars = (st.none() | st.booleans() | st.integers(-(2**70), 2**70)
           | st.floats(allow_nan=False, allow_infinity=False) | st.text())
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                      | st.dictionaries(st.text(), inner, max_size=4), max_leaves=20)


@settings(max_examples=400, deadline=None)
@given(values)
def test_fast_encoder_writes_the_standard_librarys_bytes(value: Any) -> None:
    assert record_json.dumps(value) == stdlib(value)


@pytest.mark.parametrize("value", [1e-05, 1.5e-07, 2.5e-05, 5e-324, 1e16, 1e22, -0.0, 0.0001,
                                   2**64, -(2**63) - 1, {"nested": [0.00001, "e-"]}])
def test_the_floats_and_ints_orjson_writes_otherwise_fall_back(value: Any) -> None:
    assert record_json.dumps(value) == stdlib(value)


def test_without_orjson_the_standard_library_writes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(record_json, "_fast", None)
    record = {"agent": "王芳", "load": 1e-05, "path": ["entry"]}
    assert record_json.dumps(record) == stdlib(record)
    assert record_json.line(record) == stdlib(record) + "\n"


def test_engine_records_are_the_same_bytes_both_ways() -> None:
    """Every record of the shipped Shopee day, traced in full: orjson's line is the
    journal's (runtime/journal.py, standard library only)."""
    router = load(ROOT / "policies" / "shopee.yaml")
    engine = Engine(router, trace="full")
    log = ROOT / "policies" / "logs" / "shopee-day.jsonl"
    for text in log.read_text(encoding="utf-8").splitlines():
        if text.strip():
            made = engine.feed(json.loads(text))
            assert "".join(record_json.line(r) for r in made) == records_text(made)


def test_simulate_output_with_and_without_journal_is_identical(tmp_path: Path) -> None:
    log = ROOT / "policies" / "logs" / "shopee-day.jsonl"
    policy = ROOT / "policies" / "shopee.yaml"
    outputs = []
    for name, extra in (("journaled", []), ("plain", ["--no-journal"])):
        out = tmp_path / f"{name}.jsonl"
        assert main(["simulate", str(policy), "--log", str(log), "-o", str(out),
                     "--trace", "fails", *extra]) == 0
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1]
    first = outputs[0].decode().splitlines()[0]
    assert first == stdlib(json.loads(first))  # compact, non-ASCII kept
