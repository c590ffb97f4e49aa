"""Lint: policies that compile but probably do not do what the merchant meant (W3xx, I4xx)."""

from __future__ import annotations

from datetime import date

from policyc.dsl.diagnostic import Report, token
from policyc.dsl.policy import Binding, Policy, Step
from policyc.dsl.schema import MAX_REPLY_CHARS
from policyc.dsl.span import Span
from policyc.dsl.unparse import duration_text
from policyc.runtime.calendars import listed_dates
from policyc.runtime.catalog import N_
from policyc.runtime.overflow import try_order
from policyc.runtime.vocabulary import STEPS, TIMEOUT_REPLIES, WEEKDAYS

from .coverage import Point, analyse, calendar_view, describe_gap
from .graph import grouping_enabled, live_bindings

# Y11: the timeout that sends each timeout notice (W318 when it is off)
NOTICE_TIMEOUTS = {reply: timeout for timeout, reply in TIMEOUT_REPLIES.items()}

Json = object


def lint_roster(policy: Policy, report: Report) -> None:
    """S2, S3, Y15: empty groups, members and pins without chat permission."""
    permitted = {a.id: a.chat_permission for a in policy.agents}
    for group in policy.groups:
        if not group.members:
            report.add("W301", N_("group `{group}` has no members; chats bound to it "
                                  "fall through to the next step"), group.span,
                       group=token(group.id))
        for member in group.members:
            if permitted.get(member.name) is False:
                report.add("W302", N_("`{agent}` has no chat permission and will never "
                                      "receive chats from group `{group}`"), member.span,
                           agent=token(member.name), group=token(group.id))
    for pin in policy.pins:
        if permitted.get(pin.agent.name) is False:
            report.add("W303", N_("buyer `{buyer}` is pinned to `{agent}`, who has no chat "
                                  "permission"), pin.agent.span, buyer=token(pin.buyer),
                       agent=token(pin.agent.name))
    if policy.shop.grouping and not grouping_enabled(policy):
        report.add("W311", N_("grouping is on but no group has a member, so it is treated as "
                              "off (S3): every chat goes to the main account"), policy.shop.span)


def lint_route(policy: Policy, report: Report) -> None:
    """Unreachable steps after one that always decides."""
    for i, step in enumerate(policy.route[:-1]):
        always = not STEPS[step.kind][2] and step.when is None
        if always:
            nxt = policy.route[i + 1]
            report.add("W307", N_("step `{step}` is never reached: `{before}` at {where} "
                                  "always decides"), nxt.span, step=nxt.kind, before=step.kind,
                       where=str(step.span))
            break


def lint_bindings(policy: Policy, conditions: dict[str, Json], report: Report) -> None:
    """Y7 targets, shadowed bindings, and sources (or times) no binding covers."""
    # Built once: per binding it would cost bindings x groups (1,000 x 1,000 at
    # platform scale, bench/compile_bench.py).
    overflow = {g.id: [r.name for r in g.overflow] for g in policy.groups}
    for b in policy.bindings:
        if b.enabled and not (b.groups or b.agents) and not b.implicit:
            report.add("W308", N_("{binding} is switched on but has no target (Y7)"), b.span,
                       N_("add `to:` groups or `agents:`, or switch it off"), binding=b.path)
        if len(b.targets) > 1:
            _lint_targets(b, overflow, report)
    if not any(s.kind == "bindings" for s in policy.route):
        return
    live = live_bindings(policy)
    sources = [s.name for s in policy.shop.sources]
    # `exclude` steps before the bindings take chats first: they cover sources
    # (no W305 for an excluded channel) and can shadow bindings.
    first = next(i for i, s in enumerate(policy.route) if s.kind == "bindings")
    excludes = [s for s in policy.route[:first] if s.kind == "exclude"]
    takers: list[Step | Binding] = [*excludes, *live]
    cal = calendar_view(policy.calendars) if policy.calendars else None
    lowered = [conditions.get(t.path) for t in takers]
    result = analyse(lowered, sources, cal)
    for index, by in sorted(result.shadowed.items()):
        if index < len(excludes):
            continue
        winner = takers[by]
        how = (N_("{binding} can never match: {winner} at {where} excludes every chat it would")
               if by < len(excludes) else
               N_("{binding} can never match: {winner} at {where} takes every chat it would"))
        report.add("W304", how, takers[index].span, binding=takers[index].path,
                   winner=winner.path, where=str(winner.span))
    for source in sources:
        gaps = result.uncovered[source]
        ref = next(r for r in policy.shop.sources if r.name == source)
        if len(gaps) == result.total[source]:
            report.add("W305", N_("no binding covers source `{source}`; its chats always go "
                                  "to the fallback steps"), ref.span, source=source)
        elif gaps:
            report.add("W306", N_("no binding covers source `{source}` on {gap} ({minutes} "
                                  "minutes a week in all)"), ref.span, source=source,
                       gap=describe_gap(gaps), minutes=len(gaps) * 30)
    _lint_calendar_dates(policy, lowered, sources, result.uncovered, report)


def _lint_targets(b: Binding, overflow: dict[str, list[str]], report: Report) -> None:
    """W316: a timed target whose group an earlier target already tries (through its
    overflow chain) widens nothing when it opens: that group could take the chat from
    the start. `overflow`: each group's overflow list."""
    for index, target in enumerate(b.targets[1:], start=1):
        earlier = [t.group.name for t in b.targets[:index]]
        reached = try_order(earlier, lambda gid: overflow.get(gid, []))
        if target.seconds and target.group.name in reached and \
                target.group.name not in earlier:  # named twice: E123 says so
            via = next(t.group.name for t in b.targets[:index]
                       if target.group.name in try_order([t.group.name],
                                                         lambda gid: overflow.get(gid, [])))
            report.add("W316", N_("target `{group}` opens after {wait}, but `{via}` above it "
                                  "already overflows to it, so it can take the chat from the "
                                  "start"), target.span,
                       N_("remove `{group}` from `{via}`'s `overflow:` or from `targets:`"),
                       group=token(target.group.name), via=token(via),
                       wait=duration_text(target.seconds))


# Listed dates a calendar lint looks at (each is a pass over the bindings).
MAX_LINTED_DATES = 32


def _lint_calendar_dates(policy: Policy, lowered: list[Json], sources: list[str],
                         weekly: dict[str, list[Point]], report: Report) -> None:
    """W314: (source x slot) of a holiday or a date with its own hours no binding covers,
    beyond what the typical week already lacks (W306 says that)."""
    reading = [c for c in lowered if c is not None and '"calendar.' in str(c).replace("'", '"')]
    if not reading:
        return
    dates = sorted({d for cal in policy.calendars.values() if isinstance(cal, dict)
                    for d in listed_dates(cal)})[:MAX_LINTED_DATES]
    for day in dates:
        weekday = WEEKDAYS.index(WEEKDAYS[date.fromisoformat(day).weekday()])
        result = analyse(lowered, sources, calendar_view(policy.calendars, day))
        for source in sources:
            known = {(p.day, p.minute) for p in weekly[source]}
            gaps = [p for p in result.uncovered[source]
                    if p.day == weekday and (p.day, p.minute) not in known]
            if gaps:
                ref = next(r for r in policy.shop.sources if r.name == source)
                report.add("W314", N_("no binding covers source `{source}` on {date} at "
                                      "{gap} (a calendar's holiday or date)"), ref.span,
                           source=source, date=day, gap=_hours(gaps))


def _hours(points: list[Point]) -> str:
    """The first stretch of uncovered half hours of one day, e.g. `00:00-09:00`."""
    end = points[0]
    for p in points[1:]:
        if p.minute != end.minute + 30:
            break
        end = p
    stop = end.minute + 30
    return (f"{points[0].minute // 60:02d}:{points[0].minute % 60:02d}-"
            f"{stop // 60:02d}:{stop % 60:02d}")


def lint_unreachable_groups(policy: Policy, report: Report) -> None:
    """W315: a group with members that no binding, overflow list or pool target names."""
    named = {r.name for b in policy.bindings for r in b.groups}  # switched off: on purpose
    named |= {r.name for g in policy.groups for r in g.overflow}
    pool = policy.settings.get("offline_pool")
    if isinstance(pool, dict) and pool.get("target") == "groups":
        named |= {str(g) for g in pool.get("groups", [])}
    if not any(s.kind == "bindings" and s.params.get("enabled", True) for s in policy.route):
        return  # designation is off as a whole: no group is a target, by the merchant's choice
    for group in policy.groups:
        if group.members and group.id not in named:
            report.add("W315", N_("group `{group}` has members but no binding, overflow or "
                                  "pool target names it: no chat is routed to it"),
                       group.span, N_("bind it (`to: [{group}]`) or remove it"),
                       group=token(group.id))


def lint_main_account(policy: Policy, report: Report) -> None:
    """S4: tell the merchant when the main account gets nothing or only last-resort chats."""
    main = next((a for a in policy.agents if a.role == "main"), None)
    if main is None or not grouping_enabled(policy):
        return
    in_group = any(m.name == main.id for g in policy.groups for m in g.members)
    last_resort = any(s.kind == "main_account" for s in policy.route)
    if policy.shop.exclude_admins or not policy.shop.include_main_account:
        why = (N_("main account `{agent}` receives no chats unless forwarded: admins and the "
                  "main account are excluded (Y4)") if policy.shop.exclude_admins else
               N_("main account `{agent}` receives no chats unless forwarded: "
                  "`include_main_account` is off (S4-B)"))
        report.add("I401", why, policy.shop.span, agent=token(main.id))
    elif not in_group:
        if last_resort:
            report.add("I402", N_("main account `{agent}` receives chats only when every "
                                  "other agent is offline (S4-C)"), policy.shop.span,
                       agent=token(main.id))
        elif not any(s.kind == "other_online" and s.params.get("include_main")
                     for s in policy.route):
            report.add("I401", N_("main account `{agent}` is in no group and no route step "
                                  "picks it: it receives no chats unless forwarded"),
                       policy.shop.span, agent=token(main.id))


def lint_settings(policy: Policy, report: Report) -> None:
    """Y10 working hours and auto-reply texts."""
    hours = policy.settings.get("working_hours")
    if isinstance(hours, dict):
        span = policy.setting_spans["working_hours"]
        if not hours["days"]:
            report.add("W309", N_("working hours name no days: the shop is never open"), span)
        elif hours["from"] >= hours["to"]:
            report.add("W309", N_("working hours end before they start"),
                       policy.setting_spans.get("working_hours.to", span),
                       N_("write from: 09:00 to: 21:30"))
    replies = policy.settings.get("auto_replies")
    timeouts = policy.settings.get("timeouts")
    if not isinstance(timeouts, dict):
        timeouts = {}
    if isinstance(replies, dict):
        spans = policy.setting_spans
        for name, reply in replies.items():
            # the reply's text where written, else the reply, else the whole setting
            where = (spans.get(f"auto_replies.{name}.text") or spans.get(f"auto_replies.{name}")
                     or spans.get("auto_replies", policy.span))
            text = reply.get("text")
            if reply.get("enabled") and not (text or "").strip():
                report.add("W310", N_("auto reply `{reply}` has no text; the default is sent"),
                           where, reply=name)
            timeout = NOTICE_TIMEOUTS.get(name)
            if reply.get("enabled") and timeout is not None and \
                    timeouts.get(timeout) is None:
                report.add("W318", N_("timeout notice `{reply}` is on but `timeouts.{timeout}` "
                                      "is null: it is never sent (Y11)"),
                           spans.get(f"auto_replies.{name}.enabled") or where, reply=name,
                           timeout=timeout)
            if text and len(text) > MAX_REPLY_CHARS:
                report.add("E210", N_("auto reply `{reply}` is {length} characters; the limit "
                                      "is {limit} (Y10)"), where, reply=name, length=len(text),
                           limit=MAX_REPLY_CHARS)


def lint_bot_first(policy: Policy, conditions: dict[str, Json], report: Report) -> None:
    """T14: a bot first whose condition never lets the buyer ask for a person (W317)."""
    firsts: list[tuple[str, Json, Span]] = [
        (f"`{s.path}`", conditions.get(s.path), s.when.span if s.when else s.span)
        for s in policy.route if s.kind == "bot_first"]
    firsts += [(f"group `{g.id}`", conditions.get(g.bot_first_path), g.bot_first.span)
               for g in policy.groups if g.bot_first is not None
               and g.bot_first_path in conditions]
    for where, tree, span in firsts:
        if not _reads(tree, "wants_human"):
            report.add("W317", N_("the assistant answers {where} first whatever the buyer "
                                  "asks: a buyer who asks for a person never reaches an agent"),
                       span, N_("add `not wants_human` to the condition"), where=where)


def _reads(tree: Json, field: str) -> bool:
    """Whether a lowered condition (compiler/typecheck.py) reads `field` anywhere."""
    if not isinstance(tree, list | tuple):
        return False
    return field in tree or any(_reads(part, field) for part in tree)

