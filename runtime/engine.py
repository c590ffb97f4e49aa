"""The stateful engine: feed CONTRACT.md events in time order, keep the shop state, record outcomes.

The router decides one message against a state; the engine owns time. It keeps
the open conversations and the waiting places (runtime/waiting.py), applies
agent status, read, reply, close, capacity, transfer, pick and group membership
(S12) events, and hands waiting chats out when an agent can take them. Every
routing outcome is one record (runtime/records.py), so G1 holds visibly: each
`message` event gives exactly one `route` or `continued` record, and a chat
that is neither in a conversation nor handed to the main account, assistant or
exclusion is listed by `waiting()`.

Time is discrete-event (runtime/timers.py): every rule that acts when time
passes (S11 and Y11 timeouts, `reassign_unreplied`, the S8 grace, S7
`even_split` leftovers, T2 pool slots) is a timer in one heap, fired at its own
instant before any later event is applied; `tick` events and `advance_to`
only move time. A record a timer makes has that instant as its `at`, and as
its event (or `cause`) a `{"type": "tick", "at": ...}` naming the instant.

Five concerns live beside it: who takes staged chats and how many
(runtime/staging.py, S7), the offline pool's scheduled runs
(runtime/offline_pool.py, T2-T8), the auto replies a buyer message gets
(runtime/auto_replies.py, Y10), the shop and agent counters
(runtime/counters.py, S13, Y14, `counters()`), and the agent facts each record
carries (runtime/facts.py). All of them read event and timer times only, so
replaying the same events rebuilds the same state (G3; the journal relies on it).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import records
from .auto_replies import AutoReplies
from .clock import format_instant, parse_instant
from .conversation import Conversation
from .counters import Counters
from .decision import Decision
from .facts import FactsLog
from .horizon import Horizon
from .offers import Offers
from .offline_pool import OfflinePool, newest, note_message
from .records import Event, Record
from .router import Router
from .staging import Staging
from .state import AgentState, ShopState
from .timers import Timekeeper
from .transfers import transfer_target
from .waiting import HELD, PLACES, Entry, Waiting

__all__ = ["Conversation", "Engine", "Entry", "Event", "Record"]

# Events after which a `reassign_unreplied` that kept its chat is tried again: the
# ones that change who can take chats.
MOVERS = frozenset({"agent_status", "set_capacity", "membership", "close", "transfer", "pick",
                    "decline"})


def pick_why(agent: AgentState) -> str | None:
    """Why an agent cannot pick a waiting chat by hand (None: it can). Picking is the
    agent's own act, so busy and hidden agents may (S9, Y1 keep them from automatic
    chats only) and so may admins kept out of automatic routing (Y4); but the cap holds
    for every status (Y2), and an offline agent or one without chat permission cannot."""
    if not agent.chat_permission:
        return "no_chat_permission"
    if agent.status == "offline":
        return "offline"
    if agent.capacity is not None and agent.open >= agent.capacity:
        return "at_capacity"
    return None


class Engine:
    """Consumes events in time order; `feed` returns the records each one makes."""

    # The shop state and its waiting places, set by the snapshot, else by the first event
    # (`_start`); until then `state` and `places` are None. Plain attributes, not
    # properties: the engine reads them several times an event.
    shop: ShopState
    wait: Waiting

    def __init__(self, router: Router, snapshot: dict[str, Any] | None = None,
                 trace: str | None = None) -> None:
        self.router = router
        self.trace = trace is not None  # decide with a trace; record this view of it
        self.trace_level = trace or "full"
        self.policy = router.policy_hash
        self.state: ShopState | None = None
        self.places: Waiting | None = None
        self.conversations: dict[str, Conversation] = {}
        settings = router.settings
        self.take_on_online: int | None = settings["queue"]["take_on_online"]
        # Y6 `selection.efficiency: measured`: closes per online hour that count as 1.0.
        self.reference_rate: float | None = router.artifact["selection"].get("reference_rate")
        self.timeouts: dict[str, int | None] = settings["timeouts"]
        shop = router.artifact["shop"]
        self.staging = Staging(settings["staging"], shop, router.main_id, router.strategy,
                               router.busy_threshold)
        self.one_group: bool = shop.get("one_group_per_agent", True)  # S2 (older artifacts: on)
        self.replies = AutoReplies(settings, router.tz, router.language)
        self.tally = Counters(router.tz)
        self.pool = OfflinePool(router, settings.get("offline_pool"))
        self.time = Timekeeper(self)  # runtime/timers.py
        self.offers = Offers(self, settings.get("offers"))  # runtime/offers.py
        self.facts = FactsLog(router.tz)
        self.horizon = Horizon(router.tz, router.contact_memory)  # runtime/horizon.py
        if snapshot is not None:
            self._start(router.state(snapshot))

    def _start(self, state: ShopState) -> None:
        self.state = self.shop = state
        self.places = self.wait = Waiting(state, self.router.settings["queue"]["order"],
                                          bool(self.router.priorities)
                                          or any(b.require or b.waits
                                                 for b in self.router.bindings))
        self.tally.start(state.agents.values(), state.at)
        state.touched.update(state.agents)  # the first record carries every agent's facts
        slot = self.pool.first_slot(state.at)
        if slot is not None:
            self.time.timers.set(slot, "pool")

    # -- the front door ----------------------------------------------------------
    def feed(self, event: Event) -> list[Record]:
        """Apply one (validated) event; the records it made, in order. Every timer due at
        or before the event's time fires first, each at its own instant; timers the
        event sets for its own instant fire after it."""
        at = parse_instant(event["at"])
        if self.state is None:
            self._start(self.router.state({"at": event["at"]}))
        out: list[Record] = []
        heap = self.time.timers.heap  # the checks inline: this runs once per event
        if heap and heap[0].due <= at:
            self.time.fire_due(at, out)
        first = len(out)
        self._apply(event, at, out)  # one step (`_step`), spelled out
        if len(out) > first and self.facts.pending:
            out[first]["facts"] = self.facts.take()
        if self.shop.touched:  # most events (reads, replies) change no agent fact
            self.facts.note(self.shop, at)
        if heap and heap[0].due <= at:
            self.time.fire_due(at, out)
        if at > self.horizon.due:  # after all at `at`: what it forgets, no later rule reads
            self.horizon.sweep(self.shop, at)
        return out

    def advance_to(self, at: float | str) -> list[Record]:
        """Move time to `at` (epoch seconds, or ISO 8601 with an offset) without an event:
        fire every timer due at or before it, each at its own instant, in time order
        (ties: runtime/timers.py); the records they made, in order. A live caller calls
        it from its own clock; `tick` events do the same. Time never goes back
        (ValueError); before any event the shop starts at `at`."""
        return self.time.advance_to(at)

    def next_due(self) -> str | None:
        """When the next timer is due (ISO 8601, shop time), or None: nothing fires before
        it, so a live caller may sleep until then (the timer may find nothing to do)."""
        return self.time.next_due()

    def _step(self, at: float, apply: Callable[[list[Record]], None],
              out: list[Record]) -> None:
        """Apply one event or timer at `at`; the first record it makes carries the agent
        facts changed before it (runtime/facts.py)."""
        first = len(out)
        apply(out)
        if len(out) > first:
            rows = self.facts.take()
            if rows is not None:
                out[first]["facts"] = rows
        if self.shop.touched:
            self.facts.note(self.shop, at)

    def _apply(self, event: Event, at: float, out: list[Record]) -> None:
        self.shop.at = at
        match event["type"]:
            case "message":
                self._message(event, at, out)
            case "agent_status":
                self._agent_status(event, at, out)
            case "read" | "reply" | "close":
                self._conversation_event(event, at, out)
            case "set_capacity":
                self._set_capacity(event, at, out)
            case "transfer":
                self._transfer(event, at, out)
            case "pick":
                self._pick(event, at, out)
            case "membership":
                self._membership(event, out)
            case "accept" | "decline":
                self.offers.answer(event, at, out)
            case "tick":
                pass  # time has reached `at`: the timers due by then fired before it
        if self.time.unmoved and event["type"] in MOVERS:
            self.time.retry_unmoved(at)
        if self.shop.staging:
            self.time.arm_staging(at)

    def run(self, events: list[Event]) -> list[Record]:
        """Feed every event in order; all their records, in order."""
        return [rec for event in events for rec in self.feed(event)]

    def counters(self) -> dict[str, Any]:
        """S13, Y14: shop and per-agent counters as of the last event (runtime/counters.py)."""
        if self.state is None:
            return {}
        convs = self.conversations.values()
        return self.tally.report(self.shop.at, self.shop.agents,
                                 (len(self.conversations), sum(c.unread for c in convs)),
                                 {p: len(rows) for p, rows in self.waiting().items()})

    def waiting(self) -> dict[str, list[Entry]]:
        """Chats not with an agent, by place (queue, staging, waiting, pool)."""
        return self.wait.snapshot() if self.places else {}

    # -- messages ----------------------------------------------------------------
    def _message(self, event: Event, at: float, out: list[Record]) -> None:
        buyer: str = event["buyer"]
        conv = self.conversations.get(buyer)
        offer = self.offers.held.get(buyer) if self.offers.held else None
        if offer is not None:  # offered, not accepted yet: it stays so (G1: one record)
            rec = records.made("continued", event["at"], buyer, event, "offered", offer.reason,
                               offer.agent, offer.group, self.policy, offer.selection)
        elif conv is not None:
            self._buyer_wrote(conv, at)
            assigned = conv.outcome == "assigned"
            rec = records.made("continued", event["at"], buyer, event, conv.outcome,
                               conv.reason, conv.agent if assigned else None,
                               conv.group if assigned else None, self.policy)
        elif (entry := self.wait.of(buyer)) is not None:
            if entry["outcome"] == "pooled":
                note_message(entry, event)
            rec = records.made("continued", event["at"], buyer, event, entry["outcome"],
                               entry["reason"], None, None, self.policy)
        else:
            d = self.router.decide(self.shop, event, trace=self.trace, at=at,
                                   level=self.trace_level)
            d.auto_replies = tuple(self.replies.for_message(self.shop, buyer, at, d.outcome,
                                                            entered_queue=True))
            offered = self._settle(d, event, at)
            out.append(self._routed("route", d, offered=offered))
            return
        out.append(self.replies.stamp(rec, self.replies.for_message(
            self.shop, buyer, at, rec["outcome"], entered_queue=False)))

    def _buyer_wrote(self, conv: Conversation, at: float) -> None:
        """A message in an open conversation: unread and unanswered again, and the buyer's
        last exchange with its agent (S8, T10, Y3: the returning-buyer window counts
        from the last exchange, not from the assignment)."""
        agent = self.shop.agents[conv.agent]
        self.shop.contact(conv.buyer, conv.agent, at)
        if not conv.unread:
            conv.unread = True
            agent.unread += 1
        if not conv.pending:
            conv.pending = True
            conv.since = at
            conv.unmoved = False  # a new unanswered message: reassign_unreplied runs anew
            agent.pending += 1
        conv.last_update = at
        self.shop.touch(agent)
        self.time.arm(conv)

    def _settle(self, d: Decision, message: Event, at: float, since: float | None = None,
                avoid: dict[str, str] | None = None, offer: bool = True) -> bool:
        """Put a decided chat where its outcome says: an offer to its agent (with
        `offers:`; `offer` False: opened at once), a conversation or a waiting place.
        `since`: when the chat started waiting, for one decided again (default: now);
        `avoid`: agents left out of it, which it keeps while it waits. True when the
        chat was offered."""
        if d.outcome == "assigned" and d.agent is not None and offer and self.offers.on:
            self.router.apply(self.shop, d, offered=True)
            self.offers.make(d.buyer, d.agent, d.group, d.reason, d.selection, message, at,
                             since, avoid)
            return True
        self.router.apply(self.shop, d)
        if d.outcome == "assigned" and d.agent is not None:
            self._open(d.buyer, d.agent, d.group, d.reason, at, message, "auto")
        elif d.outcome == "main_account" and self.router.main_id in self.shop.agents:
            main = self.shop.agents[str(self.router.main_id)]
            self.shop.assign(main, d.buyer, at, *self.router.load_of(d.source))
            self._open(d.buyer, main.id, None, d.reason, at, message, "auto")
            self.conversations[d.buyer].outcome = d.outcome
        elif d.outcome in PLACES:
            awaited = None
            if d.reason == "pinned_agent_waiting":
                awaited = self.router.pins[d.buyer][0]
            elif d.reason == "recent_contact_waiting":
                awaited = self.shop.contacts[d.buyer][0]
            entry: Entry = {"buyer": d.buyer, "at": d.at, "event": message,
                            "outcome": d.outcome, "reason": d.reason, "agent": awaited}
            if d.outcome == "pooled":
                note_message(entry, message)
            if avoid:
                entry["avoid"] = dict(avoid)
            if d.outcome == "queued" and self.wait.prioritised:
                entry["priority"] = self.router.priority(message, at, self.shop)
                entry["since"] = at if since is None else since
            self.wait.hold(entry)
            if d.reason in HELD:
                self.time.arm_relax(entry, d.path, at)
            if awaited is not None and d.reason == "recent_contact_waiting":
                self.time.arm_grace(d.buyer, awaited, at)
        return False

    def _routed(self, kind: str, d: Decision, message: Event | None = None,
                cause: Event | None = None, offered: bool = False) -> Record:
        """The record of a decision `_settle` has put in place (`offered`: it made an
        offer of it), with its auto replies."""
        rec = records.from_decision(kind, d, self.trace_level, message, cause)
        if offered:
            self.offers.offered(d, rec)
        return self.replies.stamp(rec, list(d.auto_replies))

    def _open(self, buyer: str, agent_id: str, group: str | None, reason: str,
              at: float, message: Event | None, cause: str, started: bool = False
              ) -> str | None:
        """Open a conversation; its group is the one named, else the agent's first.
        `cause` is how the agent got it, for the counters (auto, transfer_in, ...);
        `started`: the agent opened it with the buyer itself (T12), so nothing in it
        is unread or unanswered and no first response is due (no buyer waited)."""
        agent = self.shop.agents[agent_id]
        if group is None and agent.groups:
            group = agent.groups[0]
        units, channel = self.router.load_of(message.get("source") if message else None)
        conv = Conversation(buyer, agent_id, group, reason, at, since=at, message=message,
                            opened=at, units=units, channel=channel, unread=not started,
                            pending=not started, answered=started)
        self.conversations[buyer] = conv
        self.tally.assigned(agent_id, cause, at)
        self.time.arm(conv)
        return group

    # -- handing out waiting chats ---------------------------------------------------
    def _hand_out(self, entry: Entry, agent: AgentState, reason: str, event: Event,
                  at: float, out: list[Record], group: str | None = None,
                  selection: str | None = None) -> None:
        """Give a waiting chat to an agent directly (queue pull, staging release, pick,
        pool run); its `release` record goes last on `out`. With `offers:` one the engine
        hands out by itself is offered; a `pick` opens at once (the agent's own act)."""
        self.wait.release(entry)
        source = "offline_pool" if reason == "pool_distribution" else None
        if self.offers.on and event["type"] != "pick":
            offer = self.offers.make(entry["buyer"], agent.id, group, reason, selection,
                                     entry["event"], at, entry.get("since"), entry.get("avoid"),
                                     source)
            rec = records.made("release", event["at"], entry["buyer"], entry["event"],
                               "offered", reason, agent.id, offer.group, self.policy,
                               selection, source=source, cause=event)
            rec["offer_due"] = format_instant(offer.due, self.router.tz)
            out.append(rec)
            return
        self.shop.assign(agent, entry["buyer"], at,
                         *self.router.load_of(entry["event"].get("source")))
        cause = "agent_initiated" if event["type"] == "pick" else "auto"
        group = self._open(entry["buyer"], agent.id, group, reason, at, entry["event"], cause)
        out.append(records.made("release", event["at"], entry["buyer"], entry["event"],
                                "assigned", reason, agent.id, group, self.policy,
                                selection, source=source, cause=event))

    def _retry(self, entry: Entry, event: Event, at: float,
               out: list[Record]) -> None:
        """Decide a waiting chat again now; record only when its outcome changed."""
        message = dict(entry["event"], at=event["at"])
        since = entry.get("since", at)
        avoid = entry.get("avoid")
        d = self.router.decide(self.shop, message, trace=self.trace, waited=at - since, at=at,
                               level=self.trace_level, avoid=avoid)
        if d.outcome == entry["outcome"] and d.reason == entry["reason"]:
            return
        self.wait.release(entry)
        d.auto_replies = tuple(self.replies.for_release(d.outcome))
        offered = self._settle(d, entry["event"], at, since, avoid)
        out.append(self._routed("release", d, entry["event"], event, offered))

    def _offer(self, agent: AgentState, event: Event, at: float, out: list[Record],
               queue_limit: int | None, staging: bool) -> None:
        """An agent can take more: chats waiting for it (or for an agent it is the proxy
        account of, T12), then the queue, then staging."""
        for entry in self.wait.for_agent(agent.id):
            self._retry(entry, event, at, out)
        for absent in self.router.proxied_by.get(agent.id, ()):
            for entry in self.wait.for_agent(absent):
                self._retry(entry, event, at, out)
        for entry in self.wait.held_back() if self.wait.prioritised else ():
            self._retry(entry, event, at, out)  # the binding decides who may take it
        taken = 0
        fits = self._fits(agent)
        while agent.eligible and (queue_limit is None or taken < queue_limit):
            pulled = self.wait.next("queue", automatic=True, agent=agent.id, fits=fits)
            if pulled is None:
                break
            self._hand_out(pulled, agent, "queue_pull", event, at, out)
            taken += 1
        if staging and self.shop.staging:
            self._release_staging(agent, event, at, out, self.staging.share(self.shop, agent))

    def _release_staging(self, agent: AgentState, event: Event, at: float,
                         out: list[Record], share: int) -> None:
        """S7: hand staged chats to an agent, oldest first, while its unread stays under cap."""
        given = 0
        fits = self._fits(agent)
        while agent.eligible and given < share and agent.unread < self.staging.cap:
            entry = self.wait.next("staging", agent=agent.id, fits=fits)
            if entry is None:
                break
            self._hand_out(entry, agent, "staging_release", event, at, out)
            given += 1

    def _fits(self, agent: AgentState) -> Callable[[Entry], bool] | None:
        """Whether a waiting chat fits the agent (`channels:`: a heavier chat, a capped
        channel); None when every chat fits an agent with room."""
        needs = self.router.needs
        if not needs:
            return None
        shop = self.shop
        return lambda e: shop.fits(agent, needs.get(e["event"].get("source") or ""))

    def _spare(self, agent: AgentState) -> int | None:
        return None if agent.capacity is None else max(0, agent.capacity - agent.open)

    # -- agents ------------------------------------------------------------------
    def _agent_status(self, event: Event, at: float, out: list[Record]) -> None:
        agent = self.shop.agents[event["agent"]]
        was = agent.status
        self.shop.set_status(agent, event["status"], at)  # S9: chats stay with busy/hidden
        self.tally.status(agent.id, agent.status, at)
        if event["status"] == "offline" and self.offers.held:  # its offers end at once
            self.offers.withdraw(agent.id, event, at, out)
        if self.reference_rate is not None:  # Y6 measured: its time online changed
            self.shop.measure(agent, at, self.reference_rate)
        if event["status"] == "online" and was != "online":
            limit = self._spare(agent)
            if self.take_on_online is not None:
                limit = self.take_on_online if limit is None else min(limit, self.take_on_online)
            self._offer(agent, event, at, out, limit, staging=True)

    def _set_capacity(self, event: Event, at: float, out: list[Record]) -> None:
        """Y2: a raised cap lets the agent take queued chats up to its new spare capacity."""
        agent = self.shop.agents[event["agent"]]
        self.shop.set_capacity(agent, event["capacity"])
        if agent.status == "online":
            self._offer(agent, event, at, out, self._spare(agent), staging=False)

    def _membership(self, event: Event, out: list[Record]) -> None:
        """S12, S2: an agent joins (leaving its other group when the policy keeps one per
        agent) or leaves a group. Its open conversations stay as they are and no chat is
        handed out by the change itself: the group's next chats, and the waiting ones at
        their usual moments (a pool run, a close, coming online), reach it by the rules."""
        agent = self.shop.agents[event["agent"]]
        gid: str = event["group"]
        why = None
        if agent.id == self.router.main_id:
            why = "the main account's groups are a policy setting (S4): change the policy"
        elif event["member"] and gid in agent.groups:
            why = f"{agent.id} is already a member of {gid}"
        elif event["member"] and not agent.chat_permission:
            why = f"{agent.id} has no chat permission (S2: only agents with it are members)"
        elif not event["member"] and gid not in agent.groups:
            why = f"{agent.id} is not a member of {gid}"
        if why is not None:
            out.append(records.ignored(event, why, self.policy))
            return
        left: list[str] = []
        if event["member"]:
            left = self.shop.join(agent, gid, self.one_group)
        else:
            self.shop.leave(agent, gid)
        out.append(records.membership(event, left, agent.groups, self.policy))

    # -- conversations -------------------------------------------------------------
    def _held(self, event: Event, out: list[Record]) -> Conversation | None:
        """The conversation the event's agent has with its buyer; else record it ignored."""
        conv = self.conversations.get(event["buyer"])
        if conv is None or conv.agent != event["agent"]:
            offer = self.offers.held.get(event["buyer"])
            note = "" if offer is None else \
                f" (the chat is offered to {offer.agent}, not accepted yet)"
            out.append(records.ignored(event, f"{event['agent']} has no open conversation "
                                              f"with {event['buyer']}{note}", self.policy))
            return None
        return conv

    def _conversation_event(self, event: Event, at: float, out: list[Record]) -> None:
        conv = self._held(event, out)
        if conv is None:
            return
        agent = self.shop.agents[conv.agent]
        match event["type"]:
            case "read":
                self._mark(conv, agent, at, read=True, replied=False)
                if self.shop.staging and self.staging.alone(self.shop, agent):
                    self._release_staging(agent, event, at, out, self.staging.cap)
            case "reply":
                self._mark(conv, agent, at, read=True, replied=True)
                self.shop.contact(conv.buyer, agent.id, at)  # an exchange too (S8, T10, Y3)
                if not conv.answered:
                    conv.answered = True
                    self.tally.first_reply(agent.id, at - conv.opened, at)
            case _:
                self._close(conv, event, at, out)

    def _mark(self, conv: Conversation, agent: AgentState, at: float, read: bool,
              replied: bool) -> None:
        changed = False  # the agent's counters (a read of a read chat changes none)
        if read and conv.unread:
            conv.unread = False
            agent.unread -= 1
            changed = True
        if replied:
            conv.replied = at
            if conv.pending:
                conv.pending = False
                agent.pending -= 1
                changed = True
        conv.last_update = at
        if changed:
            self.shop.touch(agent)
        self.time.arm(conv)

    def _detach(self, conv: Conversation) -> AgentState:
        """Take a conversation off its agent's counters (close or transfer away)."""
        del self.conversations[conv.buyer]
        self.time.unmoved.pop(conv.buyer, None)
        conv.stamp = -1  # its timers are stale
        agent = self.shop.agents[conv.agent]
        agent.open -= conv.units
        if conv.channel is not None:
            agent.channel_open[conv.channel] -= 1
        agent.unread -= conv.unread
        agent.pending -= conv.pending
        self.shop.touch(agent, facts=True)
        return agent

    def _attach(self, conv: Conversation) -> None:
        """Put a detached conversation back on its agent (undo `_detach`)."""
        self.conversations[conv.buyer] = conv
        agent = self.shop.agents[conv.agent]
        agent.open += conv.units
        if conv.channel is not None:
            agent.channel_open[conv.channel] = agent.channel_open.get(conv.channel, 0) + 1
        agent.unread += conv.unread
        agent.pending += conv.pending
        self.shop.touch(agent, facts=True)
        self.time.arm(conv)

    def _close(self, conv: Conversation, event: Event, at: float,
               out: list[Record]) -> None:
        """Y13: closing frees capacity; Y9: each close by an online agent pulls one queued chat."""
        agent = self._detach(conv)
        self.tally.closed(agent.id, at)
        agent.closed += 1
        if self.reference_rate is not None:  # Y6 measured: its record changed
            self.shop.measure(agent, at, self.reference_rate)
        self._offer(agent, event, at, out, 1, staging=False)

    def _transfer(self, event: Event, at: float, out: list[Record]) -> None:
        """S10, Y12: forward a conversation to an agent (online or busy) or to a group."""
        conv = self._held(event, out)
        if conv is None:
            return
        need = self.router.needs.get((conv.message or {}).get("source") or "")
        target, group, selection, why = transfer_target(self.router, self.shop, event,
                                                        conv.agent, need)
        if target is None:
            out.append(records.ignored(event, f"cannot transfer to "
                                              f"{event.get('to_agent') or group}: {why}",
                                       self.policy))
            return
        reason = "transfer_to_agent" if "to_agent" in event else "transfer_to_group"
        self._detach(conv)
        self.shop.assign(target, conv.buyer, at, conv.units, conv.channel)
        self.tally.assigned(conv.agent, "transfer_out", at)
        group = self._open(conv.buyer, target.id, group, reason, at, conv.message, "transfer_in")
        out.append(records.made("transfer", event["at"], conv.buyer, event, "assigned", reason,
                                target.id, group, self.policy, selection, source="transfer"))

    def _pick(self, event: Event, at: float, out: list[Record]) -> None:
        """Y9, Y4: an agent takes a queued (else pooled, else staged) chat by hand; T12: a
        named buyer who is not waiting anywhere is a chat the agent starts itself."""
        agent = self.shop.agents[event["agent"]]
        why = pick_why(agent)
        if why is not None:
            out.append(records.ignored(event, f"{agent.id} cannot pick: {why}", self.policy))
            return
        buyer = event.get("buyer")
        if buyer is not None and self.wait.place_of(buyer) is None:
            self._initiate(agent, buyer, event, at, out)
            return
        fits = self._fits(agent)  # `channels:`: the cap holds for picks too (Y2)
        for place, reason in (("queue", "queue_pull"), ("pool", "pool_distribution"),
                              ("staging", "staging_release")):
            if buyer is None and place == "pool":  # T3: the latest message first
                pool = self.wait.lists["pool"]
                entry = newest(pool if fits is None else [e for e in pool if fits(e)])
            elif buyer is None:
                entry = self.wait.next(place, fits=fits)
            else:
                entry = self.wait.of(buyer) if self.wait.place_of(buyer) == place else None
            if entry is not None and fits is not None and not fits(entry):
                unfit = self.shop.unfit(agent, self.router.needs[entry["event"]["source"]])
                out.append(records.ignored(event, f"{agent.id} cannot pick {buyer}: {unfit}",
                                           self.policy))
                return
            if entry is not None:
                self._hand_out(entry, agent, reason, event, at, out)
                return
        if buyer is None:
            why = "nothing to pick"
        else:  # the one place left: held for the agent it waits for (Y8, S8)
            held = self.wait.of(buyer) or {}
            why = (f"{buyer} waits for {held.get('agent')} ({held.get('reason')}), not in "
                   "the queue, pool or staging")
        out.append(records.ignored(event, why, self.policy))

    def _initiate(self, agent: AgentState, buyer: str, event: Event, at: float,
                  out: list[Record]) -> None:
        """T12 "agent-initiated (not routed)": the agent opens a chat with a buyer who has
        none. No route is walked and nothing is offered (the agent's own act); the chat
        comes from no channel, so the agent's capacity (`pick_why`) is the only cap. A
        buyer already talking with someone, or with a standing offer, keeps that chat:
        moving it to another agent is a transfer."""
        conv = self.conversations.get(buyer)
        offer = self.offers.held.get(buyer) if self.offers.held else None
        why = None
        if conv is not None and conv.agent == agent.id:
            why = f"{agent.id} is already talking with {buyer}"
        elif conv is not None:
            why = (f"{buyer} is talking with {conv.agent}: a pick does not take a colleague's "
                   "chat (transfer it)")
        elif offer is not None and offer.agent == agent.id:
            why = f"{buyer}'s chat is offered to {agent.id}: accept it"
        elif offer is not None:
            why = f"{buyer}'s chat is offered to {offer.agent}, not accepted yet"
        if why is not None:
            out.append(records.ignored(event, why, self.policy))
            return
        self.shop.assign(agent, buyer, at, started=True)  # a contact too (S8, T10)
        group = self._open(buyer, agent.id, None, "agent_initiated", at, None,
                           "agent_initiated", started=True)
        out.append(records.made("initiated", event["at"], buyer, event, "assigned",
                                "agent_initiated", agent.id, group, self.policy))
