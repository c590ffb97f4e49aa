"""Why an agent gets no new chats (T13): at one moment, and over a replayed log.

`why_not` looks at the agent now (status, capacity, permission, the S4/Y4 flags)
and at every route step that could pick it, evaluated at the state's time:
a step or binding whose `when:` cannot hold at this time of day or week, and a
binding or bindings step that is switched off, is a cause with its policy line.
`losses` reads a replayed log's records: how often the agent was a candidate
and lost, to whom, on which figure. Causes are data (code, span, args); the
`*_text` functions render them through the catalogs.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from .catalog import N_, say
from .clock import local_minute_and_day
from .conditions import _OPS, _in_window
from .explain import figure_text, word
from .router import Router
from .state import AgentState, ShopState
from .words import DAY_WORDS, SELECTION_WORDS, WHY_WORDS

Cause = dict[str, Any]

# cause -> (what it says, what would change it)
_CAUSES: dict[str, tuple[str, str]] = {
    "unknown_agent": (N_("{agent} is not in the roster"), N_("add it to `roster:`")),
    "no_chat_permission": (N_("{agent} has no chat permission"),
                           N_("grant chat permission in the roster (`chat_permission: true`)")),
    "admin_excluded": (N_("{agent} is an admin or the main account, and admins take no "
                          "automatic chats (Y4)"), N_("set `shop.exclude_admins: false`")),
    "main_account_excluded": (N_("{agent} is the main account and `include_main_account` "
                                 "is off (S4-B)"), N_("set `shop.include_main_account: true`")),
    "offline": (N_("{agent} is offline"), N_("the agent goes online")),
    "busy": (N_("{agent} is busy"), N_("the agent sets its status to online")),
    "hidden": (N_("{agent} is hidden (hung up or suspended)"),
               N_("the agent leaves hidden mode")),
    "at_capacity": (N_("{agent} has {open} open conversations, capacity {capacity}"),
                    N_("the agent closes a conversation, or its capacity is raised (Y2, Y13)")),
    "grouping_off": (N_("grouping is off or has no members: only the main account receives "
                        "chats (S1, S3)"), N_("switch `shop.grouping` on and add members")),
    "main_account_last_resort": (N_("{agent} is the main account in no group: it gets chats "
                                    "only when every other agent is offline (S4-C)"),
                                 N_("add it to a group (S4-D)")),
    "kept_out_of_fallback": (N_("{agent} is in team {group}, which `fallback: false` keeps "
                                "out of the other online agents that {step} picks from"),
                             N_("bind a source to {group}, or drop `fallback: false` at "
                                "{span}")),
    "not_in_group": (N_("{agent} is in no group bound to any source, and no fallback step "
                        "picks other agents"), N_("add it to a bound group")),
    "outside_time": (N_("{binding} reaches {agent} only when {condition}; at {time} on "
                        "{day} it does not apply"),
                     N_("wait until {condition}, or widen the condition at {span}")),
    "step_outside_time": (N_("route step {step} picks {agent} only when {condition}; at "
                             "{time} on {day} it is passed over"),
                          N_("wait until {condition}, or widen the condition at {span}")),
    "binding_switched_off": (N_("{binding} would reach {agent}, but it is switched off "
                                "(`enabled: false`)"), N_("switch it on at {span}")),
    "bindings_switched_off": (N_("the bindings step {step} is switched off, so no group "
                                 "receives chats by source"), N_("switch it on at {span}")),
}


def _tri(expr: Any, minute: int, day: str, shop: ShopState) -> bool | None:
    """Whether a `when:` holds at this time: True, False, or None (it depends on the
    message). Only time, day and the shop's head counts are known without a message."""
    op = expr[0]
    if op in ("and", "or"):
        parts = [_tri(e, minute, day, shop) for e in expr[1:]]
        if op == "and":
            return False if False in parts else (None if None in parts else True)
        return True if True in parts else (None if None in parts else False)
    if op == "not":
        inner = _tri(expr[1], minute, day, shop)
        return None if inner is None else not inner
    if op == "const":
        return bool(expr[1])
    if op == "time_in":
        return _in_window(expr[1], expr[2], minute)
    known = {"time": minute, "day": day}
    counts = shop.pools["shop"].counts
    known["shop.online"] = counts[None] + counts["at_capacity"]
    known["shop.available"] = counts[None]
    if op == "in" and expr[1] in known:
        return known[expr[1]] in expr[2]
    if op == "cmp" and expr[2] in known:
        return _OPS[expr[1]](known[expr[2]], expr[3])
    return None



def show_when(expr: Any) -> str:
    """A lowered `when:` as policy text again (`time in 22:00..06:00`)."""
    op = expr[0]
    if op in ("and", "or"):
        parts = [show_when(e) for e in expr[1:]]
        parts = [f"({p})" if op == "and" and e[0] == "or" else p
                 for p, e in zip(parts, expr[1:], strict=True)]
        return f" {op} ".join(parts)
    if op == "not":
        return f"not {show_when(expr[1])}"
    if op == "const":
        return "true" if expr[1] else "false"
    if op == "field":
        return str(expr[1])
    if op == "in":
        return f"{expr[1]} in {{{', '.join(str(v) for v in expr[2])}}}"
    if op == "has":
        return f'"{expr[2]}" in {expr[1]}'
    if op == "cmp":
        value = _hhmm(expr[3]) if expr[2] == "time" else expr[3]
        return f"{expr[2]} {expr[1]} {value}"
    return f"time in {_hhmm(expr[1])}..{_hhmm(expr[2])}"


def _hhmm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def why_not(router: Router, state: ShopState, agent_id: str) -> list[Cause]:
    """Every reason agent `agent_id` would get no new chat at the state's time, each with
    its span and the facts behind it. An empty list means the agent can receive chats.
    """
    agent = state.agents.get(agent_id)
    args: dict[str, Any] = {"agent": agent_id}
    if agent is None:
        return [{"cause": "unknown_agent", "span": router.shop_span, "args": args}]
    causes: list[Cause] = []

    def add(cause: str, span: str, **more: Any) -> None:
        causes.append({"cause": cause, "span": span, "args": {**args, **more}})

    if not agent.chat_permission:
        add("no_chat_permission", agent.span)
    if agent.static_why:
        add(agent.static_why, router.shop_span)
    if agent.status != "online":
        add(agent.status, "state: agents[].status")
    elif agent.capacity is not None and agent.open >= agent.capacity:
        add("at_capacity", "state: agents[].open", open=agent.open, capacity=agent.capacity)
    if not router.grouping_enabled and agent.role != "main":
        add("grouping_off", router.shop_span)
    if agent.role == "main" and router.grouping_enabled and not agent.groups:
        others = any(s.kind == "other_online" and s.params.get("include_main")
                     for s in router.route)
        if any(s.kind == "main_account" for s in router.route) and not others:
            add("main_account_last_resort", router.shop_span)
    if router.grouping_enabled and agent.role != "main":
        blocked = _route_blocks(router, state, agent)
        for cause, span, more in blocked:
            add(cause, span, **more)
    return causes


def _route_blocks(router: Router, state: ShopState,
                  agent: AgentState) -> list[tuple[str, str, dict[str, Any]]]:
    """Why no route step can pick the agent at this time; empty when one can."""
    minute, day, _ = local_minute_and_day(state.at, router.tz)
    when = {"time": _hhmm(minute), "day": day}
    blocks: list[tuple[str, str, dict[str, Any]]] = []

    for step in router.route:
        if step.kind not in ("other_online", "only_one_online", "bindings"):
            continue
        if step.when is not None and _tri(step.when, minute, day, state) is False:
            blocks.append(("step_outside_time", step.span, dict(
                step=step.id, condition=show_when(step.when), **when)))
            continue
        if step.kind == "other_online":
            team = next((g for g in agent.groups if g in state.kept_out), None)
            if team is not None:
                blocks.append(("kept_out_of_fallback", router.groups[team]["span"],
                               {"step": step.id, "group": team}))
                continue
        if step.kind != "bindings":
            return []
        reaching = [b for b in router.bindings
                    if agent.id in b.agents
                    or any(g in agent.groups for g, *_ in router.targets[(step.id, b.id)])]
        if reaching and not step.params.get("enabled", True):
            blocks.append(("bindings_switched_off", step.span, {"step": step.id}))
            continue
        for b in reaching:
            if b.when is None or _tri(b.when, minute, day, state) is not False:
                return []
            blocks.append(("outside_time", b.span, dict(
                binding=b.id, condition=show_when(b.when), **when)))
        for off in router.switched_off:
            if agent.id in off["agents"] or any(g in agent.groups for g in off["groups"]):
                blocks.append(("binding_switched_off", off["span"], {"binding": off["id"]}))
    if not blocks:
        blocks.append(("not_in_group", agent.span, {}))
    return blocks


def render_causes(causes: list[Cause], lang: str) -> list[dict[str, Any]]:
    """The causes with their `text` and `fix` in `lang` (codes and args kept for JSON)."""
    out = []
    for c in causes:
        text, fix = _CAUSES[c["cause"]]
        args = {**c["args"], "span": c["span"]}
        if "day" in args:
            args["day"] = say(lang, DAY_WORDS[args["day"]])
        out.append({"cause": c["cause"], "text": say(lang, text, **args),
                    "span": c["span"], "fix": say(lang, fix, **args), "args": c["args"]})
    return out


def why_not_text(agent_id: str, causes: list[dict[str, Any]], lang: str,
                 lost: Mapping[str, Any] | None = None, name: str | None = None) -> str:
    """Rendered causes (and, over a log, the picks the agent lost) for a person;
    `name` is the agent's display name, shown in the first line."""
    who = f"{name} ({agent_id})" if name and name != agent_id else agent_id
    if not causes:
        lines = [say(lang, N_("{agent} can receive new chats now."), agent=who)]
    else:
        lines = [say(lang, N_("{agent} receives no new chats because:"), agent=who)]
        for c in causes:
            lines.append(f"  - [{c['span']}] {c['text']} ({c['cause']})")
            lines.append("      " + say(lang, N_("would change if: {fix}"), fix=c["fix"]))
    if lost is not None:
        lines.extend(losses_text(agent_id, lost, lang))
    return "\n".join(lines) + "\n"


# -- over a log ----------------------------------------------------------------------

def losses(records: Iterable[Mapping[str, Any]], agent_id: str) -> dict[str, Any]:
    """How often `agent_id` was a candidate of a pick in these records, how often it won,
    and each loss: to whom, by which strategy, its figures against the winner's."""
    seen = won = 0
    dropped: Counter[str] = Counter()
    lost: dict[tuple[str, str], dict[str, Any]] = {}
    for rec in records:
        for step in rec.get("trace") or ():
            if step.get("kind") != "pick":
                continue
            for d in step.get("dropped") or ():
                if d["agent"] == agent_id:
                    dropped[d["why"]] += 1
            kept = step.get("kept") or ()
            if agent_id not in kept or not step.get("picked"):
                continue
            seen += 1
            if step["picked"] == agent_id:
                won += 1
                continue
            compared = {c["agent"]: c for c in step.get("compared") or ()}
            strategy = str(step.get("strategy"))
            key = (str(step["picked"]), strategy if step.get("selection") != "earliest_created"
                   else "earliest_created")
            entry = lost.setdefault(key, {"to": key[0], "by": key[1], "strategy": strategy,
                                          "count": 0})
            entry["count"] += 1
            entry["mine"] = compared.get(agent_id)
            entry["theirs"] = compared.get(key[0])
            entry["at"] = rec.get("at")
    return {"candidate": seen, "won": won, "lost": sum(e["count"] for e in lost.values()),
            "losses": sorted(lost.values(), key=lambda e: (-e["count"], e["to"], e["by"])),
            "dropped": dict(sorted(dropped.items()))}


# What would let the agent win a pick it lost on this figure.
_WIN_IF = {
    "fewest_unread": N_("{agent} has fewer unread chats than {to} (it reads them)"),
    "lowest_load_ratio": N_("{agent} has more room: close chats or raise its capacity"),
    "balanced": N_("{agent} has received fewer chats than {to}; this evens out over the day"),
    "weighted": N_("raise {agent}'s `score` or `efficiency` in the roster (its weight)"),
    "least_busy": N_("{agent} answers its pending replies"),
    "best_reception_rate": N_("{agent}'s reception rate rises above {to}'s (a platform figure)"),
    "best_conversion_rate": N_("{agent}'s conversion rate rises above {to}'s "
                               "(a platform figure)"),
    "earliest_created": N_("{agent} ties with {to} and {to}'s account is older (S5): "
                           "{agent} wins with a better figure, not a tie"),
}


_LOST_ON = {"earliest_created": N_("a tie, which goes to the account created first (S5)")}


def _figures(lang: str, agent: str, strategy: str, figures: Mapping[str, Any] | None) -> str:
    """One side of a lost pick, as the pick's explanation words it ("ann 0.27")."""
    if not figures:
        return agent
    return figure_text(lang, strategy, figures)


def losses_text(agent_id: str, lost: Mapping[str, Any], lang: str) -> list[str]:
    """The log's picks for a person: candidate/won/lost counts, each loss with its figures."""
    lines = [say(lang, N_("over the log: {agent} was a candidate {candidate} times, won "
                          "{won}, lost {lost}"), agent=agent_id, **{
                              k: lost[k] for k in ("candidate", "won", "lost")})]
    for e in lost["losses"]:
        lines.append("  - " + say(lang, N_("lost {count} times to {to} on {figure}: {mine} "
                                           "against {theirs} (last at {at})"),
                                  count=e["count"], to=e["to"],
                                  figure=say(lang, _LOST_ON.get(e["by"],
                                                                SELECTION_WORDS[e["by"]])),
                                  mine=_figures(lang, agent_id, e["strategy"], e["mine"]),
                                  theirs=_figures(lang, e["to"], e["strategy"], e["theirs"]),
                                  at=e["at"]))
        lines.append("      " + say(lang, N_("would change if: {fix}"), fix=say(
            lang, _WIN_IF[e["by"]], agent=agent_id, to=e["to"])))
    for why, n in lost["dropped"].items():
        lines.append("  - " + say(lang, N_("left out {n} times: {why}"), n=n,
                                  why=word(lang, WHY_WORDS, str(why))))
    return lines
