"""The decision log as the record of truth: policy revisions by hash, and an SQLite index over it.

`policyc simulate -o DECISIONS.jsonl` writes one record per line (the policy
hash, the trace at the chosen level, the agent facts it saw: runtime/facts.py)
and keeps two things beside it:

- `DECISIONS.jsonl.policies/<hex>.json`: the compiled artifact of every policy
  revision that made a record, by its hash (`keep_revision`), so a record is
  explained with the revision that made it after the policy file has changed;
- `DECISIONS.jsonl.index.sqlite`: an index of the log (`build_index`), so
  `explain --decisions` and `why-not --decisions` answer one buyer or agent
  by reading a few lines at known byte offsets instead of replaying the day.

The index is derived data: it names the log's size and modification time, and
`DecisionLog` rebuilds it (one pass over the log) when they no longer match or
it is missing. Tables: `meta(key, value)`; `records(seq, buyer, kind, at,
policy, offset, length)` for every record with a buyer, indexed by (buyer,
seq); `facts(agent, at, seq, row)` for every agent-facts row, indexed by
(agent, at, seq); `policies(at, seq, policy)` for every record, indexed by
(at, seq). Both files are written to a temporary name and renamed, so a reader
sees a whole index or none.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .runtime.artifact import ArtifactError, read_artifact
from .runtime.atomic_write import write_atomic
from .runtime.clock import TimeError, parse_instant
from .runtime.router import Router

FORMAT = "policyc-decision-index/2"  # 2: pool runs indexed under the buyer ""

SCHEMA = (
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE records (seq INTEGER PRIMARY KEY, buyer TEXT NOT NULL, kind TEXT NOT NULL, "
    "at REAL NOT NULL, policy TEXT, offset INTEGER NOT NULL, length INTEGER NOT NULL)",
    "CREATE TABLE facts (agent TEXT NOT NULL, at REAL NOT NULL, seq INTEGER NOT NULL, "
    "row TEXT NOT NULL)",
    "CREATE TABLE policies (seq INTEGER PRIMARY KEY, at REAL NOT NULL, policy TEXT NOT NULL)",
)
INDEXES = (
    "CREATE INDEX records_buyer ON records (buyer, seq)",
    "CREATE INDEX facts_agent ON facts (agent, at, seq)",
    "CREATE INDEX policies_at ON policies (at, seq)",
)


class DecisionLogError(Exception):
    """A decision log (or its index or revision store) that cannot be used; the message
    names the file and, for a bad line, its number."""


def revisions_dir(log: Path) -> Path:
    """Where the policy revisions of a decision log are kept."""
    return log.with_name(log.name + ".policies")


def index_path(log: Path) -> Path:
    """Where a decision log's index lives."""
    return log.with_name(log.name + ".index.sqlite")


def _hex(policy_hash: str) -> str:
    """The file name part of a policy hash (`sha256:<hex>`), checked to be only hex."""
    algo, _, digest = policy_hash.partition(":")
    if algo != "sha256" or not digest or any(c not in "0123456789abcdef" for c in digest):
        raise DecisionLogError(f"{policy_hash!r} is not a policy hash (sha256:<hex>)")
    return digest


def keep_revision(log: Path, router: Router) -> Path:
    """Keep the compiled artifact of the policy that made a log's records, by its hash."""
    folder = revisions_dir(log)
    path = folder / f"{_hex(router.policy_hash)}.json"
    if not path.exists():
        write_atomic(path, json.dumps(router.artifact, ensure_ascii=False))
    return path


def load_revision(log: Path, policy_hash: str) -> Router:
    """The Router of a kept revision; DecisionLogError when it is not kept or broken."""
    path = revisions_dir(log) / f"{_hex(policy_hash)}.json"
    if not path.is_file():
        raise DecisionLogError(f"{log}: policy revision {policy_hash} is not kept in "
                               f"{revisions_dir(log)}")
    try:
        artifact = read_artifact(path)
    except ArtifactError as err:
        raise DecisionLogError(str(err)) from None
    if artifact["policy"] != policy_hash:
        raise DecisionLogError(f"{path}: holds policy {artifact['policy']}, not {policy_hash}")
    return Router(artifact)


def _lines(log: Path) -> Iterator[tuple[int, int, int, bytes]]:
    """(line number, byte offset, length, bytes) of each non-blank line of the log."""
    try:
        handle = log.open("rb")
    except OSError as err:
        raise DecisionLogError(f"{log}: cannot read: {err.strerror or err}") from None
    with handle:
        offset = 0
        for number, line in enumerate(handle, 1):
            if line.strip():
                yield number, offset, len(line), line
            offset += len(line)


def _record(line: bytes, where: str) -> dict[str, Any]:
    try:
        record = json.loads(line)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as err:
        raise DecisionLogError(f"{where}: not a JSON record: {err}") from None
    if not isinstance(record, dict) or not isinstance(record.get("kind"), str) \
            or not isinstance(record.get("at"), str):
        raise DecisionLogError(f"{where}: not a routing record (needs `kind` and `at`)")
    return record


def _epoch(text: object, where: str) -> float:
    try:
        return parse_instant(text)
    except TimeError as err:
        raise DecisionLogError(f"{where}: {err}") from None


def build_index(log: Path, trace: str | None = None) -> Path:
    """Index a decision log (one pass); the index file, written whole or not at all.
    `trace` is the trace level the records were made with, when known."""
    target = index_path(log)
    temp = target.with_name(f".{target.name}.tmp")
    temp.unlink(missing_ok=True)
    db = sqlite3.connect(temp, isolation_level=None)
    try:
        db.execute("PRAGMA journal_mode=OFF")
        db.execute("PRAGMA synchronous=OFF")
        db.execute("BEGIN")
        for statement in SCHEMA:
            db.execute(statement)
        stat = log.stat()
        for seq, (number, offset, length, line) in enumerate(_lines(log)):
            where = f"{log}:{number}"
            rec = _record(line, where)
            at = _epoch(rec["at"], where)
            policy = rec.get("policy") if isinstance(rec.get("policy"), str) else None
            if policy is not None:
                db.execute("INSERT INTO policies VALUES (?, ?, ?)", (seq, at, policy))
            # A pool run names no buyer; it is kept under "" so that explain can show the
            # slot, cap and scope of the run that released a buyer's chat.
            if isinstance(rec.get("buyer"), str) or rec.get("kind") == "pool_run":
                db.execute("INSERT INTO records VALUES (?, ?, ?, ?, ?, ?, ?)",
                           (seq, rec.get("buyer") or "", rec["kind"], at, policy, offset,
                            length))
            facts = rec.get("facts") or []
            if not isinstance(facts, list):
                raise DecisionLogError(f"{where}: facts: expected a list of rows")
            for row in facts:
                if not isinstance(row, dict) or not isinstance(row.get("agent"), str):
                    raise DecisionLogError(f"{where}: facts: a row without an agent")
                db.execute("INSERT INTO facts VALUES (?, ?, ?, ?)",
                           (row["agent"], _epoch(row.get("at"), where), seq,
                            json.dumps(row, ensure_ascii=False)))
        for statement in INDEXES:
            db.execute(statement)
        meta = {"format": FORMAT, "log_size": str(stat.st_size),
                "log_mtime_ns": str(stat.st_mtime_ns), "trace": trace or "unknown"}
        db.executemany("INSERT INTO meta VALUES (?, ?)", sorted(meta.items()))
        db.execute("COMMIT")
    except BaseException:
        db.close()
        temp.unlink(missing_ok=True)
        raise
    db.close()
    os.replace(temp, target)
    return target


class DecisionLog:
    """A decision log read through its index (rebuilt first when missing or stale)."""

    def __init__(self, log: Path) -> None:
        if not log.exists():
            raise DecisionLogError(f"{log}: no such file")
        if not log.is_file():
            raise DecisionLogError(f"{log}: not a regular file (a decision log is one)")
        self.log = log
        self.rebuilt = False
        path = index_path(log)
        try:
            if not self._fresh(path):
                build_index(log)
                self.rebuilt = True
            self.db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        except (OSError, sqlite3.Error) as err:
            raise DecisionLogError(f"{path}: cannot build or open the index: {err}") from None

    def _fresh(self, path: Path) -> bool:
        """The index exists and was built from the log as it is now."""
        if not path.is_file():
            return False
        try:
            db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
            try:
                meta = dict(db.execute("SELECT key, value FROM meta").fetchall())
            finally:
                db.close()
        except sqlite3.Error:
            return False
        stat = self.log.stat()
        return meta.get("format") == FORMAT and meta.get("log_size") == str(stat.st_size) \
            and meta.get("log_mtime_ns") == str(stat.st_mtime_ns)

    def meta(self, key: str) -> str | None:
        """One of the index's labels (format, log_size, log_mtime_ns, trace)."""
        row = self._first("SELECT value FROM meta WHERE key = ?", (key,))
        return None if row is None else str(row[0])

    def buyer_records(self, buyer: str, at: float | None = None) -> list[dict[str, Any]]:
        """Every record of a buyer except `ignored` ones, in log order (only those at
        `at`, when given), read from the log at their offsets."""
        query = "SELECT seq, offset, length FROM records WHERE buyer = ? AND kind != 'ignored'"
        args: tuple[object, ...] = (buyer,)
        if at is not None:
            query += " AND at = ?"
            args = (buyer, at)
        out: list[dict[str, Any]] = []
        with self.log.open("rb") as handle:
            for seq, offset, length in self._rows(query + " ORDER BY seq", args):
                handle.seek(offset)
                out.append(_record(handle.read(length), f"{self.log} (record {seq + 1})"))
        return out

    def agent_facts(self, agent: str, at: float | None) -> dict[str, Any] | None:
        """The agent's facts as of `at` (the end of the log when None): its latest row."""
        query = "SELECT row FROM facts WHERE agent = ?"
        args: tuple[object, ...] = (agent,)
        if at is not None:
            query += " AND at <= ?"
            args = (agent, at)
        row = self._first(query + " ORDER BY at DESC, seq DESC, rowid DESC LIMIT 1", args)
        return None if row is None else dict(json.loads(row[0]))

    def policy_at(self, at: float | None) -> str | None:
        """The policy hash of the last record at or before `at` (else the first record's;
        the last record's when `at` is None)."""
        row = None
        if at is not None:
            row = self._first("SELECT policy FROM policies WHERE at <= ? "
                              "ORDER BY at DESC, seq DESC LIMIT 1", (at,))
        order = "DESC" if at is None else ""
        row = row or self._first(f"SELECT policy FROM policies ORDER BY seq {order} LIMIT 1")
        return None if row is None else str(row[0])

    def _rows(self, sql: str, args: tuple[object, ...] = ()) -> list[Any]:
        try:
            return self.db.execute(sql, args).fetchall()
        except sqlite3.Error as err:
            raise DecisionLogError(f"{index_path(self.log)}: {err} (remove it: it is "
                                   "rebuilt from the log)") from None

    def _first(self, sql: str, args: tuple[object, ...] = ()) -> Any:
        rows = self._rows(sql, args)
        return rows[0] if rows else None

    def close(self) -> None:
        """Close the index."""
        self.db.close()
