"""Generate the benchmark inputs: a policy, a state snapshot and a message stream.

`generate(n_agents, n_events, seed)` is deterministic for its arguments. The
shop has `n_agents` sub-accounts `a00000..` in four groups g0..g3 (round-robin
by index) bound to the four sources, plus a main account `main` in no group.
The route is the benchmark policy: pin -> recent contact (72h, no grace) ->
source group -> other online -> main account -> stage.
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
PINNED_SHARE = 0.02
RETURNING_SHARE = 0.20
CONTACT_HORIZON = timedelta(hours=100)


def agent_id(i: int) -> str:
    return f"a{i:05d}"


def created_at(i: int) -> str:
    return (FIRST_CREATED + timedelta(hours=i)).isoformat()


def _policy_yaml(n_agents: int, pins: dict[str, str]) -> str:
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
    lines += [f'  - {{id: {agent_id(i)}, created_at: "{created_at(i)}"}}'
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


def _agents(rng: random.Random, n_agents: int) -> list[dict[str, Any]]:
    statuses: list[str] = []
    for status, percent in STATUS_WEIGHTS[1:]:
        statuses += [status] * round(n_agents * percent / 100)
    statuses = ["online"] * (n_agents - len(statuses)) + statuses
    rng.shuffle(statuses)
    agents = []
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
    agents.append({"id": MAIN, "status": "online", "unread": 0, "pending": 0, "open": 0,
                   "offline_since": None})
    return agents


def generate(n_agents: int, n_events: int,
             seed: int = 1) -> tuple[str, dict[str, Any], list[dict[str, Any]]]:
    """Return (policy YAML text, state snapshot dict, message events)."""
    # The shop (statuses, counters) depends on the seed and size only, so a short
    # run sees the same agents as a long one; pins and contacts scale with events.
    rng = random.Random(f"{seed}:shop:{n_agents}")
    agents = _agents(rng, n_agents)
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
    events = []
    at = START
    for _ in range(n_events):
        at += timedelta(seconds=rng.randint(1, 3))
        roll = rng.random()
        if roll < PINNED_SHARE:
            buyer = f"p-{rng.randrange(n_pinned):05d}"
        elif roll < PINNED_SHARE + RETURNING_SHARE:
            buyer = f"r-{rng.randrange(n_returning):05d}"
        else:
            buyer = f"b-{rng.randrange(10 * n_events):06d}"
        events.append({
            "type": "message", "at": at.isoformat(), "buyer": buyer,
            "source": rng.choice(SOURCES), "item_id": None, "order_id": None,
            "order_state": None, "intent": None, "wants_human": True,
        })
    return _policy_yaml(n_agents, pins), snapshot, events
