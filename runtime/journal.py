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
from collections.abc import Generator, Iterator
from contextlib import contextmanager
from pathlib import Path

from .atomic_write import write_atomic
from .engine import Engine
from .records import Event, Record
from .router import Router
from .source_files import is_blank

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

    def chunks(self) -> Generator[tuple[int, int, str], None, None]:
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
    """An engine over one log, streamed, that journals every event's records as it goes.

    The caller reads the log once: it hands every line of the log's text to `line`
    as it is read (blank ones too: the journal keeps the hash of the log up to each
    batch) and each event, with its line number, to `feed_line`, then calls `finish`
    at the log's end. With `resume`, the events the journal already holds are fed
    again as they come and each one's records checked against it, byte for byte;
    the journal is appended to only after them. Nothing of the log is kept.
    """

    def __init__(self, router: Router, path: Path, trace: str | None = None,
                 resume: bool = False, batch: int = BATCH) -> None:
        super().__init__(router, trace=trace)
        self.path = path
        self.batch = batch
        self.sha = hashlib.sha256()  # of the log's lines through the last event read
        self.blanks: list[str] = []  # blank lines read since, hashed once an event follows
        self.fed = 0
        self.pending: list[tuple[int, int, str]] = []
        # What a resumed journal holds: its last batch (seq, line, log hash) and its rows.
        self.last: tuple[int, int, str] | None = None
        self.rows: Generator[tuple[int, int, str], None, None] | None = None
        self.mismatch: str | None = None  # a re-fed event that made other records
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
                self._resume(labels)
        except BaseException:
            self.close()
            raise

    # -- resuming ------------------------------------------------------------------
    def _resume(self, labels: dict[str, str]) -> None:
        """Check the journal is this policy's; its events are checked as they are re-fed."""
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
        self.batches = last[0] + 1
        self.last = last[1:]
        self.rows = self.journal.chunks()

    def _not_this_log(self) -> JournalError:
        assert self.last is not None
        return JournalError(f"{self.path}: the log is not the one journaled (its first "
                            f"{self.last[1]} lines differ); remove the journal or run "
                            "without --resume")

    def _refeed(self, seq: int, number: int, event: Event) -> list[Record]:
        """Feed a journaled event again and compare its records with the journal's. A
        difference is said once the log is known to be the journaled one (its hash at the
        journal's last line): a changed log first, else a changed engine or policy."""
        assert self.last is not None and self.rows is not None
        row = next(self.rows, None)
        records: list[Record] = []
        if self.mismatch is None:
            if row is None or row[0] != seq:
                raise JournalError(f"{self.path}: journal row {seq} is out of order")
            if row[1] != number:
                self.mismatch = "log"
            else:
                records = super().feed(event)
                if records_text(records) != row[2]:
                    self.mismatch = (f"{self.path}: re-feeding event {seq} (line {number}) "
                                     "made other records than the journal holds: the engine "
                                     "or policy changed since it was written")
        if seq == self.last[0]:
            if number != self.last[1] or self.sha.hexdigest() != self.last[2] \
                    or self.mismatch == "log":
                raise self._not_this_log()
            if self.mismatch is not None:
                raise JournalError(self.mismatch)
            next(self.rows, None)  # the end of the rows: the query is done before appending
            self.rows = None
        return records if self.mismatch is None else []

    # -- journaling ------------------------------------------------------------------
    def line(self, text: str) -> None:
        """One line of the log's text as read, its `\\n` included, blank ones too."""
        if is_blank(text):
            self.blanks.append(text)
            return
        for blank in self.blanks:
            self.sha.update(blank.encode("utf-8"))
        self.blanks.clear()
        self.sha.update(text.encode("utf-8"))

    def feed(self, event: Event) -> list[Record]:
        """Refused: a journaled event needs its line number (`feed_line`)."""
        raise JournalError("a journaled replay is fed with feed_line(number, event)")

    def feed_line(self, number: int, event: Event) -> list[Record]:
        """Apply the event read at line `number` (after `line` had its text); its records,
        journaled once its batch is whole."""
        seq = self.fed
        self.fed += 1
        if self.last is not None and seq <= self.last[0]:
            return self._refeed(seq, number, event)
        records = super().feed(event)
        self.pending.append((seq, number, records_text(records)))
        if len(self.pending) >= self.batch:
            self._commit()
        return records

    def finish(self) -> None:
        """The log ended: journal the last batch and close the file (SQLite folds the
        WAL back in). JournalError when the journal holds more events than the log."""
        if self.last is not None and self.fed <= self.last[0]:
            raise self._not_this_log()
        if self.pending:
            self._commit()
        self._finish()

    def _commit(self) -> None:
        assert self.journal is not None
        self.journal.append(self.batches, self.pending, self.sha.hexdigest())
        self.batches += 1
        self.pending = []

    def _finish(self) -> None:
        if self.journal is not None:
            self.journal.close()
            self.journal = None

    def discard(self) -> None:
        """A fresh run stopped by a bad log: its journal would only stop there again,
        so it goes (with SQLite's side files)."""
        self.close()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{self.path}{suffix}").unlink(missing_ok=True)

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
        if getattr(self, "rows", None) is not None:
            assert self.rows is not None
            self.rows.close()  # its query ends before the database closes
            self.rows = None
        if getattr(self, "journal", None) is not None:
            self._finish()
        if self.lock is not None:
            self.lock.release()
            self.lock = None
