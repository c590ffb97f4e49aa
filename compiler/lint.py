"""Lint: policies that compile but probably do not do what the merchant meant (W3xx, I4xx)."""

from __future__ import annotations

from policyc.dsl.diagnostic import Report, token
from policyc.dsl.policy import Binding, Policy, Step
from policyc.dsl.schema import MAX_REPLY_CHARS
from policyc.runtime.vocabulary import STEPS

from .coverage import analyse, describe_gap
from .graph import grouping_enabled, live_bindings

Json = object


def lint_roster(policy: Policy, report: Report) -> None:
    """S2, S3, Y15: empty groups, members and pins without chat permission."""
    permitted = {a.id: a.chat_permission for a in policy.agents}
    for group in policy.groups:
        if not group.members:
            report.add("W301", f"group `{token(group.id)}` has no members; chats bound to it "
                               "fall through to the next step", group.span)
        for member in group.members:
            if permitted.get(member.name) is False:
                report.add("W302", f"`{token(member.name)}` has no chat permission and will never "
                                   f"receive chats from group `{token(group.id)}`", member.span)
    for pin in policy.pins:
        if permitted.get(pin.agent.name) is False:
            report.add("W303", f"buyer `{token(pin.buyer)}` is pinned to "
                               f"`{token(pin.agent.name)}`, who has no chat permission",
                       pin.agent.span)
    if policy.shop.grouping and not grouping_enabled(policy):
        report.add("W311", "grouping is on but no group has a member, so it is treated as "
                           "off (S3): every chat goes to the main account", policy.shop.span)


def lint_route(policy: Policy, report: Report) -> None:
    """Unreachable steps after one that always decides."""
    for i, step in enumerate(policy.route[:-1]):
        always = not STEPS[step.kind][2] and step.when is None
        if always:
            nxt = policy.route[i + 1]
            report.add("W307", f"step `{nxt.kind}` is never reached: `{step.kind}` at "
                               f"{step.span} always decides", nxt.span)
            break


def lint_bindings(policy: Policy, conditions: dict[str, Json], report: Report) -> None:
    """Y7 targets, shadowed bindings, and sources (or times) no binding covers."""
    for b in policy.bindings:
        if b.enabled and not (b.groups or b.agents) and not b.implicit:
            report.add("W308", f"{b.path} is switched on but has no target (Y7)", b.span,
                       "add `to:` groups or `agents:`, or switch it off")
    if not any(s.kind == "bindings" for s in policy.route):
        return
    live = live_bindings(policy)
    sources = [s.name for s in policy.shop.sources]
    # `exclude` steps before the bindings take chats first: they cover sources
    # (no W305 for an excluded channel) and can shadow bindings.
    first = next(i for i, s in enumerate(policy.route) if s.kind == "bindings")
    excludes = [s for s in policy.route[:first] if s.kind == "exclude"]
    takers: list[Step | Binding] = [*excludes, *live]
    result = analyse([conditions.get(t.path) for t in takers], sources)
    for index, by in sorted(result.shadowed.items()):
        if index < len(excludes):
            continue
        winner = takers[by]
        how = ("excludes" if by < len(excludes) else "takes")
        report.add("W304", f"{takers[index].path} can never match: {winner.path} at "
                           f"{winner.span} {how} every chat it would", takers[index].span)
    for source in sources:
        gaps = result.uncovered[source]
        ref = next(r for r in policy.shop.sources if r.name == source)
        if len(gaps) == result.total[source]:
            report.add("W305", f"no binding covers source `{source}`; its chats always go "
                               "to the fallback steps", ref.span)
        elif gaps:
            report.add("W306", f"no binding covers source `{source}` on {describe_gap(gaps)} "
                               f"({len(gaps) * 30} minutes a week in all)", ref.span)


def lint_main_account(policy: Policy, report: Report) -> None:
    """S4: tell the merchant when the main account gets nothing or only last-resort chats."""
    main = next((a for a in policy.agents if a.role == "main"), None)
    if main is None or not grouping_enabled(policy):
        return
    in_group = any(m.name == main.id for g in policy.groups for m in g.members)
    last_resort = any(s.kind == "main_account" for s in policy.route)
    if policy.shop.exclude_admins or not policy.shop.include_main_account:
        why = ("admins and the main account are excluded (Y4)" if policy.shop.exclude_admins
               else "`include_main_account` is off (S4-B)")
        report.add("I401", f"main account `{token(main.id)}` receives no chats unless forwarded: "
                           f"{why}", policy.shop.span)
    elif not in_group:
        if last_resort:
            report.add("I402", f"main account `{token(main.id)}` receives chats only when "
                               "every other agent is offline (S4-C)", policy.shop.span)
        elif not any(s.kind == "other_online" and s.params.get("include_main")
                     for s in policy.route):
            report.add("I401", f"main account `{token(main.id)}` is in no group and no route step "
                               "picks it: it receives no chats unless forwarded", policy.shop.span)


def lint_settings(policy: Policy, report: Report) -> None:
    """Y10 working hours and auto-reply texts."""
    hours = policy.settings.get("working_hours")
    if isinstance(hours, dict):
        span = policy.setting_spans["working_hours"]
        if not hours["days"]:
            report.add("W309", "working hours name no days: the shop is never open", span)
        elif hours["from"] >= hours["to"]:
            report.add("W309", "working hours end before they start",
                       policy.setting_spans.get("working_hours.to", span),
                       "write from: 09:00 to: 21:30")
    replies = policy.settings.get("auto_replies")
    if isinstance(replies, dict):
        spans = policy.setting_spans
        for name, reply in replies.items():
            # the reply's text where written, else the reply, else the whole setting
            where = (spans.get(f"auto_replies.{name}.text") or spans.get(f"auto_replies.{name}")
                     or spans.get("auto_replies", policy.span))
            text = reply.get("text")
            if reply.get("enabled") and not (text or "").strip():
                report.add("W310", f"auto reply `{name}` has no text; the default is sent", where)
            if text and len(text) > MAX_REPLY_CHARS:
                report.add("E210", f"auto reply `{name}` is {len(text)} characters; the limit "
                                   f"is {MAX_REPLY_CHARS} (Y10)", where)
