"""`policyc simulate`: run the stateful engine over an event log; records as JSONL, a report."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterable, Iterator
from collections.abc import Set as AbstractSet
from pathlib import Path
from typing import Any

from .. import record_json
from ..decision_log import DecisionLogError, build_index, keep_revision
from ..progress import NoProgress, Progress, progress
from ..replay_summary import Tally, render_text
from ..runtime.atomic_write import make_folder
from ..runtime.catalog import N_, say
from ..runtime.engine import Engine
from ..runtime.inputs import InputError, read_events
from ..runtime.journal import JournaledEngine, JournalError
from ..runtime.records import Record
from ..runtime.router import Router
from ..runtime.source_files import STDIN
from ..runtime.trace import LEVELS
from ..workload.counts import agent_counts
from .output import (
    Stop,
    add_lang,
    cannot_write,
    language,
    load_policy,
    one_stdin,
    policy_inputs,
    refuse_inputs,
    write_output,
)


def read_log(path: Path, agents: AbstractSet[str],
             groups: AbstractSet[str]) -> list[dict[str, Any]]:
    """The events of a JSON Lines log, checked; InputError names `FILE:LINE` of a bad one.

    All of them, in a list (`simulate` itself streams them: runtime/inputs.py `read_events`).
    """
    return [event for _, event in numbered_log(path, agents, groups)]


def numbered_log(path: Path, agents: AbstractSet[str],
                 groups: AbstractSet[str]) -> list[tuple[int, dict[str, Any]]]:
    """`read_log` with each event's line number (blank lines are skipped, so they differ)."""
    return [(number, event) for number, _, event in read_events(path, agents, groups)]


def simulate_command(args: argparse.Namespace) -> int:
    """policyc simulate POLICY --log EVENTS.jsonl [-o DECISIONS.jsonl]."""
    one_stdin("simulate", {"POLICY": args.policy, "--log": args.log})
    if (args.log is None) == (args.workload is None):
        raise Stop("policyc simulate: give --log EVENTS.jsonl or --workload MODEL (one of them)\n"
                   "(see `policyc simulate --help`)\n")
    if args.agents is not None and args.workload is None:
        raise Stop("policyc simulate: --agents sweeps a workload model: add --workload MODEL\n")
    if args.log is not None and args.log.is_dir():  # many shops' logs, in parallel
        from .. import bulk_replay  # (policyc/bulk_replay.py)
        return bulk_replay.simulate_folder(args)
    router = load_policy(args.policy, "simulate", 1)
    if args.workload is not None:  # generated agent actions (policyc/workload/)
        from ..workload.command import simulate_workload

        return simulate_workload(args, router)
    assert args.log is not None  # one of --log and --workload, checked above
    journal = _journal_path(args)
    _refuse_inputs(args, router, journal)
    try:
        engine = _engine(router, args, journal)
        try:
            run = Replay(engine, args.report is not None)
            try:
                events = read_events(args.log, router.agent_ids, set(router.groups),
                                     engine.line if isinstance(engine, JournaledEngine) else None)
                bar = progress(_lines_in(args.log) if args.progress or sys.stderr.isatty()
                               else 0, sys.stderr, "replaying", forced=args.progress)
                if args.output is not None and not isinstance(engine, JournaledEngine):
                    write_output(args.output, run.lines_of(events, bar))  # as they are made
                else:
                    run.consume(run.records_of(events, bar))
                    if args.output is not None and isinstance(engine, JournaledEngine):
                        _write_records(args.output, engine)  # copied from its journal
            except InputError as err:
                if isinstance(engine, JournaledEngine) and not args.resume:
                    engine.discard()  # a fresh journal of a bad log is no use to anyone
                raise Stop(f"{err}\n") from None
            if args.output is not None:
                _keep_decisions(args.output, router, args.trace)
        finally:
            if isinstance(engine, JournaledEngine):
                engine.close()  # the journal's lock is held until its output is written
    except JournalError as err:  # unusable, locked, or not writable mid-run (disk full, ...)
        raise Stop(f"policyc simulate: {err}\n") from None
    summary = run.tally.summary(engine, run.events, str(args.log))
    if args.report is not None:
        from ..report import html as report_html  # jinja2, only when a report is asked for

        lang = language(args)
        page = report_html.render(summary, run.kept, run.kept_events, engine.waiting(),
                                  title=say(lang, N_("{policy} on {log}"),
                                            policy=args.policy.name, log=args.log.name),
                                  timezone=engine.router.tz, lang=lang)
        write_output(args.report, page)
    if args.format == "json":
        sys.stdout.write(json.dumps(summary, ensure_ascii=False, indent=2) + "\n")
    else:
        sys.stdout.write(render_text(summary, language(args)))
    return 0


class Replay:
    """One pass over a log: each event fed as it is read, each record counted (and, for
    `--report`, kept: the page charts them all); the log and its records are not held."""

    def __init__(self, engine: Engine, keep: bool) -> None:
        self.engine = engine
        self.tally = Tally()
        self.events = 0
        self.keep = keep
        self.kept: list[Record] = []
        self.kept_events: list[dict[str, Any]] = []

    def records_of(self, numbered: Iterable[tuple[int, str, dict[str, Any]]],
                   bar: Progress) -> Iterator[list[Record]]:
        """Each event's records, in order, counted as they go."""
        engine = self.engine
        feed: Callable[[int, dict[str, Any]], list[Record]]
        if isinstance(engine, JournaledEngine):
            feed = engine.feed_line
        else:
            plain = engine.feed
            feed = lambda _, event: plain(event)  # noqa: E731
        add = self.tally.add
        drawn = not isinstance(bar, NoProgress)
        for number, _, event in numbered:
            records = feed(number, event)
            for rec in records:
                add(rec)
            self.events += 1
            if self.keep:
                self.kept_events.append(event)
                self.kept.extend(records)
            if drawn:
                bar.update(self.events)
            yield records
        if isinstance(engine, JournaledEngine):
            engine.finish()
        bar.close()

    def consume(self, chunks: Iterable[list[Record]]) -> None:
        """Run the replay through (its records counted, none written)."""
        for _ in chunks:
            pass

    def lines_of(self, numbered: Iterable[tuple[int, str, dict[str, Any]]],
                 bar: Progress) -> Iterator[str]:
        """The records as JSON Lines, an event's at a time."""
        line = record_json.line
        for records in self.records_of(numbered, bar):
            if records:
                yield "".join([line(rec) for rec in records])


def _lines_in(log: Path) -> int:
    """About how many events a log holds (its lines), for the progress bar; 0 for a pipe."""
    if str(log) == STDIN or not log.is_file():
        return 0
    count = 0
    with log.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            count += chunk.count(b"\n")
    return count


def _write_records(output: Path, engine: JournaledEngine) -> None:
    """A journaled run's records, copied from its journal to the output, atomically."""
    try:
        engine.write_output(output)
    except OSError as err:
        raise cannot_write(output, err) from None


def _keep_decisions(output: Path, router: Router, trace: str | None) -> None:
    """Beside the records: the policy revision that made them and their index, so
    `explain --decisions` answers from them (policyc/decision_log.py)."""
    try:
        keep_revision(output, router)
        build_index(output, trace)
    except OSError as err:
        raise cannot_write(output, err) from None
    except DecisionLogError as err:
        raise Stop(f"policyc simulate: {err}\n") from None


def _journal_path(args: argparse.Namespace) -> Path | None:
    """The journal this run keeps: `--journal`, else `OUTPUT.journal.sqlite` beside `-o`."""
    if args.no_journal:
        return None
    if args.journal is not None:
        return Path(args.journal)
    if args.output is not None and (args.output.is_file() or not args.output.exists()):
        return Path(f"{args.output}.journal.sqlite")
    return None


def _refuse_inputs(args: argparse.Namespace, router: Router, journal: Path | None) -> None:
    """No output may name the log or the policy (or its includes), nor another output."""
    inputs = [("the --log input", args.log)]
    if args.policy.suffix != ".json":
        inputs += policy_inputs(args.policy, router.artifact.get("files") or [])
    else:
        inputs.append(("the policy", args.policy))
    refuse_inputs("simulate", {"-o": args.output, "--report": args.report,
                               "--journal": journal}, inputs)


def _engine(router: Router, args: argparse.Namespace, path: Path | None) -> Engine:
    """The engine for this run: journaled to `path` unless None."""
    if path is None:
        if args.resume:
            raise JournalError("--resume needs a journal (-o FILE or --journal FILE)")
        return Engine(router, trace=args.trace)
    try:
        make_folder(path.parent)
    except OSError as err:
        raise JournalError(f"{path}: cannot make the journal's folder: {err.strerror}") from None
    return JournaledEngine(router, path, trace=args.trace, resume=args.resume,
                           batch=args.journal_batch)


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, found {text!r}")
    return int(text)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `simulate` to the command line."""
    p = sub.add_parser("simulate", help="run the stateful engine over an event log")
    p.add_argument("policy", type=Path, help="policy file or compiled .json artifact "
                                             "(- reads an artifact from standard input)")
    p.add_argument("--log", type=Path,
                   help="events, JSON Lines in time order (- reads standard input)")
    p.add_argument("--workload", type=Path, metavar="MODEL",
                   help="instead of a log: a workload model (policies/workloads/); the agent "
                        "who gets each chat reads, answers and closes it as the model says")
    p.add_argument("--agents", type=agent_counts, metavar="N..M",
                   help="with --workload: a staffing sweep, one run per agent count "
                        "(N..M, N or N,M,...): service level, waits, occupancy")
    p.add_argument("-o", "--output", type=Path,
                   help="write the routing records (JSON Lines), with the policy revision "
                        "(OUTPUT.policies/) and an index (OUTPUT.index.sqlite) beside them")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.add_argument("--trace", choices=LEVELS, default=None,
                   help="put each routed decision's trace (this view of it) in the records")
    p.add_argument("--report", type=Path, metavar="FILE.html",
                   help="also write an HTML report: charts of the queue and staging, "
                        "assignments per agent and waiting times, and the summary")
    p.add_argument("--progress", action="store_true",
                   help="show a progress bar on standard error even when it is not a terminal")
    p.add_argument("--journal", type=Path, metavar="FILE",
                   help="journal the records to this SQLite file as they are made "
                        "(default with -o: OUTPUT.journal.sqlite)")
    p.add_argument("--no-journal", action="store_true", help="do not journal")
    p.add_argument("--journal-batch", type=_positive, default=64, metavar="N",
                   help="events per journal transaction (default 64; a kill loses at most "
                        "one batch of work, never records)")
    p.add_argument("--resume", action="store_true",
                   help="continue a killed run from its journal (same policy and log); "
                        "the output is as if it had never stopped")
    add_lang(p)
    from ..bulk_replay import add_flags
    add_flags(p)
    p.set_defaults(run=simulate_command)
