"""S10, Y12: who receives a conversation an agent forwards to another agent or to a group."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .router import Router
from .state import AgentState, ShopState, strategy_key

Target = tuple[AgentState | None, str | None, str | None, str]
# (receiver, group, selection, why there is none)


def transfer_target(router: Router, shop: ShopState, event: dict[str, Any],
                    holder: str, need: tuple[int, str] | None = None) -> Target:
    """The receiver of a `transfer` event away from agent `holder`, or why there is none.

    To an agent: it must have chat permission and be online or busy (Y12), not
    be the holder. To a group: the group's strategy (else the shop's) over its
    available members other than the holder; ties go to the earliest created.
    """
    if "to_agent" in event:
        target = shop.agents[event["to_agent"]]
        if target.id == holder:
            return None, None, None, "already its agent"
        if not target.chat_permission:
            return None, None, None, "no_chat_permission"
        if target.status not in ("online", "busy"):  # Y12: online or busy, not offline
            return None, None, None, target.status
        unfit = None if need is None else shop.unfit(target, need)
        if unfit is not None:  # `channels:` caps hold for forwarded chats too
            return None, None, None, unfit
        return target, None, "only_candidate", ""
    group: str = event["to_group"]
    if group not in router.groups:
        return None, group, None, "unknown group"
    picked, selection = group_pick(router, shop, group, holder, need)
    return picked, group, selection, "" if picked else "nobody available"


def group_pick(router: Router, shop: ShopState, gid: str, sender: str,
               need: tuple[int, str] | None = None) -> tuple[AgentState | None, str | None]:
    """The group's strategy over its available members other than the sender (with room
    for the chat's weight and channel, `need`)."""
    group = router.groups.get(gid)
    if group is None:
        return None, None
    return best_of((a for a in shop.group(gid)  # now (S12)
                    if a.eligible and a.id != sender and shop.fits(a, need)),
                   group["select"] or router.strategy, router.busy_threshold)


def best_of(agents: Iterable[AgentState], strategy: str,
            busy_threshold: int) -> tuple[AgentState | None, str | None]:
    """The agent `strategy` prefers among `agents` (ties: the earliest created) and the
    record's `selection` for it; (None, None) when there is none. Transfers to a group
    and offline pool runs to groups or agents both pick this way."""
    key = strategy_key(strategy, busy_threshold)
    ranked = sorted(agents, key=lambda a: (key(a), a.rank))
    if not ranked:
        return None, None
    if len(ranked) == 1:
        return ranked[0], "only_candidate"
    tied = key(ranked[0]) == key(ranked[1])
    return ranked[0], "earliest_created" if tied else strategy
