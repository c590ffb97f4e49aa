"""`policyc diff OLD NEW --log EVENTS.jsonl`: what a policy change does to the routing of a log.

Exit status: 0 no change, 1 changes (static or replayed), 2 unusable input.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path
from typing import Any

from ..diffing import (
    FIELDS,
    Handling,
    MessageChange,
    ReplayDiff,
    RowChange,
    StaticDiff,
    replay_diff,
    static_diff,
)
from ..runtime.explain import record_text
from ..runtime.inputs import InputError
from .output import Stop, load_policy, one_stdin
from .simulate import numbered_log

LEVEL = "fails"  # the trace view examples show
ROWS = 20  # static changes listed per table in text; JSON has them all


# -- text -------------------------------------------------------------------------------
def _row_line(c: RowChange) -> list[str]:
    at = f"#{c.old_at}" if c.new_at is None else f"#{c.new_at}" if c.old_at is None else (
        f"#{c.old_at}" if c.old_at == c.new_at else f"#{c.old_at} -> #{c.new_at}")
    ids = c.old_id if c.new_id is None else c.new_id if c.old_id in (None, c.new_id) else (
        f"{c.old_id} -> {c.new_id}")
    out = [f"  {c.change:<8} {at:<9} {ids}: {c.text}"]
    out += [f"      {d}" for d in c.detail]
    return out


def _more(rows: tuple[object, ...]) -> list[str]:
    return [f"  ... {len(rows) - ROWS} more (see --format json)"] if len(rows) > ROWS else []


def _static_text(s: StaticDiff) -> list[str]:
    out: list[str] = []
    for title, rows in (("bindings", s.bindings), ("route", s.route)):
        out.append(f"{title}:" if rows else f"{title}: same")
        out += [line for c in rows[:ROWS] for line in _row_line(c)] + _more(rows)
    out.append("groups:" if s.groups else "groups: same")
    for g in s.groups[:ROWS]:
        members = [f"+{m}" for m in g.members_added] + [f"-{m}" for m in g.members_removed]
        parts = [f"members {' '.join(members)}"] if members else []
        out.append(f"  {g.change:<8} {g.group}" + (f": {'; '.join([*parts, *g.detail])}"
                                                    if parts or g.detail else ""))
    out += _more(s.groups)
    out.append(f"other sections: {', '.join(s.sections) or 'same'}")
    nodes = [f"+{n}" for n in s.nodes_added] + [f"-{n}" for n in s.nodes_removed]
    more = f" ... {len(nodes) - 8} more (see --format json)" if len(nodes) > 8 else ""
    out.append(f"graph nodes: {' '.join(nodes[:8]) + more or 'same'}")
    return out


def _load_lines(r: ReplayDiff) -> list[str]:
    """Agents, then groups, whose assignment count changed."""
    changed = [(kind, x) for kind, loads in (("agent", r.agents), ("group", r.groups))
               for x in loads if x.old != x.new]
    width = max((len(x.id) for _, x in changed), default=0)
    return [f"  {kind} {x.id:<{width}}  {x.old:>4} -> {x.new:<4} ({x.new - x.old:+d})"
            for kind, x in changed]


def _where(c: MessageChange, log: str, lines: list[int]) -> str:
    e = c.event
    return f"{log}:{lines[c.index]}  buyer {e['buyer']}, {e.get('source')}, at {e['at']}"


def _handling_text(h: Handling) -> list[str]:
    text = "".join(record_text(r, LEVEL) for r in (h.record, *h.releases))
    return ["    " + line for line in text.splitlines()]


def _replay_text(r: ReplayDiff, log: str, lines: list[int], examples: int) -> list[str]:
    out = [f"replay of {log}: {r.events} events, {r.messages} messages, "
           f"{len(r.changes)} route differently"]
    if r.reasons:
        out.append("by reason (old -> new):")
        out += [f"  {n:>4}  {o} -> {w}" for o, w, n in r.reasons]
    loads = _load_lines(r)
    out.append("assignments (old -> new):" if loads else "assignments: same")
    out += loads
    if r.ignored != (0, 0):
        out.append(f"log events the engine ignored: old {r.ignored[0]}, new {r.ignored[1]} "
                   "(agent actions on chats a policy routed elsewhere)")
    shown = r.changes[:examples]
    if shown:
        out.append(f"examples (first {len(shown)} of {len(r.changes)}, trace: {LEVEL}):")
    for n, c in enumerate(shown, 1):
        out.append(f"{n}. {_where(c, log, lines)}  [{', '.join(c.fields)} differ]")
        out += ["  old:", *_handling_text(c.old), "  new:", *_handling_text(c.new)]
    return out


def render_text(args: argparse.Namespace, s: StaticDiff, r: ReplayDiff,
                lines: list[int]) -> str:
    """The diff for a person: static changes, then the replay with example traces."""
    head = f"policyc diff {args.old} -> {args.new}"
    if s.empty and not r.changes:
        return (f"{head}\nno change: the same bindings, route, groups and graph; all "
                f"{r.messages} messages of {args.log} route the same way\n")
    out = [head, *_static_text(s), "", *_replay_text(r, str(args.log), lines, args.examples)]
    return "\n".join(out) + "\n"


# -- json -------------------------------------------------------------------------------
def _summary(rec: dict[str, Any], trace: bool) -> dict[str, Any]:
    keys = ("kind", "at", *FIELDS, "selection", "why")
    out = {k: rec.get(k) for k in keys if k in rec}
    if trace and "trace" in rec:
        out["trace"] = rec["trace"]
    return out


def _change_json(c: MessageChange, log: str, lines: list[int], trace: bool) -> dict[str, Any]:
    def side(h: Handling) -> dict[str, Any]:
        return {**_summary(h.record, trace),
                "releases": [_summary(x, trace) for x in h.releases]}

    return {"line": f"{log}:{lines[c.index]}", "buyer": c.event["buyer"], "at": c.event["at"],
            "source": c.event.get("source"), "differ": list(c.fields),
            "old": side(c.old), "new": side(c.new)}


def render_json(args: argparse.Namespace, s: StaticDiff, r: ReplayDiff,
                lines: list[int]) -> str:
    """The whole diff as JSON; traces only for the first `--examples` changes."""
    log = str(args.log)
    doc = {
        "old": str(args.old), "new": str(args.new), "log": log,
        "changed": not s.empty or bool(r.changes),
        "static": dataclasses.asdict(s),
        "replay": {
            "events": r.events, "messages": r.messages, "changed": len(r.changes),
            "reasons": [{"old": o, "new": n, "messages": k} for o, n, k in r.reasons],
            "agents": [dataclasses.asdict(x) for x in r.agents],
            "groups": [dataclasses.asdict(x) for x in r.groups],
            "ignored": {"old": r.ignored[0], "new": r.ignored[1]},
            "changes": [_change_json(c, log, lines, n < args.examples)
                        for n, c in enumerate(r.changes)],
        },
    }
    return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"


# -- command ----------------------------------------------------------------------------
def diff_command(args: argparse.Namespace) -> int:
    """policyc diff OLD NEW --log EVENTS.jsonl [--format text|json] [--examples N]."""
    if args.log.is_dir():  # many shops' logs, in parallel (policyc/bulk_replay.py)
        from .. import bulk_replay
        return bulk_replay.diff_folder(args)
    # Either policy having errors leaves nothing to compare: unusable input (2).
    one_stdin("diff", {"OLD": args.old, "NEW": args.new, "--log": args.log})
    old, new = load_policy(args.old, "diff", 2), load_policy(args.new, "diff", 2)
    # Each event must make sense under both policies: agents and groups of both.
    agents = old.agent_ids & new.agent_ids
    try:
        numbered = numbered_log(args.log, agents, set(old.groups) & set(new.groups))
    except InputError as err:
        raise Stop(f"{err}\n") from None
    lines = [number for number, _ in numbered]  # where each event is, for the examples
    events = [event for _, event in numbered]
    static = static_diff(old.artifact, new.artifact)
    replay = replay_diff(old, new, events, trace=LEVEL if args.examples else None)
    render = render_json if args.format == "json" else render_text
    sys.stdout.write(render(args, static, replay, lines))
    return 1 if replay.changes or not static.empty else 0


def _count(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if n < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more: {n}")
    return n


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `diff` to the command line."""
    p = sub.add_parser(
        "diff", help="which messages of a log two policies route differently",
        description="Compare two policies: their bindings, route steps, groups and graph, "
                    "and the same event log replayed under each. A message routes "
                    "differently when the outcome, agent, group or reason of its record, "
                    "or of the later release of its waiting chat, differs. Exit 0 no "
                    "change, 1 changes, 2 unusable input.")
    p.add_argument("old", type=Path, help="the policy as it is (file or compiled .json)")
    p.add_argument("new", type=Path, help="the policy as it would be")
    p.add_argument("--log", type=Path, required=True, help="events, JSON Lines in time order")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.add_argument("--examples", type=_count, default=3, metavar="N",
                   help="show the first N changed messages with both traces (default 3)")
    from ..bulk_replay import add_flags
    add_flags(p)
    p.set_defaults(run=diff_command)
