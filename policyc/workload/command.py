"""`simulate --workload MODEL [--agents N..M]` and `diff OLD NEW --workload MODEL`.

The command modules (policyc/commands/simulate.py, diff.py) hand over here
when `--workload` is given. A model with errors, or one that does not fit the
policy, is unusable input: its diagnostics, exit 2.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path
from typing import Any

from ..commands.output import (
    Inputs,
    Stop,
    language,
    policy_inputs,
    refuse_inputs,
    write_output,
)
from ..compiler import render
from ..runtime.catalog import N_, say
from ..runtime.router import Router
from .bind import Bound, bind, check_names
from .compare import compare, distortion, distortion_text
from .compare import text as compare_text
from .driver import Run, drive
from .load import load_model
from .metrics import summary
from .sweep import sweep
from .sweep import text as sweep_text


def bound_model(path: Path, router: Router, *others: Router, lang: str = "en") -> Bound:
    """The model file bound to the policy (and fitting `others` too), or Stop (2) with
    its diagnostics in `lang`."""
    if not path.is_file():  # a folder, a pipe or a device is no model either
        raise Stop(f"{path}: " + ("not a regular file\n" if path.exists() else "no such file\n"))
    loaded = load_model(path)
    if loaded.model is None:
        raise Stop(render.text(loaded.diagnostics, loaded.texts, lang))
    bound, problems = bind(loaded.model, router)
    for other in others:
        problems += check_names(loaded.model, other)
    if bound is None or problems:
        raise Stop(render.text(problems, loaded.texts, lang))
    return bound


def diff_workload(args: argparse.Namespace, old: Router, new: Router) -> int:
    """`diff OLD NEW --workload MODEL [--log LOG]`: the workload comparison, and the log
    replay diff (the model's replayed log when no --log is given) with its distortion."""
    from ..commands import diff as diff_command
    from ..commands.simulate import numbered_log
    from ..diffing import replay_diff, static_diff
    from ..runtime.inputs import InputError

    bound = bound_model(args.workload, old, new, lang=language(args))
    compared = compare(old, new, bound)
    args.log = args.log or bound.model.arrivals.replay
    static = static_diff(old.artifact, new.artifact)
    changed = compared["changed"] or not static.empty
    replay_doc: dict[str, Any] = {}
    if args.log is not None:
        try:
            numbered = numbered_log(args.log, old.agent_ids & new.agent_ids,
                                    set(old.groups) & set(new.groups))
        except InputError as err:
            raise Stop(f"{err}\n") from None
        lines, events = [n for n, _ in numbered], [e for _, e in numbered]
        replay = replay_diff(old, new, events, trace=diff_command.LEVEL if args.examples
                             else None)
        changed = changed or bool(replay.changes)
        bent = distortion(events, replay.ignored)
        if args.format == "json":
            replay_doc = json.loads(diff_command.render_json(args, static, replay, lines))
            replay_doc["replay"]["distortion"] = bent
        else:
            sys.stdout.write(diff_command.render_text(args, static, replay, lines))
            sys.stdout.write("\n".join(distortion_text(bent)) + "\n\n")
    if args.format == "json":
        doc = replay_doc or {"old": str(args.old), "new": str(args.new),
                             "static": dataclasses.asdict(static)}
        doc["changed"] = changed
        doc["workload"] = compared
        sys.stdout.write(json.dumps(doc, ensure_ascii=False, indent=2) + "\n")
    else:
        sys.stdout.write("\n".join(compare_text(compared)) + "\n")
    return 1 if changed else 0


def simulate_workload(args: argparse.Namespace, router: Router) -> int:
    """Run the model under the policy (or sweep it over agent counts) and report."""
    if args.journal is not None or args.resume:
        raise Stop("policyc simulate: --journal and --resume are for --log runs; a workload "
                   "run is made again from its model and seed\n")
    bound = bound_model(args.workload, router, lang=language(args))
    _refuse_inputs(args, router, bound)
    if args.agents is not None:
        return _sweep(args, router, bound)
    run = drive(router, bound.model, bound.arrivals, bound.schedule, trace=args.trace)
    if args.output is not None:
        write_records(args.output, run)
    from ..replay_summary import render_text, summarize  # the log replay's own summary

    report = summarize(run.engine, run.records, len(run.events), str(args.workload))
    report["workload"] = workload_summary(bound, run)
    if args.report is not None:
        from ..report import html as report_html

        write_output(args.report, report_html.render(
            report, run.records, run.events, run.engine.waiting(),
            title=_title(args), timezone=router.tz, lang=language(args)))
    if args.format == "json":
        sys.stdout.write(json.dumps(report, ensure_ascii=False, indent=2) + "\n")
    else:
        sys.stdout.write(render_text(report, language(args))
                         + workload_text(report["workload"], language(args)))
    return 0


def _title(args: argparse.Namespace) -> str:
    """The page's title: the policy under the model, in the reader's language."""
    return say(language(args), N_("{policy} under {model}"), policy=args.policy.name,
               model=args.workload.name)


def _refuse_inputs(args: argparse.Namespace, router: Router, bound: Bound) -> None:
    """No output may name the policy, the model or a log the model reads."""
    inputs: Inputs = [("the --workload model", args.workload)]
    if args.policy.suffix != ".json":
        inputs += policy_inputs(args.policy, router.artifact.get("files") or [])
    else:
        inputs.append(("the policy", args.policy))
    m = bound.model
    inputs += [("a log the model reads", path) for path in
               (m.arrivals.replay, m.staff_replay, m.handling.fit) if path is not None]
    refuse_inputs("simulate", {"-o": args.output, "--report": args.report}, inputs)


def workload_summary(bound: Bound, run: Run) -> dict[str, Any]:
    """The workload figures of one run, with the model's seed and what was fitted."""
    return {"model": bound.model.file, "seed": bound.model.seed,
            "fitted": bound.fitted, "withdrawn": run.withdrawn,
            **summary(run.book, bound.model.target)}


def workload_text(w: dict[str, Any], lang: str = "en") -> str:
    """Waits, service level and occupancy of one run, for a person, in `lang`."""
    from .sweep import minutes

    sl = "-" if w["service_level"] is None else f"{w['service_level'] * 100:.1f} %"
    occ = "-" if w["occupancy"] is None else f"{w['occupancy'] * 100:.1f} %"
    lines = [say(lang, N_("workload {model} (seed {seed}): {chats} chats, {served} taken by an "
                          "agent, {unserved} never"), model=w["model"], seed=w["seed"],
                 chats=w["chats"], served=w["served"], unserved=w["unserved"]),
             "  " + say(lang, N_("service level {level} within {target}; mean wait {mean}, "
                                 "p90 {p90}, longest {longest}; occupancy {occupancy}"),
                        level=sl, target=minutes(w["target"]), mean=minutes(w["mean_wait"]),
                        p90=minutes(w["p90_wait"]), longest=minutes(w["max_wait"]),
                        occupancy=occ),
             "  " + say(lang, N_("agent actions generated for the agent who held each chat; "
                                 "ignored: {ignored}"), ignored=w["ignored"])]
    if w["fitted"]:
        lines.append("  " + say(lang, N_("fitted from the log: {fits}"), fits=", ".join(
            say(lang, N_("{what} ({n} samples)"), what=k, n=n)
            for k, n in w["fitted"].items() if n)))
    return "\n".join(lines) + "\n"


def write_records(path: Path, run: Run) -> None:
    """The run's records as JSON Lines, written whole or not at all (one atomic writer)."""
    write_output(path, (json.dumps(rec, ensure_ascii=False) + "\n" for rec in run.records))


def _sweep(args: argparse.Namespace, router: Router, bound: Bound) -> int:
    model = bound.model
    if model.staff_replay is not None:
        raise Stop(f"policyc simulate: --agents needs a staff list in {model.file} "
                   "(its statuses are replayed from a log)\n")
    if max(args.agents) > len(model.staff):
        raise Stop(f"policyc simulate: --agents goes up to {max(args.agents)} but "
                   f"{model.file} schedules {len(model.staff)} agents\n")
    doc = sweep(router, bound, args.agents)
    if args.report is not None:
        from ..report import sweep as sweep_report

        write_output(args.report, sweep_report.render(doc, title=_title(args),
                                                      lang=language(args), timezone=router.tz))
    if args.format == "json":
        sys.stdout.write(json.dumps(doc, ensure_ascii=False, indent=2) + "\n")
    else:
        sys.stdout.write(sweep_text(doc, str(args.policy)))
    return 0
