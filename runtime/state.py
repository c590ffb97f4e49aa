"""Shop state for decisions: agents, candidate pools with selection heaps, contacts, pins.

Choosing the fewest-unread (or lowest load ratio, ...) online agent must not
scan a group: each pool keeps one heap per selection strategy, entries
`(primary, rank, version)`, the agent being `ranked[rank]`. Any change to an
agent bumps its version and pushes fresh entries; stale entries are dropped
lazily when they reach the top (and a heap is rebuilt when stale entries pile
up). An entry holds only numbers, so the garbage collector stops tracking it
after its first collection: heaps of several entries per agent cost a full
collection nothing. Each pool also counts its members by why they cannot take
a chat, so a trace can say "12 offline, 3 at capacity" without scanning, and
lists its best candidates for a trace from the heap (`leaders`), not the group.
"""

from __future__ import annotations

import heapq
from collections import Counter, deque
from collections.abc import Callable, Mapping
from operator import attrgetter

from .vocabulary import AVOID_WHYS

Primary = object
Entry = tuple[Primary, int, int]  # (primary key, rank, version)
Key = Callable[["AgentState"], Primary]
Stack = tuple[list[Entry], Key, "Pool"]  # one heap an agent is pushed on, its key, its pool


class AgentState:
    """One agent: roster facts from the policy, live facts from the state snapshot."""

    __slots__ = (
        "assigned", "attributes", "capacity", "chat_permission", "conversion_rate", "created_at",
        "efficiency", "groups", "id", "offline_since", "open", "pending", "pools", "rank",
        "reception_rate", "role", "score", "span", "stacks", "static_why", "status", "unread",
        "version", "why",
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
        self.attributes: dict[str, object] = dict(spec.get("attributes") or {})  # type: ignore[call-overload]
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
        self.stacks: list[Stack] = []  # every heap of every pool it is in (`restack`)

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

    def kept_out(self, teams: frozenset[str]) -> bool:
        """Whether the agent is in a team kept out of the general fallback."""
        return bool(teams) and any(g in teams for g in self.groups)

    def restack(self) -> None:
        """After the agent joined or left a pool: the heaps a change of it is pushed on."""
        self.stacks = [(pool.heaps[name], key, pool) for pool in self.pools
                       for name, key in pool.keys.items()]


def _weight(a: AgentState) -> float:
    w = a.score / 100.0 * a.efficiency
    return a.assigned / w if w > 0 else float("inf")


def _per_rate(open_chats: int, rate: float) -> float:
    return (open_chats + 1) / rate if rate > 0 else float("inf")


def strategy_key(name: str, busy_threshold: int) -> Callable[[AgentState], Primary]:
    """The primary sort key of a selection strategy (smaller is picked first)."""
    keys: dict[str, Callable[[AgentState], Primary]] = {
        "fewest_unread": attrgetter("unread"),  # C-level getters where the key is one field
        "lowest_load_ratio": lambda a: a.open / a.capacity if a.capacity else 0.0,
        "balanced": attrgetter("assigned"),
        "weighted": _weight,
        "least_busy": lambda a: (1, a.pending) if a.pending > busy_threshold else (0, a.unread),
        # T14 with load: open chats (plus the one to give) per unit of rate, so the best
        # rate wins among equally loaded agents and chats spread in proportion to the rates
        # (0.31 / 0.27 / 0.22 share 20 chats 8 / 7 / 5), never all to the best one.
        "best_reception_rate": lambda a: _per_rate(a.open, a.reception_rate),
        "best_conversion_rate": lambda a: _per_rate(a.open, a.conversion_rate),
    }
    return keys[name]


def _heap_limit(members: list[AgentState]) -> int:
    """How long a heap may grow (stale entries included) before the pool rebuilds it."""
    return 4 * len(members) + 64


class Pool:
    """Agents that one pick step chooses among, with a heap per strategy it uses."""

    __slots__ = ("counts", "heaps", "keys", "limit", "members", "name", "ranked",
                 "static_dropped")

    def __init__(self, name: str, members: list[AgentState], static_dropped: list[AgentState],
                 keys: dict[str, Key], ranked: list[AgentState]) -> None:
        self.name = name
        self.members = members
        self.static_dropped = static_dropped
        self.keys = keys
        self.ranked = ranked  # the shop's agents by rank: heap entries name them so
        # Each heap list keeps its identity for the pool's life (rebuilt in place), so
        # the agents' `stacks` stay valid.
        self.heaps: dict[str, list[Entry]] = {k: [] for k in keys}
        self.limit = _heap_limit(members)
        self.counts: Counter[str | None] = Counter(a.why for a in members)
        for agent in members:
            agent.pools.append(self)
            agent.restack()
        self.rebuild()

    def rebuild(self) -> None:
        for name, key in self.keys.items():
            self.rebuild_heap(self.heaps[name], key)

    def rebuild_heap(self, heap: list[Entry], key: Key) -> None:
        """One heap afresh: an entry for each member who can take a chat, none stale."""
        heap[:] = [(key(a), a.rank, a.version) for a in self.members if a.why is None]
        heapq.heapify(heap)

    def add(self, agent: AgentState) -> None:
        """S12: an agent joins this pool (a group it was added to while the shop runs)."""
        if agent.static_why is not None:  # listed, never picked (Y4, S4-B), as at the start
            self.static_dropped.append(agent)
            return
        self.members.append(agent)
        self.counts[agent.why] += 1
        agent.pools.append(self)
        agent.restack()
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
        agent.restack()
        self.limit = _heap_limit(self.members)
        self.rebuild()

    def push(self, agent: AgentState) -> None:
        rank, version = agent.rank, agent.version
        for name, key in self.keys.items():
            heap = self.heaps[name]
            heapq.heappush(heap, (key(agent), rank, version))
            if len(heap) > self.limit:
                self.rebuild_heap(heap, key)

    def online(self) -> int:
        """Members who are online, with room or at capacity; one set aside for a decision
        (`ShopState.set_aside`) is online with room all the same."""
        counts = self.counts
        online = counts[None] + counts["at_capacity"]
        for why in AVOID_WHYS:
            online += counts[why]
        return online

    def best(self, strategy: str) -> tuple[AgentState | None, bool]:
        """The agent this strategy picks, and whether the runner-up tied on the key."""
        heap = self.heaps[strategy]
        ranked = self.ranked
        pop = heapq.heappop
        while heap:
            top = heap[0]
            agent = ranked[top[1]]
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
        for i in (1, 2) if len(heap) > 2 else range(1, len(heap)):
            child = heap[i]
            other = ranked[child[1]]
            if child[2] == other.version and other.why is None:
                if child[0] == top[0]:
                    return agent, True
            else:
                uncertain = True
        if not uncertain:
            return agent, False
        first = pop(heap)
        while heap:
            other = ranked[heap[0][1]]
            if heap[0][2] == other.version and other.why is None:
                break
            pop(heap)
        tied = bool(heap) and heap[0][0] == first[0]
        heapq.heappush(heap, first)
        return agent, tied

    def leaders(self, strategy: str, limit: int) -> list[AgentState]:
        """The `limit` best members who can take a chat, best first (the strategy's key,
        then rank): read off the heap's top, never a scan of a big pool."""
        heap = self.heaps[strategy]
        ranked = self.ranked
        if len(heap) <= 2 * limit:  # a small pool: its valid entries, sorted
            return [ranked[e[1]] for e in sorted(heap)
                    if e[2] == ranked[e[1]].version and ranked[e[1]].why is None][:limit]
        # The heap as a tree, smallest first: a frontier of (entry, index) whose children
        # join it as it is popped; stale entries are passed through, not listed.
        out: list[AgentState] = []
        seen: set[int] = set()
        push, pop = heapq.heappush, heapq.heappop
        frontier = [(heap[0], 0)]
        size = len(heap)
        while frontier:
            entry, i = pop(frontier)
            rank = entry[1]
            agent = ranked[rank]
            if entry[2] == agent.version and agent.why is None and rank not in seen:
                seen.add(rank)
                out.append(agent)
                if len(out) == limit:
                    break
            child = 2 * i + 1
            if child < size:
                push(frontier, (heap[child], child))
                child += 1
                if child < size:
                    push(frontier, (heap[child], child))
        return out


class ShopState:
    """Everything a decision reads: agents, pools, contacts, waiting chats."""

    def __init__(self, agents: dict[str, AgentState], at: float) -> None:
        self.agents = agents
        self.ranked: list[AgentState] = sorted(agents.values(), key=attrgetter("rank"))
        self.at = at
        self.contacts: dict[str, tuple[str, float]] = {}
        # (at, buyer) of each contact as made, oldest first: what `forget_contacts` walks.
        self.contact_times: deque[tuple[float, str]] = deque()
        self.welcomed: dict[str, str] = {}
        self.queue: list[dict[str, object]] = []
        self.staging: list[dict[str, object]] = []
        self.pool: list[dict[str, object]] = []
        self.pools: dict[str, Pool] = {}
        # Agents whose status, open chats, capacity or groups (the facts a record carries,
        # runtime/facts.py) may have changed since the engine last looked; a read or a
        # reply changes none of them, so it is not noted.
        self.touched: set[str] = set()
        # Pools of a group's members who meet a requirement (runtime/snapshot.py): a group
        # id -> (pool, whether an agent belongs), so S12 joins and leaves keep them whole.
        self.filtered: dict[str, list[tuple[Pool, Callable[[AgentState], bool]]]] = {}
        # Teams kept out of the general fallback (`fallback: false`) and the `other_online`
        # pools that leave their members out: S12 joins and leaves move agents in and out
        # of them (the main account's groups never move: the engine refuses).
        self.kept_out: frozenset[str] = frozenset()
        self.fallback_pools: list[Pool] = []

    def touch(self, agent: AgentState, facts: bool = False) -> None:
        """Re-index an agent after any of its live facts changed (`facts`: one a record
        carries, so the engine notes it; a read or a reply changes none of them)."""
        old = agent.why
        # `AgentState.live_why`, inlined: this runs on every assignment, read and status
        # change (tests/pools.py checks that both agree for every agent).
        if not agent.chat_permission:
            new: str | None = "no_chat_permission"
        elif agent.status != "online":
            new = agent.status
        elif agent.capacity is not None and agent.open >= agent.capacity:
            new = "at_capacity"
        else:
            new = None
        agent.why = new
        agent.version = version = agent.version + 1
        if facts:
            self.touched.add(agent.id)
        if old != new:
            for pool in agent.pools:
                counts = pool.counts
                counts[old] -= 1
                counts[new] += 1
        if new is None:
            rank = agent.rank
            push = heapq.heappush
            for heap, key, pool in agent.stacks:
                push(heap, (key(agent), rank, version))
                if len(heap) > pool.limit:
                    pool.rebuild_heap(heap, key)

    def set_aside(self, avoid: Mapping[str, str]) -> list[AgentState]:
        """For one decision: the agents of `avoid` that could take a chat now cannot, with
        the why given (`declined`, `current_agent`, ...), so every pick passes them over
        and its trace lists them dropped with that why. Agents that cannot take a chat
        anyway keep their own why. The ones set aside, for `restore`."""
        aside: list[AgentState] = []
        for agent_id, why in avoid.items():
            agent = self.agents.get(agent_id)
            if agent is None or agent.why is not None:
                continue
            agent.why = why
            for pool in agent.pools:
                pool.counts[None] -= 1
                pool.counts[why] += 1
            aside.append(agent)
        return aside

    def restore(self, aside: list[AgentState]) -> None:
        """Undo `set_aside`: the agents take chats again (fresh heap entries, since the
        picks dropped their old ones)."""
        for agent in aside:
            self.touch(agent)

    def group(self, gid: str) -> list[AgentState]:
        """The members of a group as they are now (S12), those the policy lets take chats."""
        return self.pools[f"group:{gid}"].members

    def join(self, agent: AgentState, gid: str, only_one: bool) -> list[str]:
        """S12: add an agent to a group; with `only_one` (S2) it leaves its other groups
        first. The groups it left, in order."""
        left = [g for g in agent.groups if g != gid] if only_one else []
        for g in left:
            self.leave(agent, g)
        was_out = agent.kept_out(self.kept_out)
        agent.groups.append(gid)
        self.pools[f"group:{gid}"].add(agent)
        for pool, meets in self.filtered.get(gid, ()):
            if meets(agent):
                pool.add(agent)
        if not was_out and gid in self.kept_out:
            for pool in self.fallback_pools:
                pool.remove(agent)
        self.touched.add(agent.id)
        return left

    def leave(self, agent: AgentState, gid: str) -> None:
        """S12: take an agent out of a group; its open conversations stay with it (S11)."""
        was_out = agent.kept_out(self.kept_out)
        agent.groups.remove(gid)
        self.pools[f"group:{gid}"].remove(agent)
        for pool, _meets in self.filtered.get(gid, ()):
            if agent in pool.members or agent in pool.static_dropped:
                pool.remove(agent)
        if was_out and not agent.kept_out(self.kept_out):
            for pool in self.fallback_pools:
                pool.add(agent)
        self.touched.add(agent.id)

    def set_status(self, agent: AgentState, status: str, at: float) -> None:
        if status == "offline" and agent.status != "offline":
            agent.offline_since = at
        elif status != "offline":
            agent.offline_since = None
        agent.status = status
        self.touch(agent, facts=True)

    def set_capacity(self, agent: AgentState, capacity: int | None) -> None:
        """Y2: a new cap on the agent's open conversations (None: no limit)."""
        agent.capacity = capacity
        self.touch(agent, facts=True)

    def assign(self, agent: AgentState, buyer: str, at: float) -> None:
        """The state change an assignment makes: one more unread, pending and open chat."""
        agent.unread += 1
        agent.pending += 1
        agent.open += 1
        agent.assigned += 1
        self.contact(buyer, agent.id, at)
        self.touch(agent, facts=True)

    def contact(self, buyer: str, agent_id: str, at: float) -> None:
        """S8, T10, Y3: the buyer's last exchange with an agent is now (an assignment, a
        buyer message in the open conversation or the agent's reply: the engine says
        which); the returning-buyer window counts from it. Each exchange adds a
        `contact_times` row and makes the buyer's earlier rows stale; when stale rows
        outnumber the live contacts, the rows are rebuilt from `contacts` (one per
        buyer), so the rows stay within twice the buyers remembered however often
        they write."""
        self.contacts[buyer] = (agent_id, at)
        times = self.contact_times
        times.append((at, buyer))
        if len(times) > 2 * len(self.contacts) + 64:
            self.contact_times = deque(sorted((t, b) for b, (_, t) in self.contacts.items()))

    def forget_contacts(self, before: float) -> None:
        """Drop the contacts last made before `before` (a buyer's later contact stays):
        the engine keeps only those a route step can still reach, so a shop's memory of
        its buyers does not grow with the length of its history."""
        times, contacts = self.contact_times, self.contacts
        while times and times[0][0] < before:
            at, buyer = times.popleft()
            known = contacts.get(buyer)
            if known is not None and known[1] == at:
                del contacts[buyer]
