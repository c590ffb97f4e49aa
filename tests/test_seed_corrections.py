"""Issue 12's seed corrections, each through `policyc simulate` / `explain --log` or the Engine.

- S8, Y3, T10: the returning-buyer window counts from the buyer's last exchange with
  its agent (a message in the open conversation, the agent's reply), not from the
  assignment.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from policyc.cli import main
from policyc.compiler import compile_file
from policyc.runtime.engine import Engine
from policyc.runtime.router import Router

ROOT = Path(__file__).resolve().parents[1]
POLICIES = ROOT / "policies"


def _write_log(path: Path, events: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(e) + "\n" for e in events), encoding="utf-8")
    return path


def _simulate(policy: Path, log: Path, tmp_path: Path) -> list[dict[str, Any]]:
    out = tmp_path / "records.jsonl"
    assert main(["simulate", str(policy), "--log", str(log), "-o", str(out),
                 "--no-journal"]) == 0
    return [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]


# Shopee (window 3d): chrissy and elly online; b-week writes Monday 10:00 (chrissy gets
# it, unread over night, so it stays open), again Tuesday 09:00 in the same conversation,
# chrissy replies 09:10 (read: closed 30 minutes later, S11). b-once writes Monday 10:00
# too (elly) and is closed at once. Both come back Thursday 12:00, 74 h after Monday.
STORY = [
    {"type": "agent_status", "at": "2026-11-23T09:00:00+08:00", "agent": "chrissy",
     "status": "online"},
    {"type": "agent_status", "at": "2026-11-23T09:00:00+08:00", "agent": "elly",
     "status": "online"},
    {"type": "message", "at": "2026-11-23T10:00:00+08:00", "buyer": "b-week",
     "source": "product_page"},
    {"type": "message", "at": "2026-11-23T10:00:00+08:00", "buyer": "b-once",
     "source": "product_page"},
    {"type": "close", "at": "2026-11-23T10:01:00+08:00", "agent": "elly", "buyer": "b-once"},
    {"type": "message", "at": "2026-11-24T09:00:00+08:00", "buyer": "b-week",
     "source": "product_page"},
    {"type": "reply", "at": "2026-11-24T09:10:00+08:00", "agent": "chrissy",
     "buyer": "b-week"},
    {"type": "message", "at": "2026-11-26T12:00:00+08:00", "buyer": "b-week",
     "source": "product_page"},
    {"type": "message", "at": "2026-11-26T12:00:00+08:00", "buyer": "b-once",
     "source": "product_page"},
]


def test_S8_window_counts_from_the_last_exchange_not_the_assignment(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    log = _write_log(tmp_path / "story.jsonl", STORY)
    routes = [r for r in _simulate(POLICIES / "shopee.yaml", log, tmp_path)
              if r["kind"] == "route" and r["at"].startswith("2026-11-26")]
    by_buyer = {r["buyer"]: r for r in routes}
    assert (by_buyer["b-week"]["reason"], by_buyer["b-week"]["agent"]) == \
        ("recent_contact", "chrissy")  # Tuesday's reply is 50.8 h before Thursday noon
    assert by_buyer["b-once"]["reason"] == "source_group"  # Monday's is 74 h: afresh
    capsys.readouterr()
    args = ["explain", str(POLICIES / "shopee.yaml"), "--log", str(log), "--level", "fails",
            "--at", "2026-11-26T12:00:00+08:00", "--buyer"]
    assert main([*args, "b-week"]) == 0
    assert "talked to chrissy 50.83 hours ago" in capsys.readouterr().out
    assert main([*args, "b-once"]) == 0
    assert "no recent contact within 72h (last: 74.0h ago)" in capsys.readouterr().out


def test_S8_a_read_is_no_exchange_and_a_waiting_message_is_none() -> None:
    """Only the buyer's messages with its agent and the agent's replies renew the contact."""
    result = compile_file(POLICIES / "shopee.yaml")
    assert result.artifact is not None
    engine = Engine(Router(result.artifact))
    engine.run(STORY[:3])
    monday = engine.shop.contacts["b-week"][1]
    engine.feed({"type": "read", "at": "2026-11-23T11:00:00+08:00", "agent": "chrissy",
                 "buyer": "b-week"})
    assert engine.shop.contacts["b-week"][1] == monday
    engine.feed({"type": "reply", "at": "2026-11-23T11:05:00+08:00", "agent": "chrissy",
                 "buyer": "b-week"})
    assert engine.shop.contacts["b-week"] == ("chrissy", monday + 65 * 60)


def test_S8_contact_rows_stay_bounded_however_often_a_buyer_writes() -> None:
    """runtime/horizon.py's memory: many exchanges of few buyers keep few contact rows."""
    result = compile_file(POLICIES / "shopee.yaml")
    assert result.artifact is not None
    engine = Engine(Router(result.artifact))
    engine.run(STORY[:3])
    for i in range(1000):
        minute = f"2026-11-23T{11 + i // 120:02d}:{(i // 2) % 60:02d}:{(i % 2) * 30:02d}+08:00"
        engine.feed({"type": "message", "at": minute, "buyer": "b-week",
                     "source": "product_page"} if i % 2 else
                    {"type": "reply", "at": minute, "agent": "chrissy", "buyer": "b-week"})
    assert len(engine.shop.contacts) == 1
    assert len(engine.shop.contact_times) <= 2 * 1 + 65


# -- Y5, T14: no auto replies to excluded or bot-handled chats ---------------------------------

def test_Y5_excluded_wechat_oa_message_gets_no_welcome_or_after_hours_reply(
        tmp_path: Path) -> None:
    """Youzan at 22:00 Monday (after hours, everyone offline): the excluded WeChat OA fan
    gets nothing; a micro-mall buyer at the same moment gets the welcome and the notice."""
    night = "2026-11-23T22:00:00+08:00"
    log = _write_log(tmp_path / "night.jsonl", [
        {"type": "message", "at": night, "buyer": "fan-1", "source": "wechat_oa"},
        {"type": "message", "at": night, "buyer": "mall-1", "source": "micro_mall"},
        {"type": "message", "at": "2026-11-23T22:01:00+08:00", "buyer": "fan-1",
         "source": "wechat_oa"},
    ])
    records = _simulate(POLICIES / "youzan.yaml", log, tmp_path)
    got = [(r["buyer"], r["outcome"], r["auto_replies"]) for r in records
           if r["kind"] in ("route", "continued")]
    assert got == [("fan-1", "excluded", []), ("mall-1", "staged", ["welcome", "after_hours"]),
                   ("fan-1", "excluded", [])]
    assert all("auto_reply_texts" not in r for r in records if r["buyer"] == "fan-1")


def test_T14_bot_first_chat_gets_no_human_welcome_the_hand_off_does() -> None:
    """Taobao with every auto reply on: presale's assistant (group bot first) greets a
    presale question itself; the buyer's first message to a human that day (the bot
    hand-off) gets the welcome."""
    from test_engine import engine, feed, msg, status

    on = {n: {"enabled": True, "text": None} for n in ("welcome", "queued", "after_hours")}
    e = engine("taobao", auto_replies=on)
    recs = [r for r in feed(e, status(0, "a-chen", "online"), status(0, "d-zhao", "online"),
                            msg(1, "tb-1", intent="size_advice"),
                            msg(2, "tb-1", "bot_handoff", intent="size_advice",
                                wants_human=True))
            if r["kind"] == "route"]
    assert [(r["outcome"], r["reason"], r["auto_replies"]) for r in recs] == [
        ("assistant", "bot_first", []), ("assigned", recs[1]["reason"], ["welcome"])]
    assert recs[1]["agent"] is not None
