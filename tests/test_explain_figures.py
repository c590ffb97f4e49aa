"""The numbers behind each choice, through the CLI: figures, tie-break, spans, replies.

"a-chen 0.31 against b-lin 0.27" on Taobao's best conversion rate, the outcome
line at the binding that matched (taobao.yaml:72, not the first binding's 66),
the figures as data in the JSON trace, a trace that changes no decision, and
the Taiwan shop's default reply texts in Traditional Chinese.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest
from test_conformance import CASES, Case, message

from policyc.api import decide, load, state
from policyc.cli import main

ROOT = Path(__file__).resolve().parents[1]
AT = "2026-11-23T10:00:00+08:00"


def _explain(tmp_path: Path, capsys: pytest.CaptureFixture[str], policy: str,
             agents: Sequence[Mapping[str, object]], *extra: str, **event: object) -> str:
    state_file, event_file = tmp_path / "state.json", tmp_path / "event.json"
    state_file.write_text(json.dumps({"at": AT, "agents": agents}), encoding="utf-8")
    event_file.write_text(json.dumps(message(at=AT, **event)), encoding="utf-8")
    assert main(["explain", str(ROOT / "policies" / policy), "--state", str(state_file),
                 "--event", str(event_file), *extra]) == 0
    return capsys.readouterr().out


TAOBAO_PRESALE = [{"id": a, "status": "online"} for a in ("a-chen", "b-lin", "c-wu")]


def test_the_rate_each_candidate_had(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = _explain(tmp_path, capsys, "taobao.yaml", TAOBAO_PRESALE)
    assert ("picked a-chen by best conversion rate for the chats already open: a-chen 0.31 "
            "with 0 open against b-lin 0.27 with 0 open, c-wu 0.22 with 0 open" in out)
    assert "taobao.yaml:78:5] outcome:assigned:source_group" in out


def test_the_figures_are_data_in_the_trace(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    out = _explain(tmp_path, capsys, "taobao.yaml", TAOBAO_PRESALE, "--format", "json")
    trace = json.loads(out)["trace"]
    pick = next(s for s in trace if s.get("picked"))
    assert pick["compared"] == [{"agent": "a-chen", "conversion_rate": 0.31, "open": 0},
                                {"agent": "b-lin", "conversion_rate": 0.27, "open": 0},
                                {"agent": "c-wu", "conversion_rate": 0.22, "open": 0}]
    assert trace[-1]["kind"] == "outcome" and trace[-1]["span"].endswith("taobao.yaml:78:5")


def test_unread_against_unread_and_the_tie_break(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    out = _explain(tmp_path, capsys, "shopee.yaml", [
        {"id": "chrissy", "status": "online", "unread": 3},
        {"id": "elly", "status": "online", "unread": 1}])
    assert "picked elly by fewest unread chats: elly 1 unread against chrissy 3 unread" in out
    tied = _explain(tmp_path, capsys, "shopee.yaml", [
        {"id": "chrissy", "status": "online", "unread": 2},
        {"id": "elly", "status": "online", "unread": 2}], "--format", "json")
    pick = next(s for s in json.loads(tied)["trace"] if s.get("picked"))
    assert pick["selection"] == "earliest_created"
    assert pick["tie_break"] == {"agent": "chrissy", "created": "2023-02-01T09:00:00+08:00",
                                 "other": "elly", "other_created": "2023-03-15T09:00:00+08:00"}


def test_no_matching_needed_and_who_a_chat_waits_for(tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    back = _explain(tmp_path, capsys, "youzan.yaml",
                    [{"id": "xiao-yijian", "status": "online"}], buyer="18058195211",
                    source="mini_program")
    assert "exclusive agent xiao-yijian (strict) — no matching needed" in back
    waits = _explain(tmp_path, capsys, "youzan.yaml", [], buyer="18767120425",
                     source="own_app")
    assert "  agent:     - (waiting for lou-chengfeng)\n" in waits


@pytest.mark.parametrize("case", CASES, ids=[c.rule for c in CASES])
def test_a_trace_changes_no_decision(case: Case) -> None:
    folder = ROOT if case.policy.startswith("tests/") else ROOT / "policies"
    router = load(folder / case.policy)
    snapshot = {"at": case.at, "agents": case.agents, "contacts": case.contacts}
    event = message(**{"at": case.at, **case.event})
    plain = decide(router, state(router, snapshot), event).to_dict()
    traced = decide(router, state(router, snapshot), event, trace=True).to_dict()
    traced.pop("trace")
    assert plain == traced


def test_the_taiwan_shop_sends_traditional_default_replies(tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]
                                                          ) -> None:
    policy = (ROOT / "policies" / "shopee.yaml").read_text(encoding="utf-8")
    path = tmp_path / "shopee-replies.yaml"
    path.write_text(policy + "auto_replies:\n  welcome: {enabled: true}\n", encoding="utf-8")
    log = tmp_path / "log.jsonl"
    log.write_text(json.dumps({"type": "message", "at": AT, "buyer": "b-1",
                               "source": "product_page"}) + "\n", encoding="utf-8")
    out = tmp_path / "records.jsonl"
    assert main(["simulate", str(path), "--log", str(log), "-o", str(out), "--no-journal"]) == 0
    capsys.readouterr()
    [record] = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert record["auto_reply_texts"] == ["您好，歡迎光臨"]
    simplified = path.read_text(encoding="utf-8").replace("language: zh-Hant", "language: zh-Hans")
    path.write_text(simplified, encoding="utf-8")
    assert main(["simulate", str(path), "--log", str(log), "-o", str(out), "--no-journal"]) == 0
    capsys.readouterr()
    assert json.loads(out.read_text(encoding="utf-8"))["auto_reply_texts"] == ["您好，欢迎光临"]
