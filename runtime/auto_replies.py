"""Y10 auto replies in the engine: which system-sent replies each record carries, and their texts.

The router names the replies a fresh decision would send (`Decision.auto_replies`);
the engine owns time, so it settles what is actually sent:

- `welcome`: on the buyer's first message of the shop-local day, route or
  `continued` alike; at most once per buyer per day (`ShopState.welcomed`).
- `queued`: when the chat enters the queue: a route or a waiting chat decided
  again into the queue; a message that joins a chat already queued gets none.
- `after_hours`: on a buyer message while every agent is offline and the shop
  is outside `working_hours` (no hours set: always outside); at most once per
  buyer per shop-local day, like the welcome (seed 002: "一天内只会回复一次", to
  keep from pestering the buyer).

None of them is sent on an `excluded` chat (Y5: kept out of routing entirely) or
one the assistant handles (`assistant`: T14 bot first, T1 offline to the
assistant, which greets the buyer itself); `vocabulary.REPLY_OUTCOMES` is the
table of which outcome gets which reply.

- `customer_timeout` / `agent_timeout` (Y11 超时提示): on the `closed` record of a
  conversation the `customer_no_response` / `agent_no_response` timeout closed
  (`vocabulary.TIMEOUT_REPLIES`); no other close sends anything.

A chat handed out or decided again later (a `release`) is no buyer message: it
gets only `queued`, and only when it enters the queue. Records carry the names
in `auto_replies` and, when any, the texts sent in `auto_reply_texts` (the
policy's text, or DEFAULT_REPLIES in the shop's language when the text is empty).
"""

from __future__ import annotations

from typing import Any

from .clock import local_minute_and_day
from .state import ShopState
from .vocabulary import DEFAULT_REPLIES, OUTCOMES, REPLY_OUTCOMES, TIMEOUT_REPLIES


class AutoReplies:
    """The shop's reply switches and texts, and who got the after-hours reply when."""

    def __init__(self, settings: dict[str, Any], tz: str, language: str = "zh-Hans") -> None:
        replies = settings.get("auto_replies") or {}
        self.tz = tz
        self.defaults = DEFAULT_REPLIES[language]  # `shop.language`'s default texts
        self.on = {name for name, spec in replies.items() if spec.get("enabled")}
        # outcome -> the switched-on replies sent on it, looked up once per message
        self.by_outcome = {outcome: {n for n in self.on if outcome in REPLY_OUTCOMES[n]}
                           for outcome in OUTCOMES}
        self.texts = {name: _text(spec.get("text"), self.defaults[name])
                      for name, spec in replies.items()}
        self.hours: dict[str, Any] | None = settings.get("working_hours")
        self.after_hours_day: dict[str, str] = {}  # buyer -> local date it was sent

    def for_message(self, state: ShopState, buyer: str, at: float, outcome: str,
                    entered_queue: bool) -> list[str]:
        """The replies a buyer message gets (and note them as sent): only those sent on its
        outcome (REPLY_OUTCOMES)."""
        on = self.by_outcome.get(outcome)
        if not on:
            return []
        minute, day, date = local_minute_and_day(at, self.tz)
        out: list[str] = []
        if "welcome" in on and state.welcomed.get(buyer) != date:
            state.welcomed[buyer] = date
            out.append("welcome")
        if "queued" in on and entered_queue:
            out.append("queued")
        if ("after_hours" in on and self.after_hours_day.get(buyer) != date
                and not self._open(minute, day)
                and all(a.status == "offline" for a in state.agents.values())):
            self.after_hours_day[buyer] = date
            out.append("after_hours")
        return out

    def for_release(self, outcome: str) -> list[str]:
        """The replies a chat decided again gets: the queue notice when it enters the queue."""
        return ["queued"] if "queued" in self.by_outcome.get(outcome, ()) else []

    def for_close(self, why: str) -> list[str]:
        """The notice a conversation closed by the timeout `why` gets: its Y11 timeout
        notice when switched on; none for any other close."""
        name = TIMEOUT_REPLIES.get(why)
        return [name] if name is not None and name in self.on else []

    def stamp(self, record: dict[str, Any], names: list[str]) -> dict[str, Any]:
        """Put the replies on a record: names always, texts when there are any."""
        record["auto_replies"] = names
        if names:
            record["auto_reply_texts"] = [self.texts.get(n) or self.defaults[n] for n in names]
        return record

    def _open(self, minute: int, day: str) -> bool:
        hours = self.hours
        if not hours:
            return False
        return day in hours["days"] and hours["from"] <= minute < hours["to"]


def _text(text: str | None, default: str) -> str:
    """The policy's text, or the default when it is empty or blank (lint W310 warns)."""
    return text if text and text.strip() else default
