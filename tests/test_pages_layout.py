"""The HTML pages read well on a phone and on a desktop, measured in headless Chromium.

The simulate report and the decision graph page of the Taobao policy (in English and in
Traditional Chinese) and a staffing sweep page are opened on a
screen 1440 and 375 CSS px wide (over the DevTools protocol, tests/chromium_page.py), a
script measures the laid-out page, and a full-page screenshot is taken and decoded: the
page never scrolls sideways at 375 px, no two node boxes of the graph overlap, and no text
that is drawn is smaller than 12 CSS px (SVG text scaled with its drawing included).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from chromium_page import measure
from test_browser import WHITE, colours, find_chromium

from policyc.cli import main

REPO = Path(__file__).resolve().parents[1]
TAOBAO = REPO / "policies" / "taobao.yaml"
WIDTHS = (1440, 375)

# Measured in the page: how wide the document is, the smallest drawn text (its size times
# the scale of the SVG drawing it is in) and where it is, and the node boxes that overlap.
MEASURE = """JSON.stringify((() => {
  const out = {scroll_width: document.documentElement.scrollWidth, min_font: 1e9,
               min_font_text: "", boxes: 0, overlaps: []};
  const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walk.nextNode()) {
    const el = walk.currentNode.parentElement, text = walk.currentNode.textContent.trim();
    if (!text || el.closest("title, style, script") || !el.getClientRects().length) continue;
    let size = parseFloat(getComputedStyle(el).fontSize);
    const svg = el.closest("svg");
    if (svg && svg.viewBox.baseVal && svg.viewBox.baseVal.width) {
      size *= svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
    }
    if (size < out.min_font) { out.min_font = size; out.min_font_text = text.slice(0, 40); }
  }
  const rects = [...document.querySelectorAll("svg .node rect")]
    .map(r => r.getBoundingClientRect());
  out.boxes = rects.length;
  rects.forEach((a, i) => rects.slice(i + 1).forEach((b, j) => {
    if (a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom)
      out.overlaps.push([i, i + 1 + j]);
  }));
  return out;
})())"""


@pytest.fixture(scope="module")
def chromium() -> str:
    return find_chromium()


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("pages")
    log = REPO / "policies" / "logs" / "taobao-day.jsonl"
    pages: dict[str, Path] = {}
    # Traditional Chinese too: CJK text is wider per character and breaks differently.
    for lang, suffix in (("en", ""), ("zh-Hant", "-zh-Hant")):
        report, graph = folder / f"report{suffix}.html", folder / f"graph{suffix}.html"
        assert main(["simulate", str(TAOBAO), "--log", str(log), "--no-journal",
                     "--report", str(report), "--lang", lang]) == 0
        assert main(["graph", str(TAOBAO), "--format", "html", "-o", str(graph),
                     "--lang", lang]) == 0
        pages.update({f"report{suffix}": report, f"graph{suffix}": graph})
    workloads = REPO / "policies" / "workloads"
    pages["sweep"] = folder / "sweep.html"
    assert main(["simulate", str(workloads / "sale-day-shop.yaml"), "--workload",
                 str(workloads / "sale-day.yaml"), "--agents", "8..13", "--report",
                 str(pages["sweep"])]) == 0
    return pages


def _measured(chromium: str, page: Path, width: int, tmp_path: Path) -> dict[str, Any]:
    png = tmp_path / f"{page.stem}-{width}.png"
    found: dict[str, Any] = measure(chromium, tmp_path / "profile", page, width, 900, MEASURE,
                                    png)
    drawn = colours(png, None, None)  # the full page, less any scroll bar
    assert drawn[WHITE] < 0.97 * sum(drawn.values()), f"{png.name} is nearly blank"
    return found


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", ["report", "graph", "report-zh-Hant", "graph-zh-Hant",
                                  "sweep"])
def test_page_fits_the_screen_and_its_text_is_readable(
        chromium: str, pages: dict[str, Path], name: str, width: int, tmp_path: Path) -> None:
    found = _measured(chromium, pages[name], width, tmp_path)
    assert found["scroll_width"] <= width, f"{name} scrolls sideways at {width} px: {found}"
    assert found["min_font"] >= 12, (
        f"{name} at {width} px draws {found['min_font_text']!r} at {found['min_font']:.1f} px")
    if name.startswith("graph"):
        assert found["boxes"] > 20  # every node of the Taobao graph is drawn
        assert found["overlaps"] == [], f"node boxes overlap at {width} px"
