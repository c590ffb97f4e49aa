"""Shop state for decisions: agents, candidate pools with selection heaps, contacts, pins.

Choosing the fewest-unread (or lowest load ratio, ...) online agent must not
scan a group: each pool keeps one heap per selection strategy, entries
`(primary, rank, version, agent)`. Any change to an agent bumps its version and
pushes fresh entries; stale entries are dropped lazily when they reach the top
(and heaps are rebuilt when stale entries pile up). Each pool also counts its
members by why they cannot take a chat, so a trace can say "12 offline, 3 at
capacity" without scanning.
"""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Callable

Primary = object
Entry = tuple[Primary, int, int, "AgentState"]


class AgentState:
    """One agent: roster facts from the policy, live facts from the state snapshot."""

    __slots__ = (
        "assigned", "capacity", "chat_permission", "conversion_rate", "created_at",
        "efficiency", "groups", "id", "offline_since", "open", "pending", "pools", "rank",
        "reception_rate", "role", "score", "span", "static_why", "status", "unread", "version",
        "why",
    )

    def __init__(self, spec: dict[str, object], rank: int) -> None:
        self.id: str = str(spec["id"])
        self.role: str = str(spec["role"])
        self.created_at: str = str(spec["created_at"])
        self.chat_permission: bool = bool(spec["chat_permission"])
        self.capacity: int | None = spec["capacity"]  # type: ignore[assignment]
        self.score: int = int(spec["score"])  # type: ignore[call-overload]
        self.efficiency: float = float(spec["efficiency"])  # type: ignore[arg-type]
        self.reception_rate: float = float(spec["reception_rate"] or 0.0)  # type: ignore[arg-type]
        self.conversion_rate: float = float(spec["conversion_rate"] or 0.0)  # type: ignore[arg-type]
        self.groups: list[str] = list(spec["groups"])  # type: ignore[call-overload]
        self.span: str = str(spec["span"])
        self.rank = rank
        self.status = "offline"
        self.unread = 0
        self.pending = 0
        self.open = 0
        self.assigned = 0
        self.offline_since: float | None = None
        self.static_why: str | None = None
        self.why: str | None = "offline"
        self.version = 0
        self.pools: list[Pool] = []

    def live_why(self) -> str | None:
        """Why this agent cannot take a new chat right now (None: it can)."""
        if not self.chat_permission:
            return "no_chat_permission"
        if self.status != "online":
            return self.status  # offline, busy or hidden
        if self.capacity is not None and self.open >= self.capacity:
            return "at_capacity"
        return None

    @property
    def eligible(self) -> bool:
        return self.why is None and self.static_why is None


def _weight(a: AgentState) -> float:
    w = a.score / 100.0 * a.efficiency
    return a.assigned / w if w > 0 else float("inf")


def strategy_key(name: str, busy_threshold: int) -> Callable[[AgentState], Primary]:
    """The primary sort key of a selection strategy (smaller is picked first)."""
    keys: dict[str, Callable[[AgentState], Primary]] = {
        "fewest_unread": lambda a: a.unread,
        "lowest_load_ratio": lambda a: a.open / a.capacity if a.capacity else 0.0,
        "balanced": lambda a: a.assigned,
        "weighted": _weight,
        "least_busy": lambda a: (1, a.pending) if a.pending > busy_threshold else (0, a.unread),
        "best_reception_rate": lambda a: -a.reception_rate,
        "best_conversion_rate": lambda a: -a.conversion_rate,
    }
    return keys[name]


def _heap_limit(members: list[AgentState]) -> int:
    """How long a heap may grow (stale entries included) before the pool rebuilds it."""
    return 4 * len(members) + 64


class Pool:
    """Agents that one pick step chooses among, with a heap per strategy it uses."""

    __slots__ = ("counts", "heaps", "keys", "limit", "members", "name", "slots",
                 "static_dropped")

    def __init__(self, name: str, members: list[AgentState], static_dropped: list[AgentState],
                 keys: dict[str, Callable[[AgentState], Primary]]) -> None:
        self.name = name
        self.members = members
        self.static_dropped = static_dropped
        self.keys = keys
        self.heaps: dict[str, list[Entry]] = {k: [] for k in keys}
        self.slots: list[tuple[list[Entry], Callable[[AgentState], Primary]]] = []
        self.limit = _heap_limit(members)
        self.counts: Counter[str | None] = Counter(a.why for a in members)
        for agent in members:
            agent.pools.append(self)
        self.rebuild()

    def rebuild(self) -> None:
        for name, key in self.keys.items():
            heap = [(key(a), a.rank, a.version, a) for a in self.members if a.why is None]
            heapq.heapify(heap)
            self.heaps[name] = heap
        self.slots = [(self.heaps[name], key) for name, key in self.keys.items()]

    def add(self, agent: AgentState) -> None:
        """S12: an agent joins this pool (a group it was added to while the shop runs)."""
        if agent.static_why is not None:  # listed, never picked (Y4, S4-B), as at the start
            self.static_dropped.append(agent)
            return
        self.members.append(agent)
        self.counts[agent.why] += 1
        agent.pools.append(self)
        self.limit = _heap_limit(self.members)
        if agent.why is None:
            self.push(agent)

    def remove(self, agent: AgentState) -> None:
        """S12: an agent leaves this pool; its heap entries go with it (a rebuild)."""
        if agent in self.static_dropped:
            self.static_dropped.remove(agent)
            return
        self.members.remove(agent)
        self.counts[agent.why] -= 1
        agent.pools.remove(self)
        self.limit = _heap_limit(self.members)
        self.rebuild()

    def push(self, agent: AgentState) -> None:
        rank, version = agent.rank, agent.version
        for heap, key in self.slots:
            heapq.heappush(heap, (key(agent), rank, version, agent))
            if len(heap) > self.limit:
                self.rebuild()
                return

    def best(self, strategy: str) -> tuple[AgentState | None, bool]:
        """The agent this strategy picks, and whether the runner-up tied on the key."""
        heap = self.heaps[strategy]
        pop = heapq.heappop
        while heap:
            top = heap[0]
            agent = top[3]
            if top[2] == agent.version and agent.why is None:
                break
            pop(heap)
        else:
            return None, False
        if self.counts[None] < 2:
            return agent, False
        # The runner-up is a child of the root unless a child is stale; only then
        # is the root taken off to find it.
        uncertain = False
        for child in heap[1:3]:
            if child[2] == child[3].version and child[3].why is None:
                if child[0] == top[0]:
                    return agent, True
            else:
                uncertain = True
        if not uncertain:
            return agent, False
        first = pop(heap)
        while heap and (heap[0][2] != heap[0][3].version or heap[0][3].why is not None):
            pop(heap)
        tied = bool(heap) and heap[0][0] == first[0]
        heapq.heappush(heap, first)
        return agent, tied


class ShopState:
    """Everything a decision reads: agents, pools, contacts, waiting chats."""

    def __init__(self, agents: dict[str, AgentState], at: float) -> None:
        self.agents = agents
        self.at = at
        self.contacts: dict[str, tuple[str, float]] = {}
        self.welcomed: dict[str, str] = {}
        self.queue: list[dict[str, object]] = []
        self.staging: list[dict[str, object]] = []
        self.pool: list[dict[str, object]] = []
        self.pools: dict[str, Pool] = {}
        self.touched: set[str] = set()  # agents changed since the engine last looked (facts)

    def touch(self, agent: AgentState) -> None:
        """Re-index an agent after any of its live facts changed."""
        old, new = agent.why, agent.live_why()
        agent.why = new
        agent.version += 1
        self.touched.add(agent.id)
        for pool in agent.pools:
            if old != new:
                pool.counts[old] -= 1
                pool.counts[new] += 1
            if new is None:
                pool.push(agent)

    def group(self, gid: str) -> list[AgentState]:
        """The members of a group as they are now (S12), those the policy lets take chats."""
        return self.pools[f"group:{gid}"].members

    def join(self, agent: AgentState, gid: str, only_one: bool) -> list[str]:
        """S12: add an agent to a group; with `only_one` (S2) it leaves its other groups
        first. The groups it left, in order."""
        left = [g for g in agent.groups if g != gid] if only_one else []
        for g in left:
            self.leave(agent, g)
        agent.groups.append(gid)
        self.pools[f"group:{gid}"].add(agent)
        self.touched.add(agent.id)
        return left

    def leave(self, agent: AgentState, gid: str) -> None:
        """S12: take an agent out of a group; its open conversations stay with it (S11)."""
        agent.groups.remove(gid)
        self.pools[f"group:{gid}"].remove(agent)
        self.touched.add(agent.id)

    def set_status(self, agent: AgentState, status: str, at: float) -> None:
        if status == "offline" and agent.status != "offline":
            agent.offline_since = at
        elif status != "offline":
            agent.offline_since = None
        agent.status = status
        self.touch(agent)

    def set_capacity(self, agent: AgentState, capacity: int | None) -> None:
        """Y2: a new cap on the agent's open conversations (None: no limit)."""
        agent.capacity = capacity
        self.touch(agent)

    def assign(self, agent: AgentState, buyer: str, at: float) -> None:
        """The state change an assignment makes: one more unread, pending and open chat."""
        agent.unread += 1
        agent.pending += 1
        agent.open += 1
        agent.assigned += 1
        self.contacts[buyer] = (agent.id, at)
        self.touch(agent)
