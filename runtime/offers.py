"""Offers (issue 12): an automatic assignment waits for its agent to accept or decline it.

With `offers: {push_timeout: 30s}` in a policy, a chat the engine gives an
agent by itself (the route's `assigned`, a waiting chat decided again, a queue
pull, a staging release, a pool run) does not open at once: it is `offered`
to that agent. The offer holds a place among the agent's open chats (its
`open`, `unread` and `pending` count it, so capacity, Y2, and every selection
strategy see it, and G2 holds while offers stand), and a push-timeout timer
runs (runtime/timers.py, kind `offer`). Then:

- `accept` (the offered agent, the buyer): the conversation opens; an
  `accepted` record (outcome `assigned`, the offer's reason and selection);
- `decline`, the timeout, or the agent going offline: a `declined` record
  (`why`: `declined`, `push_timeout`, `agent_offline`), then the chat is decided
  again at once with every agent that declined or let an offer of it run out
  left out (`Router.decide(avoid=...)`, whys `declined` / `offer_timed_out`):
  a new offer, or the queue, staging, ... as the route says (a `release`
  record). A chat keeps those exclusions while it waits, so no queue pull,
  staging release or pool run offers it to them again; they end when it opens.

An `accept` or `decline` that matches no standing offer is an `ignored` record
saying why. A buyer writing while the offer stands gets a `continued` record
(outcome `offered`). What an agent does by hand (`pick`, `transfer`) and what
moves an open conversation (`reassign_unreplied`) are not offered.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from . import records
from .clock import format_instant
from .records import Event, Record

if TYPE_CHECKING:
    from .decision import Decision
    from .engine import Engine
    from .timers import Timer

# Why an offer ended without an accept (a `declined` record's `why`), and the why its
# agent is left out of the chat's later decisions with.
ENDINGS = {"declined": "declined", "push_timeout": "offer_timed_out",
           "agent_offline": "offer_timed_out"}


@dataclass(slots=True)
class Offer:
    """A chat offered to one agent, waiting for its answer."""

    buyer: str
    agent: str
    group: str | None
    reason: str
    selection: str | None
    message: Event  # the buyer's message the chat started with
    at: float  # when it was offered
    due: float  # when its push timeout runs out
    since: float  # when the chat started waiting (a binding's requirement relaxes by it)
    source: str | None  # the record's source when not the message's (offline_pool)
    avoid: dict[str, str] = field(default_factory=dict)  # left out of this chat so far
    stamp: int = 0  # its timer


class Offers:
    """The standing offers of one engine, and what `accept`, `decline` and the push
    timeout do to them; it reads and changes the engine it belongs to."""

    def __init__(self, engine: Engine, settings: dict[str, Any] | None) -> None:
        self.e = engine
        self.timeout: int | None = None if settings is None else settings["push_timeout"]
        self.held: dict[str, Offer] = {}  # buyer -> its offer, in the order they were made

    @property
    def on(self) -> bool:
        """Whether this policy offers chats (`offers:` set)."""
        return self.timeout is not None

    # -- making one ----------------------------------------------------------------------
    def make(self, buyer: str, agent_id: str, group: str | None, reason: str,
             selection: str | None, message: Event, at: float, since: float | None,
             avoid: dict[str, str] | None, source: str | None = None) -> Offer:
        """Offer a chat to an agent: hold its place, start the push timeout."""
        assert self.timeout is not None
        agent = self.e.shop.agents[agent_id]
        if group is None and agent.groups:
            group = agent.groups[0]
        self.e.shop.reserve(agent, *self.e.router.load_of(message.get("source")))
        timers = self.e.time.timers
        offer = Offer(buyer, agent_id, group, reason, selection, message, at,
                      at + self.timeout, at if since is None else since, source,
                      dict(avoid or {}), timers.seq)
        self.held[buyer] = offer
        timers.set(offer.due, "offer", buyer, offer.stamp)
        return offer

    def offered(self, d: Decision, rec: Record) -> Record:
        """A decision's record once its chat is offered: outcome `offered`, with the push
        timeout's end (`offer_due`)."""
        offer = self.held[d.buyer]
        rec["outcome"] = "offered"
        rec["offer_due"] = format_instant(offer.due, self.e.router.tz)
        return rec

    def adopt(self, offer: Offer) -> None:
        """Carry a standing offer into this engine (a policy switch, policyc/serve): its
        agent's counts already hold its place; its timer is set again."""
        offer.stamp = self.e.time.timers.seq
        self.held[offer.buyer] = offer
        self.e.time.timers.set(max(offer.due, self.e.shop.at), "offer", offer.buyer,
                               offer.stamp)

    # -- answers -------------------------------------------------------------------------
    def answer(self, event: Event, at: float, out: list[Record]) -> None:
        """An `accept` or `decline` event: for the buyer's standing offer to that agent,
        else recorded ignored with why."""
        buyer, agent = event["buyer"], event["agent"]
        offer = self.held.get(buyer)
        why = None
        if offer is None:
            conv = self.e.conversations.get(buyer)
            why = f"{buyer}'s chat is not offered to anyone" + (
                f" (it is open with {conv.agent})" if conv is not None else "")
        elif offer.agent != agent:
            why = f"{buyer}'s chat is offered to {offer.agent}, not to {agent}"
        if offer is None or why is not None:
            out.append(records.ignored(event, str(why), self.e.policy))
            return
        if event["type"] == "accept":
            self._accept(offer, event, at, out)
        else:
            self.end(offer, "declined", event, at, out)

    def _accept(self, offer: Offer, event: Event, at: float, out: list[Record]) -> None:
        """The agent takes the offered chat: the conversation opens."""
        del self.held[offer.buyer]
        e = self.e
        e.shop.assign(e.shop.agents[offer.agent], offer.buyer, at, reserved=True)
        e._open(offer.buyer, offer.agent, offer.group, offer.reason, at, offer.message, "auto")
        out.append(records.made("accepted", event["at"], offer.buyer, offer.message,
                                "assigned", offer.reason, offer.agent, offer.group, e.policy,
                                offer.selection, source=offer.source, cause=event))

    def expire(self, timer: Timer, event: Event, out: list[Record]) -> bool:
        """The push timeout ran out (False: the timer is stale, the offer was answered)."""
        offer = self.held.get(timer.key)
        if offer is None or offer.stamp != timer.stamp:
            return False
        self.end(offer, "push_timeout", event, timer.due, out)
        return True

    def withdraw(self, agent: str, event: Event, at: float, out: list[Record]) -> None:
        """The agent went offline: its standing offers end at once, as timed out."""
        for offer in [o for o in self.held.values() if o.agent == agent]:
            self.end(offer, "agent_offline", event, at, out)

    def end(self, offer: Offer, why: str, event: Event, at: float, out: list[Record]) -> None:
        """An offer ends unaccepted: its place is freed, a `declined` record, and the chat
        is decided again now with the agent left out (a `release` record)."""
        del self.held[offer.buyer]
        e = self.e
        e.shop.unreserve(e.shop.agents[offer.agent],
                         *e.router.load_of(offer.message.get("source")))
        out.append({"kind": "declined", "buyer": offer.buyer, "at": event["at"],
                    "event": event, "agent": offer.agent, "why": why,
                    "offered_at": format_instant(offer.at, e.router.tz), "policy": e.policy})
        avoid = dict(offer.avoid)
        avoid[offer.agent] = ENDINGS[why]
        message = dict(offer.message, at=event["at"])
        d = e.router.decide(e.shop, message, trace=e.trace, waited=at - offer.since, at=at,
                            level=e.trace_level, avoid=avoid)
        d.auto_replies = tuple(e.replies.for_release(d.outcome))
        offered = e._settle(d, offer.message, at, offer.since, avoid)
        out.append(e._routed("release", d, offer.message, event, offered))
