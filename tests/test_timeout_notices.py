"""Y11 timeout notices (Youzan 会话超时设置: 超时提示, seed 002) through the CLI.

`auto_replies.customer_timeout` and `auto_replies.agent_timeout` are the text
the buyer is sent when the `customer_no_response` / `agent_no_response` timeout
closes the chat: the `closed` record names the notice in `auto_replies` and its
text in `auto_reply_texts` (the policy's, or the default in `shop.language`).
No other close sends one: an agent's `close`, nor S11 `close_read_idle`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import jsonschema.validators
import pytest
from replay import simulate_records, write_log

from policyc.cli import main
from policyc.runtime.vocabulary import DEFAULT_REPLIES

ROOT = Path(__file__).resolve().parents[1]
T = "2026-11-23T10:{:02d}:00+08:00"
SEED_TEXT = "您好, 由于很久没有收到您的消息, 我们将结束对话。如果还需要, 欢迎随时联系我们。"

POLICY = """\
policyc: 1
shop:
  id: y11-notices
  timezone: Asia/Shanghai
  language: {language}
  sources: [micro_mall]
  grouping: on
  include_main_account: false
roster:
  - {{id: boss, role: main, created_at: "2020-01-01T09:00:00+08:00"}}
  - {{id: ann, created_at: "2020-02-01T09:00:00+08:00"}}
groups:
  care: {{members: [ann], sources: [micro_mall]}}
route:
  - bindings
  - stage
auto_replies:
{replies}
timeouts:
  close_read_idle: {idle}
  customer_no_response: 15m
  agent_no_response: 10m
"""


def event(minute: int, kind: str, **fields: str) -> dict[str, Any]:
    return {"type": kind, "at": T.format(minute), **fields}


def simulate(tmp_path: Path, events: list[dict[str, Any]], replies: str,
             language: str = "zh-Hans", idle: str = "null") -> list[dict[str, Any]]:
    """`policyc simulate` the shop over these events: its records."""
    policy = tmp_path / "shop.yaml"
    policy.write_text(POLICY.format(language=language, replies=replies, idle=idle),
                      encoding="utf-8")
    return simulate_records(policy, write_log(tmp_path, events), tmp_path / "out.jsonl")


def closed(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for r in records if r["kind"] == "closed"]


# ann answers at 10:02 and the buyer stays silent: customer_no_response at 10:17.
SILENT_BUYER = [event(0, "agent_status", agent="ann", status="online"),
                event(1, "message", buyer="b1", source="micro_mall"),
                event(2, "reply", agent="ann", buyer="b1"),
                event(40, "tick")]
# ann never answers: agent_no_response at 10:11.
SILENT_AGENT = [event(0, "agent_status", agent="ann", status="online"),
                event(1, "message", buyer="b1", source="micro_mall"),
                event(40, "tick")]
BOTH_ON = ("  customer_timeout: {enabled: true, text: \"" + SEED_TEXT + "\"}\n"
           "  agent_timeout: {enabled: true, text: 客服忙，稍后再聊}\n")


def test_Y11_customer_no_response_close_sends_the_customer_timeout_notice(
        tmp_path: Path) -> None:
    (rec,) = closed(simulate(tmp_path, SILENT_BUYER, BOTH_ON))
    assert (rec["why"], rec["at"], rec["auto_replies"], rec["auto_reply_texts"]) == (
        "customer_no_response", T.format(17), ["customer_timeout"], [SEED_TEXT])


def test_Y11_agent_no_response_close_sends_the_agent_timeout_notice(tmp_path: Path) -> None:
    (rec,) = closed(simulate(tmp_path, SILENT_AGENT, BOTH_ON))
    assert (rec["why"], rec["at"], rec["auto_replies"], rec["auto_reply_texts"]) == (
        "agent_no_response", T.format(11), ["agent_timeout"], ["客服忙，稍后再聊"])


@pytest.mark.parametrize("language", ["zh-Hans", "zh-Hant", "en"])
@pytest.mark.parametrize(("events", "name"), [(SILENT_BUYER, "customer_timeout"),
                                              (SILENT_AGENT, "agent_timeout")])
def test_Y11_an_empty_notice_text_sends_the_default_in_the_shop_language(
        tmp_path: Path, language: str, events: list[dict[str, Any]], name: str) -> None:
    replies = f"  {name}: {{enabled: true}}\n"
    (rec,) = closed(simulate(tmp_path, events, replies, language=language))
    assert rec["auto_replies"] == [name]
    assert rec["auto_reply_texts"] == [DEFAULT_REPLIES[language][name]]


def test_Y11_the_zh_hans_customer_default_is_the_seed_text() -> None:
    assert DEFAULT_REPLIES["zh-Hans"]["customer_timeout"] == SEED_TEXT


def test_Y11_only_the_closing_timeout_sends_its_notice(tmp_path: Path) -> None:
    # agent_timeout on, customer_timeout off: the customer-side close sends nothing
    replies = "  agent_timeout: {enabled: true}\n"
    (rec,) = closed(simulate(tmp_path, SILENT_BUYER, replies))
    assert rec["why"] == "customer_no_response"
    assert rec["auto_replies"] == [] and "auto_reply_texts" not in rec


def test_Y11_a_disabled_notice_is_not_sent(tmp_path: Path) -> None:
    replies = ("  customer_timeout: {enabled: false, text: bye}\n"
               "  agent_timeout: {enabled: false, text: bye}\n")
    for events in (SILENT_BUYER, SILENT_AGENT):
        (rec,) = closed(simulate(tmp_path, events, replies))
        assert rec["auto_replies"] == [] and "auto_reply_texts" not in rec


def test_Y11_an_agents_close_sends_no_notice(tmp_path: Path) -> None:
    events = [*SILENT_BUYER[:3], event(5, "close", agent="ann", buyer="b1"), event(40, "tick")]
    records = simulate(tmp_path, events, BOTH_ON)
    assert closed(records) == []
    assert all(not r.get("auto_reply_texts") for r in records)


def test_Y11_a_read_idle_close_sends_no_notice(tmp_path: Path) -> None:
    # read at 10:02 and idle 5 minutes: S11 closes it before either Y11 timeout
    events = [*SILENT_AGENT[:2], event(2, "read", agent="ann", buyer="b1"), event(40, "tick")]
    (rec,) = closed(simulate(tmp_path, events, BOTH_ON, idle="5m"))
    assert rec["why"] == "close_read_idle"
    assert rec["auto_replies"] == [] and "auto_reply_texts" not in rec


def test_Y11_closed_records_with_a_notice_fit_the_published_schema(tmp_path: Path) -> None:
    schema = json.loads((ROOT / "policyc" / "schemas" / "record.schema.json").read_text())
    validator = jsonschema.validators.validator_for(schema)(schema)
    for events in (SILENT_BUYER, SILENT_AGENT):
        for rec in simulate(tmp_path, events, BOTH_ON):
            validator.validate(rec)


def test_Y11_explain_shows_the_notice_on_the_closed_record(tmp_path: Path,
                                                           capsys: Any) -> None:
    simulate(tmp_path, SILENT_BUYER, BOTH_ON)  # writes the shop and its log
    capsys.readouterr()
    assert main(["explain", str(tmp_path / "shop.yaml"), "--log", str(tmp_path / "log.jsonl"),
                 "--buyer", "b1", "--lang", "en"]) == 0
    text = capsys.readouterr().out
    closing = text[text.index("— closed"):].splitlines()  # the closed record, last
    assert [" ".join(line.split()) for line in closing[1:]] == [
        "agent: ann", "why: customer_no_response", "replies: customer_timeout"]
