"""One shop served live: its policy revisions, its engine, and its log in the store.

Every change goes the same way: the engine makes the records, the store
writes the entry (events and records, or a policy switch) in one
transaction, and only then does the caller answer. When the write fails the
engine has run ahead of the log, so the shop is rebuilt from the log (what
the store holds is the truth) and the error goes back to the caller.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from typing import Any

from ..runtime.clock import format_instant, parse_instant
from ..runtime.engine import Engine
from ..runtime.journal import records_text
from ..runtime.records import Record
from ..runtime.router import Router
from . import clock
from .revision import carry_over
from .stores import Entry, Store, StoreError


@dataclass
class Revision:
    """A policy revision of the shop: its hash, and when and how it came into force."""

    policy: str
    seq: int
    at: str | None
    by: str

    def to_dict(self) -> dict[str, Any]:
        return {"policy": self.policy, "seq": self.seq, "since": self.at, "by": self.by}


@dataclass
class Shop:
    """The live shop; `rebuild` makes it again from the store's log."""

    name: str
    store: Store
    trace: str | None
    routers: dict[str, Router] = field(default_factory=dict)
    router: Router | None = None
    engine: Engine | None = None
    at: float | None = None  # the shop's time: its last event's
    seq: int = 0  # entries in the log
    revisions: list[Revision] = field(default_factory=list)
    replay_mismatches: int = 0

    # -- policies ------------------------------------------------------------------
    def router_for(self, policy: str) -> Router:
        """The router of a stored revision (compiled artifacts are kept by hash)."""
        router = self.routers.get(policy)
        if router is None:
            text = self.store.revision(policy)
            if text is None:
                raise StoreError(f"shop {self.name}: revision {policy} is not in the store")
            router = self.routers[policy] = Router(json.loads(text))
        return router

    def keep(self, router: Router) -> None:
        """Store a revision before any entry names it."""
        self.store.save_revision(router.policy_hash, json.dumps(router.artifact,
                                                                ensure_ascii=False))
        self.routers[router.policy_hash] = router

    # -- rebuilding ----------------------------------------------------------------
    def rebuild(self) -> None:
        """Replay the whole log into a fresh engine (start-up, takeover, failed write)."""
        self.router = self.engine = self.at = None
        self.seq = 0
        self.revisions = []
        for entry in self.store.entries(self.name):
            self._replay(entry)

    def _replay(self, entry: Entry) -> None:
        if entry.kind == "policy":
            self._switch_to(self.router_for(entry.policy), entry)
        else:
            made = [self._feed(event) for event in entry.events]
            if [records_text(r) for r in made] != [records_text(r) for r in entry.records]:
                self.replay_mismatches += 1
                print(f"policyc serve: {self.name}: replaying log entry {entry.seq} made other "
                      "records than the log holds (the engine changed since); the log's "
                      "records stand", file=sys.stderr)
        self.seq = entry.seq + 1

    def _switch_to(self, router: Router, entry: Entry) -> None:
        self.engine = Engine(router, trace=self.trace) if self.engine is None else \
            carry_over(self.engine, router, self.trace)
        self.router = router
        since = None if self.at is None else format_instant(self.at, router.tz)
        self.revisions.append(Revision(router.policy_hash, entry.seq, since, entry.by))

    def _feed(self, event: dict[str, Any]) -> list[Record]:
        assert self.engine is not None, "a shop's log starts with its policy"
        records = clock.advance(self.engine, event) if event["type"] == "tick" else \
            self.engine.feed(event)
        self.at = parse_instant(event["at"])
        return records

    # -- changing ------------------------------------------------------------------
    def apply(self, events: list[dict[str, Any]], key: str | None, by: str = "client") -> Entry:
        """Feed checked events, write them with their records; the written entry."""
        assert self.router is not None
        try:
            records = [self._feed(event) for event in events]
            entry = Entry("events", self.router.policy_hash, events, records, key, by)
            self.store.append(self.name, entry)
        except BaseException:
            self.rebuild()
            raise
        self.seq = entry.seq + 1
        return entry

    def switch(self, router: Router, by: str) -> Entry:
        """Put a new revision in force from the next event on (an entry of its own)."""
        self.keep(router)
        entry = Entry("policy", router.policy_hash, by=by)
        try:
            self.store.append(self.name, entry)
        except BaseException:
            self.rebuild()
            raise
        self._switch_to(router, entry)
        self.seq = entry.seq + 1
        return entry

    def seed(self, router: Router) -> None:
        """The command line's policy for this shop: in force unless it was already given
        (a revision uploaded since then stays in force across restarts)."""
        self.keep(router)
        if self.store.seed(self.name) != router.policy_hash or self.router is None:
            self.switch(router, "command line")
            self.store.set_seed(self.name, router.policy_hash)

    # -- reading the log -------------------------------------------------------------
    def records(self) -> list[tuple[int, Record]]:
        """(seq, record) of every record in the log, in order."""
        return [(e.seq, r) for e in self.store.entries(self.name) if e.kind == "events"
                for made in e.records for r in made]

    def engine_at(self, at: float) -> tuple[Engine | None, str | None]:
        """A fresh engine that replayed the log's events up to `at` (inclusive), and the
        revision in force then."""
        past = Shop(self.name, self.store, "summary", self.routers)
        for entry in self.store.entries(self.name):
            if entry.kind == "policy":
                past._switch_to(past.router_for(entry.policy), entry)
                continue
            for event in entry.events:
                if parse_instant(event["at"]) > at:
                    return past.engine, past.router.policy_hash if past.router else None
                past._feed(event)
        return past.engine, past.router.policy_hash if past.router else None
