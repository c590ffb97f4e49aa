"""The embedded store: one SQLite file in WAL mode, owned by one process at a time.

A committed transaction is in the WAL before `append` returns, so it survives
the death of the process (SIGKILL included; the next open replays the WAL).
`synchronous=NORMAL` by default: only a power cut can lose the last commits,
never corrupt the file; `sqlite:PATH?sync=full` fsyncs every commit instead.
An exclusive `flock` on `PATH.lock` keeps a second process off the same file:
SQLite would let two writers take turns, but two engines over one log would
each believe their own state.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from . import Entry, StoreError

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS entries (shop TEXT NOT NULL, seq INTEGER NOT NULL, "
    "key TEXT, body TEXT NOT NULL, PRIMARY KEY (shop, seq))",
    "CREATE UNIQUE INDEX IF NOT EXISTS entries_key ON entries (shop, key) "
    "WHERE key IS NOT NULL",
    "CREATE TABLE IF NOT EXISTS revisions (policy TEXT PRIMARY KEY, artifact TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS seeds (shop TEXT PRIMARY KEY, policy TEXT NOT NULL)",
)
SYNC = {"normal": "NORMAL", "full": "FULL"}


class SqliteStore:
    """A `Store` (see stores/__init__.py) in one SQLite file."""

    def __init__(self, spec: str, instance: str, address: str) -> None:
        path_text, _, query = spec.partition("?")
        sync = dict(p.split("=", 1) for p in query.split("&") if "=" in p).get("sync", "normal")
        if sync not in SYNC:
            raise StoreError(f"--store: sync={sync!r} is not one of {', '.join(SYNC)}")
        self.instance = instance
        self.address = address
        self.path = Path(path_text)
        self._lock = self._take_lock()
        try:
            self.db = sqlite3.connect(self.path, isolation_level=None)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute(f"PRAGMA synchronous={SYNC[sync]}")
            for statement in SCHEMA:
                self.db.execute(statement)
            self.next: dict[str, int] = dict(self.db.execute(
                "SELECT shop, MAX(seq) + 1 FROM entries GROUP BY shop").fetchall())
        except sqlite3.Error as err:
            raise StoreError(f"{self.path}: cannot open the store: {err}") from None

    def _take_lock(self) -> int:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(f"{self.path}.lock", os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as err:
            raise StoreError(f"{self.path}: cannot open the store: {err.strerror}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            raise StoreError(f"{self.path}: another policyc serve uses this store "
                             "(use a Redis store to run several instances)") from None
        return fd

    def shops(self) -> list[str]:
        return sorted(self.next)

    def entries(self, shop: str, start: int = 0) -> Iterator[Entry]:
        rows = self.db.execute("SELECT seq, body FROM entries WHERE shop = ? AND seq >= ? "
                               "ORDER BY seq", (shop, start)).fetchall()
        for seq, body in rows:
            yield Entry.loads(body, seq)

    def append(self, shop: str, entry: Entry) -> int:
        seq = self.next.get(shop, 0)
        try:
            self.db.execute("INSERT INTO entries VALUES (?, ?, ?, ?)",
                            (shop, seq, entry.key, entry.dumps()))
        except sqlite3.Error as err:
            raise StoreError(f"{self.path}: cannot write: {err}") from None
        self.next[shop] = seq + 1
        entry.seq = seq
        return seq

    def by_key(self, shop: str, key: str) -> Entry | None:
        row = self.db.execute("SELECT seq, body FROM entries WHERE shop = ? AND key = ?",
                              (shop, key)).fetchone()
        return None if row is None else Entry.loads(row[1], row[0])

    def save_revision(self, policy: str, artifact: str) -> None:
        self._write("INSERT OR IGNORE INTO revisions VALUES (?, ?)", (policy, artifact))

    def revision(self, policy: str) -> str | None:
        row = self.db.execute("SELECT artifact FROM revisions WHERE policy = ?",
                              (policy,)).fetchone()
        return None if row is None else str(row[0])

    def seed(self, shop: str) -> str | None:
        row = self.db.execute("SELECT policy FROM seeds WHERE shop = ?", (shop,)).fetchone()
        return None if row is None else str(row[0])

    def set_seed(self, shop: str, policy: str) -> None:
        self._write("INSERT OR REPLACE INTO seeds VALUES (?, ?)", (shop, policy))

    def claim(self, shop: str) -> str | None:
        return "renewed"  # the file lock already makes this process the only one

    def release(self, shop: str) -> None:
        return None

    def owner(self, shop: str) -> str | None:
        return self.address

    def close(self) -> None:
        self.db.close()
        os.close(self._lock)

    def _write(self, sql: str, params: tuple[str, ...]) -> None:
        try:
            self.db.execute(sql, params)
        except sqlite3.Error as err:
            raise StoreError(f"{self.path}: cannot write: {err}") from None
