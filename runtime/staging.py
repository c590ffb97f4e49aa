"""S7 staging: which agent takes staged chats, and how many, when nobody was online to route to.

Chats the route stages (outcome `staged`) wait until an agent can take them;
the engine moves them (`Engine._release_staging`, `Engine._deal_staging`) and
asks this module who and how many:

- an agent coming online takes up to its `share`: `staging.cap` in mode
  `first_online`; in `even_split`, the staged chats divided by itself and the
  agents who may still come online (at most the cap);
- an agent reading a chat while it is `alone` online takes more, up to the cap;
- in `even_split`, chats still staged after an event go one by one, at that
  instant (a `staging` timer, runtime/timers.py), to the `dealer`'s choice, by
  the shop's strategy.

Each hand-out stops when the agent's unread reaches the cap.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from .state import AgentState, ShopState, strategy_key


class Staging:
    """The shop's staging settings and the last-resort main account (S4-C) it must skip."""

    def __init__(self, settings: dict[str, Any], shop: dict[str, Any], main_id: str | None,
                 strategy: str, busy_threshold: int) -> None:
        self.mode: str = settings["mode"]
        self.cap: int = settings["cap"]
        last_resort = shop["include_main_account"] and not shop["main_in_group"]
        self.last_resort: str | None = main_id if last_resort else None
        self.key = strategy_key(strategy, busy_threshold)

    def share(self, shop: ShopState, agent: AgentState) -> int:
        """How many staged chats an agent coming online takes."""
        if self.mode != "even_split":
            return self.cap
        still_to_come = sum(1 for a in shop.agents.values()
                            if a is not agent and a.status != "online" and a.chat_permission
                            and a.static_why is None)
        return min(math.ceil(len(shop.staging) / (still_to_come + 1)), self.cap)

    def alone(self, shop: ShopState, agent: AgentState) -> bool:
        """The only agent online (at capacity or not) that takes automatic chats; the
        last-resort main account online beside it does not count. Stops at the first
        other such agent: it runs on every read while staging holds chats."""
        if not agent.eligible:
            return False
        return not any(a is not agent and a.id != self.last_resort and a.status == "online"
                       and a.chat_permission and a.static_why is None
                       for a in shop.agents.values())

    def dealer(self, shop: ShopState) -> AgentState | None:
        """even_split, leftovers: the available agent under the cap the shop's strategy
        picks (fewest unread: evenly by count), ties to the earliest created."""
        takers = self._takers(shop, lambda a: a.eligible and a.unread < self.cap)
        return min(takers, key=lambda a: (self.key(a), a.rank)) if takers else None

    def _takers(self, shop: ShopState, can: Callable[[AgentState], bool]) -> list[AgentState]:
        """Agents that `can`, the last-resort main account only when nobody else can."""
        able = [a for a in shop.agents.values() if can(a)]
        if self.last_resort is not None:
            return [a for a in able if a.id != self.last_resort] or able
        return able
