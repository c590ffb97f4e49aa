"""Anchor 1: the benchmark decision written by hand as a scan over the agents.

What a careful programmer writes first: for every message, look at the pin,
the recent contact, then scan the bound group's members (and, failing that,
every agent) for the eligible one with the fewest unread chats.
"""

from __future__ import annotations

from typing import Any

from .shop_model import Agent, Decision, Shop, change_of, load_shop, parse_time


def _best(agents: list[Agent]) -> Agent | None:
    best: Agent | None = None
    best_key: tuple[int, float, str] | None = None
    for a in agents:
        if a.is_main or not a.eligible():
            continue
        key = (a.unread, a.created, a.id)
        if best_key is None or key < best_key:
            best, best_key = a, key
    return best


class ScanRouter:
    """decide(event) -> (outcome, agent, reason), applying the assignment."""

    def __init__(self, policy: str | dict[str, Any], snapshot: dict[str, Any]) -> None:
        self.shop: Shop = load_shop(policy, snapshot)
        self.all_agents = list(self.shop.agents.values())

    def decide(self, event: dict[str, Any]) -> Decision:
        shop = self.shop
        if event["type"] != "message":
            agent = shop.agents[event["agent"]]
            if event["type"] == "agent_status":
                agent.status = event["status"]
            else:
                agent.capacity = event["capacity"]
            return change_of(event)
        buyer = event["buyer"]
        at = parse_time(event["at"])
        pinned = shop.pins.get(buyer)
        if pinned is not None:
            agent = shop.agents[pinned]
            if agent.eligible():
                return self._assign(agent, buyer, at, "pinned_agent")
            return ("waiting", None, "pinned_agent_waiting")
        contact = shop.contacts.get(buyer)
        if contact is not None and at - contact[1] <= shop.window:
            agent = shop.agents[contact[0]]
            if not agent.is_main and agent.eligible():
                return self._assign(agent, buyer, at, "recent_contact")
        group = shop.source_group.get(event["source"])
        if group is not None:
            agent = _best(shop.members[group])
            if agent is not None:
                return self._assign(agent, buyer, at, "source_group")
        agent = _best(self.all_agents)
        if agent is not None:
            return self._assign(agent, buyer, at, "fallback_other_online")
        if any(a.online_sub() for a in self.all_agents):  # S4-C
            return ("staged", None, "staged_nobody_online")
        for agent in self.all_agents:
            if agent.is_main and agent.eligible():
                return self._assign(agent, buyer, at, "main_account_fallback")
        return ("staged", None, "staged_nobody_online")

    def _assign(self, agent: Agent, buyer: str, at: float, reason: str) -> Decision:
        agent.unread += 1
        agent.pending += 1
        agent.open += 1
        self.shop.contacts[buyer] = (agent.id, at)
        return ("assigned", agent.id, reason)
