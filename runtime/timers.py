"""Discrete-event time: every timer the engine has, in one heap, fired at its own instant.

The engine's clock is not moved by `tick` events. Every rule that acts when
time passes is a timer with a due instant, kept in one heap (`Timers`), and
before the engine applies any event at time t it fires every timer due at or
before t, each at its own instant, oldest first (`Engine.advance_to`). A
`tick` only says "time has reached t"; inserting or removing ticks anywhere
changes no record. The timers:

- `conversation` (S11, Y11, `reassign_unreplied`): an open conversation's
  earliest timeout (`next_timeout`);
- `offer` (issue 12, runtime/offers.py): a standing offer's push timeout;
- `grace` (S8): the awaited agent's `offline_since` plus the recent-contact grace;
- `relax` (issue 12): a chat a binding holds is decided again when the binding
  widens: its requirement stage ends (`require: [{agent: ..., for: 60s}]`) or its
  next timed target opens (`targets: [..., {group: advisors, wait: 2m}]`);
- `staging` (S7 `even_split`): the instant an event or timer leaves staged chats;
- `pool` (T2, T3): the next offline-pool slot, in shop-local wall time.

Ties at one instant fire in that list's order (timeouts first: a close frees
capacity before a chat is handed out), then in the order the timers were set.
That order never depends on where ticks fall: timers are set only while an
event is applied or a timer fires.

A timeout is due when the time it measures has fully run (`>=`): a
conversation read at 09:00 with `close_read_idle: 30m` closes at 09:30:00, and
a timer due at t fires before an event at t. A conversation has at most one
live timer (its `stamp`), never later than its next timeout: a change that
makes the timeout later leaves the timer as it is (it looks again when it
fires and moves on to the new instant), one that makes it earlier sets a new
timer and the old one goes stale. Most reads, replies and messages so set no
timer at all.
"""

from __future__ import annotations

import heapq
from collections import Counter
from functools import partial
from typing import TYPE_CHECKING, NamedTuple

from . import records
from .clock import format_instant, parse_instant
from .conversation import Conversation
from .offline_pool import NOTE
from .records import Event, Record
from .waiting import HELD, Entry

if TYPE_CHECKING:
    from .engine import Engine

# The tie order at one instant.
KINDS = ("conversation", "offer", "grace", "relax", "staging", "pool")
_RANK = {kind: rank for rank, kind in enumerate(KINDS)}

# The timeouts a conversation can reach, in the order that breaks a tie between them
# (the order of `timeouts:` in a policy: an idle close before a no-response close).
TIMEOUTS = ("close_read_idle", "agent_no_response", "customer_no_response",
            "reassign_unreplied")


class Timer(NamedTuple):
    """One due timer: `key` names what it is for (a buyer, or nothing for staging and
    pool), `stamp` the version of the conversation it was set for."""

    due: float
    rank: int
    seq: int
    kind: str
    key: str
    stamp: int


class Timers:
    """The heap of due timers, ordered by (instant, kind, order set)."""

    def __init__(self) -> None:
        self.heap: list[Timer] = []
        self.seq = 0
        self.staging_at: float | None = None  # the staging timer already set, if any

    def set(self, due: float, kind: str, key: str = "", stamp: int = 0) -> None:
        """Set a timer due at `due`."""
        heapq.heappush(self.heap, Timer(due, _RANK[kind], self.seq, kind, key, stamp))
        self.seq += 1

    def pop_due(self, at: float) -> Timer | None:
        """The next timer due at or before `at`, taken off the heap; None when none is."""
        if self.heap and self.heap[0].due <= at:
            return heapq.heappop(self.heap)
        return None

    def next_due(self) -> float | None:
        """When the next timer is due (stale ones included), or None."""
        return self.heap[0].due if self.heap else None

    def __len__(self) -> int:
        return len(self.heap)


def next_timeout(conv: Conversation, timeouts: dict[str, int | None]
                 ) -> tuple[float, str] | None:
    """When the conversation's next timeout is due and which one, or None.

    S11 `close_read_idle` runs from its last update once it is read (an unread
    conversation is never closed); Y11 `agent_no_response` and
    `reassign_unreplied` from when the buyer's message became unanswered;
    `customer_no_response` from the agent's last reply while the buyer is silent.
    A `reassign_unreplied` that did not move the chat (`conv.unmoved`) waits for
    the next event that changes who can take chats. The earliest wins; ties go
    in TIMEOUTS order (the first found keeps a tie: they are tried in that order).
    """
    # Runs on every read, reply and message: plain comparisons, no list.
    best: float | None = None
    why = ""
    idle = timeouts.get("close_read_idle")
    if idle is not None and not conv.unread:
        best, why = conv.last_update + idle, TIMEOUTS[0]
    if conv.pending:
        slow = timeouts.get("agent_no_response")
        if slow is not None and (best is None or conv.since + slow < best):
            best, why = conv.since + slow, TIMEOUTS[1]
        reassign = timeouts.get("reassign_unreplied")
        if reassign is not None and not conv.unmoved and \
                (best is None or conv.since + reassign < best):
            best, why = conv.since + reassign, TIMEOUTS[3]
    elif conv.replied is not None:
        silent = timeouts.get("customer_no_response")
        if silent is not None and (best is None or conv.replied + silent < best):
            best, why = conv.replied + silent, TIMEOUTS[2]
    return None if best is None else (best, why)


class Timekeeper:
    """The engine's time: its timers, `advance_to`, and what each timer does when it
    fires; it reads and changes the state of the engine it belongs to
    (runtime/engine.py)."""

    def __init__(self, engine: Engine) -> None:
        self.e = engine
        self.timers = Timers()
        self.unmoved: dict[str, Conversation] = {}  # reassign_unreplied kept them
        graces = [s.params["grace"] for s in engine.router.route
                  if s.kind == "recent_contact" and s.params.get("grace")]
        self.grace: int | None = max(graces) if graces else None  # S8

    def advance_to(self, at: float | str) -> list[Record]:
        """`Engine.advance_to`: fire what is due by `at`; time never goes back."""
        when = parse_instant(at) if isinstance(at, str) else float(at)
        if self.e.state is None:
            self.e._start(self.e.router.state({"at": format_instant(when, self.e.router.tz)}))
        elif when < self.e.shop.at:
            raise ValueError(f"time does not go back: {format_instant(when, self.e.router.tz)} "
                             f"is before {format_instant(self.e.shop.at, self.e.router.tz)}")
        out: list[Record] = []
        self.fire_due(when, out)
        self.e.shop.at = when
        return out

    def next_due(self) -> str | None:
        """`Engine.next_due`: the next timer's instant (ISO 8601), or None."""
        due = self.timers.next_due()
        return None if due is None else format_instant(due, self.e.router.tz)

    def fire_due(self, at: float, out: list[Record]) -> None:
        """Fire every timer due at or before `at`, each as its own step at its instant."""
        heap, conversations = self.timers.heap, self.e.conversations
        while heap and heap[0].due <= at:
            timer = heapq.heappop(heap)
            if timer.kind == "conversation":  # most are stale: skipped without a step
                conv = conversations.get(timer.key)
                if conv is None or conv.stamp != timer.stamp:
                    continue
            self.e._step(timer.due, partial(self.fire, timer), out)
        shop = self.e.shop
        if shop.at < at:
            shop.at = at

    def fire(self, timer: Timer, out: list[Record]) -> None:
        """What a timer does at its instant (nothing when it went stale); its records
        name the instant as a `tick` event."""
        at = timer.due
        self.e.shop.at = at
        if timer.kind == "conversation":
            conv = self.e.conversations.get(timer.key)
            if conv is None or conv.stamp != timer.stamp:
                return  # stale: the conversation ended, or got an earlier timer
            found = next_timeout(conv, self.e.timeouts)
            if found is None or found[0] > timer.due:  # nothing due, or later: look again then
                conv.stamp = -1
                self.arm(conv)
                return
            now = self._tick(at)
            if found[1] == "reassign_unreplied":
                self._reassign(conv, now, at, out)
                return
            out.append(self.e.replies.stamp(  # Y11: with its timeout notice, if on
                records.closed(now, conv.buyer, conv.agent, found[1], self.e.policy),
                self.e.replies.for_close(found[1])))
            self.e._close(conv, now, at, out)
            self.retry_unmoved(at)
        elif timer.kind == "offer":
            if self.e.offers.expire(timer, self._tick(at), out):
                self.retry_unmoved(at)  # its agent's place is free again
        elif timer.kind == "grace":
            entry = self.e.wait.of(timer.key)
            if entry is None or entry["reason"] != "recent_contact_waiting":
                return  # handed out (its agent came back) or decided again since
            now = self._tick(at)
            self.e._retry(entry, now, at, out)
            if self.e.wait.of(timer.key) is entry and entry["agent"] is not None:
                self.arm_grace(timer.key, entry["agent"], at, later=True)
        elif timer.kind == "relax":
            entry = self.e.wait.of(timer.key)
            if entry is None or entry["reason"] not in HELD or \
                    entry.get("relax_due") != timer.due:
                return  # taken, or decided again since
            now = self._tick(at)
            self.e._retry(entry, now, at, out)
            if self.e.wait.of(timer.key) is entry:  # still held: the next widening
                self.arm_relax(entry, None, at)
        elif timer.kind == "staging":
            self.timers.staging_at = None
            if self.e.staging.mode == "even_split" and self.e.shop.staging:
                self._deal_staging(self._tick(at), at, out)
            return
        else:
            self._pool_run(at, self._tick(at), at, out)
            slot = self.e.pool.next_slot(at)
            if slot is not None:
                self.timers.set(slot, "pool")
        self.arm_staging(at)

    def _tick(self, at: float) -> Event:
        """The `tick` event naming a timer's instant, for the records it makes."""
        return {"type": "tick", "at": format_instant(at, self.e.router.tz)}

    def arm(self, conv: Conversation) -> None:
        """After a change: make sure a timer fires no later than the conversation's next
        timeout (one already set that fires earlier will look again then)."""
        found = next_timeout(conv, self.e.timeouts)
        if found is None:
            return  # a timer still set finds nothing due when it fires
        shop = self.e.state
        due = found[0] if shop is None or found[0] > shop.at else shop.at
        if conv.stamp >= 0 and conv.due <= due:
            return
        conv.stamp, conv.due = self.timers.seq, due
        self.timers.set(due, "conversation", conv.buyer, conv.stamp)

    def arm_grace(self, buyer: str, awaited: str, at: float, later: bool = False) -> None:
        """S8: decide a chat waiting for its recent contact again when the grace runs out
        (`later`: only if that is still to come, so a wait that holds on does not spin)."""
        agent = self.e.shop.agents.get(awaited)
        if agent is None or agent.offline_since is None or self.grace is None:
            return
        due = agent.offline_since + self.grace
        if not later or due > at:
            self.timers.set(max(due, at), "grace", buyer)

    def arm_relax(self, entry: Entry, path: tuple[str, ...] | None, at: float) -> None:
        """A chat a binding holds is decided again when the binding next widens: its
        requirement stage ends or its next timed target opens (`path`: the decision that
        queued it names the binding; None: as recorded)."""
        if path is not None:
            entry["binding"] = next((n for n in reversed(path)
                                     if n in self.e.router.binding_rows), None)
        row = self.e.router.binding_rows.get(entry.get("binding") or "")
        since = entry.get("since", at)
        end = row.relaxes_at(at - since) if row is not None else None
        if end is not None and entry.get("relax_due") != since + end:
            entry["relax_due"] = since + end
            self.timers.set(since + end, "relax", entry["buyer"])

    def arm_staging(self, at: float) -> None:
        """S7 even_split: staged chats left after an event or timer are dealt at once."""
        if self.e.staging.mode == "even_split" and self.e.shop.staging and \
                self.timers.staging_at != at:
            self.timers.staging_at = at
            self.timers.set(at, "staging")

    def retry_unmoved(self, at: float) -> None:
        """Who can take chats changed: reassignments that kept their chat try again now."""
        for conv in list(self.unmoved.values()):
            conv.unmoved = False
            self.arm(conv)
        self.unmoved.clear()

    def _pool_run(self, slot: float, event: Event, at: float, out: list[Record]) -> None:
        """T2-T8: one scheduled run of the offline pool (runtime/offline_pool.py): its
        `pool_run` record, then a `release` record per chat it distributed."""
        plan = self.e.pool.plan(self.e.shop, self.e.wait.lists["pool"], slot)
        given: list[Record] = []
        failed: Counter[str] = Counter()
        for entry in plan.take:
            choice = self.e.pool.choose(self.e.shop, entry, event["at"], self.e.trace,
                                        entry.get("avoid"))
            if isinstance(choice, str):
                failed[choice] += 1
                continue
            self.e._hand_out(entry, choice.agent, "pool_distribution", event, at, given,
                             choice.group, choice.selection)
            rec = given[-1]
            rec.update(pool_run=format_instant(slot, self.e.router.tz), note=NOTE,
                       routed_by=choice.routed_by)
            if choice.decision is not None:  # G4: the route's own path (and trace) to it
                routed = choice.decision.to_dict(self.e.trace_level)
                rec.update({k: routed[k] for k in ("path", "trace") if k in routed})
        out.append(self.e.pool.record(plan, event, [r["buyer"] for r in given], failed,
                                      self.e.policy))
        out.extend(given)

    def _reassign(self, conv: Conversation, event: Event, at: float,
                  out: list[Record]) -> None:
        """`timeouts.reassign_unreplied`: an unanswered conversation is routed again with
        its agent left out (`avoid`, why `current_agent`: every step passes it over, the
        pin and recent contact too, which would hand it straight back), and moves when
        the route assigns it to another agent. When nobody else can take it now it stays
        with its agent, and is tried again after the next event that changes who can
        take chats (MOVERS)."""
        message = conv.message or {"type": "message", "buyer": conv.buyer, "source": "unknown"}
        self.e._detach(conv)
        d = self.e.router.decide(self.e.shop, dict(message, at=event["at"]),
                                 trace=self.e.trace, avoid={conv.agent: "current_agent"})
        if d.outcome != "assigned" or d.agent == conv.agent:
            conv.unmoved = True
            self.e._attach(conv)
            self.unmoved[conv.buyer] = conv
            return
        d.auto_replies = ()
        self.e._settle(d, message, at, offer=False)  # it moves an open conversation
        rec = records.from_decision("release", d, self.e.trace_level, message, event)
        rec["why"] = "reassign_unreplied"
        out.append(rec)

    def _deal_staging(self, event: Event, at: float, out: list[Record]) -> None:
        """S7 even_split: staged chats still left after an event are dealt one by one, at
        that instant, oldest first (runtime/staging.py `Staging.dealer`)."""
        while self.e.shop.staging:
            agent = self.e.staging.dealer(self.e.shop)
            if agent is None:
                return
            # `channels:`: the oldest staged chat this agent has room for; when none fits
            # it, the rest wait for the next deal (an event that frees room).
            entry = self.e.wait.next("staging", agent=agent.id, fits=self.e._fits(agent))
            if entry is None:
                return
            self.e._hand_out(entry, agent, "staging_release", event, at, out)
