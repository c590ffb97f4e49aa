"""Name resolution: every agent, group and intent a policy names must exist (E2xx)."""

from __future__ import annotations

from policyc.dsl.diagnostic import Report, Words, token
from policyc.dsl.policy import Binding, Policy, Ref
from policyc.dsl.unparse import duration_text
from policyc.dsl.validate import did_you_mean
from policyc.runtime.catalog import N_

# A did-you-mean hint compares the name with every known one; against a 10,000-agent
# roster that is milliseconds each, so only this many distinct names get one per policy.
MAX_HINTED = 50

_UNKNOWN = {"agent": N_("unknown agent `{name}`"), "group": N_("unknown group `{name}`"),
            "intent": N_("unknown intent `{name}`")}


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
            self.report.add(code, what, ref.span, self.hints.get(key), name=token(ref.name))


def resolve_names(policy: Policy, report: Report) -> None:
    """Report unknown and duplicate names, the S2 one-group rule and the main account."""
    agents: dict[str, object] = {}
    for agent in policy.agents:
        if agent.id in agents:
            report.add("E206", N_("agent `{agent}` is listed twice"), agent.span,
                       agent=token(agent.id))
        agents[agent.id] = agent
    groups: dict[str, object] = {g.id: g for g in policy.groups}
    intents: dict[str, object] = {i.name: i for i in policy.intents}

    # A Youzan or Taobao shop need not name its main account (issue 12); two are a mistake.
    mains = [a for a in policy.agents if a.role == "main"]
    if len(mains) > 1:
        report.add("E212", N_("the roster has {count} main accounts; a shop has at most one"),
                   mains[1].span, N_("give only one agent `role: main`"), count=len(mains))
    _check_attributes(policy, report)

    refs = _Refs(report)
    owner: dict[str, str] = {}
    for group in policy.groups:
        refs.check(group.members, agents, "E201", _UNKNOWN["agent"])
        refs.check(group.overflow, groups, "E202", _UNKNOWN["group"])
        refs.check(group.intents, intents, "E203", _UNKNOWN["intent"])
        for member in group.members:
            first = owner.setdefault(member.name, group.id)
            if first != group.id and policy.shop.one_group_per_agent:
                report.add("E207", N_("agent `{agent}` is in group `{first}` and `{group}`"),
                           member.span, N_("S2: an agent belongs to one group; set "
                                           "`shop.one_group_per_agent: false` to allow several"),
                           agent=token(member.name), first=token(first),
                           group=token(group.id))

    _check_channels(policy, refs, report)

    for binding in policy.bindings:
        refs.check(binding.groups, groups, "E202", _UNKNOWN["group"])
        refs.check(binding.agents, agents, "E201", _UNKNOWN["agent"])
        _check_split(binding, report)
        _check_targets(binding, report)
    refs.check(tuple(pin.agent for pin in policy.pins), agents, "E201", _UNKNOWN["agent"])
    # T12 proxy accounts: a roster agent other than the agent itself.
    refs.check(tuple(a.proxy for a in policy.agents if a.proxy), agents, "E201",
               _UNKNOWN["agent"])
    for agent in policy.agents:
        if agent.proxy is not None and agent.proxy.name == agent.id:
            report.add("E215", N_("agent `{agent}` is its own proxy"), agent.proxy.span,
                       N_("name another agent, or remove `proxy:`"), agent=token(agent.id))

    pool = policy.settings.get("offline_pool")
    if isinstance(pool, dict):
        span = policy.setting_spans["offline_pool"]
        refs.check(tuple(Ref(str(g), span) for g in pool["groups"]), groups, "E202",
                   _UNKNOWN["group"])
        refs.check(tuple(Ref(str(a), span) for a in pool["agents"]), agents, "E201",
                   _UNKNOWN["agent"])


def _check_channels(policy: Policy, refs: _Refs, report: Report) -> None:
    """`channels:`: each source in one channel (E221); agents cap declared ones (E220)."""
    channels: dict[str, object] = {c.id: c for c in policy.channels}
    owner: dict[str, str] = {}
    for channel in policy.channels:
        for source in channel.sources:
            first = owner.setdefault(source.name, channel.id)
            if first != channel.id:
                report.add("E221", N_("source `{source}` is in channel `{first}` and "
                                      "`{channel}`"), source.span,
                           N_("list each source in one channel"), source=token(source.name),
                           first=token(first), channel=token(channel.id))
    for agent in policy.agents:
        refs.check(tuple(ref for ref, _n in agent.channel_capacity), channels, "E220",
                   N_("unknown channel `{name}`"))


def _check_split(binding: Binding, report: Report) -> None:
    """T9 splits: the weights name exactly the binding's `to:` groups."""
    if not binding.split:
        return
    targets = [r.name for r in binding.groups]
    for ref, _weight in binding.split:
        if ref.name not in targets:
            report.add("E202", N_("`split:` names `{name}`, which is not among this "
                                  "binding's `to:` groups"), ref.span,
                       did_you_mean(ref.name, tuple(targets)), name=token(ref.name))
    weighted = {r.name for r, _w in binding.split}
    for ref in binding.groups:
        if ref.name not in weighted:
            report.add("E123", N_("group `{name}` of `to:` has no weight in `split:`"),
                       ref.span, N_("give every `to:` group a weight"),
                       name=token(ref.name))


def _check_targets(binding: Binding, report: Report) -> None:
    """Timed targets: `targets:` stands alone (it replaces `to:`; `agents:` and `split:`
    choose differently), names each group once, and opens them in time order (E214)."""
    for key, span in binding.alongside:
        report.add("E123", N_("`targets:` replaces `{key}:` in a binding; give only one of "
                              "them"), span, N_("list every group under `targets:`, each "
                                                "with its `wait:`"), key=key)
    if binding.targets and binding.targets[0].seconds:
        target = binding.targets[0]
        report.add("E214", N_("the first target `{name}` waits {wait}: nobody could take the "
                              "chat before then"), target.span,
                   N_("the first target opens at once: leave out its `wait:`"),
                   name=token(target.group.name), wait=duration_text(target.seconds))
    first: dict[str, str] = {}
    previous = None
    for target in binding.targets:
        name = target.group.name
        if name in first:
            report.add("E123", N_("group `{name}` is named twice in `targets:` (first at "
                                  "{first})"), target.group.span, name=token(name),
                       first=first[name])
        first.setdefault(name, str(target.group.span))
        if previous is not None and target.seconds < previous.seconds:
            report.add("E214", N_("target `{name}` opens after {wait}, before the target "
                                  "above it (`{previous}`, after {previous_wait})"),
                       target.span, N_("targets open in the order written: give each a "
                                       "`wait:` no shorter than the one before"),
                       name=token(name), wait=duration_text(target.seconds),
                       previous=previous.group.name,
                       previous_wait=duration_text(previous.seconds))
        previous = target


def _check_attributes(policy: Policy, report: Report) -> None:
    """Each roster attribute is declared in `agent_attributes:`, with a value of its type."""
    declared = {a.name: a for a in policy.attributes}
    for agent in policy.agents:
        for name, value, span in agent.attributes:
            spec = declared.get(name)
            if spec is None:
                report.add("E204", N_("unknown agent attribute `{field}`"), span,
                           did_you_mean(name, tuple(declared))
                           or N_("declare it under `agent_attributes:`"), field=token(name))
                continue
            allowed = tuple(v.name for v in spec.values)
            words = value if isinstance(value, tuple) else (value,)
            shape_ok = {"set": isinstance(value, tuple),
                        "one": isinstance(value, str),
                        "number": isinstance(value, int)}[spec.type]
            if not shape_ok:
                want = {"set": N_("a list of names"), "one": N_("a name"),
                        "number": N_("a whole number")}[spec.type]
                report.add("E120", N_("attribute `{field}` takes {expected}"), span,
                           field=token(name), expected=Words(want))
                continue
            if spec.type == "number":
                continue
            for word in words:
                if str(word) not in allowed:
                    report.add("E203", N_("unknown value `{word}` of `{field}`"), span,
                               did_you_mean(str(word), allowed), word=token(str(word)),
                               field=f"agent.{name}")
