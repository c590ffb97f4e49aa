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
    errors += [f"tests/broken/{name}.yaml" for name in (
        "E120_roster_not_a_list", "E121_unknown_key", "E122_shop_without_timezone",
        "E123_unknown_time_zone", "E124_duplicate_key")]
    assert_golden(GOLDEN / f"check-errors-{lang}.txt",
                  _run(capsys, "check", *errors, "--lang", lang))


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


@pytest.mark.parametrize("lang", LANGUAGES)
def test_explain_chinese_named_policy_golden(lang: str, capsys: pytest.CaptureFixture[str],
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    out = _run(capsys, "explain", "policies/shopee-zh.yaml", "--state",
               "policies/examples/shopee-zh-state.json", "--event",
               "policies/examples/shopee-zh-event.json", "--lang", lang)
    assert "林志明 (志明)" in out and "售前" in out
    assert_golden(GOLDEN / f"explain-shopee-zh-{lang}.txt", out)


WHY_NOT = [("shopee.yaml", "gavin"), ("shopee.yaml", "shop-main"), ("shopee.yaml", "intern"),
           ("youzan.yaml", "lina"), ("youzan.yaml", "guodong"), ("taobao.yaml", "a-chen"),
           ("shopee-zh.yaml", "家豪")]
STATE = [("gavin", "hidden", 0), ("shop-main", "online", 0), ("intern", "online", 0),
         ("lina", "online", 0), ("guodong", "online", 20), ("a-chen", "offline", 0),
         ("家豪", "hidden", 0)]


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


def test_simulate_summary_in_simplified(capsys: pytest.CaptureFixture[str],
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    assert main(["simulate", "policies/youzan.yaml", "--log", "policies/logs/youzan-day.jsonl",
                 "--lang", "zh-Hans", "--no-journal"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("已模拟 policies/logs/youzan-day.jsonl 中的 ")
    assert "\n结果：" in out and "\n原因：" in out
