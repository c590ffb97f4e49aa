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
        "assigned", "attributes", "balance", "capacity", "channel_capacity", "channel_open",
        "chat_permission", "closed", "conversion_rate", "created_at", "efficiency", "groups",
        "id", "offline_since", "online_from", "online_seconds", "open", "pending", "pools",
        "prior", "rank", "reception_rate", "role", "score", "span", "stacks", "static_why",
        "status", "unread", "version", "why",
    )

    def __init__(self, spec: dict[str, object], rank: int) -> None:
        self.id: str = str(spec["id"])
        self.role: str = str(spec["role"])
        self.created_at: str = str(spec["created_at"])
        self.chat_permission: bool = bool(spec["chat_permission"])
        self.capacity: int | None = spec["capacity"]  # type: ignore[assignment]
        self.score: int = int(spec["score"])  # type: ignore[call-overload]
        self.efficiency: float = float(spec["efficiency"])  # type: ignore[arg-type]
        self.prior = self.efficiency  # the roster's figure, where a measured one starts
        # Y6 measured efficiency: conversations closed, and time online (the seconds of
        # sessions that ended, and since when the current one runs: None when not online).
        self.closed = 0
        self.online_seconds = 0.0
        self.online_from: float | None = None
        self.reception_rate: float = float(spec["reception_rate"] or 0.0)  # type: ignore[arg-type]
        self.conversion_rate: float = float(spec["conversion_rate"] or 0.0)  # type: ignore[arg-type]
        self.groups: list[str] = list(spec["groups"])  # type: ignore[call-overload]
        self.span: str = str(spec["span"])
        self.attributes: dict[str, object] = dict(spec.get("attributes") or {})  # type: ignore[call-overload]
        # Most open chats per channel (`channel_capacity:`), and the open ones per channel.
        self.channel_capacity: dict[str, int] = dict(spec.get("channel_capacity") or {})  # type: ignore[call-overload]
        self.channel_open: dict[str, int] = {}
        self.rank = rank
        self.status = "offline"
        self.unread = 0
        self.pending = 0
        self.open = 0
        self.assigned = 0
        # Y6: the assignments `balanced` and `weighted` compare. It starts at `assigned` and
        # counts each one made, but an agent coming online (or joining a group) is raised
        # level with those it competes with (`ShopState.level`), so agents online equally
        # long receive about the same number: a late starter shares from now on instead of
        # taking every chat until it has caught up with a whole shift.
        self.balance = 0.0
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


def weight(a: AgentState) -> float:
    """Y6 `weighted`: the agent's weight, score/100 x efficiency."""
    return a.score / 100.0 * a.efficiency


def _per_weight(a: AgentState) -> float:
    w = weight(a)
    return a.balance / w if w > 0 else float("inf")


# The strategies whose key counts assignments (`balance`): an agent joins them level.
LEVELLED = ("balanced", "weighted")


def _per_rate(open_chats: int, rate: float) -> float:
    return (open_chats + 1) / rate if rate > 0 else float("inf")


def strategy_key(name: str, busy_threshold: int) -> Callable[[AgentState], Primary]:
    """The primary sort key of a selection strategy (smaller is picked first)."""
    keys: dict[str, Callable[[AgentState], Primary]] = {
        "fewest_unread": attrgetter("unread"),  # C-level getters where the key is one field
        "lowest_load_ratio": lambda a: a.open / a.capacity if a.capacity else 0.0,
        "balanced": attrgetter("balance"),
        "weighted": _per_weight,
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

    def best_fitting(self, strategy: str, fits: Callable[[AgentState], bool]
                     ) -> tuple[AgentState | None, bool, bool, list[AgentState]]:
        """The agent this strategy picks among those who can take a chat and `fits` it
        (a heavier chat, a capped channel): (agent, whether the next fitting one tied on
        the key, whether it is the only one, the better-ranked ones passed over). Walks
        the heap from its top, so it costs the agents passed over, not the pool."""
        heap = self.heaps[strategy]
        ranked = self.ranked
        push, pop = heapq.heappush, heapq.heappop
        frontier = [(heap[0], 0)] if heap else []
        size = len(heap)
        seen: set[int] = set()
        first: tuple[Entry, AgentState] | None = None
        skipped: list[AgentState] = []
        while frontier:
            entry, i = pop(frontier)
            child = 2 * i + 1
            if child < size:
                push(frontier, (heap[child], child))
                if child + 1 < size:
                    push(frontier, (heap[child + 1], child + 1))
            rank = entry[1]
            agent = ranked[rank]
            if entry[2] != agent.version or agent.why is not None or rank in seen:
                continue
            seen.add(rank)
            if not fits(agent):
                if first is None:
                    skipped.append(agent)
                continue
            if first is not None:
                return first[1], entry[0] == first[0][0], False, skipped
            first = (entry, agent)
        if first is None:
            return None, False, False, skipped
        return first[1], False, True, skipped

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

    def level(self, agent: AgentState, pools: list[Pool]) -> None:
        """Y6: raise an agent about to compete in `pools` (coming online, or joining a
        group) level with the best of those already there, for each strategy that counts
        assignments: `balanced` their count, `weighted` their count per unit of weight
        (times its own weight). Never lowered: an agent ahead stays ahead. The pools'
        heaps give the best at once; the agent itself is not among them yet."""
        floor = agent.balance
        for pool in pools:
            for name in LEVELLED:
                if name not in pool.heaps:
                    continue
                best, _tied = pool.best(name)
                if best is None or best is agent:
                    continue
                if name == "balanced":
                    floor = max(floor, best.balance)
                elif weight(best) > 0:  # weighted: the best one's count per unit of weight
                    floor = max(floor, _per_weight(best) * weight(agent))
        agent.balance = floor

    def join(self, agent: AgentState, gid: str, only_one: bool) -> list[str]:
        """S12: add an agent to a group; with `only_one` (S2) it leaves its other groups
        first. The groups it left, in order."""
        left = [g for g in agent.groups if g != gid] if only_one else []
        for g in left:
            self.leave(agent, g)
        was_out = agent.kept_out(self.kept_out)
        if agent.status == "online":
            self.level(agent, [self.pools[f"group:{gid}"]])
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
        """An agent's status changes (S9); coming online it joins level (Y6, `level`)."""
        if status == "online" and agent.status != "online":
            self.level(agent, agent.pools)
            agent.online_from = at
        elif status != "online" and agent.online_from is not None:
            agent.online_seconds += at - agent.online_from
            agent.online_from = None
        if status == "offline" and agent.status != "offline":
            agent.offline_since = at
        elif status != "offline":
            agent.offline_since = None
        agent.status = status
        self.touch(agent, facts=True)

    @staticmethod
    def unfit(agent: AgentState, need: tuple[int, str]) -> str | None:
        """Why an agent who can take a chat cannot take this one (None: it can): its open
        chats of the channel are at its cap, or the chat weighs more than its room."""
        units, channel = need
        cap = agent.channel_capacity.get(channel)
        if cap is not None and agent.channel_open.get(channel, 0) >= cap:
            return "channel_full"
        if agent.capacity is not None and agent.open + units > agent.capacity:
            return "no_room_for_weight"
        return None

    def fits(self, agent: AgentState, need: tuple[int, str] | None) -> bool:
        """Whether an agent with room takes this chat too (`need`: its weight and channel)."""
        return need is None or self.unfit(agent, need) is None

    def measure(self, agent: AgentState, at: float, reference: float) -> None:
        """Y6 measured efficiency ("历史接待效率"): conversations closed per hour online,
        `reference` of them counting as 1.0, capped at 10 like the roster's. The roster's
        efficiency counts as one hour at that pace, so an agent with no history starts at
        it and the figure moves as its record grows. Measured at the agent's own closes
        and status changes only: its heap key changes with its own events, never with the
        clock (runtime/state.py keeps keys that way)."""
        seconds = agent.online_seconds
        if agent.online_from is not None:
            seconds += at - agent.online_from
        rate = (agent.closed + reference * agent.prior) / (seconds / 3600.0 + 1.0)
        agent.efficiency = round(min(10.0, rate / reference), 3)
        self.touch(agent)

    def set_capacity(self, agent: AgentState, capacity: int | None) -> None:
        """Y2: a new cap on the agent's open conversations (None: no limit)."""
        agent.capacity = capacity
        self.touch(agent, facts=True)

    def assign(self, agent: AgentState, buyer: str, at: float, units: int = 1,
               channel: str | None = None, reserved: bool = False,
               started: bool = False) -> None:
        """The state change an assignment makes: one more unread, pending and open chat
        (open counts capacity units: `units` for a chat of a weighted channel;
        `reserved`: an accepted offer, whose chat `reserve` counted already;
        `started`: a chat the agent opened with the buyer itself (T12), open but with
        no buyer message unread or waiting for a reply)."""
        if not reserved:
            self._count(agent, units, channel, 1)
        if started:
            agent.unread -= 1
            agent.pending -= 1
        self.contact(buyer, agent.id, at)
        self.touch(agent, facts=True)

    def reserve(self, agent: AgentState, units: int = 1, channel: str | None = None) -> None:
        """An offer holds a place (runtime/offers.py): the agent's counts take the chat as
        an assignment would (so capacity, channel caps and every strategy see it), the
        buyer's contact waits for the accept."""
        self._count(agent, units, channel, 1)
        self.touch(agent, facts=True)

    def unreserve(self, agent: AgentState, units: int = 1, channel: str | None = None) -> None:
        """An offer ended unaccepted: its place is free again."""
        self._count(agent, units, channel, -1)
        self.touch(agent, facts=True)

    @staticmethod
    def _count(agent: AgentState, units: int, channel: str | None, sign: int) -> None:
        """One chat more (`sign` 1) or less (-1) on an agent's counts (Y6 levels too)."""
        agent.unread += sign
        agent.pending += sign
        agent.open += sign * units
        if channel is not None:
            agent.channel_open[channel] = agent.channel_open.get(channel, 0) + sign
        agent.assigned += sign
        agent.balance += sign

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
