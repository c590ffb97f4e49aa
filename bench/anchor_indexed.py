"""Anchor 2: the benchmark decision with indexes, the practical limit for Python.

Per-group heaps and one heap over every non-main agent, keyed (unread,
created_at, id), with lazy invalidation: a change of an agent's unread count
pushes a fresh entry, and stale or no-longer-eligible entries are dropped when
they reach the top. Pins and contacts are hash maps. A decision costs
O(log n) amortised instead of O(n).

Eligibility losses are handled lazily; an agent that may have become eligible
again (a status or capacity change) pushes a fresh entry. A count of online
sub-accounts answers S4-C (the main account only when none is online).
"""

from __future__ import annotations

from heapq import heappop, heappush
from typing import Any

from .shop_model import Agent, Decision, Shop, change_of, load_shop, parse_time

Entry = tuple[int, float, str, Agent]


def _top(heap: list[Entry]) -> Agent | None:
    """The eligible agent with the smallest current key, dropping stale entries."""
    while heap:
        unread, _, _, agent = heap[0]
        if unread == agent.unread and agent.eligible():
            return agent
        heappop(heap)
    return None


class IndexedRouter:
    """decide(event) -> (outcome, agent, reason), applying the assignment."""

    def __init__(self, policy: str | dict[str, Any], snapshot: dict[str, Any]) -> None:
        self.shop: Shop = load_shop(policy, snapshot)
        self.mains = [a for a in self.shop.agents.values() if a.is_main]
        self.group_heap: dict[str, list[Entry]] = {g: [] for g in self.shop.members}
        self.source_heap = {s: self.group_heap[g] for s, g in self.shop.source_group.items()}
        self.all_heap: list[Entry] = []
        self.online = sum(a.online_sub() for a in self.shop.agents.values())
        for agent in self.shop.agents.values():
            if not agent.is_main and agent.eligible():
                self._push(agent)

    def _push(self, agent: Agent) -> None:
        entry = (agent.unread, agent.created, agent.id, agent)
        heappush(self.all_heap, entry)
        if agent.group is not None:
            heappush(self.group_heap[agent.group], entry)

    def _change(self, event: dict[str, Any]) -> Decision:
        agent = self.shop.agents[event["agent"]]
        self.online -= agent.online_sub()
        if event["type"] == "agent_status":
            agent.status = event["status"]
        else:
            agent.capacity = event["capacity"]
        self.online += agent.online_sub()
        if not agent.is_main and agent.eligible():
            self._push(agent)
        return change_of(event)

    def decide(self, event: dict[str, Any]) -> Decision:
        if event["type"] != "message":
            return self._change(event)
        shop = self.shop
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
        heap = self.source_heap.get(event["source"])
        if heap is not None:
            best = _top(heap)
            if best is not None:
                return self._assign(best, buyer, at, "source_group")
        best = _top(self.all_heap)
        if best is not None:
            return self._assign(best, buyer, at, "fallback_other_online")
        for agent in self.mains if not self.online else ():
            if agent.eligible():
                return self._assign(agent, buyer, at, "main_account_fallback")
        return ("staged", None, "staged_nobody_online")

    def _assign(self, agent: Agent, buyer: str, at: float, reason: str) -> Decision:
        agent.unread += 1
        agent.pending += 1
        agent.open += 1
        self.shop.contacts[buyer] = (agent.id, at)
        if not agent.is_main:
            self._push(agent)
        return ("assigned", agent.id, reason)
