"""A test helper: check that a shop state's group pools agree with its agents (S12, S2)."""

from __future__ import annotations

from collections import Counter

from policyc.runtime.state import ShopState, strategy_key


def assert_pools_agree(shop: ShopState, groups: list[str], busy_threshold: int = 4) -> None:
    """Each group pool lists exactly the agents whose `groups` name it (the policy's
    excluded ones apart), counts them by why, and its heaps pick what a scan picks."""
    for gid in groups:
        pool = shop.pools[f"group:{gid}"]
        listed = [a.id for a in pool.members + pool.static_dropped]
        assert sorted(listed) == sorted(a.id for a in shop.agents.values() if gid in a.groups)
        assert len(set(listed)) == len(listed), (gid, listed)
        assert all(a.static_why is None for a in pool.members)
        assert all(a.static_why is not None for a in pool.static_dropped)
        counts = {k: v for k, v in pool.counts.items() if v}
        assert counts == dict(Counter(a.why for a in pool.members)), (gid, counts)
        for name in pool.heaps:
            key = strategy_key(name, busy_threshold)
            able = [a for a in pool.members if a.why is None]
            best, _ = pool.best(name)
            ranked = sorted(able, key=lambda a: (key(a), a.rank))
            want = ranked[0] if able else None
            assert best is want, (gid, name, best and best.id, want and want.id)
            assert pool.leaders(name, 5) == ranked[:5], (gid, name)
    for pool in shop.fallback_pools:  # `other_online` without the teams kept out of it
        listed = {a.id for a in pool.members + pool.static_dropped}
        want = {a.id for a in shop.agents.values() if not a.kept_out(shop.kept_out)}
        mains = {a.id for a in shop.agents.values() if a.role == "main"}
        assert listed - mains == want - mains, (pool.name, sorted(listed), sorted(want))
    for agent in shop.agents.values():
        # A pool two steps share (`others` and `shop`, most policies) is one object.
        holding = list({id(p): p for p in shop.pools.values() if agent in p.members}.values())
        assert sorted(map(id, agent.pools)) == sorted(map(id, holding)), agent.id
