"""Message catalogs: every message a person reads is in every language, placeholders intact.

The message ids are extracted from the source now (as `make catalogs` does), so a
new `N_("...")` that nobody translated fails here, as does a translation that
drops or renames a `{placeholder}`, or a compiled .mo older than its .po.
"""

from __future__ import annotations

import gettext
import json
import re
import string
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from policyc.cli import main
from policyc.compiler import compile_file
from policyc.compiler.page_words import PAGE_WORDS, page_words
from policyc.dsl.diagnostic import CODES, Words
from policyc.runtime import catalog, vocabulary, words
from policyc.runtime.catalog import FOLDERS, LANGUAGES, LOCALE_DIR, choose, from_environment

ROOT = Path(__file__).resolve().parents[1]
KEYWORDS = {"N_": None, "say": (2,), "say_n": (2, 3)}


def _extracted() -> set[str]:
    ids: set[str] = set()
    for folder in ("dsl", "compiler", "runtime", "policyc"):
        for _file, _line, message, _comments, _context in extract_from_dir(
                ROOT / folder, [("**.py", "python")], keywords=KEYWORDS, comment_tags=()):
            ids.update([message] if isinstance(message, str) else message)
    return ids


EXTRACTED = _extracted()


def _fields(text: str) -> set[str]:
    try:
        return {f"{name}!{conv}" for _, name, _, conv in string.Formatter().parse(text)
                if name is not None}
    except ValueError:  # not a format string (PyYAML's "expected ',' or '}'"): its braces
        return {"braces:" + "".join(c for c in text if c in "{}")}


def _po(lang: str) -> dict[str, str]:
    path = LOCALE_DIR / FOLDERS[lang] / "LC_MESSAGES" / "policyc.po"
    with path.open("rb") as f:
        # obsolete entries are kept apart by read_po; plural forms are not used
        return {str(m.id): str(m.string) for m in read_po(f) if m.id}


def test_extraction_finds_the_messages() -> None:
    assert len(EXTRACTED) > 200
    assert "did you mean `{word}`?" in EXTRACTED


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_message_is_translated_with_its_placeholders(lang: str) -> None:
    po = _po(lang)
    missing = sorted(EXTRACTED - po.keys())
    assert not missing, f"{lang} lacks {missing[:5]} (run `make catalogs` and translate)"
    untranslated = sorted(m for m in EXTRACTED if not po[m])
    assert not untranslated, f"{lang} leaves {untranslated[:5]} untranslated"
    broken = sorted(m for m in EXTRACTED if _fields(po[m]) != _fields(m))
    assert not broken, f"{lang} changes the placeholders of {broken[:5]}"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_compiled_catalog_is_the_po(lang: str) -> None:
    mo = gettext.translation("policyc", LOCALE_DIR, languages=[FOLDERS[lang]])
    stale = sorted(m for m, text in _po(lang).items() if mo.gettext(m) != text)
    assert not stale, f"{lang}: .mo is older than .po for {stale[:3]} (run `make catalogs`)"


def test_chinese_catalogs_say_something_else() -> None:
    hans, hant = _po("zh-Hans"), _po("zh-Hant")
    assert hans["assigned to an agent"] == "已分配给客服"
    assert hant["assigned to an agent"] == "已分配給客服"
    same = [m for m in EXTRACTED if hans[m] == hant[m] and any(c >= "\u4e00" for c in hans[m])]
    assert len(same) < len(EXTRACTED) // 4  # Traditional is not Simplified copied


WORD_TABLES = [
    (words.OUTCOME_WORDS, vocabulary.OUTCOMES),
    (words.REASON_WORDS, tuple(vocabulary.REASONS)),
    (words.SELECTION_WORDS, vocabulary.SELECTIONS),
    (words.WHY_WORDS, vocabulary.DROP_WHYS),
    (words.SOURCE_WORDS, vocabulary.SOURCES),
    (words.ORDER_STATE_WORDS, vocabulary.ORDER_STATES),
    (words.FIGURE_WORDS, vocabulary.STRATEGIES),
    (words.FIELD_WORDS, tuple(vocabulary.FIELDS)),
    (words.DAY_WORDS, vocabulary.WEEKDAYS),
]


@pytest.mark.parametrize(("table", "codes"), WORD_TABLES,
                         ids=["outcomes", "reasons", "selections", "whys", "sources",
                              "order_states", "figures", "fields", "days"])
def test_every_contract_code_has_a_plain_phrase(table: dict[str, str],
                                                codes: tuple[str, ...]) -> None:
    assert sorted(table) == sorted(codes)


@pytest.mark.parametrize(("env", "lang"), [
    ({}, "en"),
    ({"LANG": "C.UTF-8"}, "en"),
    ({"LANG": "zh_CN.UTF-8"}, "zh-Hans"),
    ({"LANG": "zh_TW.UTF-8"}, "zh-Hant"),
    ({"LANG": "zh_HK.UTF-8"}, "zh-Hant"),
    ({"LC_ALL": "zh_SG", "LANG": "zh_TW"}, "zh-Hans"),
    ({"LC_MESSAGES": "zh_TW.UTF-8", "LANG": "en_US.UTF-8"}, "zh-Hant"),
    ({"LANGUAGE": "fr:zh_TW", "LANG": "en_US.UTF-8"}, "zh-Hant"),
    ({"LANGUAGE": "fr", "LANG": "zh_CN.UTF-8"}, "zh-Hans"),
    ({"LANG": "de_DE.UTF-8"}, "en"),
])
def test_the_locale_chooses_the_language(env: dict[str, str], lang: str) -> None:
    assert from_environment(env) == lang


def test_lang_flag_names_a_language() -> None:
    assert choose("zh-Hant") == "zh-Hant"
    assert choose("zh_TW") == "zh-Hant"
    with pytest.raises(ValueError):
        choose("klingon")


def test_cli_speaks_the_locale_and_the_flag_wins(capsys: pytest.CaptureFixture[str],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    for var in ("LANGUAGE", "LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("LANG", "zh_TW.UTF-8")
    assert main(["check", "policies/shopee.yaml"]) == 0
    assert "0 個錯誤，0 個警告，1 個提示" in capsys.readouterr().out
    assert main(["check", "policies/shopee.yaml", "--lang", "en"]) == 0
    assert "0 error(s), 0 warning(s), 1 note(s)" in capsys.readouterr().out
    assert main(["check", "policies/shopee.yaml", "--lang", "klingon"]) == 2
    assert "unknown language" in capsys.readouterr().err


def test_a_missing_catalog_is_a_packaging_error(monkeypatch: pytest.MonkeyPatch,
                                                tmp_path: Path) -> None:
    catalog.catalog.cache_clear()
    monkeypatch.setattr(catalog, "LOCALE_DIR", tmp_path)
    with pytest.raises(FileNotFoundError):
        catalog.say("zh-Hans", "assigned to an agent")
    catalog.catalog.cache_clear()


@pytest.mark.parametrize("lang", LANGUAGES)
def test_page_words_are_there_for_the_pages(lang: str) -> None:
    page = page_words(lang, zone="Asia/Taipei", policy="shopee.yaml")
    assert set(page) == set(PAGE_WORDS)
    assert "Asia/Taipei" in page["axis_time"] and "shopee.yaml" in page["graph_title"]
    if lang != "en":
        assert page["summary"] != "Summary"


def test_json_diagnostics_keep_the_code_and_say_the_message(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    assert main(["check", "tests/broken/E203_unknown_source.yaml", "--format", "json",
                 "--lang", "zh-Hans"]) == 1
    [d] = json.loads(capsys.readouterr().out)["diagnostics"]
    assert (d["code"], d["severity"]) == ("E203", "error")
    assert d["message"] == "未知来源 `prodct_page`"
    assert d["hint"] == "是不是想写 `product_page`？"


# -- every diagnostic is said from the catalogs ---------------------------------------------
# Each broken policy of tests/broken, each hostile file of test_diagnostics and the cases
# below are checked; every diagnostic they give must carry a catalog message id (and so
# must its hint and every argument that is itself words), or a merchant reading Chinese
# would meet English.
_POLICY = ("policyc: 1\nshop: {id: demo, timezone: Asia/Taipei}\nroster:\n"
           '  - {id: boss, role: main, created_at: "2024-01-01T09:00:00+08:00"}\n'
           "route:\n  - step: stage\n    when: 'WHEN'\n  - step: queue\n")
WHEN = {
    "E110_empty": "", "E110_escape": r'buyer.id == "\q"', "E110_and": "wants_human && x",
    "E110_unexpected": "wants_human ==", "E205_not_bool": "buyer.id",
    "E205_not_condition": '"x"', "E205_field_field": "buyer.id == order.id",
    "E205_bare_word": "buyer.id == abc", "E205_none": "shop.online == none",
    "E205_fraction": "shop.online > 0.5", "E205_kind": "time == 3",
    "E205_no_field": "1 == 2", "E205_set_compare": 'buyer.tags == "x"',
    "E205_ordered": 'buyer.id > "x"', "E205_not_a_set": '"x" in buyer.id',
    "E205_left_of_in": '"x" in {"a"}', "E205_set_left": 'buyer.tags in {"a"}',
    "E205_range": "day in 09:00..10:00", "E205_not_set": "buyer.id in 3",
    "E205_enum": "source == 3", "E213_time": "time in 09:00..25:00",
}
_ROSTER = "roster: [{id: boss, role: main}]\n"
FILES = {  # name -> policy text (includes point at files made beside it)
    "E100_folder": None, "E120_list": "- a\n- b\n", "E120_empty": "",
    "E120_key": "policyc: 1\n? [a]\n: b\n",
    "E123_range": "policyc: 1\nshop: {id: demo, timezone: Asia/Taipei}\n"
                  "roster: [{id: boss, role: main, capacity: 100000}]\n",
    "E123_year": "policyc: 1\nshop: {id: demo, timezone: Asia/Taipei}\n"
                 'roster: [{id: boss, role: main, created_at: "1066-10-14T09:00:00+00:00"}]\n',
    "E123_whole": "policyc: 1\nshop: {id: demo, timezone: Asia/Taipei}\n"
                  "roster: [{id: boss, role: main, capacity: 2.5}]\n",
    "E211_twice": "policyc: 1\nshop: {id: demo, timezone: Asia/Taipei}\nroster: r.yaml\n"
                  "pins: r.yaml\n",
    "E211_absolute": "policyc: 1\nshop: {id: demo, timezone: Asia/Taipei}\n"
                     "roster: /etc/passwd\n",
    "E211_outside": "policyc: 1\nshop: {id: demo, timezone: Asia/Taipei}\nroster: ../r.yaml\n",
    "E211_folder": "policyc: 1\nshop: {id: demo, timezone: Asia/Taipei}\nroster: sub\n",
    "E211_missing": "policyc: 1\nshop: {id: demo, timezone: Asia/Taipei}\nroster: none.yaml\n",
    "E101_in_include": "policyc: 1\nshop: {id: demo, timezone: Asia/Taipei}\nroster: bad.yaml\n",
}


def _unsaid(template: object, args: dict[str, object]) -> list[str]:
    """The message ids in a diagnostic's words that no catalog holds."""
    if not isinstance(template, str):
        return ["(no message id)"]
    lost = [] if template in EXTRACTED or not any(c.isalpha() for c in
                                                   re.sub(r"\{\w+\}", "", template)) \
        else [template]
    for value in args.values():
        if isinstance(value, Words):
            lost += _unsaid(value.template, value.args)
    return lost


def _corpus(tmp_path: Path) -> list[Path]:
    from test_diagnostics import HOSTILE

    paths = sorted((ROOT / "tests" / "broken").glob("*.yaml"))
    for name, (make, _expect) in HOSTILE.items():
        if make is not None and "eight_megabyte" not in name and "million" not in name:
            (tmp_path / f"{name}.yaml").write_bytes(make())
            paths.append(tmp_path / f"{name}.yaml")
    paths.append(tmp_path / "E100_missing.yaml")
    for name, when in WHEN.items():
        paths.append(tmp_path / f"{name}.yaml")
        paths[-1].write_text(_POLICY.replace("WHEN", when), encoding="utf-8")
    (tmp_path / "r.yaml").write_text(_ROSTER, encoding="utf-8")
    (tmp_path / "bad.yaml").write_text("roster: [\n", encoding="utf-8")
    (tmp_path / "sub").mkdir()
    for name, text in FILES.items():
        paths.append(tmp_path / (name if text is None else f"{name}.yaml"))
        if text is None:
            paths[-1].mkdir()
        else:
            paths[-1].write_text(text, encoding="utf-8")
    return paths


def test_every_diagnostic_is_said_from_the_catalogs(tmp_path: Path) -> None:
    lost: dict[str, list[str]] = {}
    codes: set[str] = set()
    for path in _corpus(tmp_path):
        found = compile_file(path).diagnostics
        if path.stem in WHEN or path.stem in FILES:  # each case gives the finding it names
            assert path.stem[:4] in {d.code for d in found}, (path.stem, found)
        for d in found:
            codes.add(d.code)
            missing = _unsaid(d.template, dict(d.args))
            if d.hint is not None:
                missing += _unsaid(getattr(d.hint, "template", None),
                                   getattr(d.hint, "args", {}))
            if missing:
                lost[f"{path.name} {d.code}: {d.message}"] = missing
    assert not lost, "said in English only:\n" + "\n".join(f"{k} <- {v}" for k, v in lost.items())
    assert set(CODES) <= codes  # the corpus meets every code of the policy language
