"""`policyc explain` and `policyc why-not`: why a buyer went where it did, or gets nothing."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..api import decide, state
from ..runtime.artifact import ArtifactError
from ..runtime.clock import TimeError, parse_instant
from ..runtime.engine import Engine, Record
from ..runtime.explain import decision_text, record_text, rendered_decision
from ..runtime.inputs import InputError, read_json
from ..runtime.router import Router
from ..runtime.source_files import label
from ..runtime.trace import LEVELS
from ..runtime.why_not import losses, render_causes, why_not, why_not_text
from .output import Stop, add_lang, language, load_policy, one_stdin
from .simulate import read_log


def _dump(obj: object) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, indent=2, sort_keys=False) + "\n")


def _replay(router: Router, log: Path, until: float | None,
            level: str) -> tuple[Engine, list[Record]]:
    """Feed the log (up to `until`, inclusive) through a tracing engine."""
    events = read_log(log, router.agent_ids, set(router.groups))
    engine = Engine(router, trace=level)
    records: list[Record] = []
    for event in events:
        if until is not None and parse_instant(event["at"]) > until:
            break
        records.extend(engine.feed(event))
    return engine, records


def _at(text: str | None) -> float | None:
    if text is None:
        return None
    try:
        return parse_instant(text)
    except TimeError as err:
        raise InputError("--at", str(err)) from None


def explain_command(args: argparse.Namespace) -> int:
    """policyc explain POLICY (--state S --event E | --log L --buyer B [--at T])."""
    state_path: Path | None = args.state
    event_path: Path | None = args.event
    single = state_path is not None or event_path is not None
    replay = args.log is not None and args.buyer and not single
    if not replay and (state_path is None or event_path is None or args.log is not None):
        raise Stop("policyc explain: give --state and --event, or --log and --buyer\n")
    one_stdin("explain", {"POLICY": args.policy, "--state": state_path, "--event": event_path,
                          "--log": args.log})
    try:
        router = load_policy(args.policy, "explain", 1)
        if replay or state_path is None or event_path is None:
            return _explain_log(router, args)
        shop = state(router, read_json(state_path, "state"), label(state_path))
        decision = decide(router, shop, read_json(event_path, "event"), trace=True,
                          where=label(event_path))
    except (InputError, ArtifactError, ValueError) as err:
        raise Stop(f"policyc explain: {err}\n") from None
    lang = language(args)
    if args.format == "json":
        _dump(rendered_decision(decision.to_dict(args.level), lang, router.display_names))
    else:
        sys.stdout.write(decision_text(decision, args.level, lang, router.display_names))
    return 0


def _explain_log(router: Router, args: argparse.Namespace) -> int:
    """Every routing record of one buyer in a replayed log (T12), or the one at --at."""
    at = _at(args.at)
    _, replayed = _replay(router, args.log, None, args.level)
    records = [r for r in replayed if r.get("buyer") == args.buyer and r["kind"] != "ignored"]
    if at is not None:
        records = [r for r in records if parse_instant(r["at"]) == at]
    if not records:
        when = f" at {args.at}" if args.at else ""
        raise Stop(f"policyc explain: buyer {args.buyer!r} has no routing record{when} "
                   f"in {args.log}\n", 1)
    lang = language(args)
    if args.format == "json":
        _dump({"buyer": args.buyer, "records": [rendered_decision(r, lang, router.display_names)
                                                for r in records]})
        return 0
    runs = {r["slot"]: r for r in replayed if r["kind"] == "pool_run"}
    sys.stdout.write("\n".join(
        record_text(r, args.level, lang, router.display_names, runs.get(r.get("pool_run", "")))
        for r in records))
    return 0


def why_not_command(args: argparse.Namespace) -> int:
    """policyc why-not POLICY --agent A (--state S [--at T] | --log L [--at T]).

    With a log, the state is the log replayed up to --at (else to its end), and
    the answer also counts the picks the agent lost in it, to whom and on which figure.
    """
    if (args.state is None) == (args.log is None):
        raise Stop("policyc why-not: give --state, or --log\n")
    one_stdin("why-not", {"POLICY": args.policy, "--state": args.state, "--log": args.log})
    lost = None
    try:
        router = load_policy(args.policy, "why-not", 1)
        if args.log is not None:
            engine, replayed = _replay(router, args.log, _at(args.at), "fails")
            if engine.state is None:
                raise InputError(label(args.log), "the log has no event before --at")
            shop = engine.state
            lost = losses(replayed, args.agent)
        else:
            shop = state(router, read_json(args.state, "state"), label(args.state))
            at = _at(args.at)
            if at is not None:
                shop.at = at
    except (InputError, ArtifactError, ValueError) as err:
        raise Stop(f"policyc why-not: {err}\n") from None
    lang = language(args)
    causes = render_causes(why_not(router, shop, args.agent), lang)
    if args.format == "json":
        out: dict[str, object] = {"agent": args.agent, "receives_chats": not causes,
                                  "causes": causes}
        if lost is not None:
            out["log"] = lost
        _dump(out)
    else:
        sys.stdout.write(why_not_text(args.agent, causes, lang, lost,
                                      router.display_names.get(args.agent)))
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `explain` and `why-not` to the command line."""
    p = sub.add_parser("explain", help="decide one event and show why")
    p.add_argument("policy", type=Path, help="policy file or compiled .json artifact "
                                             "(- reads an artifact from standard input)")
    p.add_argument("--state", type=Path, help="state snapshot (JSON; - reads standard input)")
    p.add_argument("--event", type=Path, help="one message event (JSON; - reads standard input)")
    p.add_argument("--log", type=Path, help="event log (JSON Lines; - reads standard input)")
    p.add_argument("--buyer", help="with --log: the buyer whose records to show")
    p.add_argument("--at", help="with --log: only the record at this time (ISO 8601)")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.add_argument("--level", choices=LEVELS, default="fails",
                   help="trace detail: summary, fails (why higher steps lost), full")
    add_lang(p)
    p.set_defaults(run=explain_command)

    p = sub.add_parser("why-not", help="why an agent receives no new chats")
    p.add_argument("policy", type=Path)
    p.add_argument("--state", type=Path, help="state snapshot (JSON; - reads standard input)")
    p.add_argument("--log", type=Path, help="event log (JSON Lines; - reads standard input)")
    p.add_argument("--at", help="the moment to ask about (ISO 8601): with --log, the log is "
                                "replayed up to it (default: to its end); with --state, the "
                                "snapshot is read at it (default: its `at`)")
    p.add_argument("--agent", required=True)
    p.add_argument("--format", choices=("text", "json"), default="text")
    add_lang(p)
    p.set_defaults(run=why_not_command)
