"""The workload driver: buyers, staff and the agents' own actions fed to the engine in time order.

A priority queue holds what is due — buyer messages, status changes from the
schedule, and the reads, replies, follow-ups, transfers and closes of whoever
holds each chat. Each is applied through the engine's public `feed`; the
records it returns say who holds which chat now (a route, a queue pull, a
staging or pool release, a transfer, a reassignment), and that holder's next
actions are scheduled from the model's handling behaviour. An action whose
chat has moved on is withdrawn, never fed, so no action is ever `ignored`.

Each chat draws its behaviour from a stream of its own (model seed, buyer,
chat number), so the same buyer behaves the same under every policy.
"""

from __future__ import annotations

import heapq
import random
from dataclasses import dataclass, field
from typing import Any

from ..runtime.clock import format_instant
from ..runtime.engine import Engine
from ..runtime.records import Record
from ..runtime.router import Router
from ..runtime.transfers import transfer_target
from .arrivals import Arrival
from .metrics import Book
from .model import Handling, Model
from .schedule import Schedule

Event = dict[str, Any]
HELD = ("assigned", "main_account")  # outcomes that leave a chat with an agent
WAIT_ON = 86400.0  # how long ticks go on after the last action while chats still wait


@dataclass(slots=True)
class Plan:
    """One chat with its current holder: where the holder is in its handling."""

    agent: str
    rng: random.Random
    message: Event  # the opening message, for the buyer's follow-ups
    left: int  # buyer follow-ups still to come
    transfers: bool  # the first holder forwards it instead of closing
    version: int = 0  # bumped to withdraw the actions scheduled so far
    stage: str = "unread"  # unread -> read -> replied
    first: bool = True  # the holder has not replied yet


class Clock:
    """Time passing for the engine's timeouts and pool runs: a `tick` every `step` seconds
    while anything else is still due. This is the one place that says how the engine
    learns the time; once the engine has timers of its own (`advance_to`), it calls that."""

    def __init__(self, start: float, step: float | None) -> None:
        self.step = step
        self.next = float("inf") if step is None else start + step

    def fire(self, engine: Engine, tz: str) -> tuple[Event, list[Record]]:
        """Tell the engine that time has reached the next step."""
        event = {"type": "tick", "at": format_instant(self.next, tz)}
        assert self.step is not None
        self.next += self.step
        return event, engine.feed(event)


@dataclass
class Run:
    """What one workload run made: every event fed, every record, and the chat book."""

    records: list[Record]
    events: list[Event]
    book: Book
    engine: Engine
    withdrawn: int  # planned actions whose chat had moved on (never fed)


@dataclass
class Driver:
    """Runs one model under one policy (see the module docstring)."""

    router: Router
    model: Model
    arrivals: list[Arrival]
    schedule: Schedule
    trace: str | None = None
    heap: list[tuple[float, int, str, tuple[Any, ...]]] = field(default_factory=list)
    plans: dict[str, Plan] = field(default_factory=dict)
    chats: dict[str, int] = field(default_factory=dict)  # buyer -> chats it opened so far
    records: list[Record] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    seq: int = 0
    withdrawn: int = 0

    def __post_init__(self) -> None:
        self.engine = Engine(self.router, trace=self.trace)
        self.tz = self.router.tz
        self.handling: Handling = self.model.handling
        self.book = Book(self.model.start, self.model.end, self.router)
        for arrival in self.arrivals:
            self.push(arrival.at, "message", (arrival.fields,))
        for change in self.schedule.changes:
            self.push(change.at, "status", (change.agent, change.status))

    def push(self, at: float, kind: str, payload: tuple[Any, ...]) -> None:
        """Schedule an action (ties keep the order they were scheduled in)."""
        self.seq += 1
        heapq.heappush(self.heap, (round(at, 3), self.seq, kind, payload))

    def run(self) -> Run:
        """Feed everything due until nothing is left; the run's records and chats."""
        clock = Clock(self.model.start, self.model.tick)
        last = self.model.end
        while self.heap or self._timers_left(clock, last):
            if not self.heap or clock.next <= self.heap[0][0]:
                at = clock.next
                event, records = clock.fire(self.engine, self.tz)
                self._fed(event, records, at)
                continue
            at, _, kind, payload = heapq.heappop(self.heap)
            last = max(last, at)
            if kind == "status" and at > self.model.end and self._all_done():
                break  # no buyer is left: the staff's week after the end matters no more
            self._act(at, kind, payload)
        self.book.finish(self.engine)
        return Run(self.records, self.events, self.book, self.engine, self.withdrawn)

    def _timers_left(self, clock: Clock, last: float) -> bool:
        """Nothing else is due, but chats still wait: time goes on for up to a day after the
        last action, so that a pool run, a grace period or a timeout can still hand them out."""
        return (clock.next <= last + WAIT_ON and self.engine.state is not None
                and any(self.engine.waiting().values()))

    def _all_done(self) -> bool:
        """No chat open or waiting, and nothing but status changes still due."""
        return (not self.engine.conversations and not any(self.engine.waiting().values())
                and all(kind == "status" for _, _, kind, _ in self.heap))

    # -- actions -------------------------------------------------------------------------
    def _act(self, at: float, kind: str, payload: tuple[Any, ...]) -> None:
        match kind:
            case "message":
                self._feed(at, dict(payload[0]))
            case "status":
                agent, status = payload
                self.book.status(agent, status, at)
                self._feed(at, {"type": "agent_status", "agent": agent, "status": status})
            case "follow_up":
                buyer, version = payload
                plan = self.plans.get(buyer)
                if plan is None or plan.version != version:
                    self.withdrawn += 1
                    return
                plan.left -= 1
                self._feed(at, dict(plan.message))
            case _:
                self._agent_action(at, kind, *payload)

    def _agent_action(self, at: float, kind: str, buyer: str, agent: str,
                      version: int) -> None:
        plan = self.plans.get(buyer)
        conv = self.engine.conversations.get(buyer)
        if plan is None or plan.version != version or conv is None or conv.agent != agent:
            self.withdrawn += 1
            return
        if not self.handling.finish_offline and self.engine.shop.agents[agent].status != "online":
            resume = self.schedule.resume_at(agent, at)  # away: act when back online
            if resume is None:
                self.withdrawn += 1
            else:  # a status change due at this same instant goes first
                self.push(max(resume, at + 1.0), kind, (buyer, agent, version))
            return
        event: Event = {"type": kind, "agent": agent, "buyer": buyer}
        if kind == "transfer":
            target = self.handling.transfer
            assert target is not None
            event.update({"to_group": target.to_group} if target.to_group else
                         {"to_agent": target.to_agent})
            if transfer_target(self.router, self.engine.shop, event, agent)[0] is None:
                plan.transfers = False  # nobody to forward it to: the holder closes it
                self._after_reply(plan, buyer, at)
                return
        self._feed(at, event)
        match kind:
            case "read":
                plan.stage = "read"
                self._later(plan, buyer, at, "reply",
                            self.handling.first_reply if plan.first else self.handling.reply)
            case "reply":
                plan.stage = "replied"
                self.book.replied(buyer, at)
                plan.first = False
                self._after_reply(plan, buyer, at)
            case "close":
                del self.plans[buyer]
                self.book.closed(buyer, at)

    def _after_reply(self, plan: Plan, buyer: str, at: float) -> None:
        """After a reply: forward it, wait for the buyer's next message, or close it."""
        h = self.handling
        if plan.transfers and h.transfer is not None:
            plan.transfers = False
            self._later(plan, buyer, at, "transfer", h.transfer.after)
        elif plan.left > 0:
            self.push(at + h.buyer_gap.draw(plan.rng), "follow_up", (buyer, plan.version))
        else:
            self._later(plan, buyer, at, "close", h.close)

    def _later(self, plan: Plan, buyer: str, at: float, kind: str, delay: Any) -> None:
        self.push(at + delay.draw(plan.rng), kind, (buyer, plan.agent, plan.version))

    # -- feeding and what the records say --------------------------------------------------
    def _feed(self, at: float, event: Event) -> None:
        event["at"] = format_instant(at, self.tz)
        self._fed(event, self.engine.feed(event), at)

    def _fed(self, event: Event, records: list[Record], at: float) -> None:
        self.events.append(event)
        self.records.extend(records)
        for rec in records:
            self.book.record(rec, at)
            kind, buyer = rec["kind"], rec.get("buyer")
            if buyer is None:  # membership, pool_run, ignored: no chat changed hands
                continue
            if kind in ("route", "release", "transfer") and rec["outcome"] in HELD:
                conv = self.engine.conversations.get(buyer)
                if conv is not None:
                    self._new_holder(buyer, conv.agent, kind, at)
            elif kind == "continued" and rec["outcome"] in HELD:
                self._buyer_wrote(buyer, at)
            elif kind == "closed":
                self.plans.pop(buyer, None)

    def _new_holder(self, buyer: str, agent: str, kind: str, at: float) -> None:
        """A chat reached an agent: the same chat moving (transfer, reassignment) keeps its
        buyer's stream and follow-ups; a new chat starts a stream of its own."""
        plan = self.plans.get(buyer)
        self.book.held(buyer, agent, at)
        if plan is None or kind == "route":
            number = self.chats[buyer] = self.chats.get(buyer, 0) + 1
            rng = random.Random(f"policyc-workload:{self.model.seed}:{buyer}:{number}")
            h = self.handling
            left = h.exchanges.count(rng)
            transfers = h.transfer is not None and rng.random() < h.transfer.share
            conv = self.engine.conversations[buyer]
            message = {k: v for k, v in (conv.message or {"type": "message", "buyer": buyer,
                                                          "source": "unknown"}).items()
                       if k != "at"}
            plan = self.plans[buyer] = Plan(agent, rng, message, left, transfers)
        else:
            plan.agent, plan.version = agent, plan.version + 1
            plan.stage, plan.first = "unread", True
        self._later(plan, buyer, at, "read", self.handling.first_read)

    def _buyer_wrote(self, buyer: str, at: float) -> None:
        """A buyer message in an open chat: after a reply the holder reads and answers it
        (before one, the read and reply already due cover it)."""
        plan = self.plans.get(buyer)
        if plan is None or plan.stage != "replied":
            return
        plan.version += 1
        plan.stage = "unread"
        self._later(plan, buyer, at, "read", self.handling.read)


def drive(router: Router, model: Model, arrivals: list[Arrival], schedule: Schedule,
          trace: str | None = None) -> Run:
    """Run `model` under the policy of `router`."""
    return Driver(router, model, arrivals, schedule, trace).run()
