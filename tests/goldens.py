"""Golden files: compare output with a reviewed file, or rewrite it with POLICYC_REGOLD=1.

A missing golden file is a failure (a test that silently wrote its own
expectation could never fail); create goldens with POLICYC_REGOLD=1 and review
the diff before committing.
"""

from __future__ import annotations

import os
from pathlib import Path

REGOLD = os.environ.get("POLICYC_REGOLD") == "1"


def assert_golden(golden: Path, actual: str) -> None:
    """`actual` equals the golden file's text (or becomes it under POLICYC_REGOLD=1)."""
    if REGOLD:
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(actual, encoding="utf-8")
        return
    assert golden.exists(), f"no golden file {golden}; run with POLICYC_REGOLD=1 and review"
    assert actual == golden.read_text(encoding="utf-8"), f"golden {golden.name} differs"
