"""The staffing sweep's HTML report, rendered in headless Chromium (as tests/test_browser.py).

The sweep of the shipped sale day is written with `--report`, screenshotted, and
the PNG decoded: the service-level bars, the occupancy line and both wait bars
are drawn in their colours. Without `chromium` the test skips, unless CI is set.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from test_browser import HEIGHT, WHITE, WIDTH, colours, find_chromium, rgb, screenshot

from policyc.cli import main
from policyc.report.sweep import COLOURS

REPO = Path(__file__).resolve().parents[1]


def test_sweep_page_has_its_charts_and_table(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    page = tmp_path / "sweep.html"
    assert main(["simulate", str(REPO / "policies" / "workloads" / "sale-day-shop.yaml"),
                 "--workload", str(REPO / "policies" / "workloads" / "sale-day.yaml"),
                 "--agents", "8..13", "--report", str(page)]) == 0
    capsys.readouterr()
    html = page.read_text(encoding="utf-8")
    assert html.count("<rect ") == 6 * 3  # a service-level bar and two wait bars per row
    assert 'id="chart-service"' in html and 'id="chart-waits"' in html
    assert "<b>11 agents are the fewest" in html
    assert html.count("<tr>") == 1 + 6


def test_sweep_page_renders_in_chromium(tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    browser = find_chromium()
    page, png = tmp_path / "sweep.html", tmp_path / "sweep.png"
    assert main(["simulate", str(REPO / "policies" / "workloads" / "sale-day-shop.yaml"),
                 "--workload", str(REPO / "policies" / "workloads" / "sale-day.yaml"),
                 "--agents", "6..13", "--report", str(page)]) == 0
    capsys.readouterr()
    screenshot(browser, page, png, tmp_path / "profile")
    seen = colours(png)
    assert sum(n for c, n in seen.items() if c != WHITE) > WIDTH * HEIGHT // 40
    assert seen[rgb(COLOURS["service_level"])] > 20_000  # eight service-level bars
    assert seen[rgb(COLOURS["mean_wait"])] > 800
    assert seen[rgb(COLOURS["p90_wait"])] > 3000
    assert seen[rgb(COLOURS["occupancy"])] > 500  # the occupancy line and its dots
