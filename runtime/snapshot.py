"""Build the indexed shop state a router decides against, from a CONTRACT.md snapshot.

Agents come from the artifact's roster with the snapshot's live facts (and
overrides) on top; each pick step gets its candidate pool, with a heap for
every strategy that pool is asked for.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .clock import parse_instant
from .conditions import Facts
from .state import AgentState, Pool, ShopState, strategy_key

if TYPE_CHECKING:
    from .router import Router


def static_why(router: Router, spec: dict[str, Any]) -> str | None:
    """Why the policy itself keeps an agent from automatic assignment (Y4, S4-B)."""
    if router.exclude_admins and spec["role"] in ("admin", "main"):
        return "admin_excluded"
    if spec["role"] == "main" and not router.include_main:
        return "main_account_excluded"
    return None

_OVERRIDES = ("role", "created_at", "chat_permission", "capacity", "score")


def build_state(router: Router, snapshot: dict[str, Any]) -> ShopState:
    """Build an indexed shop state from a CONTRACT.md snapshot checked by `inputs.py`."""
    live = {row["id"]: row for row in snapshot.get("agents", [])}
    # A snapshot may override roster facts, `created_at` among them, so the S5
    # tie-break order (rank) is taken after the overrides.
    specs = [dict(spec, **{k: live[spec["id"]][k] for k in _OVERRIDES
                           if k in live.get(spec["id"], {})}) for spec in router.agent_specs]
    order = sorted(specs, key=lambda s: (parse_instant(s["created_at"]), s["id"]))
    rank = {s["id"]: i for i, s in enumerate(order)}
    agents: dict[str, AgentState] = {}
    for merged in specs:
        row = live.get(merged["id"], {})
        agent = AgentState(merged, rank[merged["id"]])
        agent.status = row.get("status", "offline")
        agent.unread = row.get("unread", 0) or 0
        agent.pending = row.get("pending", 0) or 0
        agent.open = row.get("open", 0) or 0
        agent.assigned = row.get("assigned", 0) or 0
        since = row.get("offline_since")
        agent.offline_since = parse_instant(since) if since else None
        agent.static_why = static_why(router, merged)
        agent.why = agent.live_why()
        agents[agent.id] = agent
    state = ShopState(agents, parse_instant(snapshot["at"]))
    for row in snapshot.get("contacts", []):
        at = parse_instant(row["at"])
        known = state.contacts.get(row["buyer"])
        if known is None or at >= known[1]:
            state.contacts[row["buyer"]] = (row["agent"], at)
    state.contact_times.extend(sorted((at, buyer) for buyer, (_, at) in state.contacts.items()))
    # Copies: the engine fills in and moves these entries; the caller's snapshot stays as given.
    state.queue = [dict(e) for e in snapshot.get("queue", [])]
    state.staging = [dict(e) for e in snapshot.get("staging", [])]
    state.pool = [dict(e) for e in snapshot.get("pool", [])]
    _build_pools(router, state)
    return state

def _build_pools(router: Router, state: ShopState) -> None:
    def keys(names: list[str | None]) -> dict[str, Callable[[AgentState], object]]:
        chosen = {n or router.strategy for n in names}
        return {n: strategy_key(n, router.busy_threshold) for n in sorted(chosen)}

    def split(ids: list[str]) -> tuple[list[AgentState], list[AgentState]]:
        members = [state.agents[i] for i in ids]
        return ([a for a in members if a.static_why is None],
                [a for a in members if a.static_why is not None])

    # A group pool needs a heap for every strategy the router asks it for: its
    # own, and that of each binding reaching it, directly or through overflow.
    asked: dict[str, list[str]] = {}
    for targets in router.targets.values():
        for _gid, _node, pool_key, _span, strategy in targets:
            asked.setdefault(pool_key, []).append(strategy)
    for gid, group in router.groups.items():
        kept, dropped = split(group["members"])
        state.pools[f"group:{gid}"] = Pool(f"group {gid}", kept, dropped,
                                           keys([group["select"], *asked.get(f"group:{gid}", [])]),
                                           state.ranked)
    # The pools whose members never change (no S12 membership moves them) are made
    # once per distinct member list, so an agent in the `others` and `shop` pools
    # (the same agents, most policies) is pushed on one heap, not two.
    static: dict[str, tuple[str, list[str], list[str | None]]] = {}
    for b in router.bindings:
        if b.agents:
            static[f"binding:{b.id}"] = (f"{b.id} agents", b.agents, [b.select])
    everyone = [a.id for a in state.agents.values()]
    # Teams kept out of the general fallback (`fallback: false`): their members are not
    # "other online agents". Membership moves them in and out (`ShopState.join`), so these
    # pools are never shared with a pool of the same members that membership leaves alone.
    state.kept_out = frozenset(gid for gid, g in router.groups.items()
                               if not g.get("fallback", True))
    fallback: list[tuple[str, bool]] = []  # (pool key, whether it includes the main)
    for step in router.route:
        if step.kind == "other_online":
            with_main = bool(step.params.get("include_main"))
            ids = [i for i in everyone if (with_main or i != router.main_id)
                   and not state.agents[i].kept_out(state.kept_out)]
            if state.kept_out:
                fallback.append((f"others:{step.id}", with_main))
                continue
            static[f"others:{step.id}"] = ("other online agents", ids, [step.params.get("select")])
    # The shop-wide pool counts the agents taking part in routing (only_one_online,
    # shop.online): the main account only when it is an ordinary member (S4-D);
    # as a last resort (S4-C) it is reached through the main_account step alone.
    taking_part = [i for i in everyone if i != router.main_id or router.main_in_group]
    static["shop"] = ("shop", taking_part, [None])
    strategies: dict[tuple[str, ...], list[str | None]] = {}
    for _name, ids, selects in static.values():
        strategies.setdefault(tuple(ids), []).extend(selects)
    made: dict[tuple[str, ...], Pool] = {}
    for pool_key, (name, ids, _selects) in static.items():
        pool = made.get(tuple(ids))
        if pool is None:
            kept, dropped = split(ids)
            pool = made[tuple(ids)] = Pool(name, kept, dropped, keys(strategies[tuple(ids)]),
                                           state.ranked)
        state.pools[pool_key] = pool
    for pool_key, with_main in fallback:
        step_id = pool_key[len("others:"):]
        select = next(st.params.get("select") for st in router.route if st.id == step_id)
        ids = [i for i in everyone if (with_main or i != router.main_id)
               and not state.agents[i].kept_out(state.kept_out)]
        kept, dropped = split(ids)
        pool = state.pools[pool_key] = Pool("other online agents", kept, dropped,
                                            keys([select]), state.ranked)
        state.fallback_pools.append(pool)
    _requirement_pools(router, state, asked, keys)


def _requirement_pools(router: Router, state: ShopState, asked: dict[str, list[str]],
                       keys: Callable[..., dict[str, Callable[[AgentState], object]]]) -> None:
    """For each requirement stage of a binding, a pool per target of the members who meet
    it: attributes are roster facts, so who meets a stage is known before any message
    (a group an agent joins later is kept whole by `ShopState.join`)."""
    from .router import requirement_pool  # the router imports this module

    for b in router.bindings:
        for stage, (cond, _seconds, _span) in enumerate(b.require):
            def meets(agent: AgentState, cond: Callable[[Facts], bool] = cond) -> bool:
                return cond(Facts({}, 0.0, router.tz, None, attributes=agent.attributes))
            if b.agents:
                base = state.pools[f"binding:{b.id}"]
                pool_keys = [f"binding:{b.id}"]
            else:
                pool_keys = sorted({t[2] for k, targets in router.targets.items()
                                    if k[1] == b.id or k[1].startswith(b.id + "~")
                                    for t in targets})
            for pool_key in pool_keys:
                base = state.pools[pool_key]
                name = requirement_pool(b.id, stage, pool_key)
                if name in state.pools:
                    continue
                pool = Pool(f"{base.name} meeting {b.id} stage {stage + 1}",
                            [a for a in base.members if meets(a)],
                            [a for a in base.static_dropped if meets(a)],
                            keys([*asked.get(pool_key, []), b.select]),
                            state.ranked)
                state.pools[name] = pool
                if pool_key.startswith("group:"):
                    state.filtered.setdefault(pool_key[6:], []).append((pool, meets))
