"""Generate the benchmark inputs: a policy, a state snapshot and a day of events.

`generate(n_agents, n_events, seed)` is deterministic for its arguments. The
shop has `n_agents` sub-accounts `a00000..` in four groups g0..g3 (round-robin
by index) bound to the four sources, plus a main account `main` in no group;
about a third of the sub-accounts have a capacity a few chats above their open
ones. The route is the benchmark policy: pin -> recent contact (72h, no grace)
-> source group -> other online -> main account -> stage.

The stream has `n_events` buyer messages and, between them, the changes that
make every route step decide at every shop size (`day=False`: messages only):

- throughout, 5 % of the messages are preceded by one agent's status change
  (drawn from the same mix the shop starts with) and 1 % by a capacity change;
- from 40 % of the messages, group g0 goes busy member by member for 3 % of
  the messages (its source's buyers go to `other_online`), then comes back;
- from 75 %, the shop closes: every sub-account goes offline for 1.5 % of the
  messages (`main_account`), then the main account goes busy for 1 %
  (`stage`), then everyone comes back as they were.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone
from typing import Any

TZ = timezone(timedelta(hours=8))
SOURCES = ("product_page", "order_page", "live_story", "shop_page")
GROUPS = ("g0", "g1", "g2", "g3")
START = datetime(2026, 11, 23, 9, 0, 0, tzinfo=TZ)
FIRST_CREATED = datetime(2020, 1, 1, 9, 0, 0, tzinfo=TZ)
MAIN = "main"

# Status mix of the sub-accounts (exact shares, shuffled); share of events per kind of buyer.
STATUS_WEIGHTS = (("online", 70), ("busy", 10), ("hidden", 10), ("offline", 10))
STATUS_FLIP_SHARE = 0.05  # of messages preceded by one agent's status change
CAPACITY_SHARE = 0.01  # ... by one agent's capacity change
CAPPED_SHARE = 0.3  # of sub-accounts with a capacity
OUTAGE = (0.40, 0.03)  # g0 busy: from this share of the messages, for this share
CLOSING = (0.75, 0.015, 0.01)  # all offline: from, for; then main busy for
PINNED_SHARE = 0.02
RETURNING_SHARE = 0.20
CONTACT_HORIZON = timedelta(hours=100)


def agent_id(i: int) -> str:
    return f"a{i:05d}"


def created_at(i: int) -> str:
    return (FIRST_CREATED + timedelta(hours=i)).isoformat()


def _policy_yaml(n_agents: int, pins: dict[str, str], caps: dict[str, int]) -> str:
    lines = [
        f"# policyc benchmark shop: {n_agents} agents in 4 groups, main account last.",
        "policyc: 1",
        "shop:",
        f"  id: bench-{n_agents}",
        "  timezone: Asia/Taipei",
        "  grouping: on",
        "  include_main_account: true",
        f"  sources: [{', '.join(SOURCES)}]",
        "roster:",
        f'  - {{id: {MAIN}, role: main, created_at: "2019-06-01T09:00:00+08:00"}}',
    ]
    lines += [f'  - {{id: {agent_id(i)}, created_at: "{created_at(i)}"'
              + (f", capacity: {caps[agent_id(i)]}}}" if agent_id(i) in caps else "}")
              for i in range(n_agents)]
    lines.append("groups:")
    for g, (group, source) in enumerate(zip(GROUPS, SOURCES, strict=True)):
        members = ", ".join(agent_id(i) for i in range(g, n_agents, len(GROUPS)))
        lines += [f"  {group}:", f"    members: [{members}]", f"    sources: [{source}]"]
    lines.append("pins:" if pins else "pins: {}")
    lines += [f"  {buyer}: {agent}" for buyer, agent in pins.items()]
    lines += [
        "pin_mode: strict",
        "selection:",
        "  strategy: fewest_unread",
        "route:",
        "  - pin",
        "  - {step: recent_contact, window: 72h}",
        "  - bindings",
        "  - other_online",
        "  - main_account",
        "  - stage",
        "",
    ]
    return "\n".join(lines)


def _agents(rng: random.Random, n_agents: int) -> tuple[list[dict[str, Any]], dict[str, int]]:
    statuses: list[str] = []
    for status, percent in STATUS_WEIGHTS[1:]:
        statuses += [status] * round(n_agents * percent / 100)
    statuses = ["online"] * (n_agents - len(statuses)) + statuses
    rng.shuffle(statuses)
    agents = []
    caps: dict[str, int] = {}
    for i in range(n_agents):
        unread = rng.randint(0, 20)
        agents.append({
            "id": agent_id(i),
            "status": statuses[i],
            "unread": unread,
            "pending": rng.randint(0, 20),
            "open": unread + rng.randint(0, 5),
            "offline_since": None,
        })
        if rng.random() < CAPPED_SHARE:
            caps[agent_id(i)] = agents[-1]["open"] + rng.randint(1, 6)
    agents.append({"id": MAIN, "status": "online", "unread": 0, "pending": 0, "open": 0,
                   "offline_since": None})
    return agents, caps


class _Day:
    """Writes the event stream, keeping the statuses and capacities it has set."""

    def __init__(self, rng: random.Random, agents: list[dict[str, Any]],
                 caps: dict[str, int]) -> None:
        self.rng = rng
        self.status = {a["id"]: a["status"] for a in agents}
        self.open = {a["id"]: a["open"] for a in agents}
        self.caps: dict[str, int | None] = dict(caps)
        self.subs = [a["id"] for a in agents if a["id"] != MAIN]
        self.mix = [s for s, w in STATUS_WEIGHTS for _ in range(w)]
        self.at = START
        self.events: list[dict[str, Any]] = []

    def _tick(self) -> str:
        self.at += timedelta(seconds=self.rng.randint(1, 3))
        return self.at.isoformat()

    def set_status(self, agent: str, status: str) -> None:
        if self.status[agent] != status:
            self.status[agent] = status
            self.events.append({"type": "agent_status", "at": self._tick(), "agent": agent,
                                "status": status})

    def set_capacity(self, agent: str, messages: int) -> None:
        # Half lift the cap; half set one around the open chats the agent may have by
        # now (its share of the messages so far), so some leave it at capacity.
        guess = self.open[agent] + messages // max(1, len(self.subs))
        cap = None if self.rng.random() < 0.5 else max(1, guess + self.rng.randint(-2, 4))
        self.caps[agent] = cap
        self.events.append({"type": "set_capacity", "at": self._tick(), "agent": agent,
                            "capacity": cap})

    def message(self, buyer: str, source: str) -> None:
        self.events.append({
            "type": "message", "at": self._tick(), "buyer": buyer, "source": source,
            "item_id": None, "order_id": None, "order_state": None, "intent": None,
            "wants_human": True,
        })


def generate(n_agents: int, n_events: int, seed: int = 1,
             day: bool = True) -> tuple[str, dict[str, Any], list[dict[str, Any]]]:
    """Return (policy YAML text, state snapshot dict, events): `n_events` messages and,
    with `day`, the status and capacity changes between them (the module's docstring)."""
    # The shop (statuses, counters) depends on the seed and size only, so a short
    # run sees the same agents as a long one; pins and contacts scale with events.
    rng = random.Random(f"{seed}:shop:{n_agents}")
    agents, caps = _agents(rng, n_agents)
    n_pinned = max(1, n_events // 100)
    n_returning = max(1, n_events // 10)
    pins = {f"p-{k:05d}": agent_id(rng.randrange(n_agents)) for k in range(n_pinned)}
    contacts = [
        {"buyer": f"r-{k:05d}", "agent": agent_id(rng.randrange(n_agents)),
         "at": (START - CONTACT_HORIZON * rng.random()).replace(microsecond=0).isoformat()}
        for k in range(n_returning)
    ]
    snapshot: dict[str, Any] = {
        "at": START.isoformat(), "agents": agents, "contacts": contacts,
        "queue": [], "staging": [], "pool": [],
    }
    rng = random.Random(f"{seed}:events:{n_events}")
    stream = _Day(rng, agents, caps)
    g0 = [agent_id(i) for i in range(0, n_agents, len(GROUPS))]
    marks = _marks(n_events) if day else {}
    kept: dict[str, str] = {}
    for i in range(n_events):
        mark = marks.get(i)
        if mark == "outage":
            kept = {a: stream.status[a] for a in g0}
            for a in g0:
                stream.set_status(a, "busy")
        elif mark == "closing":
            kept = {a: stream.status[a] for a in stream.subs}
            for a in stream.subs:
                stream.set_status(a, "offline")
        elif mark == "main_busy":
            stream.set_status(MAIN, "busy")
        elif mark == "back":
            stream.set_status(MAIN, "online")
            for a, status in kept.items():
                stream.set_status(a, status)
            kept = {}
        roll = rng.random()
        if day and not kept:  # no random changes while a group or the shop is away
            if roll < STATUS_FLIP_SHARE:
                stream.set_status(rng.choice(stream.subs), rng.choice(stream.mix))
            elif roll < STATUS_FLIP_SHARE + CAPACITY_SHARE:
                stream.set_capacity(rng.choice(stream.subs), i)
        roll = rng.random()
        if roll < PINNED_SHARE:
            buyer = f"p-{rng.randrange(n_pinned):05d}"
        elif roll < PINNED_SHARE + RETURNING_SHARE:
            buyer = f"r-{rng.randrange(n_returning):05d}"
        else:
            buyer = f"b-{rng.randrange(10 * n_events):06d}"
        stream.message(buyer, rng.choice(SOURCES))
    return _policy_yaml(n_agents, pins, caps), snapshot, stream.events


def _marks(n_messages: int) -> dict[int, str]:
    """The message index at which each change of the day happens."""
    def at(share: float) -> int:
        return int(n_messages * share)

    start, length = OUTAGE
    close, away, main_away = CLOSING
    return {at(start): "outage", at(start + length): "back", at(close): "closing",
            at(close + away): "main_busy", at(close + away + main_away): "back"}
