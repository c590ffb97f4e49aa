"""The HTML pages speak the reader's language (`--lang`): graph, simulate report, staffing sweep.

Each page is written through the CLI in en, zh-Hans and zh-Hant; it declares its
language (`<html lang=...>`), its headings, axis titles and notes are the catalog's
words for that language (compiler/page_words.py), the time axis names the shop's
time zone, and no English sentence of the page is left in a Chinese one.
"""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path

import pytest

from policyc.cli import main
from policyc.compiler.page_words import BIN_KEYS, PAGE_WORDS, page_words
from policyc.runtime.catalog import LANGUAGES

REPO = Path(__file__).resolve().parents[1]
TAOBAO = REPO / "policies" / "taobao.yaml"
ZH = REPO / "policies" / "shopee-zh.yaml"
EXAMPLES = REPO / "policies" / "examples"
WORKLOADS = REPO / "policies" / "workloads"


def _visible(html: str) -> str:
    """The page's words as a reader meets them: no style sheet, no tags, no policy source
    (the graph page quotes the policy file, which is the merchant's own text)."""
    html = re.sub(r"<style>.*?</style>", "", html, flags=re.S)
    html = re.sub(r'<pre class="source">.*?</pre>', "", html, flags=re.S)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def _english_left(page: str) -> list[str]:
    """The page's English sentences (page words of three words or more) found in `page`."""
    english = page_words("en")
    found = []
    for key, text in english.items():
        plain = re.split(r"\{\w+\}", text)
        for part in plain:
            part = part.strip(" .:,;()")
            if len(part.split()) >= 3 and part in page:
                found.append(f"{key}: {part}")
    return found


def _written(capsys: pytest.CaptureFixture[str], path: Path, *args: str) -> str:
    assert main(list(args)) == 0
    capsys.readouterr()
    return path.read_text(encoding="utf-8")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_graph_page_speaks_the_language(lang: str, tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    page = tmp_path / "graph.html"
    html = _written(capsys, page, "graph", str(ZH), "--format", "html", "--state",
                    str(EXAMPLES / "shopee-zh-state.json"), "--event",
                    str(EXAMPLES / "shopee-zh-event.json"), "--lang", lang, "-o", str(page))
    w = page_words(lang)
    assert f'<html lang="{lang}">' in html
    shown = _visible(html)
    for key in ("graph_intro", "graph_click", "graph_path", "nodes", "written_at"):
        assert w[key] in shown, key
    said = {"en": ("buyer message", "nobody available", "pick"),
            "zh-Hans": ("买家消息", "无人可接", "选人"),
            "zh-Hant": ("買家訊息", "無人可接", "選人")}[lang]
    for text in said:
        assert text in shown, text
    assert 'class="node pick' in html  # the CSS classes stay the codes in every language
    if lang != "en":
        assert _english_left(shown) == []
        assert "decision graph" not in shown


@pytest.mark.parametrize("lang", LANGUAGES)
def test_simulate_report_speaks_the_language_and_names_the_zone(
        lang: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    page = tmp_path / "report.html"
    html = _written(capsys, page, "simulate", str(TAOBAO), "--log",
                    str(REPO / "policies" / "logs" / "taobao-day.jsonl"), "--no-journal",
                    "--report", str(page), "--lang", lang)
    assert f'<html lang="{lang}">' in html
    w = page_words(lang, zone="Asia/Shanghai")
    shown = _visible(html)
    assert w["axis_time"] in shown and "Asia/Shanghai" in w["axis_time"]
    for key in ("waiting_over_time", "assignments_per_agent", "waiting_time", "summary",
                "still_waiting", "axis_chats_waiting", "depth_note", "bin_at_once"):
        assert w[key] in shown, key
    title = {"en": "taobao.yaml on taobao-day.jsonl: simulation report",
             "zh-Hans": "taobao.yaml（日志 taobao-day.jsonl）：模拟报告",
             "zh-Hant": "taobao.yaml（紀錄 taobao-day.jsonl）：模擬報告"}[lang]
    assert f"<h1>{title}</h1>" in html
    longest = {"en": "5 h 29 min", "zh-Hans": "5 小时 29 分钟", "zh-Hant": "5 小時 29 分鐘"}
    assert longest[lang] in shown  # durations in the language's units
    if lang != "en":
        assert _english_left(shown) == []


def test_a_workload_report_names_the_shop_zone(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    page = tmp_path / "report.html"
    html = _written(capsys, page, "simulate", str(WORKLOADS / "sale-day-shop.yaml"),
                    "--workload", str(WORKLOADS / "sale-day.yaml"), "--report", str(page),
                    "--lang", "zh-Hans")
    assert "时间（Asia/Shanghai）" in _visible(html)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_sweep_page_speaks_the_language(lang: str, tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    page = tmp_path / "sweep.html"
    html = _written(capsys, page, "simulate", str(WORKLOADS / "sale-day-shop.yaml"),
                    "--workload", str(WORKLOADS / "sale-day.yaml"), "--agents", "8..13",
                    "--report", str(page), "--lang", lang)
    assert f'<html lang="{lang}">' in html and 'name="viewport"' in html
    w = page_words(lang)
    shown = _visible(html)
    for key in ("service_heading", "waits_heading", "every_figure", "axis_agents",
                "axis_share", "axis_minutes", "no_abandonment", "col_never_taken"):
        assert w[key] in shown, key
    answer = {"en": "11 agents are the fewest that take",
              "zh-Hans": "至少需要 11 位客服",
              "zh-Hant": "至少需要 11 位客服"}[lang]
    assert answer in shown
    assert "(Asia/Shanghai)" in shown or "（Asia/Shanghai）" in shown
    if lang != "en":
        assert _english_left(shown) == []


def test_every_page_word_is_used_by_a_page() -> None:
    """A page word no template or renderer reads is dead text for the translators."""
    templates = "".join(p.read_text(encoding="utf-8") for p in [
        *(REPO / "compiler" / "templates").glob("*.j2"),
        *(REPO / "policyc" / "report" / "templates").glob("*.j2")])
    renderers = "".join((REPO / path).read_text(encoding="utf-8") for path in (
        "policyc/report/html.py", "policyc/report/sweep.py", "compiler/page_words.py"))
    used = {key for key in PAGE_WORDS
            if f"w.{key}" in templates or f'"{key}")' in renderers or f'["{key}"]' in renderers}
    assert sorted(set(PAGE_WORDS) - used - set(BIN_KEYS)) == []
