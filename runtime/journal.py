"""Durable replay: the engine journals its records to SQLite, so a killed run resumes exactly.

`JournaledEngine` is an `Engine` whose `feed` also writes each event's records
to a journal file; `policyc simulate -o OUT` keeps one beside the output
(`OUT.journal.sqlite`) unless told `--no-journal`. A run killed at any point
(even `kill -9`) and started again with `--resume` on the same policy and log
ends with exactly the records, byte for byte, of a run that was never stopped.

Why this design:

- The engine is deterministic (G3) and its state is large and changing (heaps,
  timers, waiting places, conversations), so the journal stores no engine state: it
  stores what the engine *said*. To resume, a fresh engine is fed the events
  already journaled again, which rebuilds its state exactly; each event's
  records are compared with the journaled ones, byte for byte, so a changed
  engine or policy is caught instead of silently mixing two runs. Nothing has
  to know the engine's internals, and an engine change never breaks the
  journal's format.
- One SQLite file in WAL mode, `synchronous=NORMAL`: a committed transaction
  survives the death of the process (it is in the WAL, which the next open
  replays); only a power cut can lose the last few batches, never corrupt the
  file. Events are committed in batches of `batch` in one transaction each,
  with a `batches` row that records the boundary (last event, its log line,
  and the hash of the log up to that line), so a journal is always a whole
  number of batches and resuming needs no repair.
- The log's identity is checked, not assumed: the policy hash, the trace
  level (it changes the records) and the SHA-256 of the log's text up to the
  last journaled line must match. A log that only grew at the end still
  matches, so a journaled run can also follow a log that is being appended to.
- The records output is written from the journal (`write_output`), to a
  temporary file renamed over the output at the end, so an output file is
  either absent, the previous one, or complete.
- One run at a time: `JournalLock` holds an exclusive lock on the journal from
  before it is opened until its output is written; a second run gets a
  JournalError instead of emptying the journal under the first.

Tables: `meta(key, value)`; `events(seq, line, batch, records)` with `records`
the event's records as JSON Lines text (exactly the output's bytes);
`batches(batch, last_seq, last_line, log_sha256)`.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import json
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .atomic_write import write_atomic
from .engine import Engine
from .records import Event, Record
from .router import Router
from .source_files import is_blank, split_lines

FORMAT = "policyc-journal/1"
BATCH = 64  # events per transaction

SCHEMA = (
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE events (seq INTEGER PRIMARY KEY, line INTEGER NOT NULL, "
    "batch INTEGER NOT NULL, records TEXT NOT NULL)",
    "CREATE TABLE batches (batch INTEGER PRIMARY KEY, last_seq INTEGER NOT NULL, "
    "last_line INTEGER NOT NULL, log_sha256 TEXT NOT NULL)",
)


class JournalError(Exception):
    """A journal that cannot be used: unreadable, locked by another run, or written for
    another policy or log."""


class JournalLock:
    """An exclusive lock on a journal for one run, on the file `JOURNAL.lock` beside it.

    Without it, a run starting on a journal another run is writing would drop its
    tables under it, and both would exit 0 with wrong output. `flock` on a file of
    its own (never on the SQLite file: closing any descriptor of a file drops the
    POSIX locks SQLite holds on it) is released by the kernel when the process
    dies, so a killed run never leaves a stale lock and `--resume` needs no cleanup.
    The lock file stays; it holds nothing.
    """

    def __init__(self, journal: Path) -> None:
        # Beside the file itself: a journal named through a link is the same journal.
        self.path = Path(f"{os.path.realpath(journal)}.lock")
        try:
            self.fd: int | None = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC,
                                          0o666)
        except OSError as err:
            raise JournalError(f"{journal}: cannot open its lock file {self.path}: "
                               f"{err.strerror}") from None
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as err:
            self.release()
            if err.errno in (errno.EWOULDBLOCK, errno.EAGAIN):
                raise JournalError(f"{journal}: another run is using this journal (it "
                                   f"holds {self.path}); wait for it to end, or give "
                                   "this run another -o or --journal") from None
            raise JournalError(f"{journal}: cannot lock {self.path}: {err.strerror}") from None

    def release(self) -> None:
        if self.fd is not None:
            os.close(self.fd)  # closing the descriptor drops the flock
            self.fd = None


# Compact, non-ASCII kept: the bytes policyc/record_json.py writes (with orjson or not).
_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def records_text(records: list[Record]) -> str:
    """An event's records as JSON Lines: the bytes `simulate -o` writes for them."""
    return "".join(_encode(r) + "\n" for r in records)


def event_lines(log_text: str) -> list[int]:
    """The 1-based line number of each event of a log (blank lines hold none).

    Lines split as the log reader splits them (on `\\n` only: runtime/source_files.py).
    """
    return [n for n, line in enumerate(split_lines(log_text), 1) if not is_blank(line)]


class Journal:
    """One journal file: open it, start it afresh or read what it holds, append batches."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self.db = sqlite3.connect(path, isolation_level=None)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
        except sqlite3.Error as err:
            raise JournalError(f"{path}: cannot open the journal: {err}") from None

    def start(self, meta: dict[str, str]) -> None:
        """Empty the journal and label it (one transaction: old or new, never half)."""
        with self._transaction():
            for table in ("meta", "events", "batches"):
                self.db.execute(f"DROP TABLE IF EXISTS {table}")
            for statement in SCHEMA:
                self.db.execute(statement)
            self.db.executemany("INSERT INTO meta VALUES (?, ?)", sorted(meta.items()))

    def meta(self) -> dict[str, str] | None:
        """The journal's labels, or None when it was never started."""
        try:
            rows = self.db.execute("SELECT key, value FROM meta").fetchall()
        except sqlite3.OperationalError:
            return None  # no table yet: a run killed before its first commit
        except sqlite3.DatabaseError as err:
            raise JournalError(f"{self.path}: not a journal: {err}") from None
        return dict(rows) if rows else None

    def last_batch(self) -> tuple[int, int, int, str] | None:
        """(batch, last seq, last line, log sha256) of the last committed batch."""
        try:
            row = self.db.execute("SELECT batch, last_seq, last_line, log_sha256 FROM batches "
                                  "ORDER BY batch DESC LIMIT 1").fetchone()
        except sqlite3.Error as err:
            raise JournalError(f"{self.path}: {err}") from None
        return None if row is None else (row[0], row[1], row[2], row[3])

    def chunks(self) -> Iterator[tuple[int, int, str]]:
        """(seq, line, records text) of every journaled event, in order."""
        try:
            yield from self.db.execute("SELECT seq, line, records FROM events ORDER BY seq")
        except sqlite3.Error as err:
            raise JournalError(f"{self.path}: {err}") from None

    def append(self, batch: int, rows: list[tuple[int, int, str]], log_sha256: str) -> None:
        """Commit one batch of events and its boundary in one transaction."""
        with self._transaction():
            self.db.executemany("INSERT INTO events VALUES (?, ?, ?, ?)",
                                [(seq, line, batch, text) for seq, line, text in rows])
            self.db.execute("INSERT INTO batches VALUES (?, ?, ?, ?)",
                            (batch, rows[-1][0], rows[-1][1], log_sha256))

    def write_output(self, output: Path) -> None:
        """Write the journaled records, in order, to `output` (runtime/atomic_write.py)."""
        write_atomic(output, (text for _, _, text in self.chunks()))

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        """BEGIN IMMEDIATE ... COMMIT, rolled back on an error; SQLite errors are JournalError."""
        try:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
            self.db.execute("COMMIT")
        except sqlite3.Error as err:
            raise JournalError(f"{self.path}: {err}") from None


class JournaledEngine(Engine):
    """An engine over one whole log that journals every event's records as it goes.

    Built on the log's events (`events`, from `log_text`): with `resume`, it first
    re-feeds what the journal already holds and checks the records match; `feed`
    then hands those records back in order and journals only the events after
    them. The journal is committed and closed when the log's last event is fed.
    """

    def __init__(self, router: Router, path: Path, log_text: str, events: list[Event],
                 trace: str | None = None, resume: bool = False, batch: int = BATCH) -> None:
        super().__init__(router, trace=trace)
        self.path = path
        self.batch = batch
        self.total = len(events)
        self.lines = event_lines(log_text)
        if len(self.lines) != self.total:
            raise JournalError(f"{len(events)} events but {len(self.lines)} non-blank lines")
        self.log_lines = split_lines(log_text)
        self.sha = hashlib.sha256()
        self.hashed = 0  # log lines fed to `sha` so far
        self.fed = 0
        self.pending: list[tuple[int, int, str]] = []
        self.rebuilt: list[list[Record]] = []  # records of the journaled events, by seq
        self.lock: JournalLock | None = JournalLock(path)
        try:
            self.journal: Journal | None = Journal(path)
            self.meta = {"format": FORMAT, "policy": router.policy_hash,
                         "trace": trace or "none"}
            labels = self.journal.meta() if resume else None
            if labels is None:
                self.journal.start(self.meta)
                self.batches = 0
            else:
                self._rebuild(labels, events)
        except BaseException:
            self.close()
            raise
        if len(self.rebuilt) == self.total:  # nothing left to journal
            self._finish()

    # -- resuming ------------------------------------------------------------------
    def _rebuild(self, labels: dict[str, str], events: list[Event]) -> None:
        """Check the journal is this policy's and this log's, then re-feed its events."""
        assert self.journal is not None
        for key in ("format", "policy", "trace"):
            if labels.get(key) != self.meta[key]:
                raise JournalError(f"{self.path}: journal {key} is {labels.get(key)!r}, "
                                   f"this run's is {self.meta[key]!r}; remove the journal "
                                   "or run without --resume")
        last = self.journal.last_batch()
        if last is None:
            self.batches = 0
            return
        self.batches, last_seq, last_line, digest = last
        self.batches += 1
        if last_seq >= self.total or self.lines[last_seq] != last_line or \
                self._log_digest(last_line) != digest:
            raise JournalError(f"{self.path}: the log is not the one journaled (its first "
                               f"{last_line} lines differ); remove the journal or run "
                               "without --resume")
        for seq, line, text in self.journal.chunks():
            if seq != len(self.rebuilt) or line != self.lines[seq]:
                raise JournalError(f"{self.path}: journal row {seq} is out of order")
            records = super().feed(events[seq])
            if records_text(records) != text:
                raise JournalError(f"{self.path}: re-feeding event {seq} (line {line}) made "
                                   "other records than the journal holds: the engine or "
                                   "policy changed since it was written")
            self.rebuilt.append(records)
        if len(self.rebuilt) != last_seq + 1:
            raise JournalError(f"{self.path}: journal holds {len(self.rebuilt)} events, "
                               f"its batches say {last_seq + 1}")

    def _log_digest(self, through_line: int) -> str:
        """SHA-256 of the log text through line `through_line` (hashing on from last time)."""
        self.sha.update("".join(self.log_lines[self.hashed:through_line]).encode("utf-8"))
        self.hashed = through_line
        return self.sha.hexdigest()

    # -- journaling ------------------------------------------------------------------
    def feed(self, event: Event) -> list[Record]:
        seq = self.fed
        self.fed += 1
        if seq < len(self.rebuilt):
            return self.rebuilt[seq]  # already applied while rebuilding
        records = super().feed(event)
        self.pending.append((seq, self.lines[seq], records_text(records)))
        if len(self.pending) >= self.batch or self.fed == self.total:
            self._commit()
        if self.fed == self.total:
            self._finish()
        return records

    def _commit(self) -> None:
        assert self.journal is not None
        last_line = self.pending[-1][1]
        self.journal.append(self.batches, self.pending, self._log_digest(last_line))
        self.batches += 1
        self.pending = []

    def _finish(self) -> None:
        """The whole log is journaled: close the file (SQLite folds the WAL back in)."""
        if self.journal is not None:
            self.journal.close()
            self.journal = None

    def advance_to(self, at: float | str) -> list[Record]:
        """Refused: the journal holds each log event's records (timers included, as the
        event that came after them), so time moving without an event would make records
        no journal row holds. A journaled replay moves time with its log's events."""
        raise JournalError("a journaled replay moves time only with its log's events; "
                           "use an Engine to call advance_to")

    def write_output(self, output: Path) -> None:
        """Rewrite the records output from the (complete) journal."""
        journal = Journal(self.path)
        try:
            journal.write_output(output)
        finally:
            journal.close()

    def close(self) -> None:
        """Close the journal and give up its lock (after `write_output`: another run
        must not start the journal afresh while this one copies it out)."""
        if getattr(self, "journal", None) is not None:
            self._finish()
        if self.lock is not None:
            self.lock.release()
            self.lock = None
