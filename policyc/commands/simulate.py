"""`policyc simulate`: run the stateful engine over an event log; records as JSONL, a report."""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Set as AbstractSet
from pathlib import Path
from typing import Any

from .. import record_json
from ..decision_log import DecisionLogError, build_index, keep_revision
from ..progress import Progress, progress
from ..runtime.atomic_write import make_folder
from ..runtime.catalog import N_, say
from ..runtime.counters import counters_text
from ..runtime.engine import Engine
from ..runtime.inputs import InputError, read_events
from ..runtime.journal import JournaledEngine, JournalError
from ..runtime.offline_pool import runs_summary, runs_text
from ..runtime.records import DECIDED, Record
from ..runtime.router import Router
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
             groups: AbstractSet[str], keep: list[str] | None = None) -> list[dict[str, Any]]:
    """The events of a JSON Lines log, checked; InputError names `FILE:LINE` of a bad one.

    The log is streamed (runtime/source_files.py); `keep` collects its lines' text.
    """
    return [event for _, event in numbered_log(path, agents, groups, keep)]


def numbered_log(path: Path, agents: AbstractSet[str], groups: AbstractSet[str],
                 keep: list[str] | None = None) -> list[tuple[int, dict[str, Any]]]:
    """`read_log` with each event's line number (blank lines are skipped, so they differ)."""
    return [(number, event) for number, _, event in read_events(path, agents, groups, keep)]


def summarize(engine: Engine, records: list[Record], events: int, log: str) -> dict[str, Any]:
    """The report: counts by kind, outcome and reason, per-agent assignments, what still waits."""
    decided = [r for r in records if r["kind"] in DECIDED]
    agents: dict[str, Counter[str]] = {}
    for r in decided:
        if r["agent"] is not None:
            agents.setdefault(r["agent"], Counter())[r["reason"]] += 1
    open_now = Counter(c.agent for c in engine.conversations.values())
    waiting = engine.waiting() if engine.state is not None else {}
    return {
        "log": log, "policy": engine.router.policy_hash, "events": events,
        "records": len(records),
        "kinds": _counts(r["kind"] for r in records),
        "outcomes": _counts(r["outcome"] for r in decided),
        "reasons": _counts(r["reason"] for r in decided),
        "closed": _counts(r["why"] for r in records if r["kind"] == "closed"),
        "ignored": [f"{r['at']} {r['event']['type']}: {r['why']}"
                    for r in records if r["kind"] == "ignored"],
        "agents": {a: {"assigned": sum(c.values()), "open": open_now.get(a, 0),
                       "reasons": _counts(c.elements())} for a, c in sorted(agents.items())},
        "waiting": {place: [{"buyer": e["buyer"], "since": e["at"], "reason": e["reason"],
                             **({"agent": e["agent"]} if e.get("agent") else {})}
                            for e in entries]
                    for place, entries in waiting.items()},
        "counters": engine.counters(),  # S13, Y14 (runtime/counters.py)
        "pool_runs": runs_summary(records),  # T8 (runtime/offline_pool.py)
    }


def _counts(items: Any) -> dict[str, int]:
    counted = Counter(str(i) for i in items)
    return dict(sorted(counted.items(), key=lambda kv: (-kv[1], kv[0])))


def render_text(s: dict[str, Any], lang: str = "en") -> str:
    """The `summarize` report as text; long lists are cut (the JSON has them all)."""
    def line(counts: dict[str, int]) -> str:
        return ", ".join(f"{k} {v}" for k, v in counts.items()) or say(lang, N_("none"))

    out = [say(lang, N_("simulated {events} events from {log} ({policy}...)"),
               events=s["events"], log=s["log"], policy=s["policy"][:19]),
           say(lang, N_("records:  {n} ({kinds})"), n=s["records"], kinds=line(s["kinds"])),
           say(lang, N_("outcomes: {counts}"), counts=line(s["outcomes"])),
           say(lang, N_("reasons:  {counts}"), counts=line(s["reasons"])),
           say(lang, N_("closed on tick: {counts}"), counts=line(s["closed"]))]
    out.append(say(lang, N_("agents:")) if s["agents"]
               else say(lang, N_("agents: nobody was assigned a chat")))
    width = max((len(a) for a in s["agents"]), default=0)
    for agent, row in s["agents"].items():
        out.append(f"  {agent:<{width}}  " + say(
            lang, N_("{assigned} assigned, {open} open  ({reasons})"),
            assigned=f"{row['assigned']:>4}", open=f"{row['open']:>3}",
            reasons=line(row["reasons"])))
    still = {p: rows for p, rows in s["waiting"].items() if rows}
    out.append(say(lang, N_("still waiting:")) if still
               else say(lang, N_("still waiting: none")))
    for place, rows in still.items():
        names = ", ".join(r["buyer"] + (say(lang, N_(" (for {agent})"), agent=r["agent"])
                                        if "agent" in r else "")
                          for r in rows[:10])
        more = say(lang, N_(", ... {n} more"), n=len(rows) - 10) if len(rows) > 10 else ""
        out.append(f"  {place:<8} {len(rows):>4}: {names}{more}")
    out.extend(runs_text(s.get("pool_runs") or {}, lang=lang))
    out.extend(counters_text(s.get("counters") or {}, lang=lang))
    for note in s["ignored"][:10]:
        out.append(say(lang, N_("ignored: {note}"), note=note))
    if len(s["ignored"]) > 10:
        out.append(say(lang, N_("ignored: ... {n} more (see --format json)"),
                       n=len(s["ignored"]) - 10))
    return "\n".join(out) + "\n"


def replay(engine: Engine, events: list[dict[str, Any]], bar: Progress) -> list[Record]:
    """`engine.run(events)`, one event at a time so that the progress bar can follow."""
    records: list[Record] = []
    for done, event in enumerate(events, 1):
        records.extend(engine.feed(event))
        bar.update(done)
    bar.close()
    return records


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
    lines: list[str] | None = [] if journal is not None else None  # the journal digests them
    try:
        events = read_log(args.log, router.agent_ids, set(router.groups), lines)
    except InputError as err:
        raise Stop(f"{err}\n") from None
    try:
        engine = _engine(router, events, args, journal, "".join(lines or ()))
        try:
            records = replay(engine, events, progress(len(events), sys.stderr, "replaying",
                                                      forced=args.progress))
            if args.output is not None:
                _write_records(args.output, engine, records)
                _keep_decisions(args.output, router, args.trace)
        finally:
            if isinstance(engine, JournaledEngine):
                engine.close()  # the journal's lock is held until its output is written
    except JournalError as err:  # unusable, locked, or not writable mid-run (disk full, ...)
        raise Stop(f"policyc simulate: {err}\n") from None
    summary = summarize(engine, records, len(events), str(args.log))
    if args.report is not None:
        from ..report import html as report_html  # jinja2, only when a report is asked for

        lang = language(args)
        page = report_html.render(summary, records, events, engine.waiting(),
                                  title=say(lang, N_("{policy} on {log}"),
                                            policy=args.policy.name, log=args.log.name),
                                  timezone=engine.router.tz, lang=lang)
        write_output(args.report, page)
    if args.format == "json":
        sys.stdout.write(json.dumps(summary, ensure_ascii=False, indent=2) + "\n")
    else:
        sys.stdout.write(render_text(summary, language(args)))
    return 0


def _write_records(output: Path, engine: Engine, records: list[Record]) -> None:
    """The records as JSON Lines, atomically; a journaled run copies them from its journal."""
    if isinstance(engine, JournaledEngine):
        try:
            engine.write_output(output)
        except OSError as err:
            raise cannot_write(output, err) from None
    else:
        write_output(output, (record_json.line(rec) for rec in records))


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


def _engine(router: Router, events: list[dict[str, Any]], args: argparse.Namespace,
            path: Path | None, log_text: str) -> Engine:
    """The engine for this run: journaled to `path` (with the log's text) unless None."""
    if path is None:
        if args.resume:
            raise JournalError("--resume needs a journal (-o FILE or --journal FILE)")
        return Engine(router, trace=args.trace)
    try:
        make_folder(path.parent)
    except OSError as err:
        raise JournalError(f"{path}: cannot make the journal's folder: {err.strerror}") from None
    return JournaledEngine(router, path, log_text, events,
                           trace=args.trace, resume=args.resume, batch=args.journal_batch)


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
