"""Release boundaries: what an installed policyc needs from the machine it runs on."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_time_zones_come_from_tzdata_when_the_system_has_none(tmp_path: Path) -> None:
    # PYTHONTZPATH names where zoneinfo looks for the system database; an empty folder is a
    # machine without one, where only the tzdata package can resolve Asia/Taipei.
    env = {**os.environ, "PYTHONTZPATH": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-m", "policyc", "check", str(ROOT / "policies" / "shopee.yaml")],
        env=env, capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "unknown time zone" not in done.stdout + done.stderr
