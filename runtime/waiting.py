"""Chats not with an agent: the queue (Y9), staging (S7), waiting for one agent (Y8, S8), pool (T1).

A waiting chat is an entry `{buyer, at, event, outcome, reason, agent}`: the
buyer's message, when and why it started waiting, and for `waiting` the agent
it waits for. The queue, staging and pool lists are the shop state's own (so a
snapshot can carry them); the engine reads and changes them only through here.
"""

from __future__ import annotations

from typing import Any

from .clock import format_instant
from .state import ShopState

Entry = dict[str, Any]

# outcome -> place it waits in
PLACES = {"queued": "queue", "staged": "staging", "waiting": "waiting", "pooled": "pool"}
ORDER = ("queue", "staging", "waiting", "pool")
# Queued chats a binding holds until it widens (a requirement stage ends, a timed target
# opens): decided again then, or when an agent frees up, never pulled from the queue.
HELD = frozenset({"requirement_waiting", "target_waiting"})
SNAPSHOT_DEFAULTS = {"queue": ("queued", "queued_all_busy"),
                     "staging": ("staged", "staged_nobody_online"),
                     "pool": ("pooled", "offline_pool")}


class Waiting:
    """The waiting places of one shop, with an index by buyer (a buyer waits once)."""

    def __init__(self, state: ShopState, queue_order: str, prioritised: bool = False) -> None:
        self.queue_order = queue_order
        # With `queue.priority` rules (or requirements that hold chats back) the queue is
        # read by priority, then age; without, its ends are the answer (the common case).
        self.prioritised = prioritised
        self.lists: dict[str, list[Entry]] = {
            "queue": state.queue, "staging": state.staging,
            "waiting": [], "pool": state.pool}
        self.held: dict[str, tuple[str, Entry]] = {}
        for place in ("queue", "staging", "pool"):
            for entry in self.lists[place]:
                _fill_snapshot_entry(place, entry, state.at)
                self.held[str(entry["buyer"])] = (place, entry)

    def of(self, buyer: str) -> Entry | None:
        """The buyer's waiting chat, if it has one."""
        held = self.held.get(buyer)
        return held[1] if held else None

    def place_of(self, buyer: str) -> str | None:
        """Where the buyer's chat waits (queue, staging, waiting, pool), if it does."""
        held = self.held.get(buyer)
        return held[0] if held else None

    def hold(self, entry: Entry) -> None:
        """Start a chat waiting, in the place its outcome names."""
        place = PLACES[entry["outcome"]]
        self.lists[place].append(entry)
        self.held[entry["buyer"]] = (place, entry)

    def release(self, entry: Entry) -> None:
        """Take a chat out of its waiting place (handed out or decided again)."""
        place, _ = self.held.pop(entry["buyer"])
        self.lists[place].remove(entry)

    def next(self, place: str, automatic: bool = False) -> Entry | None:
        """The next chat to hand out: Y9 queue order (the highest `priority` first, then
        age), T3 pool newest first, staging oldest. `automatic`: a queue pull, which
        leaves chats a binding holds (HELD) to be decided again instead."""
        items = self.lists[place]
        if not items:
            return None
        newest = place == "pool" or (place == "queue" and self.queue_order == "newest_first")
        if place != "queue" or not self.prioritised:
            return items[-1] if newest else items[0]
        best: Entry | None = None
        for entry in (reversed(items) if newest else items):
            if automatic and entry["reason"] in HELD:
                continue
            if best is None or entry.get("priority", 0) > best.get("priority", 0):
                best = entry
        return best

    def held_back(self) -> list[Entry]:
        """Queued chats a binding holds (a requirement, a target not open yet), oldest
        first."""
        return [e for e in self.lists["queue"] if e["reason"] in HELD]

    def for_agent(self, agent: str) -> list[Entry]:
        """Chats waiting for this one agent (Y8 pins, S8 recent contact)."""
        return [e for e in self.lists["waiting"] if e["agent"] == agent]

    def with_reason(self, reason: str) -> list[Entry]:
        """Chats waiting for an agent for this reason."""
        return [e for e in self.lists["waiting"] if e["reason"] == reason]

    def snapshot(self) -> dict[str, list[Entry]]:
        """Copies of every place's list, in ORDER."""
        return {p: list(self.lists[p]) for p in ORDER}


def _fill_snapshot_entry(place: str, entry: Entry, at: float) -> None:
    """A waiting chat of a state snapshot needs only `buyer`; the rest takes defaults.

    `at` defaults to the snapshot's time, `source` to unknown, outcome and reason to
    the place's own (queued_all_busy, staged_nobody_online, offline_pool).
    """
    outcome, reason = SNAPSHOT_DEFAULTS[place]
    when = entry.get("at") or format_instant(at, "UTC")
    entry.setdefault("at", when)
    entry.setdefault("outcome", outcome)
    entry.setdefault("reason", reason)
    entry.setdefault("agent", None)
    entry.setdefault("event", {"type": "message", "at": when, "buyer": entry["buyer"],
                               "source": entry.get("source") or "unknown"})
