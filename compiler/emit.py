"""Write the compiled artifact: graph, runtime tables, spans and the policy's hash.

The artifact is the whole contract between compiler and runtime: plain JSON
with a format name and version, nodes and tables in a fixed order, so the same
policy always gives byte-identical artifacts.
"""

from __future__ import annotations

import json
from typing import cast

from policyc.dsl.policy import Policy
from policyc.runtime.artifact import ARTIFACT_FORMAT, ARTIFACT_VERSION

from .digraph import DecisionGraph
from .graph import grouping_enabled, live_bindings

Json = object


def _graph_json(graph: DecisionGraph) -> dict[str, object]:
    nodes = [dict(id=n, **attrs) for n, attrs in graph.nodes.items()]
    edges = [{"from": u, "to": v, "label": d["label"]} for u, v, d in graph.edges()]
    return {"nodes": nodes, "edges": edges}


def build_artifact(policy: Policy, conditions: dict[str, Json], graph: DecisionGraph,
                   digest: str) -> dict[str, object]:
    """The artifact as a JSON-ready dict."""
    member_of: dict[str, list[str]] = {a.id: [] for a in policy.agents}
    for g in policy.groups:
        for m in g.members:
            member_of.setdefault(m.name, []).append(g.id)
    main = next((a.id for a in policy.agents if a.role == "main"), None)
    return {
        "format": ARTIFACT_FORMAT,
        "version": ARTIFACT_VERSION,
        "policy": digest,
        "file": policy.file,
        "files": list(policy.files),
        "shop": {
            "id": policy.shop.id,
            "timezone": policy.shop.timezone,
            "language": policy.shop.language,
            "grouping_enabled": grouping_enabled(policy),
            "grouping_switch": policy.shop.grouping,
            "include_main_account": policy.shop.include_main_account,
            "exclude_admins": policy.shop.exclude_admins,
            "main": main,
            "main_in_group": bool(main and member_of.get(main)),
            "one_group_per_agent": policy.shop.one_group_per_agent,
            "span": str(policy.shop.span),
        },
        "agents": [
            {"id": a.id, "name": a.name, "role": a.role, "created_at": a.created_at,
             "chat_permission": a.chat_permission, "capacity": a.capacity, "score": a.score,
             "reception_rate": a.reception_rate, "conversion_rate": a.conversion_rate,
             "efficiency": a.efficiency, "groups": member_of.get(a.id, []), "span": str(a.span),
             "attributes": {name: list(v) if isinstance(v, tuple) else v
                            for name, v, _span in a.attributes},
             # Written only when set: a policy without channels keeps its artifact and hash.
             **({"channel_capacity": {r.name: n for r, n in a.channel_capacity}}
                if a.channel_capacity else {}),
             **({"proxy": a.proxy.name} if a.proxy else {})}
            for a in policy.agents
        ],
        "groups": [
            {"id": g.id, "members": [m.name for m in g.members], "select": g.select,
             "overflow": [o.name for o in g.overflow], "span": str(g.span),
             # Written only when set, so a policy that keeps no team out compiles to the
             # same artifact (and policy hash) as before the key existed.
             **({} if g.fallback else {"fallback": False}),
             **({"bot_first": {"when": conditions.get(g.bot_first_path),
                               "span": str(g.bot_first.span)}}
                if g.bot_first is not None else {})}
            for g in policy.groups
        ],
        "bindings": [
            {"id": b.path, "when": conditions.get(b.path), "groups": [r.name for r in b.groups],
             "agents": [r.name for r in b.agents], "select": b.select, "span": str(b.span),
             "require": [{"agent": conditions.get(f"{b.path}.require[{i}]"), "for": r.seconds,
                          "span": str(r.span)} for i, r in enumerate(b.require)],
             "split": [[g.name, w] for g, w in b.split],
             "targets": [[t.group.name, t.seconds, str(t.span)] for t in b.targets]}
            for b in live_bindings(policy)
        ],
        "switched_off": [
            {"id": b.path, "groups": [r.name for r in b.groups],
             "agents": [r.name for r in b.agents], "span": str(b.span)}
            for b in policy.bindings if not b.enabled
        ],
        "pins": {p.buyer: [p.agent.name, p.mode, str(p.span)] for p in policy.pins},
        "route": [
            {"id": s.path, "kind": s.kind, "when": conditions.get(s.path),
             "params": s.params, "span": str(s.span)}
            for s in policy.route
        ],
        "selection": {"strategy": policy.strategy, "busy_threshold": policy.busy_threshold,
                      # Written only when measured: older artifacts and hashes stay as they were.
                      **({} if policy.reference_rate is None
                         else {"efficiency": "measured",
                               "reference_rate": policy.reference_rate})},
        "settings": policy.settings,
        "attributes": {a.name: {"type": a.type, "values": [v.name for v in a.values]}
                       for a in policy.attributes},
        "calendars": {name: {**cast("dict[str, object]", cal),
                             "span": str(policy.calendar_spans[name])}
                      for name, cal in policy.calendars.items()},
        "priorities": [{"id": p.path, "when": conditions.get(p.path), "priority": p.priority,
                        "span": str(p.span)} for p in policy.priorities],
        "graph": _graph_json(graph),
        **({"channels": [{"id": c.id, "sources": [r.name for r in c.sources],
                          "weight": c.weight, "span": str(c.span)} for c in policy.channels]}
           if policy.channels else {}),
    }


def dumps(artifact: dict[str, object]) -> str:
    """Canonical JSON text of an artifact (stable key order, UTF-8)."""
    return json.dumps(artifact, ensure_ascii=False, sort_keys=True, separators=(",", ":")) + "\n"
