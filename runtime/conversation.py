"""Open conversations: a buyer with an agent, and the facts its timeouts run from (S11, Y11).

The engine keeps one `Conversation` per buyer with an agent; when its next
timeout is due is `runtime/timers.py`'s `next_timeout`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(slots=True)
class Conversation:
    """One open conversation of a buyer with an agent."""

    buyer: str
    agent: str
    group: str | None
    reason: str
    last_update: float  # last message, read, reply or assignment (S11)
    unread: bool = True
    pending: bool = True  # the buyer's last message is unanswered
    since: float = 0.0  # when it became pending (Y11 agent_no_response)
    replied: float | None = None  # the agent's last reply (Y11 customer_no_response)
    outcome: str = "assigned"  # or main_account (S1, T1: the main account serves it)
    message: dict[str, Any] | None = None  # the buyer's message that opened it
    opened: float = 0.0  # when its agent got it (Y14 first response time)
    answered: bool = False  # its agent has replied since it got it
    stamp: int = -1  # its live timer (-1: none); any other is stale (timers.py)
    due: float = 0.0  # when its live timer fires
    unmoved: bool = False  # reassign_unreplied ran and kept it with its agent
    units: int = 1  # capacity units it takes (its channel's weight, `channels:`)
    channel: str | None = None  # its channel, counted against the agent's channel cap

