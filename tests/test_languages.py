"""`check`, `explain` and `why-not` in all three languages on the shipped policies (goldens).

Golden files in tests/golden/lang/; refresh with POLICYC_REGOLD=1 and review the
diff. The same decision reads in English, Simplified and Traditional Chinese;
codes, spans and figures are the same in each.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from goldens import assert_golden
from test_catalogs import _corpus
from test_conformance import CASES, Case, message

from policyc.cli import main
from policyc.runtime.catalog import LANGUAGES

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "golden" / "lang"


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    main(list(args))
    out = capsys.readouterr().out
    assert out
    return out


@pytest.mark.parametrize("lang", LANGUAGES)
def test_check_golden(lang: str, capsys: pytest.CaptureFixture[str],
                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    out = _run(capsys, "check", "policies/", "--lang", lang)
    assert_golden(GOLDEN / f"check-{lang}.txt", out)
    broken = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "tests" / "broken").glob("W3*.yaml"))
    assert_golden(GOLDEN / f"check-lint-{lang}.txt", _run(capsys, "check", *broken, "--lang", lang))
    errors = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "tests" / "broken").glob("E2*.yaml"))
    errors += sorted(str(p.relative_to(ROOT))
                     for p in (ROOT / "tests" / "broken").glob("E1*.yaml"))
    assert_golden(GOLDEN / f"check-errors-{lang}.txt",
                  _run(capsys, "check", *errors, "--lang", lang))


@pytest.mark.parametrize("lang", LANGUAGES)
def test_check_of_hostile_and_broken_files_golden(lang: str, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """The file-level findings (E100-E105, E110, E211: PyYAML's and the OS's words), the
    number, year and type findings (E123, E205, E213), in every language."""
    monkeypatch.chdir(tmp_path)
    made = [p for p in _corpus(tmp_path) if p.is_relative_to(tmp_path)]
    names = [str(p.relative_to(tmp_path)) for p in made if "ten_megabytes" not in p.name]
    main(["check", *names, "--lang", lang])
    out = capsys.readouterr().out
    assert_golden(GOLDEN / f"check-files-{lang}.txt", out)


def _first(policy: str, reason: str) -> Case:
    return next(c for c in CASES if c.policy == policy and c.expect[2] == reason)


EXPLAINED = [_first(policy, reason) for policy, reason in (
    ("shopee.yaml", "source_group"), ("shopee.yaml", "recent_contact_waiting"),
    ("youzan.yaml", "pinned_agent_waiting"), ("youzan.yaml", "queued_all_busy"),
    ("taobao.yaml", "source_group"), ("taobao.yaml", "offline_pool"))]


def _slug(case: Case) -> str:
    return case.policy.split(".")[0] + "-" + case.expect[2]


@pytest.mark.parametrize("case", EXPLAINED, ids=_slug)
@pytest.mark.parametrize("lang", LANGUAGES)
def test_explain_golden(case: Case, lang: str, tmp_path: Path,
                        capsys: pytest.CaptureFixture[str],
                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    state, event = tmp_path / "state.json", tmp_path / "event.json"
    state.write_text(json.dumps({"at": case.at, "agents": case.agents,
                                 "contacts": case.contacts}), encoding="utf-8")
    event.write_text(json.dumps(message(**{"at": case.at, **case.event})), encoding="utf-8")
    out = _run(capsys, "explain", f"policies/{case.policy}", "--state", str(state), "--event",
               str(event), "--lang", lang)
    assert case.expect[2] in out
    assert_golden(GOLDEN / f"explain-{_slug(case)}-{lang}.txt", out)


# The shipped Chinese-named policies: Traditional for the Shopee (Taiwan) shop, Simplified
# for the Taobao one; each explains its example message, the names shown as written.
CHINESE_NAMED = [("shopee-zh", "林志明 (志明)", "售前"), ("taobao-zh", "陈晓 (小陈)", "售前")]


@pytest.mark.parametrize(("policy", "agent", "group"), CHINESE_NAMED,
                         ids=[c[0] for c in CHINESE_NAMED])
@pytest.mark.parametrize("lang", LANGUAGES)
def test_explain_chinese_named_policy_golden(lang: str, policy: str, agent: str, group: str,
                                             capsys: pytest.CaptureFixture[str],
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    out = _run(capsys, "explain", f"policies/{policy}.yaml", "--state",
               f"policies/examples/{policy}-state.json", "--event",
               f"policies/examples/{policy}-event.json", "--lang", lang)
    assert agent in out and group in out
    assert_golden(GOLDEN / f"explain-{policy}-{lang}.txt", out)


WHY_NOT = [("shopee.yaml", "gavin"), ("shopee.yaml", "shop-main"), ("shopee.yaml", "intern"),
           ("youzan.yaml", "lina"), ("youzan.yaml", "guodong"), ("taobao.yaml", "a-chen"),
           ("shopee-zh.yaml", "家豪"), ("taobao-zh.yaml", "小赵")]
STATE = [("gavin", "hidden", 0), ("shop-main", "online", 0), ("intern", "online", 0),
         ("lina", "online", 0), ("guodong", "online", 20), ("a-chen", "offline", 0),
         ("家豪", "hidden", 0), ("小赵", "hidden", 0)]


@pytest.mark.parametrize(("policy", "agent_id"), WHY_NOT, ids=[a for _, a in WHY_NOT])
@pytest.mark.parametrize("lang", LANGUAGES)
def test_why_not_golden(policy: str, agent_id: str, lang: str, tmp_path: Path,
                        capsys: pytest.CaptureFixture[str],
                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    state = tmp_path / "state.json"
    rows = [{"id": a, "status": s, "open": o} for a, s, o in STATE if a == agent_id]
    state.write_text(json.dumps({"at": "2026-11-23T10:00:00+08:00", "agents": rows}),
                     encoding="utf-8")
    out = _run(capsys, "why-not", f"policies/{policy}", "--state", str(state), "--agent",
               agent_id, "--lang", lang)
    assert_golden(GOLDEN / f"why-not-{policy.split('.')[0]}-{agent_id}-{lang}.txt", out)


def test_why_not_over_a_shipped_log_golden(capsys: pytest.CaptureFixture[str],
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    for lang in LANGUAGES:
        out = _run(capsys, "why-not", "policies/shopee.yaml", "--log",
                   "policies/logs/shopee-day.jsonl", "--agent", "elly", "--lang", lang)
        assert_golden(GOLDEN / f"why-not-log-shopee-elly-{lang}.txt", out)


def test_policy_tests_report_in_traditional(capsys: pytest.CaptureFixture[str],
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    assert main(["test", "policies/shopee-zh.test.yaml", "--lang", "zh-Hant"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[-1] == "5 個通過，0 個失敗"
    assert "覆蓋率：" in out and out.startswith("通過  policies/shopee-zh.test.yaml:5")
    assert main(["test", "policies/shopee-zh.test.yaml"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "5 passed, 0 failed"


def test_policy_tests_report_in_simplified(capsys: pytest.CaptureFixture[str],
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    assert main(["test", "policies/taobao-zh.test.yaml", "--lang", "zh-Hans"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[-1] == "7 个通过，0 个失败"
    assert "通过  policies/taobao-zh.test.yaml:6  T14 买家未要求人工时先由机器人接待" in out
    assert "(分组 通用)" in out  # the coverage names a pick node's group in the language


def test_simulate_summary_in_simplified(capsys: pytest.CaptureFixture[str],
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    assert main(["simulate", "policies/youzan.yaml", "--log", "policies/logs/youzan-day.jsonl",
                 "--lang", "zh-Hans", "--no-journal"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("已模拟 policies/logs/youzan-day.jsonl 中的 ")
    assert "\n结果：" in out and "\n原因：" in out


@pytest.mark.parametrize("lang", ["zh-Hans", "zh-Hant"])
def test_sarif_and_github_annotations_speak_the_language(
        lang: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """Code scanning and Actions annotations are read by the merchant's team too: the
    messages, hints, rule titles and help are said in `--lang`; rule ids, rule names and
    fingerprints stay the same in every language, so a finding is not new in another."""
    monkeypatch.chdir(ROOT)
    broken = "tests/broken/E110_single_equals.yaml"
    runs = {}
    for shown in ("en", lang):
        assert main(["check", broken, "--format", "sarif", "--lang", shown]) == 1
        runs[shown] = json.loads(capsys.readouterr().out)["runs"][0]
    en, said = runs["en"], runs[lang]
    [result], [english] = said["results"], en["results"]
    hint = {"zh-Hans": "（提示：比较请写 `==`）", "zh-Hant": "（提示：比較請寫 `==`）"}[lang]
    assert result["message"]["text"] == {
        "zh-Hans": "表达式中出现了意外的 '='", "zh-Hant": "運算式中出現了意外的 '='"}[lang] + hint
    assert english["message"]["text"] == ("unexpected '=' in expression "
                                          "(hint: to compare, write `==`)")
    assert result["partialFingerprints"] == english["partialFingerprints"]
    rules, english_rules = said["tool"]["driver"]["rules"], en["tool"]["driver"]["rules"]
    assert [r["name"] for r in rules] == [r["name"] for r in english_rules]
    e110 = next(r for r in rules if r["id"] == "E110")
    assert e110["shortDescription"]["text"] == {"zh-Hans": "表达式语法错误",
                                                "zh-Hant": "運算式語法錯誤"}[lang]
    assert "`when:`" in e110["fullDescription"]["text"]
    assert all(any(c >= "\u4e00" for c in r["fullDescription"]["text"]) for r in rules)
    assert main(["check", broken, "--format", "github", "--lang", lang]) == 1
    line = capsys.readouterr().out
    assert line.startswith("::error file=tests/broken/E110_single_equals.yaml,line=15,col=18,")
    assert {"zh-Hans": "title=E110 表达式语法错误::表达式中出现了意外的 '='",
            "zh-Hant": "title=E110 運算式語法錯誤::運算式中出現了意外的 '='"}[lang] in line


def test_simulate_summary_says_pool_runs_and_counters_in_traditional(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    assert main(["simulate", "policies/taobao.yaml", "--log", "policies/logs/taobao-day.jsonl",
                 "--lang", "zh-Hant", "--no-journal"]) == 0
    out = capsys.readouterr().out
    assert "\n離線池執行 12 次（分出 5 個對話，失敗 5 個，超出上限 0 個）\n" in out
    assert "  失敗的執行：上線且未掛起的客服不足 1\n" in out
    assert "範圍內 5 個中分出 5 個，上線 3 位，上限 30" in out
    assert "\n計數（2026-11-23T23:59:30+08:00）：進行中 29，未讀 0，未分配 4" in out
    assert "  a-chen  離線 進行中 8，未讀 0；今日接入 15，關閉 6" in out
    for english in (" open", "unread", "online", "offline pool runs", "counters at"):
        assert english not in out, english


def test_workload_run_summary_in_traditional(capsys: pytest.CaptureFixture[str],
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    assert main(["simulate", "policies/workloads/sale-day-shop.yaml", "--workload",
                 "policies/workloads/sale-day.yaml", "--lang", "zh-Hant"]) == 0
    out = capsys.readouterr().out
    assert "\n工作量模型 policies/workloads/sale-day.yaml（亂數種子 1111）：797 個對話" in out
    assert "內的服務水準 " in out and "；佔用率 " in out
    assert "service level" not in out and "taken by an agent" not in out
