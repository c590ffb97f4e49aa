"""Staffing sweeps: the same workload run once per agent count, the table a planner reads.

Row N keeps the first N agents of the model's staff list (their shifts, breaks
and absences as written) and the very same arrivals and buyer behaviour, so the
rows differ only in who works. Each row: service level, share that waited,
mean / p90 / longest wait, occupancy. Rendered as text, as JSON (format
`policyc.sweep`, schema policyc/schemas/sweep.schema.json) and in the HTML
report (policyc/report/sweep.py).
"""

from __future__ import annotations

from typing import Any

from ..runtime.clock import format_instant
from ..runtime.router import Router
from . import schedule as schedule_of
from .bind import Bound
from .driver import drive
from .metrics import summary

FORMAT, VERSION = "policyc.sweep", 1
ROW_KEYS = ("chats", "served", "unserved", "service_level", "waited_share", "mean_wait",
            "p90_wait", "max_wait", "mean_first_reply", "occupancy", "abandoned")


def sweep(router: Router, bound: Bound, counts: tuple[int, ...]) -> dict[str, Any]:
    """One run per agent count; the `policyc.sweep` document."""
    model = bound.model
    rows = []
    for n in counts:
        staffed = model.with_staff(n)
        schedule = schedule_of.from_staff(staffed.staff, model.start, model.end, router.tz)
        run = drive(router, staffed, bound.arrivals, schedule)
        s = summary(run.book, model.target)
        rows.append({"agents": n, "staff": [m.agent for m in staffed.staff],
                     **{k: s[k] for k in ROW_KEYS}})
    return {"format": FORMAT, "version": VERSION, "policy": router.policy_hash,
            "model": model.file, "seed": model.seed, "target": model.target,
            "goal": model.goal, "fewest_reaching_goal": next(
                (r["agents"] for r in rows if (r["service_level"] or 0) >= model.goal), None),
            "start": format_instant(model.start, router.tz),
            "duration": model.duration, "rows": rows}


def text(doc: dict[str, Any], policy: str) -> str:
    """The sweep as a table for a person."""
    head = (f"staffing sweep: {doc['model']} under {policy}, seed {doc['seed']}, "
            f"service level = taken within {minutes(doc['target'])}")
    cols = ("agents", "chats", "service level", "waited", "mean wait", "p90 wait",
            "longest", "occupancy")
    widths = [6, 6, *(max(len(c) + 1, 10) for c in cols[2:])]
    out = [head, " ".join(f"{c:>{w}}" for c, w in zip(cols, widths, strict=True))]
    for r in doc["rows"]:
        cells = [f"{r['agents']:>6}", f"{r['chats']:>6}", _pct(r["service_level"], widths[2]),
                 _pct(r["waited_share"], widths[3]), f"{minutes(r['mean_wait']):>{widths[4]}}",
                 f"{minutes(r['p90_wait']):>{widths[5]}}",
                 f"{minutes(r['max_wait']):>{widths[6]}}", _pct(r["occupancy"], widths[7])]
        out.append(" ".join(cells))
    unserved = [f"{r['agents']}: {r['unserved']}" for r in doc["rows"] if r["unserved"]]
    if unserved:
        out.append("chats no agent took by the end (agents: chats): " + ", ".join(unserved))
    enough = doc["fewest_reaching_goal"]
    out.append(f"fewest agents taking {doc['goal'] * 100:.0f} % within {minutes(doc['target'])}: "
               + (str(enough) if enough is not None else "none of these counts"))
    out.append("abandonment: not modelled (the engine has no event for a buyer who gives up)")
    return "\n".join(out) + "\n"


def _pct(share: float | None, width: int) -> str:
    return f"{'-':>{width}}" if share is None else f"{share * 100:>{width - 2}.1f} %"


def minutes(seconds: float | None) -> str:
    """`45 s`, `3.5 min`, `2.1 h`: a wait as a planner reads it."""
    if seconds is None:
        return "-"
    if seconds < 60:
        return f"{seconds:.0f} s"
    if seconds < 3600:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"
