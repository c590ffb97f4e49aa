"""A policy switch while a shop runs: the live state carried from one revision's engine to the next.

The engine is built for one compiled policy (its pools, staging, timers come
from the artifact), so a switch builds a new engine for the new revision and
hands it what the shop is living through: each agent's live facts, the recent
contacts, the waiting chats and the open conversations. What the new policy no
longer knows cannot be carried: an agent gone from the roster takes its open
conversations and its contacts with it, and a chat waiting for that agent
(Y8, S8) or offered to that agent (runtime/offers.py) joins the queue; other
standing offers stand, with their push timeouts. The counters (S13, Y14) and the offline pool's run
schedule (T2) start again at the switch. The carry-over reads the state only
and is deterministic, so replaying a log with a switch in it rebuilds the
same shop.
"""

from __future__ import annotations

import copy
from typing import Any

from ..runtime.clock import format_instant
from ..runtime.engine import Engine
from ..runtime.router import Router

# `level`, `closed` and `online_seconds` (Y6) keep balanced and measured weighted
# selection where they were across the switch.
_LIVE = ("status", "unread", "pending", "open", "assigned", "closed")


def snapshot_of(engine: Engine, router: Router) -> dict[str, Any]:
    """The CONTRACT.md state snapshot of a running engine, for the agents `router` knows."""
    shop = engine.shop
    tz = engine.router.tz
    agents = []
    for agent in shop.agents.values():
        if agent.id not in router.agent_ids:
            continue
        row: dict[str, Any] = {key: getattr(agent, key) for key in _LIVE}
        row["level"] = agent.balance
        seconds = agent.online_seconds
        if agent.online_from is not None:  # the new engine starts the session anew at `at`
            seconds += shop.at - agent.online_from
        row["online_seconds"] = seconds
        row["channel_open"] = {ch: n for ch, n in sorted(agent.channel_open.items())
                               if n and ch in router.channel_ids}
        since = agent.offline_since
        row["offline_since"] = None if since is None else format_instant(since, tz)
        agents.append(row | {"id": agent.id})
    contacts = [{"buyer": buyer, "agent": agent, "at": format_instant(at, tz)}
                for buyer, (agent, at) in shop.contacts.items() if agent in router.agent_ids]
    waiting = engine.waiting()
    queue = [copy.deepcopy(e) for e in waiting.get("queue", [])]
    for offer in engine.offers.held.values():  # offered to an agent the new roster lacks
        if offer.agent not in router.agent_ids:
            queue.append({"buyer": offer.buyer, "at": format_instant(offer.at, tz),
                          "event": copy.deepcopy(offer.message), "outcome": "queued",
                          "reason": "queued_all_busy", "agent": None})
    queue += [dict(copy.deepcopy(e), outcome="queued", reason="queued_all_busy", agent=None)
              for e in waiting.get("waiting", []) if e.get("agent") not in router.agent_ids]
    return {"at": format_instant(shop.at, tz), "agents": agents, "contacts": contacts,
            "queue": queue,
            "staging": [copy.deepcopy(e) for e in waiting.get("staging", [])],
            "pool": [copy.deepcopy(e) for e in waiting.get("pool", [])]}


def carry_over(engine: Engine, router: Router, trace: str | None) -> Engine:
    """A new engine for `router` that continues where `engine` is."""
    if engine.state is None:
        return Engine(router, trace=trace)
    fresh = Engine(router, snapshot_of(engine, router), trace=trace)
    for buyer, conv in engine.conversations.items():
        if conv.agent in router.agent_ids:
            fresh.conversations[buyer] = copy.copy(conv)
    for entry in engine.waiting().get("waiting", []):
        if entry.get("agent") in router.agent_ids:
            fresh.wait.hold(copy.deepcopy(entry))
    for offer in engine.offers.held.values():  # standing offers stand (their agents' counts
        if offer.agent in router.agent_ids:    # came with the snapshot), timers set again
            fresh.offers.adopt(copy.deepcopy(offer))
    fresh.shop.welcomed = dict(engine.shop.welcomed)
    return fresh
