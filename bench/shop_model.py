"""The benchmark shop as plain Python objects, shared by the hand-written anchors.

Reads the policy YAML (untimed set-up) and the state snapshot into `Agent`
records and lookup tables. Only the subset of the language the benchmark
policy uses is understood: roster (with capacities), groups with `sources:`,
pins, the window of `recent_contact`.

Every implementation answers each event of the stream with a `Decision`: a
message with (outcome, agent, reason), a status or capacity change with
(its type, the agent, the new value), so the harness compares whole streams.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import yaml

MAIN_ROLE = "main"
_DURATION = re.compile(r"^(\d+)([smhd])$")
_UNIT = {"s": 1, "m": 60, "h": 3600, "d": 86400}

Decision = tuple[str, "str | None", str]  # (outcome, agent, reason)


def change_of(event: dict[str, Any]) -> Decision:
    """What every implementation answers to an agent_status or set_capacity event."""
    value = event["status"] if event["type"] == "agent_status" else str(event["capacity"])
    return (event["type"], event["agent"], value)


class Agent:
    """One account's roster facts and live counters."""

    __slots__ = ("capacity", "chat_permission", "created", "group", "id", "is_main", "open",
                 "pending", "status", "unread")

    def __init__(self, spec: dict[str, Any], live: dict[str, Any]) -> None:
        self.id: str = str(spec["id"])
        self.is_main = spec.get("role", "agent") == MAIN_ROLE
        self.created = parse_time(str(spec["created_at"]))
        self.chat_permission = bool(spec.get("chat_permission", True))
        self.capacity: int | None = spec.get("capacity")
        self.group: str | None = None
        self.status: str = live.get("status", "offline")
        self.unread: int = live.get("unread", 0)
        self.pending: int = live.get("pending", 0)
        self.open: int = live.get("open", 0)

    def eligible(self) -> bool:
        return (self.chat_permission and self.status == "online"
                and (self.capacity is None or self.open < self.capacity))

    def online_sub(self) -> bool:
        """S4-C: an online sub-account (room or not) keeps chats from the main account."""
        return not self.is_main and self.chat_permission and self.status == "online"

    def key(self) -> tuple[int, float, str]:
        """fewest_unread: fewest unread, then earliest created, then id."""
        return (self.unread, self.created, self.id)


@dataclass
class Shop:
    """Agents, group membership, source bindings, pins and recent contacts."""

    agents: dict[str, Agent]
    members: dict[str, list[Agent]]  # group -> members, in roster order
    source_group: dict[str, str]  # source -> group
    pins: dict[str, str]  # buyer -> agent id
    contacts: dict[str, tuple[str, float]]  # buyer -> (agent id, at as epoch seconds)
    window: float  # recent-contact window, seconds


def parse_time(text: str) -> float:
    return datetime.fromisoformat(text).timestamp()


def parse_duration(text: str) -> float:
    m = _DURATION.match(text)
    if m is None:
        raise ValueError(f"not a duration: {text!r}")
    return float(timedelta(seconds=int(m.group(1)) * _UNIT[m.group(2)]).total_seconds())


def _pin_agent(value: Any) -> str:
    return str(value["agent"] if isinstance(value, dict) else value)


def _window(route: list[Any]) -> float:
    for step in route:
        if isinstance(step, dict) and step.get("step") == "recent_contact":
            return parse_duration(str(step.get("window", "72h")))
    return parse_duration("72h")


def read_policy(policy_yaml: str) -> dict[str, Any]:
    """Parse the policy text (with libyaml when available: big rosters)."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return dict(yaml.load(policy_yaml, Loader=loader))


def load_shop(policy: str | dict[str, Any], snapshot: dict[str, Any]) -> Shop:
    """Build a fresh `Shop` from the policy (text, or as parsed) and a state snapshot."""
    if isinstance(policy, str):
        policy = read_policy(policy)
    live = {a["id"]: a for a in snapshot["agents"]}
    agents = {str(s["id"]): Agent(s, live.get(str(s["id"]), {})) for s in policy["roster"]}
    members: dict[str, list[Agent]] = {}
    source_group: dict[str, str] = {}
    for name, group in (policy.get("groups") or {}).items():
        members[name] = [agents[m] for m in group.get("members", [])]
        for agent in members[name]:
            agent.group = name
        for source in group.get("sources", []):
            source_group[source] = name
    pins = {str(b): _pin_agent(v) for b, v in (policy.get("pins") or {}).items()}
    contacts = {c["buyer"]: (c["agent"], parse_time(c["at"])) for c in snapshot["contacts"]}
    return Shop(agents, members, source_group, pins, contacts, _window(policy["route"]))
