"""The figures a selection strategy compares, recorded as data in a pick's trace step.

Only built when a trace is asked for: the few best candidates in the order the
strategy ranks them (its key, then the S5 tie-break by creation), each with the
numbers behind its place, so an explanation can say "elly 1 unread against
chrissy 3" or "a-chen 0.31 against b-lin 0.27".
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable

from .state import AgentState, strategy_key, weight

SHOWN = 4  # candidates an explanation lists per pick: the winner and the runners-up

Figures = dict[str, object]


def _ratio(value: float) -> float | None:
    return None if value == float("inf") else round(value, 3)


def _level(a: AgentState) -> float | int:
    """Y6: the count `balanced`/`weighted` compare (a whole number unless a weighted join
    levelled it)."""
    level = round(a.balance, 3)
    return int(level) if level == int(level) else level


def _weight(a: AgentState) -> float:
    return round(weight(a), 3)


# One candidate as a pick's trace lists it: the agent, then the figures its strategy compared.
FIGURES: dict[str, Callable[[AgentState, int], Figures]] = {
    "fewest_unread": lambda a, t: {"agent": a.id, "unread": a.unread},
    "lowest_load_ratio": lambda a, t: {"agent": a.id, "open": a.open, "capacity": a.capacity,
                                       "load": _ratio(a.open / a.capacity)
                                       if a.capacity else 0.0},
    "balanced": lambda a, t: {"agent": a.id, "assigned": a.assigned, "level": _level(a)},
    "weighted": lambda a, t: {"agent": a.id, "assigned": a.assigned, "level": _level(a),
                              "weight": _weight(a)},
    "least_busy": lambda a, t: {"agent": a.id, "pending": a.pending, "unread": a.unread,
                                "busy": a.pending > t},
    "best_reception_rate": lambda a, t: {"agent": a.id, "reception_rate": a.reception_rate,
                                         "open": a.open},
    "best_conversion_rate": lambda a, t: {"agent": a.id, "conversion_rate": a.conversion_rate,
                                          "open": a.open},
}


def compared(candidates: Iterable[AgentState], strategy: str, busy_threshold: int,
             limit: int = SHOWN, ranked: bool = False) -> list[Figures]:
    """The best `limit` candidates as `strategy` ranks them, each with its figures
    (`ranked`: the candidates come in that order already, as `Pool.leaders` gives them)."""
    figures = FIGURES[strategy]
    if ranked:
        best = list(candidates)[:limit]
    else:
        key = strategy_key(strategy, busy_threshold)
        best = heapq.nsmallest(limit, candidates, key=lambda a: (key(a), a.rank))
    return [figures(a, busy_threshold) for a in best]


def tie_break(candidates: Iterable[AgentState], strategy: str, busy_threshold: int,
              winner: AgentState) -> dict[str, str] | None:
    """S5: the runner-up that tied with the winner on the strategy's figure, and both
    creation times (the winner's is earlier, or the same with the smaller id)."""
    key = strategy_key(strategy, busy_threshold)
    mine = key(winner)
    tied = [a for a in candidates if a is not winner and key(a) == mine]
    if not tied:
        return None
    other = min(tied, key=lambda a: a.rank)
    return {"agent": winner.id, "created": winner.created_at, "other": other.id,
            "other_created": other.created_at}
