"""Explanations for people: one decision like the self-check tool (T12), and why-not (T13)."""

from __future__ import annotations

from typing import Any

from .decision import Decision
from .router import Router
from .state import ShopState
from .vocabulary import REASONS

_WHY_TEXT = {
    "offline": "is offline",
    "busy": "is busy",
    "hidden": "is hidden (hung up / suspended)",
    "at_capacity": "is at capacity",
    "no_chat_permission": "has no chat permission",
    "admin_excluded": "is an admin/main account and admins are excluded (Y4)",
    "main_account_excluded": "is the main account and `include_main_account` is off (S4-B)",
    "unknown_agent": "is not in the roster",
}

_FIX = {
    "offline": "the agent goes online",
    "busy": "the agent sets its status to online",
    "hidden": "the agent leaves hidden mode",
    "at_capacity": "the agent closes a conversation, or its capacity is raised (Y2, Y13)",
    "no_chat_permission": "grant chat permission in the roster (`chat_permission: true`)",
    "admin_excluded": "set `shop.exclude_admins: false`",
    "main_account_excluded": "set `shop.include_main_account: true`",
}


def _detail(event: dict[str, Any]) -> str:
    parts = [f"source {event.get('source')}"]
    for key in ("item_id", "order_id"):
        if event.get(key):
            parts.append(f"{key.replace('_id', '')} {event[key]}")
    parts.append(f"order state {event.get('order_state') or 'none'}")
    return ", ".join(parts)


def _step_line(step: dict[str, object]) -> str:
    result = step["result"]
    line = f"  [{step['span']}] {step['step']}: {result}"
    failed = step.get("failed")
    if isinstance(failed, dict):
        line += f" — {failed['field']} is {failed['actual']}, expected {failed['expected']}"
    if step.get("picked"):
        line += f" — picked {step['picked']} by {step.get('selection')}"
    dropped = step.get("dropped")
    if isinstance(dropped, list) and dropped:
        line += "; dropped " + ", ".join(f"{d['agent']} ({d['why']})" for d in dropped)
    counts = step.get("dropped_counts")
    if isinstance(counts, dict) and counts:
        line += "; dropped " + ", ".join(f"{n} {why}" for why, n in counts.items())
    return line


def decision_text(decision: Decision, level: str = "fails") -> str:
    """The decision as the self-check tool shows it: source, reason, agent, group, process."""
    record = dict(decision.to_dict(level), buyer=decision.buyer)
    return record_text(record, level if decision.trace is not None else None)


def record_text(record: dict[str, Any], level: str | None = "fails") -> str:
    """One routing record (a decision dict, or an engine record) for a person."""
    e = record.get("event") or {}
    head = f"buyer {record['buyer']} at {record['at']}"
    if record.get("kind"):
        head += f" — {record['kind']}"
        cause = record.get("cause")
        if isinstance(cause, dict):
            head += f" (after {cause.get('type')} at {cause.get('at')})"
    lines = [head]
    if "outcome" not in record:  # an engine record that routes nothing (closed, ...)
        lines.append(f"  agent:     {record.get('agent') or '-'}")
        lines.append(f"  why:       {record.get('why') or '-'}")
        return "\n".join(lines) + "\n"
    lines += [
        f"  source:    {_detail(e)}",
        f"  intent:    {e.get('intent') or 'none'}",
        f"  outcome:   {record['outcome']}",
        f"  reason:    {record['reason']} ({REASONS.get(record['reason'], '')})",
        f"  agent:     {record['agent'] or '-'}",
        f"  group:     {record['group'] or '-'}",
        f"  selection: {record['selection'] or '-'}",
    ]
    if record.get("auto_replies"):
        lines.append(f"  replies:   {', '.join(record['auto_replies'])}")
    if record.get("why"):
        lines.append(f"  why:       {record['why']}")
    lines.append(f"  policy:    {record['policy']}")
    if level is not None and record.get("trace") is not None:
        lines.append(f"process ({level}):")
        lines.extend(_step_line(step) for step in record["trace"])
    return "\n".join(lines) + "\n"


def why_not(router: Router, state: ShopState, agent_id: str) -> list[dict[str, str]]:
    """Every reason agent `agent_id` would get no new chat now, with what would change it.

    An empty list means the agent can receive chats.
    """
    agent = state.agents.get(agent_id)
    if agent is None:
        return [{"cause": "unknown_agent", "text": f"{agent_id} is not in the roster",
                 "span": router.shop_span, "fix": "add it to `roster:`"}]
    causes: list[dict[str, str]] = []

    def add(cause: str, span: str, text: str | None = None, fix: str | None = None) -> None:
        causes.append({"cause": cause, "text": text or f"{agent_id} {_WHY_TEXT[cause]}",
                       "span": span, "fix": fix or _FIX.get(cause, "")})

    if not agent.chat_permission:
        add("no_chat_permission", agent.span)
    if agent.static_why:
        add(agent.static_why, router.shop_span)
    if agent.status != "online":
        add(agent.status, "state: agents[].status")
    elif agent.capacity is not None and agent.open >= agent.capacity:
        add("at_capacity", "state: agents[].open",
            f"{agent_id} has {agent.open} open conversations, capacity {agent.capacity}")
    if not router.grouping_enabled and agent.role != "main":
        add("grouping_off", router.shop_span, "grouping is off or has no members: only the main "
            "account receives chats (S1, S3)", "switch `shop.grouping` on and add members")
    if agent.role == "main" and router.grouping_enabled and not agent.groups:
        steps = [s.kind for s in router.route]
        others = any(s.kind == "other_online" and s.params.get("include_main")
                     for s in router.route)
        if "main_account" in steps and not others:
            add("main_account_last_resort", router.shop_span,
                f"{agent_id} is the main account in no group: it gets chats only when every "
                "other agent is offline (S4-C)", "add it to a group (S4-D)")
    reached = _reachable(router, agent_id, agent.groups)
    if router.grouping_enabled and agent.role != "main" and not reached:
        add("not_in_group", agent.span, f"{agent_id} is in no group bound to any source, and "
            "no fallback step picks other agents", "add it to a bound group")
    return causes


def _reachable(router: Router, agent_id: str, groups: list[str]) -> bool:
    """Whether any route step can ever pick this agent automatically."""
    for step in router.route:
        if step.kind in ("other_online", "only_one_online"):
            return True
        if step.kind == "bindings":
            for b in router.bindings:
                targets = router.targets[(step.id, b.id)]  # groups and overflow chains
                if agent_id in b.agents or any(gid in groups for gid, *_ in targets):
                    return True
    return False


def why_not_text(agent_id: str, causes: list[dict[str, str]]) -> str:
    """The causes `why_not` found, for a person: each with its span and its fix."""
    if not causes:
        return f"{agent_id} can receive new chats now.\n"
    lines = [f"{agent_id} receives no new chats because:"]
    for c in causes:
        lines.append(f"  - [{c['span']}] {c['text']} ({c['cause']})")
        if c["fix"]:
            lines.append(f"      would change if: {c['fix']}")
    return "\n".join(lines) + "\n"
