"""bench/engine_bench.py stays runnable: a tiny run prints its rates and ratios."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_engine_bench_smoke(monkeypatch: pytest.MonkeyPatch,
                            capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.syspath_prepend(str(ROOT))  # `bench/` is a folder of the repository
    from bench.engine_bench import generate, main

    assert generate(8, 300, seed=2) == generate(8, 300, seed=2)  # deterministic
    assert main(["--events", "1500", "--agents", "12", "--repeats", "1"]) == 0
    out = capsys.readouterr().out
    assert "1,500 events" in out
    assert "engine / parse:" in out
