"""`policyc explain` and `policyc why-not`: why a buyer went where it did, or gets nothing.

Three sources of an answer: one event against a state snapshot; a replay of an
event log (`--log`) with the policy given; or, with `--decisions`, the records
`simulate` wrote, read through their index (policyc/decision_log.py) without
replaying, with the policy revision that made them. Given a policy, a log and
decisions together, the replay is compared with the records: a policy whose
hash differs from the recorded one is refused naming both, unless
`--policy-changed ok`, which shows both outcomes side by side.
"""


from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..api import decide, state
from ..decision_log import DecisionLog, DecisionLogError, load_revision
from ..runtime.artifact import ArtifactError
from ..runtime.clock import TimeError, format_instant, parse_instant
from ..runtime.engine import Engine, Record
from ..runtime.explain import decision_text, record_text, rendered_decision
from ..runtime.inputs import InputError, read_json
from ..runtime.router import Router
from ..runtime.source_files import label
from ..runtime.state import ShopState
from ..runtime.trace import LEVELS, TraceStep, view
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
    if until is not None and engine.state is not None:
        records.extend(engine.advance_to(until))  # the timers due by then (runtime/timers.py)
    return engine, records


def _at(text: str | None) -> float | None:
    if text is None:
        return None
    try:
        return parse_instant(text)
    except TimeError as err:
        raise InputError("--at", str(err)) from None


def explain_command(args: argparse.Namespace) -> int:
    """policyc explain POLICY (--state S --event E | --log L --buyer B [--at T]), or
    explain [POLICY --log L] --decisions D --buyer B [--at T]."""
    state_path: Path | None = args.state
    event_path: Path | None = args.event
    single = state_path is not None or event_path is not None
    if args.decisions is not None:
        if single or not args.buyer or (args.policy is None) != (args.log is None):
            raise Stop("policyc explain: give --decisions and --buyer (and, to compare a "
                       "replay with the records, POLICY and --log)\n")
        return _explain_decisions(args)
    if args.policy is None:
        raise Stop("policyc explain: give POLICY (or --decisions to read recorded ones)\n")
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
    records, runs = _buyer_replay(router, args)
    if not records:
        raise Stop(_no_record(args, args.log), 1)
    _show_records(args, records, router.display_names, runs)
    return 0


def _buyer_replay(router: Router, args: argparse.Namespace
                  ) -> tuple[list[Record], dict[str, Record]]:
    """The buyer's records in a replay of --log (the one at --at), and the pool runs by slot."""
    at = _at(args.at)
    _, replayed = _replay(router, args.log, None, args.level)
    records = [r for r in replayed if r.get("buyer") == args.buyer and r["kind"] != "ignored"]
    if at is not None:
        records = [r for r in records if parse_instant(r["at"]) == at]
    return records, _pool_runs(replayed)


def _pool_runs(records: list[Record]) -> dict[str, Record]:
    return {str(r["slot"]): r for r in records if r["kind"] == "pool_run"}


def _no_record(args: argparse.Namespace, where: Path) -> str:
    when = f" at {args.at}" if args.at else ""
    return f"policyc explain: buyer {args.buyer!r} has no routing record{when} in {where}\n"


def _show_records(args: argparse.Namespace, records: list[Record], names: dict[str, str],
                  runs: dict[str, Record]) -> None:
    """The records as `explain` prints them: JSON with rendered texts, or the self-check text
    (a pool release with the run that released it)."""
    lang = language(args)
    if args.format == "json":
        _dump({"buyer": args.buyer,
               "records": [rendered_decision(r, lang, names) for r in records]})
    else:
        sys.stdout.write("\n".join(
            record_text(r, args.level, lang, names, runs.get(str(r.get("pool_run", ""))))
            for r in records))


def _open_decisions(path: Path, command: str) -> DecisionLog:
    try:
        log = DecisionLog(path)
    except DecisionLogError as err:
        raise Stop(f"policyc {command}: {err}\n") from None
    if log.rebuilt:
        sys.stderr.write(f"policyc {command}: indexed {path} (it had no index, or a stale "
                         "one)\n")
    return log


def _explain_decisions(args: argparse.Namespace) -> int:
    """One buyer's records as recorded (each with the revision that made it), read
    through the index; with POLICY and --log, compared with a replay."""
    log = _open_decisions(args.decisions, "explain")
    try:
        recorded = log.buyer_records(args.buyer, _at(args.at))
        # Pool runs name no buyer (indexed under ""); read them only for a pool release.
        released = any(r.get("pool_run") for r in recorded)
        runs = _pool_runs(log.buyer_records("")) if released else {}
    except (DecisionLogError, InputError) as err:
        raise Stop(f"policyc explain: {err}\n") from None
    finally:
        log.close()
    if not recorded:
        raise Stop(_no_record(args, args.decisions), 1)
    recorded = [_at_level(r, args.level) for r in recorded]
    made_by = sorted({str(r.get("policy")) for r in recorded})
    try:
        names = load_revision(args.decisions, made_by[-1]).display_names
    except (DecisionLogError, ValueError):
        names = {}  # an unkept revision: ids without display names
    if args.policy is None:
        _show_records(args, recorded, names, runs)
        return 0
    try:
        router = load_policy(args.policy, "explain", 1)
        replayed, _ = _buyer_replay(router, args)
    except (InputError, ArtifactError, ValueError) as err:
        raise Stop(f"policyc explain: {err}\n") from None
    if made_by == [router.policy_hash]:
        _show_records(args, recorded, names, runs)
        return 0
    if args.policy_changed != "ok":
        raise Stop(f"policyc explain: the records of {args.buyer} were made by policy "
                   f"{', '.join(made_by)}; {args.policy} is {router.policy_hash}. Replaying "
                   "with another policy is refused: pass --policy-changed ok to see both "
                   "outcomes side by side, or leave POLICY and --log out to explain the "
                   "records as they are\n")
    if args.format == "json":
        _dump({"buyer": args.buyer,
               "recorded": {"policy": made_by, "records": recorded},
               "replayed": {"policy": router.policy_hash, "records": replayed}})
    else:
        sys.stdout.write(side_by_side(args.buyer, made_by, router.policy_hash,
                                      recorded, replayed))
    return 0


def _at_level(record: Record, level: str) -> Record:
    """A recorded trace seen at `level` (a lower level is a view of a higher one)."""
    trace = record.get("trace")
    if not isinstance(trace, list):
        return record
    fixed = ("step", "node", "span", "kind", "result")
    steps = tuple(TraceStep(str(s.get("step")), str(s.get("node")), str(s.get("span")),
                            str(s.get("kind")), str(s.get("result")),
                            {k: v for k, v in s.items() if k not in fixed})
                  for s in trace if isinstance(s, dict))
    return dict(record, trace=[s.to_dict() for s in view(steps, level)])


SIDE_FIELDS = ("kind", "at", "outcome", "reason", "agent", "group", "selection", "why")


def side_by_side(buyer: str, made_by: list[str], now: str, recorded: list[Record],
                 replayed: list[Record]) -> str:
    """The recorded records and the replayed ones, field by field, in two columns; a
    `*` marks the fields that differ."""
    lines = [f"buyer {buyer}: recorded by {', '.join(made_by)}", f"  vs replayed with {now}"]
    for i in range(max(len(recorded), len(replayed))):
        old = recorded[i] if i < len(recorded) else {}
        new = replayed[i] if i < len(replayed) else {}
        lines.append(f"record {i + 1}:{'':<20}{'recorded':<28}replayed")
        for field in SIDE_FIELDS:
            a, b = old.get(field), new.get(field)
            if a is None and b is None:
                continue
            mark = " " if a == b else "*"
            lines.append(f"  {mark} {field:<10}{'':<9}{_cell(a):<28}{_cell(b)}")
    return "\n".join(lines) + "\n"


def _cell(value: object) -> str:
    return "-" if value is None else str(value)


def why_not_command(args: argparse.Namespace) -> int:
    """policyc why-not POLICY --agent A (--state S [--at T] | --log L [--at T]), or
    why-not [POLICY] --decisions D --agent A [--at T].

    With a log, the state is the log replayed up to --at (else to its end), and
    the answer also counts the picks the agent lost in it, to whom and on which figure.
    """
    if args.decisions is not None:
        if args.state is not None or args.log is not None:
            raise Stop("policyc why-not: --decisions answers from the records: give no "
                       "--state or --log with it\n")
        return _why_not_decisions(args)
    if args.policy is None:
        raise Stop("policyc why-not: give POLICY (or --decisions to read recorded ones)\n")
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


def _why_not_decisions(args: argparse.Namespace) -> int:
    """Why an agent got no chats at --at (else at the log's end), from the agent facts the
    records carry and the policy revision that made the last record by then."""
    log = _open_decisions(args.decisions, "why-not")
    try:
        at = _at(args.at)
        facts = log.agent_facts(args.agent, at)
        made_by = log.policy_at(at)
    except InputError as err:
        raise Stop(f"policyc why-not: {err}\n") from None
    finally:
        log.close()
    if made_by is None:
        raise Stop(f"policyc why-not: {args.decisions} holds no record with a policy\n")
    try:
        router = load_revision(args.decisions, made_by)
        shop = _shop_of(router, facts, at)
        lang = language(args)
        causes = render_causes(why_not(router, shop, args.agent), lang)
        given = None if args.policy is None else load_policy(args.policy, "why-not", 1)
    except (DecisionLogError, ValueError) as err:
        raise Stop(f"policyc why-not: {err}\n") from None
    if given is not None and given.policy_hash != made_by:
        if args.policy_changed != "ok":
            raise Stop(f"policyc why-not: the records at that time were made by policy "
                       f"{made_by}; {args.policy} is {given.policy_hash}. Pass "
                       "--policy-changed ok to see both answers side by side, or leave "
                       "POLICY out to answer with the recorded revision\n")
        now = render_causes(why_not(given, _shop_of(given, facts, at), args.agent), lang)
        if args.format == "json":
            _dump({"agent": args.agent, "facts": facts,
                   "recorded": {"policy": made_by, "causes": causes},
                   "given": {"policy": given.policy_hash, "causes": now}})
        else:
            name = router.display_names.get(args.agent)
            sys.stdout.write(f"recorded, by {made_by}:\n"
                             + why_not_text(args.agent, causes, lang, None, name)
                             + f"with {args.policy}, {given.policy_hash}:\n"
                             + why_not_text(args.agent, now, lang, None, name))
        return 0
    if args.format == "json":
        _dump({"agent": args.agent, "receives_chats": not causes, "causes": causes,
               "policy": made_by, "facts": facts})
    else:
        sys.stdout.write(why_not_text(args.agent, causes, lang, None,
                                      router.display_names.get(args.agent)))
    return 0


def _shop_of(router: Router, facts: dict[str, object] | None, at: float | None) -> ShopState:
    """A shop state holding one agent's recorded facts (the only ones why-not reads)."""
    shop = router.state({"at": format_instant(at or 0.0, router.tz)})  # why-not reads no time
    if facts is None:
        return shop
    agent = shop.agents.get(str(facts.get("agent")))
    if agent is None:
        return shop  # not in this revision's roster: why-not says so
    status, opened, capacity, groups = (facts.get(k) for k in ("status", "open", "capacity",
                                                                "groups"))
    if status not in ("online", "busy", "hidden", "offline") or not isinstance(opened, int) \
            or not (capacity is None or isinstance(capacity, int)) \
            or not isinstance(groups, list):
        raise ValueError(f"the recorded facts of {agent.id} are malformed: {facts}")
    agent.status, agent.open, agent.capacity = str(status), opened, capacity
    agent.groups = [str(g) for g in groups]
    shop.touch(agent)
    return shop


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `explain` and `why-not` to the command line."""
    p = sub.add_parser("explain", help="decide one event and show why")
    p.add_argument("policy", type=Path, nargs="?",
                   help="policy file or compiled .json artifact (- reads an artifact from "
                        "standard input; not needed with --decisions)")
    p.add_argument("--state", type=Path, help="state snapshot (JSON; - reads standard input)")
    p.add_argument("--event", type=Path, help="one message event (JSON; - reads standard input)")
    p.add_argument("--log", type=Path, help="event log (JSON Lines; - reads standard input)")
    p.add_argument("--buyer", help="with --log: the buyer whose records to show")
    p.add_argument("--at", help="with --log: only the record at this time (ISO 8601)")
    _decisions_arguments(p, "read the buyer's records from this decision log (simulate -o) "
                            "through its index, without replaying")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.add_argument("--level", choices=LEVELS, default="fails",
                   help="trace detail: summary, fails (why higher steps lost), full")
    add_lang(p)
    p.set_defaults(run=explain_command)

    p = sub.add_parser("why-not", help="why an agent receives no new chats")
    p.add_argument("policy", type=Path, nargs="?",
                   help="policy file or compiled .json artifact (not needed with --decisions)")
    p.add_argument("--state", type=Path, help="state snapshot (JSON; - reads standard input)")
    p.add_argument("--log", type=Path, help="event log (JSON Lines; - reads standard input)")
    p.add_argument("--at", help="the moment to ask about (ISO 8601): with --log, the log is "
                                "replayed up to it (default: to its end); with --state, the "
                                "snapshot is read at it (default: its `at`)")
    p.add_argument("--agent", required=True)
    _decisions_arguments(p, "answer from the agent facts and policy revision recorded in "
                            "this decision log (simulate -o), without replaying")
    p.add_argument("--format", choices=("text", "json"), default="text")
    add_lang(p)
    p.set_defaults(run=why_not_command)


def _decisions_arguments(p: argparse.ArgumentParser, what: str) -> None:
    p.add_argument("--decisions", type=Path, metavar="DECISIONS.jsonl", help=what)
    p.add_argument("--policy-changed", choices=("refuse", "ok"), default="refuse",
                   help="with --decisions and POLICY: a POLICY whose hash differs from the "
                        "recorded one is refused (default), or shown side by side (ok)")
