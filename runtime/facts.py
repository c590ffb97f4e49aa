"""The agent facts a decision log carries, so `why-not --decisions` can answer from records alone.

Why-not asks what an agent's status, open conversations, capacity and groups
were at some instant. Those change on events that often make no record (a
status change, a read), so every record carries, as `facts`, the changes of
those four facts since the previous record's, each row with the instant it
happened at: `{"agent", "at", "status", "open", "capacity", "groups"}`. The
first record carries every agent's starting facts, so the rows of a log up to
an instant give each agent's facts at that instant (the index of
policyc/decision_log.py reads them so). A change is noted when the event or
timer that made it has been applied, and rides on the first record made after
that: the records of one event carry the changes of the events before it, the
facts its decisions saw. Changes after a log's last record are in no record.
"""

from __future__ import annotations

from typing import Any

from .clock import format_instant
from .state import ShopState

Row = dict[str, Any]
FIELDS = ("status", "open", "capacity", "groups")


class FactsLog:
    """The facts last said per agent, and the changed ones not yet on a record."""

    def __init__(self, tz: str) -> None:
        self.tz = tz
        self.said: dict[str, tuple[str, int, int | None, list[str]]] = {}
        self.pending: list[Row] = []
        self.stamp: tuple[float, str] = (float("nan"), "")  # the last instant formatted

    def note(self, shop: ShopState, at: float) -> None:
        """After an event or timer at `at`: queue a row for each agent whose facts changed
        (agents in id order, so the rows never depend on set order)."""
        touched = shop.touched
        if not touched:
            return
        when: str | None = None
        for agent_id in sorted(touched) if len(touched) > 1 else touched:
            a = shop.agents[agent_id]
            said = self.said.get(agent_id)
            if said is not None and said[0] == a.status and said[1] == a.open \
                    and said[2] == a.capacity and said[3] == a.groups:
                continue
            self.said[agent_id] = (a.status, a.open, a.capacity, list(a.groups))
            if when is None:
                if self.stamp[0] != at:
                    self.stamp = (at, format_instant(at, self.tz))
                when = self.stamp[1]
            self.pending.append({"agent": agent_id, "at": when, "status": a.status,
                                 "open": a.open, "capacity": a.capacity,
                                 "groups": list(a.groups)})
        touched.clear()

    def take(self) -> list[Row] | None:
        """The queued rows, for the next record (None when there are none)."""
        if not self.pending:
            return None
        rows, self.pending = self.pending, []
        return rows
