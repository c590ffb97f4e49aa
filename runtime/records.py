"""Routing records: the engine's output, one CONTRACT.md decision per routing outcome.

A record is the decision object of CONTRACT.md plus `kind` (what made it) and
`buyer`; a chat handed out later keeps the buyer's message as `event` and names
the event that handed it out as `cause`. Kinds:

- `route`: a new buyer message decided by the policy's route;
- `continued`: a message that joins the buyer's open conversation, waiting chat or
  standing offer (no new decision; outcome, agent and reason are the chat's current
  ones);
- `release`: a waiting chat handed out later (`queue_pull` Y9,
  `staging_release` S7, `pool_distribution` by hand or by a pool run, or decided again by the
  route when its agent came back (Y8, S8), the S8 grace ran out, or an
  unanswered conversation moved on (`why`: `reassign_unreplied`);
- `transfer`: a conversation forwarded by an agent (S10, Y12);
- `initiated`: a chat an agent started with a buyer who had none (T12 "agent-initiated
  (not routed)": a `pick` naming a buyer not waiting anywhere). Outcome `assigned`,
  reason `agent_initiated`, the agent's first group, no source; `event` is the pick;
- `accepted`: an offered chat its agent accepted (runtime/offers.py): outcome
  `assigned` with the offer's reason and selection, `cause` the `accept` event;
- `declined`: an offer that ended unaccepted (`why`: `declined`, `push_timeout`,
  `agent_offline`; `offered_at`); no outcome. The chat's new decision follows it as
  a `release` record;
- `closed`: a conversation a timeout closed (`why`: S11 `close_read_idle`, Y11
  `customer_no_response` / `agent_no_response`), at the timeout's instant; no outcome;
  `auto_replies` names the Y11 timeout notice sent with it (`customer_timeout`,
  `agent_timeout`; `auto_reply_texts` its text), else is empty;
- `ignored`: an event that changed nothing (`why` says what was missing); no outcome;
- `membership`: an agent joined or left a group while the shop runs (S12; with
  `left`, the groups S2 took it out of; `groups`, its groups after); no outcome,
  no buyer: the change itself moves no chat;
- `pool_run`: one scheduled run of the offline pool at its slot (T8: slot, head
  count, cap, distributed, failures with reasons; runtime/offline_pool.py); no
  outcome. The chats it gives out follow it as `release` records.

A record a timer made (runtime/timers.py) names the instant it fired at as
`{"type": "tick", "at": ...}`, its `event` or `cause`. Any record may carry
`facts`, the agent facts changed since the previous record (runtime/facts.py).
"""

from __future__ import annotations

from typing import Any

from .decision import Decision

Record = dict[str, Any]
Event = dict[str, Any]

KINDS = ("route", "continued", "release", "transfer", "accepted", "initiated", "declined",
         "closed", "ignored", "membership", "pool_run")
# kinds that are a new routing outcome
DECIDED = ("route", "release", "transfer", "accepted", "initiated")


def from_decision(kind: str, d: Decision, level: str, message: Event | None = None,
                  cause: Event | None = None) -> Record:
    """A record of a decision the route made (`level`: the trace view kept)."""
    rec: Record = {"kind": kind, "buyer": d.buyer, **d.to_dict(level)}
    if cause is not None:
        rec["event"] = message
        rec["cause"] = cause
    return rec


def made(kind: str, at: str, buyer: str, message: Event, outcome: str, reason: str,
         agent: str | None, group: str | None, policy: str, selection: str | None = None,
         source: str | None = None, cause: Event | None = None) -> Record:
    """A record the engine made itself (no route walked: `path` is empty)."""
    rec: Record = {
        "kind": kind, "buyer": buyer, "at": at, "event": message, "outcome": outcome,
        "agent": agent, "group": group, "source": source or message.get("source"),
        "reason": reason, "selection": selection, "auto_replies": [], "policy": policy,
        "path": [],
    }
    if cause is not None:
        rec["cause"] = cause
    return rec


def closed(event: Event, buyer: str, agent: str, why: str, policy: str) -> Record:
    """A conversation a tick closed, and which timeout closed it."""
    return {"kind": "closed", "buyer": buyer, "at": event["at"], "event": event,
            "agent": agent, "why": why, "policy": policy}


def ignored(event: Event, why: str, policy: str) -> Record:
    """An event that changed nothing, and what it lacked."""
    return {"kind": "ignored", "at": event["at"], "event": event, "why": why, "policy": policy}


def membership(event: Event, left: list[str], groups: list[str], policy: str) -> Record:
    """An agent joined or left a group (S12): the groups it left and has now."""
    return {"kind": "membership", "at": event["at"], "event": event, "agent": event["agent"],
            "group": event["group"], "member": event["member"], "left": left,
            "groups": list(groups), "policy": policy}
