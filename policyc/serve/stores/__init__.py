"""The service's durable log, behind one interface: SQLite embedded, or Redis for several instances.

A shop's log is a sequence of entries, each one transaction: a batch of
events with the records they made (`events`), or a policy switch
(`policy`). Replaying the entries in order through a fresh engine rebuilds
the shop exactly (the engine is deterministic, G3), so the store holds no
engine state, only what went in and what came out; explain and why-not read
the records and the policy revisions (compiled artifacts, stored by hash).

`open_store("sqlite:PATH" | "redis://HOST:PORT/DB", instance)` picks the kind.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

Record = dict[str, Any]


class StoreError(Exception):
    """The store cannot be used or written (unreachable, locked by another process, full)."""


class NotOwner(StoreError):
    """Another instance holds the shop's lease: this one must not write its log."""

    def __init__(self, shop: str, owner: str | None) -> None:
        super().__init__(f"shop {shop!r} is served by {owner or 'another instance'}")
        self.shop = shop
        self.owner = owner


@dataclass
class Entry:
    """One transaction of a shop's log: an events batch (with its records) or a policy switch."""

    kind: str  # "events" | "policy"
    policy: str  # the revision in force after this entry (sha256:...)
    events: list[Record] = field(default_factory=list)
    records: list[list[Record]] = field(default_factory=list)  # per event, in order
    key: str | None = None  # the client's Idempotency-Key, when it gave one
    by: str = "client"  # "client" | "clock" | "operator"
    seq: int = -1  # position in the log, set by the store

    def dumps(self) -> str:
        """The entry as stored: one JSON document."""
        return json.dumps({"kind": self.kind, "policy": self.policy, "events": self.events,
                           "records": self.records, "key": self.key, "by": self.by},
                          ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def loads(cls, text: str | bytes, seq: int) -> Entry:
        """An entry read back from the store."""
        raw = json.loads(text)
        return cls(raw["kind"], raw["policy"], raw["events"], raw["records"], raw["key"],
                   raw["by"], seq)


class Store(Protocol):
    """What a state store offers the service; every write is durable when it returns."""

    instance: str

    def shops(self) -> list[str]:
        """Every shop the store has a log for."""
        ...

    def entries(self, shop: str, start: int = 0) -> Iterator[Entry]:
        """The shop's log from entry `start` on, in order."""
        ...

    def append(self, shop: str, entry: Entry) -> int:
        """Write one entry (and its key) in one transaction; its seq. NotOwner if leased away."""
        ...

    def by_key(self, shop: str, key: str) -> Entry | None:
        """The entry written with this Idempotency-Key, if any."""
        ...

    def save_revision(self, policy: str, artifact: str) -> None:
        """Keep a compiled policy (artifact JSON text) by its hash."""
        ...

    def revision(self, policy: str) -> str | None:
        """A kept artifact's JSON text."""
        ...

    def seed(self, shop: str) -> str | None:
        """The hash of the policy the command line last gave for this shop."""
        ...

    def set_seed(self, shop: str, policy: str) -> None:
        """Remember the command line's policy for this shop."""
        ...

    def claim(self, shop: str) -> str | None:
        """Own the shop: "renewed" (it was ours), "taken" (it was free), None while another
        instance holds it."""
        ...

    def release(self, shop: str) -> None:
        """Give the shop's lease up (shutting down)."""
        ...

    def owner(self, shop: str) -> str | None:
        """The URL of the instance serving the shop now, if any."""
        ...

    def close(self) -> None:
        """Release the store's connections and locks."""
        ...


def open_store(url: str, instance: str, address: str, lease: float) -> Store:
    """The store a `--store` URL names; StoreError when it cannot be opened."""
    if url.startswith("sqlite:"):
        from .sqlite import SqliteStore
        return SqliteStore(url.removeprefix("sqlite:"), instance, address)
    if url.startswith(("redis://", "rediss://", "unix://")):
        try:
            from .redis import RedisStore
        except ImportError:
            raise StoreError("--store redis://: redis-py is not installed "
                             "(pip install 'policyc[serve]')") from None
        return RedisStore(url, instance, address, lease)
    raise StoreError(f"--store: {url!r} is neither sqlite:PATH nor redis://HOST:PORT/DB")
