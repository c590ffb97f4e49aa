"""Open conversations (a buyer with an agent) and the timeouts that end or move them (S11, Y11).

The engine keeps one `Conversation` per buyer with an agent; `expired` says
which of them a `tick` at a given time closes or routes again, and why.
"""

from __future__ import annotations

from collections.abc import Iterable
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


def expired(conversations: Iterable[Conversation], timeouts: dict[str, int | None],
            at: float) -> list[tuple[Conversation, str]]:
    """The conversations a tick at `at` ends or moves, each with the timeout's name.

    S11 `close_read_idle` never closes an unread conversation; Y11
    `agent_no_response` / `customer_no_response` close; `reassign_unreplied`
    routes an unanswered one again (the engine decides whether it moves).
    """
    idle = timeouts.get("close_read_idle")
    silent = timeouts.get("customer_no_response")
    slow = timeouts.get("agent_no_response")
    reassign = timeouts.get("reassign_unreplied")
    found: list[tuple[Conversation, str]] = []
    for conv in conversations:
        if idle is not None and not conv.unread and at - conv.last_update > idle:
            found.append((conv, "close_read_idle"))
        elif slow is not None and conv.pending and at - conv.since > slow:
            found.append((conv, "agent_no_response"))
        elif (silent is not None and not conv.pending and conv.replied is not None
              and at - conv.replied > silent):
            found.append((conv, "customer_no_response"))
        elif reassign is not None and conv.pending and at - conv.since > reassign:
            found.append((conv, "reassign_unreplied"))
    return found
