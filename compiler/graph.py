"""Lower a checked policy to its decision graph, and verify the graph.

Nodes are typed (entry, gate, match, pick, fallback, outcome, dead_end) and
carry the span of the policy text they come from; edges are labelled with the
condition under which evaluation follows them. The verifier proves on the
graph what the runtime relies on: every path from the entry ends in an
outcome of CONTRACT.md, and no group overflow chain loops.
"""

from __future__ import annotations

from policyc.dsl.diagnostic import Report
from policyc.dsl.policy import Binding, Policy, Step, Target
from policyc.dsl.span import Span
from policyc.dsl.unparse import duration_text
from policyc.runtime.catalog import N_
from policyc.runtime.overflow import bot_gate, pick_node, try_order
from policyc.runtime.split import drawn_order, split_binding_id
from policyc.runtime.vocabulary import STEPS

from .digraph import DecisionGraph, find_cycle

ENTRY = "entry"
GROUPING = "shop.grouping"
DEAD_END = "dead_end"


def outcome_node(outcome: str, reason: str) -> str:
    """The id of the one node shared by every step that ends in this outcome."""
    return f"outcome:{outcome}:{reason}"


def grouping_enabled(policy: Policy) -> bool:
    """S1 + S3: grouping works only when switched on and some group has a member."""
    return policy.shop.grouping and any(g.members for g in policy.groups)


def live_bindings(policy: Policy) -> list[Binding]:
    """The bindings that can take a chat: switched on and naming a target."""
    return [b for b in policy.bindings if b.enabled and (b.groups or b.agents)]


class _Builder:
    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        self.groups = {g.id: g for g in policy.groups}
        self.overflow = {g.id: [ref.name for ref in g.overflow] for g in policy.groups}
        # T12: some agent has a proxy account, so pin and recent-contact steps can end in one
        self.proxies = any(a.proxy for a in policy.agents)
        self.g = DecisionGraph()

    def node(self, node_id: str, node_type: str, label: str, span: Span, **extra: object) -> str:
        self.g.add_node(node_id, type=node_type, label=label, span=str(span), **extra)
        return node_id

    def outcome(self, outcome: str, reason: str, span: Span) -> str:
        node_id = outcome_node(outcome, reason)
        if node_id not in self.g:
            self.node(node_id, "outcome", f"{outcome} ({reason})", span, outcome=outcome,
                      reason=reason)
        return node_id

    def edge(self, a: str, b: str, label: str) -> None:
        self.g.add_edge(a, b, label=label)

    def build(self) -> DecisionGraph:
        p = self.policy
        self.node(ENTRY, "entry", "buyer message", p.span)
        self.node(GROUPING, "gate", "grouping switch (S1, S3)", p.shop.span)
        self.edge(ENTRY, GROUPING, "message")
        self.edge(GROUPING, self.outcome("main_account", "grouping_off", p.shop.span), "off")
        nexts = [s.path for s in p.route] + [DEAD_END]  # an empty route leads to dead_end
        self.edge(GROUPING, nexts[0], "on")
        for step, after in zip(p.route, nexts[1:], strict=True):
            self.step(step, after)
        if DEAD_END in self.g:  # an edge to it added the node
            self.node(DEAD_END, "dead_end", "no outcome", p.route[-1].span if p.route else p.span)
        return self.g

    def step(self, step: Step, after: str) -> None:
        node_type, outcomes, can_fail = STEPS[step.kind]
        label = step.kind.replace("_", " ")
        self.node(step.path, node_type, label, step.span, kind=step.kind)
        if step.kind == "bindings":
            self.bindings(step, after)
            return
        for outcome, reason in outcomes:
            if outcome == "waiting" and not self.can_wait(step):
                continue
            edge = "waits" if outcome == "waiting" else ("picked" if outcome == "assigned"
                                                          else "always")
            self.edge(step.path, self.outcome(outcome, reason, step.span), edge)
        if self.proxies and step.kind in ("pin", "recent_contact"):
            # T12: the buyer's own agent away, its proxy account takes the chat.
            self.edge(step.path, self.outcome("assigned", "proxy_account", step.span), "proxy")
        if can_fail:
            self.edge(step.path, after, "nobody available")
        if step.when is not None:
            self.edge(step.path, after, "condition false")

    def can_wait(self, step: Step) -> bool:
        """A pin step waits only for strict pins; a contact step only with a grace."""
        if step.kind == "pin":
            return any(p.mode == "strict" for p in self.policy.pins)
        return bool(step.params.get("grace"))

    def bindings(self, step: Step, after: str) -> None:
        live = live_bindings(self.policy)
        if not step.params.get("enabled", True) or not live:
            self.edge(step.path, after, "designation off" if live else "no bindings")
            return
        # The runtime's dispatch table goes straight to the first binding that can match,
        # so the step has an edge to each binding, and one on when no binding matches.
        for b in live:
            self.binding(step, b, after)
            self.edge(step.path, b.path, "first match")
        if all(b.when is not None for b in live):
            self.edge(step.path, after, "no match")
        if step.when is not None:
            self.edge(step.path, after, "condition false")

    def binding(self, step: Step, b: Binding, after: str) -> None:
        """A binding and the groups it tries, in the runtime's order (runtime/overflow.py)."""
        label = "matches" if b.when is not None else "always"
        self.node(b.path, "match", f"binding {b.path}", b.span, binding=b.path)
        if b.agents:
            pick = self.node(f"{b.path}.agents", "pick", "designated agents", b.span)
            self.edge(b.path, pick, label)
            self.edge(pick, self.outcome("assigned", "source_group", b.span), "picked")
            self.edge(pick, after, "nobody available")
            self.relaxing(b, pick)
            return
        groups = [ref.name for ref in b.groups]
        if not b.split:
            self.chain(step, b, b.path, groups, label, after)
            return
        # T9 splits: one chain per group a buyer can draw first (runtime/split.py).
        for ref, weight in b.split:
            self.chain(step, b, split_binding_id(b.path, ref.name),
                       drawn_order(groups, ref.name), f"{label}, drew {ref.name} ({weight})",
                       after)

    def chain(self, step: Step, b: Binding, tries: str, groups: list[str], label: str,
              after: str) -> None:
        """The groups one binding tries, each then its overflow (runtime/overflow.py).
        With timed targets, a target that opens later starts with an edge saying after
        how long, and the pick before it holds the chat until then (`target_waiting`)."""
        previous = b.path
        overflow: tuple[str, ...] = ()  # the groups the previous one overflows to
        order = try_order(groups, self.overflow.__getitem__)
        opens = self.opening(b)
        for index, gid in enumerate(order):
            group = self.groups[gid]
            pick = self.node(pick_node(step.path, tries, gid), "pick", f"group {gid}",
                             group.span, group=gid)
            self.edge(pick, self.outcome("assigned", "source_group", group.span), "picked")
            if index == 0 and group.bot_first is not None:
                previous, label = self.bot_first(step, tries, gid, previous, label)
            if index in opens:
                target = opens[index]
                self.edge(previous, self.outcome("queued", "target_waiting", target.span),
                          f"waits for {target.group.name} ({duration_text(target.seconds)})")
                self.relaxing(b, previous)
                label = f"after {duration_text(target.seconds)} waiting"
            self.edge(previous, pick, "overflow" if gid in overflow else label)
            previous, label = pick, "nobody available"
            overflow = tuple(ref.name for ref in group.overflow)
        if len(order) in opens:  # a last target its predecessors' overflow already tried
            target = opens[len(order)]
            self.edge(previous, self.outcome("queued", "target_waiting", target.span),
                      f"waits for {target.group.name} ({duration_text(target.seconds)})")
        self.edge(previous, after, "nobody available")
        self.relaxing(b, previous)

    def bot_first(self, step: Step, tries: str, gid: str, previous: str,
                  label: str) -> tuple[str, str]:
        """T14 group bot first: a gate before the group the binding sends the chat to
        first, where the assistant takes the chat while the group's condition holds;
        the edge on to the group's pick, and its label (runtime/router.py `bot_gate`)."""
        group = self.groups[gid]
        assert group.bot_first is not None
        gate = self.node(bot_gate(pick_node(step.path, tries, gid)), "gate",
                         f"bot first for group {gid}", group.bot_first.span, bot_first_of=gid)
        self.edge(previous, gate, label)
        self.edge(gate, self.outcome("assistant", "bot_first", group.bot_first.span),
                  "assistant first")
        return gate, "condition false"

    def opening(self, b: Binding) -> dict[int, Target]:
        """Where in the try order each timed target that opens later begins (the first
        one found at a place, when an overflow already tried a target's whole chain)."""
        overflow = self.overflow
        names = [t.group.name for t in b.targets]
        opens: dict[int, Target] = {}
        for k, target in enumerate(b.targets):
            if k and target.seconds > b.targets[k - 1].seconds:
                opens.setdefault(len(try_order(names[:k], lambda g: overflow.get(g, []))),
                                 target)
        return opens

    def relaxing(self, b: Binding, last: str) -> None:
        """A requirement that relaxes later keeps the chat queued until it does."""
        if any(r.seconds is not None for r in b.require):
            self.edge(last, self.outcome("queued", "requirement_waiting", b.span),
                      "waits for the requirement to relax")


def lower(policy: Policy) -> DecisionGraph:
    """The decision graph of a resolved, type-checked policy."""
    return _Builder(policy).build()


def verify(graph: DecisionGraph, policy: Policy, report: Report) -> None:
    """Every path ends in an outcome (E208); overflow chains do not loop (E209)."""
    # The policy's overflow lists, not the graph: the runtime tries each group once, so a
    # loop never shows in the graph, only in what the merchant wrote.
    cycle = find_cycle([(g.id, ref.name) for g in policy.groups for ref in g.overflow])
    if cycle:
        names = [u for u, _ in cycle] + [cycle[0][0]]
        group = next(g for g in policy.groups if g.id == names[0])
        report.add("E209", N_("group overflow loops: {loop}"), group.span,
                   loop=" -> ".join(names))
    if DEAD_END in graph and graph.reaches(ENTRY, DEAD_END):
        last = policy.route[-1] if policy.route else None
        report.add("E208", N_("a message can pass every route step without an outcome"),
                   last.span if last else policy.span,
                   N_("end the route with a step that always decides: stage, queue, "
                      "offline_pool, offline_to_main or offline_to_assistant"))
    for node, data in graph.nodes.items():
        if graph.out_degree(node) == 0 and data["type"] not in ("outcome", "dead_end"):
            report.add("E208", N_("graph node {node} leads nowhere"), policy.span, node=node)
