"""Name resolution: every agent, group and intent a policy names must exist (E2xx)."""

from __future__ import annotations

from policyc.dsl.diagnostic import Report, token
from policyc.dsl.policy import Policy, Ref
from policyc.dsl.validate import did_you_mean

# A did-you-mean hint compares the name with every known one; against a 10,000-agent
# roster that is milliseconds each, so only this many distinct names get one per policy.
MAX_HINTED = 50


class _Refs:
    """Reports names that refer to nothing, sharing a capped budget of hints."""

    def __init__(self, report: Report) -> None:
        self.report = report
        self.hints: dict[tuple[str, str], str | None] = {}  # (code, name) -> hint

    def check(self, refs: tuple[Ref, ...], known: dict[str, object], code: str,
              what: str) -> None:
        for ref in refs:
            if ref.name in known:
                continue
            key = (code, ref.name)
            if key not in self.hints and len(self.hints) < MAX_HINTED:
                self.hints[key] = did_you_mean(ref.name, tuple(known))
            self.report.add(code, f"unknown {what} `{token(ref.name)}`", ref.span,
                            self.hints.get(key))


def resolve_names(policy: Policy, report: Report) -> None:
    """Report unknown and duplicate names, the S2 one-group rule and the main account."""
    agents: dict[str, object] = {}
    for agent in policy.agents:
        if agent.id in agents:
            report.add("E206", f"agent `{token(agent.id)}` is listed twice", agent.span)
        agents[agent.id] = agent
    groups: dict[str, object] = {g.id: g for g in policy.groups}
    intents: dict[str, object] = {i.name: i for i in policy.intents}

    mains = [a for a in policy.agents if a.role == "main"]
    if len(mains) != 1:
        report.add("E212", f"the roster has {len(mains)} main accounts; a shop has exactly one",
                   mains[1].span if len(mains) > 1 else policy.span,
                   "give one agent `role: main`")

    refs = _Refs(report)
    owner: dict[str, str] = {}
    for group in policy.groups:
        refs.check(group.members, agents, "E201", "agent")
        refs.check(group.overflow, groups, "E202", "group")
        refs.check(group.intents, intents, "E203", "intent")
        for member in group.members:
            first = owner.setdefault(member.name, group.id)
            if first != group.id and policy.shop.one_group_per_agent:
                report.add("E207", f"agent `{token(member.name)}` is in group `{token(first)}` "
                                   f"and `{token(group.id)}`",
                           member.span, "S2: an agent belongs to one group; set "
                           "`shop.one_group_per_agent: false` to allow several")

    for binding in policy.bindings:
        refs.check(binding.groups, groups, "E202", "group")
        refs.check(binding.agents, agents, "E201", "agent")
    refs.check(tuple(pin.agent for pin in policy.pins), agents, "E201", "agent")

    pool = policy.settings.get("offline_pool")
    if isinstance(pool, dict):
        span = policy.setting_spans["offline_pool"]
        refs.check(tuple(Ref(str(g), span) for g in pool["groups"]), groups, "E202", "group")
        refs.check(tuple(Ref(str(a), span) for a in pool["agents"]), agents, "E201", "agent")
