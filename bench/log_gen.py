"""Write one day of a shop as CONTRACT.md events (JSON Lines) for `policyc simulate`.

`python -m bench.log_gen shopee > policies/logs/shopee-day.jsonl` (also youzan,
taobao, cosmetics). Deterministic for a profile: a seeded random stream, and agents that
react to what the engine did with the events so far (an agent reads, answers
and sometimes closes the chats it actually received; buyers write again). The
day: a night of offline messages, shifts starting, a lunch break, a burst,
returning buyers, a hidden spell, transfers, ticks, and an offline evening.
With a policy that offers chats (`offers:`, the cosmetics shop) the agents answer
each offer a few seconds after it: most accept, some decline, and some let it
run out; only those answers are timed to the second, the rest to the half minute.
"""

from __future__ import annotations

import heapq
import json
import random
import sys
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from policyc.compiler import compile_file
from policyc.runtime.engine import Engine
from policyc.runtime.router import Router

ROOT = Path(__file__).resolve().parent.parent
Event = dict[str, Any]


@dataclass(frozen=True)
class Profile:
    """One shop's day: who works when, where buyers come from, and the special moments."""

    policy: str
    day: str  # local midnight with offset, e.g. 2026-11-23T00:00:00+08:00
    seed: int
    sources: tuple[tuple[str, int], ...]  # (source, weight)
    shifts: dict[str, tuple[tuple[str, str], ...]]  # agent -> (online from, offline at)
    statuses: tuple[tuple[str, str, str], ...] = ()  # (time, agent, status) extra changes
    transfers: tuple[tuple[str, dict[str, str]], ...] = ()  # (time, to_agent|to_group)
    capacities: tuple[tuple[str, str, int], ...] = ()  # (time, agent, capacity)
    pinned: tuple[str, ...] = ()  # buyers bound to an agent, who write during the day
    # (time, agent): a buyer last served by the agent writes again (S8, Y3, T10)
    comebacks: tuple[tuple[str, str], ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)  # fields added to some messages


# (from, to, messages) blocks of buyer messages through the day; the burst is a live story.
BLOCKS = (("00:10", "08:40", 6), ("09:00", "12:00", 13), ("12:00", "13:00", 4),
          ("13:00", "15:00", 6), ("15:00", "15:04", 10), ("15:04", "18:00", 6),
          ("18:00", "21:00", 4), ("21:05", "23:50", 4))
RETURNING = (("12:05", 0), ("12:07", 1), ("13:20", 2), ("16:30", 3))  # (time, nth buyer)
TICKS = tuple(range(0, 8 * 60, 60)) + tuple(range(8 * 60, 24 * 60, 30))  # then 29.5 min on

PROFILES: dict[str, Profile] = {
    "shopee": Profile(
        policy="shopee", day="2026-11-23T00:00:00+08:00", seed=4,
        sources=(("product_page", 5), ("order_page", 3), ("live_story", 2)),
        shifts={"chrissy": (("08:55", "12:00"), ("13:00", "21:00")),
                "elly": (("09:10", "12:00"), ("13:05", "18:30")),
                "fanny": (("09:00", "18:00"),), "gavin": (("10:00", "21:00"),),
                "hank": (("11:30", "14:30"),)},
        statuses=(("17:00", "gavin", "hidden"), ("17:40", "gavin", "online"),
                  ("16:00", "elly", "offline"), ("16:06", "elly", "online")),
        transfers=(("10:40", {"to_group": "aftersale"}), ("16:10", {"to_agent": "gavin"})),
        comebacks=(("16:03", "elly"),)),
    "youzan": Profile(
        policy="youzan", day="2026-11-23T00:00:00+08:00", seed=7,
        sources=(("own_app", 4), ("micro_mall", 3), ("mini_program", 2), ("distribution", 1),
                 ("wechat_oa", 1)),
        shifts={"jason": (("09:00", "12:00"), ("13:00", "21:30")),
                "liangfei": (("09:00", "18:00"),), "guodong": (("09:30", "12:00"),
                                                              ("13:00", "18:00")),
                "lou-chengfeng": (("10:00", "21:30"),), "lytous": (("13:00", "21:30"),)},
        capacities=(("08:00", "jason", 2), ("08:00", "liangfei", 1), ("08:00", "guodong", 2),
                    ("08:00", "lou-chengfeng", 2), ("08:00", "lytous", 2),
                    ("15:20", "jason", 4)),
        transfers=(("11:00", {"to_agent": "lou-chengfeng"}),),
        pinned=("18767120425",)),
    "taobao": Profile(
        policy="taobao", day="2026-11-23T00:00:00+08:00", seed=11,
        sources=(("product_page", 5), ("order_page", 4), ("bot_handoff", 2)),
        shifts={"a-chen": (("09:00", "12:00"), ("13:00", "18:00")),
                "b-lin": (("09:00", "18:00"),), "d-zhao": (("09:00", "17:00"),),
                "f-zhou": (("10:00", "21:00"),), "g-he": (("12:00", "21:00"),)},
        statuses=(("14:00", "b-lin", "hidden"), ("14:30", "b-lin", "online")),
        transfers=(("11:20", {"to_group": "general"}),),
        extra={"order_state": ("none", "unpaid", "shipped", "after_sale"),
               "wants_human": (True, True, True, False)}),
    # policies/cosmetics.yaml: VIP and Chinese-speaking buyers, skin questions waiting for
    # a skincare advisor, refunds served first in the queue, a night shift.
    "cosmetics": Profile(
        policy="cosmetics", day="2026-11-23T00:00:00+08:00", seed=19,
        sources=(("product_page", 5), ("order_page", 3), ("live_story", 2), ("shop_page", 1)),
        shifts={"night-ken": (("00:00", "09:05"), ("20:55", "23:59")),
                "night-lia": (("00:00", "06:00"), ("21:00", "23:59")),
                "amelie": (("09:00", "13:00"), ("14:00", "18:00")),
                "bao": (("10:00", "19:00"),), "chloe": (("09:00", "17:00"),),
                "devi": (("09:30", "12:30"), ("13:30", "21:00")), "wei": (("12:00", "21:00"),),
                "farah": (("09:00", "15:00"),)},
        capacities=(("08:00", "chloe", 2), ("08:00", "devi", 2), ("08:00", "wei", 2),
                    ("08:00", "farah", 2)),
        statuses=(("15:30", "bao", "busy"), ("15:50", "bao", "online")),
        transfers=(("11:10", {"to_group": "vip"}),),
        extra={"buyer_tags": ((), (), (), ("vip",), ("zh",), ("zh", "vip")),
               "intent": (None, None, "skin_advice", "shade_match", "complaint"),
               "order_state": (None, None, "unpaid", "shipped", "refunded")}),
}


class Day:
    """Events of one day, generated in time order while an engine reacts to them."""

    def __init__(self, profile: Profile) -> None:
        self.p = profile
        self.rng = random.Random(profile.seed)
        self.midnight = datetime.fromisoformat(profile.day)
        artifact = compile_file(ROOT / "policies" / f"{profile.policy}.yaml").artifact
        assert artifact is not None
        self.engine = Engine(Router(artifact))
        self.todo: list[tuple[float, int, Event]] = []
        self.seq = 0
        self.buyers: list[str] = []
        self.out: list[Event] = []

    def at(self, minute: float) -> str:
        return (self.midnight + timedelta(seconds=round(minute * 60))).isoformat()

    def push(self, minute: float, event: Event, per_minute: int = 2) -> None:
        """Plan an event, on the half minute (`per_minute` 60: on the second)."""
        self.seq += 1
        heapq.heappush(self.todo, (round(minute * per_minute) / per_minute, self.seq, event))

    def plan(self) -> None:
        """Everything scheduled up front: statuses, messages, transfers, ticks."""
        p = self.p
        for when, agent, cap in p.capacities:
            self.push(_m(when), {"type": "set_capacity", "agent": agent, "capacity": cap})
        for agent, spans in p.shifts.items():
            for start, stop in spans:
                self.push(_m(start), {"type": "agent_status", "agent": agent, "status": "online"})
                self.push(_m(stop), {"type": "agent_status", "agent": agent, "status": "offline"})
        for when, agent, value in p.statuses:
            self.push(_m(when), {"type": "agent_status", "agent": agent, "status": value})
        for start, stop, count in BLOCKS:
            lo, hi = _m(start), _m(stop)
            for minute in sorted(self.rng.uniform(lo, hi) for _ in range(count)):
                self.buyers.append(f"b-{len(self.buyers) + 1:03d}")
                self.push(minute, self.message(self.buyers[-1]))
        for when, nth in RETURNING:
            self.push(_m(when), self.message(self.buyers[7 + nth]))
        for i, buyer in enumerate(p.pinned):
            event = self.message(buyer)
            self.push(_m("08:30") + 300 * i, dict(event, source=p.sources[0][0]))
        for when, target in p.transfers:
            self.push(_m(when), {"type": "transfer", **target})
        for when, agent in p.comebacks:
            self.push(_m(when), {"type": "message", "returning_to": agent})
        for minute in TICKS:
            self.push(minute + 29.5, {"type": "tick"})

    def message(self, buyer: str) -> Event:
        names = [s for s, _ in self.p.sources]
        weights = [w for _, w in self.p.sources]
        event: Event = {"type": "message", "buyer": buyer,
                        "source": self.rng.choices(names, weights)[0]}
        for key, values in self.p.extra.items():
            value = self.rng.choice(values)
            event[key] = list(value) if isinstance(value, tuple) else value
        return event

    def run(self) -> list[Event]:
        self.plan()
        offers = self.engine.offers.on
        while self.todo:
            due = self.engine.next_due() if offers else None
            if due is not None and self._minute(due) < self.todo[0][0]:
                # An offer's push timeout (or another timer) comes first: the agents
                # react to what it did at its own instant, as they would live.
                for rec in self.engine.advance_to(due):
                    self.react(rec, self._minute(due))
                continue
            minute, _, planned = heapq.heappop(self.todo)
            for rec in self.engine.advance_to(self.at(minute)):  # the shop as it is by then
                self.react(rec, minute)
            ready = self.ready(planned, minute)
            if ready is None:
                continue
            event = {"type": ready["type"], "at": self.at(minute),
                     **{k: v for k, v in ready.items() if k != "type"}}
            self.out.append(event)
            for rec in self.engine.feed(event):
                self.react(rec, minute)
        return self.out

    def _minute(self, instant: str) -> float:
        """Minutes after the day's midnight of an ISO 8601 instant."""
        return (datetime.fromisoformat(instant) - self.midnight).total_seconds() / 60

    def ready(self, event: Event, minute: float) -> Event | None:
        """Fill in or drop agent actions that depend on the state at their time."""
        conversations = self.engine.conversations
        if event["type"] == "transfer":
            target = event.get("to_agent")
            owned = [c for c in conversations.values() if c.agent != target
                     and self.engine.shop.agents[c.agent].status == "online"]
            if not owned:
                return None
            return {**event, "agent": owned[0].agent, "buyer": owned[0].buyer}
        if "returning_to" in event:
            buyers = sorted(b for b, (a, _) in self.engine.shop.contacts.items()
                            if a == event["returning_to"] and b not in conversations)
            return self.message(buyers[0]) if buyers else None
        if event["type"] in ("read", "reply", "close"):
            conv = conversations.get(event["buyer"])
            agent = self.engine.shop.agents[event["agent"]]
            if conv is None or conv.agent != agent.id or agent.status == "offline":
                return None
        return event

    def react(self, rec: dict[str, Any], minute: float) -> None:
        """An agent that received a chat reads it, answers, and maybe closes; buyers answer.
        An offered chat is answered first: accepted (80 %), declined (12 %) or left to run
        out, a few seconds after the offer."""
        if rec["kind"] in ("route", "release") and rec["outcome"] == "offered":
            roll = self.rng.random()
            if roll < 0.92:
                kind = "accept" if roll < 0.8 else "decline"
                self.push(minute + self.rng.uniform(3, 20) / 60,
                          {"type": kind, "agent": rec["agent"], "buyer": rec["buyer"]}, 60)
            return
        if rec["kind"] not in ("route", "release", "transfer", "continued", "accepted") \
                or not rec["agent"] or rec["outcome"] == "offered":
            return
        agent, buyer = rec["agent"], rec["buyer"]
        read = minute + self.rng.uniform(1, 6)
        reply = read + self.rng.uniform(0.5, 3)
        self.push(read, {"type": "read", "agent": agent, "buyer": buyer})
        self.push(reply, {"type": "reply", "agent": agent, "buyer": buyer})
        if rec["kind"] == "continued":
            return
        roll = self.rng.random()
        if roll < 0.25:
            self.push(reply + self.rng.uniform(1, 5), self.message(buyer))
        elif roll < 0.6:
            self.push(reply + self.rng.uniform(3, 15),
                      {"type": "close", "agent": agent, "buyer": buyer})


def _m(hhmm: str) -> float:
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


def generate(name: str) -> str:
    """The day of profile `name` as JSON Lines text."""
    return "".join(json.dumps(e, ensure_ascii=False) + "\n" for e in Day(PROFILES[name]).run())


def main(argv: list[str]) -> int:
    if len(argv) != 1 or argv[0] not in PROFILES:
        print(f"usage: python -m bench.log_gen {{{'|'.join(PROFILES)}}}", file=sys.stderr)
        return 2
    sys.stdout.write(generate(argv[0]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
