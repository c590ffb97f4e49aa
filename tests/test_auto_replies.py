"""Y10 auto replies as the engine sends them: event sequences in, `auto_replies` on records out."""

from __future__ import annotations

from test_engine import conv, engine, feed, msg, status, t

from policyc.runtime.vocabulary import DEFAULT_REPLIES

# The youzan policy: welcome, queued and after-hours on; working hours 09:00-21:30,
# Monday to Saturday. T0 (minute 0) is Monday 2026-11-23 09:00 in the shop.
NIGHT = 13 * 60  # 22:00 Monday, after hours
NEXT_DAY = 24 * 60  # 09:00 Tuesday


def replies(records: list[dict[str, object]]) -> list[tuple[object, object]]:
    return [(r["kind"], r["auto_replies"]) for r in records]


def test_Y10_welcome_once_per_buyer_per_day_continued_messages_included() -> None:
    e = engine("youzan")
    recs = feed(e, msg(0, "w1", "micro_mall"), msg(1, "w1", "micro_mall"),
                msg(2, "w2", "micro_mall"))
    assert replies(recs) == [("route", ["welcome"]), ("continued", []), ("route", ["welcome"])]
    assert recs[0]["auto_reply_texts"] == ["您好，欢迎光临有赞小店，请问有什么可以帮您？"]
    assert "auto_reply_texts" not in recs[1]
    # the chat still waits (staged) the next day: its first message that day is welcomed
    recs = feed(e, msg(NEXT_DAY, "w1", "micro_mall"), msg(NEXT_DAY + 1, "w1", "micro_mall"))
    assert replies(recs) == [("continued", ["welcome"]), ("continued", [])]


def test_Y10_welcome_not_repeated_when_the_buyer_comes_back_the_same_day() -> None:
    e = engine("youzan")
    recs = feed(e, status(0, "guodong", "online"), msg(1, "w1", "micro_mall"),
                conv("close", 2, "guodong", "w1"), msg(3, "w1", "micro_mall"))
    assert replies(recs) == [("route", ["welcome"]), ("route", [])]


def test_Y10_queued_notice_when_the_chat_enters_the_queue_only() -> None:
    e = engine("youzan")
    feed(e, status(0, "liangfei", "online"),
         {"type": "set_capacity", "at": t(0), "agent": "liangfei", "capacity": 1})
    recs = feed(e, msg(1, "q1", "micro_mall"), msg(2, "q2", "micro_mall"),
                msg(3, "q2", "micro_mall"))
    assert [r["outcome"] for r in recs] == ["assigned", "queued", "queued"]
    assert replies(recs) == [("route", ["welcome"]), ("route", ["welcome", "queued"]),
                             ("continued", [])]
    assert recs[1]["auto_reply_texts"][1] == "抱歉，目前客服都在忙呢，请再稍等一会"
    # pulled from the queue later: a release, no buyer message, no reply
    recs = feed(e, conv("close", 4, "liangfei", "q1"))
    assert replies(recs) == [("release", [])]


def test_Y10_after_hours_when_everyone_offline_outside_hours_once_a_day() -> None:
    e = engine("youzan")
    recs = feed(e, msg(0, "h1", "micro_mall"),  # 09:00 Monday: inside working hours
                msg(NIGHT, "h2", "micro_mall"), msg(NIGHT + 1, "h2", "micro_mall"),
                msg(NIGHT + 2, "h1", "micro_mall"))
    assert replies(recs) == [("route", ["welcome"]), ("route", ["welcome", "after_hours"]),
                             ("continued", []), ("continued", ["after_hours"])]
    assert recs[1]["auto_reply_texts"][1] == DEFAULT_REPLIES["zh-Hans"]["after_hours"]


def test_Y10_no_after_hours_while_an_agent_is_not_offline() -> None:
    e = engine("youzan")
    recs = feed(e, status(NIGHT, "jason", "busy"), msg(NIGHT + 1, "h1", "micro_mall"))
    assert replies(recs) == [("route", ["welcome"])]


def test_Y10_empty_text_sends_the_default_text() -> None:
    e = engine("youzan", auto_replies={"welcome": {"enabled": True, "text": "  "}})
    recs = feed(e, msg(0, "w1", "micro_mall"))
    assert recs[0]["auto_reply_texts"] == [DEFAULT_REPLIES["zh-Hans"]["welcome"]]


def test_Y10_switched_off_replies_are_not_sent() -> None:
    e = engine("youzan", auto_replies={"welcome": {"enabled": False, "text": None}})
    recs = feed(e, msg(NIGHT, "w1", "micro_mall"))
    assert replies(recs) == [("route", ["after_hours"])]
