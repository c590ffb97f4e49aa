"""Two policies on the same workload: waits, service level, load per agent and group, reasons.

Both runs meet the same buyers (arrivals), the same staff hours and the same
behaviour per chat (each chat's own random stream; handling fitted once, under
the old policy), so what differs is what the routing did. Beside it, the log
replay diff (policyc/diffing.py) is kept with its *distortion*: the log's
agent actions that no longer fit under a policy (the engine ignores them), which
say how far the replay can be trusted.
"""

from __future__ import annotations

import textwrap
from typing import Any

from ..runtime.router import Router
from .bind import Bound
from .driver import drive
from .metrics import summary
from .sweep import minutes

FIGURES = ("chats", "served", "unserved", "service_level", "waited_share", "mean_wait",
           "p90_wait", "max_wait", "mean_first_reply", "occupancy", "ignored")
AGENT_ACTIONS = ("read", "reply", "close", "transfer", "pick")


def compare(old: Router, new: Router, bound: Bound) -> dict[str, Any]:
    """Run the bound model under both policies; the comparison document."""
    model = bound.model
    sides = [summary(drive(router, model, bound.arrivals, bound.schedule).book, model.target)
             for router in (old, new)]
    a, b = sides
    doc: dict[str, Any] = {
        "model": model.file, "seed": model.seed, "target": model.target,
        "figures": {k: {"old": a[k], "new": b[k]} for k in FIGURES},
        "agents": _rows(a["agents"], b["agents"]),
        "groups": _pairs(a["groups"], b["groups"]),
        "reasons": _pairs(a["reasons"], b["reasons"]),
    }
    doc["changed"] = any(v["old"] != v["new"] for v in doc["figures"].values()) or any(
        r["old"] != r["new"] for key in ("groups", "reasons") for r in doc[key]) or any(
        r["old_chats"] != r["new_chats"] for r in doc["agents"])
    return doc


def _rows(a: dict[str, Any], b: dict[str, Any]) -> list[dict[str, Any]]:
    empty = {"chats": 0, "occupancy": None, "mean_open": None}
    return [{"id": agent, "old_chats": a.get(agent, empty)["chats"],
             "new_chats": b.get(agent, empty)["chats"],
             "old_mean_open": a.get(agent, empty)["mean_open"],
             "new_mean_open": b.get(agent, empty)["mean_open"],
             "old_occupancy": a.get(agent, empty)["occupancy"],
             "new_occupancy": b.get(agent, empty)["occupancy"]}
            for agent in sorted(set(a) | set(b))]


def _pairs(a: dict[str, int], b: dict[str, int]) -> list[dict[str, Any]]:
    return [{"id": k, "old": a.get(k, 0), "new": b.get(k, 0)} for k in sorted(set(a) | set(b))]


def distortion(events: list[dict[str, Any]], ignored: tuple[int, int]) -> dict[str, int]:
    """How many of a log's agent actions each policy's replay ignored."""
    return {"actions": sum(e["type"] in AGENT_ACTIONS for e in events),
            "old": ignored[0], "new": ignored[1]}


def _show(key: str, value: Any) -> str:
    if value is None:
        return "-"
    if key in ("service_level", "waited_share", "occupancy"):
        return f"{value * 100:.1f} %"
    if key.endswith("wait") or key == "mean_first_reply":
        return minutes(value)
    return str(value)


def _open(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def text(doc: dict[str, Any]) -> list[str]:
    """The comparison for a person."""
    out = [f"workload {doc['model']} (seed {doc['seed']}): the same buyers, staff hours "
           "and behaviour under both; each holder's actions generated",
           f"  {'':<18} {'old':>10} {'new':>10}"]
    for key, pair in doc["figures"].items():
        mark = "" if pair["old"] == pair["new"] else "  *"
        out.append(f"  {key.replace('_', ' '):<18} {_show(key, pair['old']):>10} "
                   f"{_show(key, pair['new']):>10}{mark}")
    out.append("  load per agent (chats old -> new, mean open chats while online):")
    for r in doc["agents"]:
        out.append(f"    {r['id']:<12} {r['old_chats']:>4} -> {r['new_chats']:<4} "
                   f"({r['new_chats'] - r['old_chats']:+d})   open "
                   f"{_open(r['old_mean_open'])} -> {_open(r['new_mean_open'])}")
    for key, title in (("groups", "load per group"), ("reasons", "reasons")):
        changed = [r for r in doc[key] if r["old"] != r["new"]]
        out.append(f"  {title} (old -> new):" if changed else f"  {title}: same")
        out += [f"    {r['id']:<24} {r['old']:>4} -> {r['new']:<4}" for r in changed]
    return out


def distortion_text(d: dict[str, int]) -> list[str]:
    """What the replay's ignored actions mean for the replay diff above."""
    if d["old"] == d["new"] == 0:
        return [f"replay distortion: none (all {d['actions']} agent actions of the log fit "
                "under both policies)"]
    return textwrap.wrap(
        f"replay distortion: {d['new']} of the log's {d['actions']} agent actions no longer "
        f"fit under the new policy ({d['old']} under the old) and were ignored: the replay "
        "diff above judges the policies on a world where that work is never done; the "
        "workload comparison below generates it for whoever holds each chat",
        width=88, subsequent_indent="  ")
