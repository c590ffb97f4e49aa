"""Decide one buyer message against a shop state, following the compiled route.

The route is a table of steps read from the artifact; each step kind that may
pass the chat on is one small method (`_step_<kind>`) returning an outcome or
None, and each that always ends the route gives its one outcome (`_fixed`).
Nothing here knows about Shopee, Youzan or Taobao: they are policies.

Whatever does not depend on the event is settled when the policy is loaded
(`Router.__init__`): each step's method, parameters, pool key and strategy;
each binding's pool, node names and the groups it tries; the table that finds
the bindings an event can match. A decision does only the work it needs: with
no trace asked for, not a string is formatted nor a detail built.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .artifact import check_artifact
from .clock import local_minute_and_day, parse_instant
from .conditions import Cond, Facts, compile_condition, first_failure
from .decision import Decision
from .dispatch import index_bindings, is_only_test_of
from .figures import compared, tie_break
from .horizon import contact_memory
from .overflow import bot_gate, pick_node, try_order
from .snapshot import build_state
from .split import draw, drawn_order, split_binding_id
from .state import AgentState, Pool, ShopState
from .trace import Tracer, TraceStep
from .vocabulary import REPLY_OUTCOMES, STEPS

Outcome = tuple[str, str, AgentState | None, str | None, str | None, str]
# (outcome, reason, agent, group, selection, outcome node id)
Target = tuple[str, str, str, str, str]
# (group id, pick node id, pool key, span, strategy): one group a binding tries

TRACE_LIST_LIMIT = 32
# What `_binding_targets` gives when the bound group's assistant answers first (T14).
BOT_FIRST = "bot_first"


@dataclass
class RouteStep:
    id: str
    kind: str
    span: str
    params: dict[str, Any]
    when: Any
    cond: Cond | None
    when_id: str = ""  # the trace step of its condition
    pool_key: str = ""  # the candidate pool it picks from (other_online)
    select: str = ""  # the strategy it picks by (the shop's when the step names none)

    def __post_init__(self) -> None:
        self.when_id = f"{self.id}.when"
        self.pool_key = f"others:{self.id}"


@dataclass
class BindingRow:
    id: str
    span: str
    when: Any
    cond: Cond | None
    groups: list[str]
    agents: list[str]
    select: str | None
    node_after: dict[str, str] = field(default_factory=dict)
    when_id: str = ""  # the trace step of its condition
    agents_node: str = ""  # the graph node of its `agents:` pick
    pool_key: str = ""  # that pick's pool

    def __post_init__(self) -> None:
        self.when_id = f"{self.id}.when"
        self.agents_node = f"{self.id}.agents"
        self.pool_key = f"binding:{self.id}"
    # Requirement stages: (condition on the agent, seconds the stage lasts or None, span)
    require: list[tuple[Cond, int | None, str]] = field(default_factory=list)
    split: list[tuple[str, int]] = field(default_factory=list)  # (group, weight)
    # Timed targets (`targets:`): each group's seconds of waiting before it opens, beside
    # `groups`, and each entry's span; empty for `to:`, whose groups are open at once.
    waits: list[int] = field(default_factory=list)
    wait_spans: list[str] = field(default_factory=list)

    def stage(self, waited: float) -> int | None:
        """The requirement stage after `waited` seconds (None: anyone in the targets)."""
        end = 0
        for index, (_cond, seconds, _span) in enumerate(self.require):
            if seconds is None:
                return index
            end += seconds
            if waited < end:
                return index
        return None

    def stage_ends_at(self, waited: float) -> int | None:
        """Seconds after the chat started waiting when its requirement stage next ends."""
        end = 0
        for _cond, seconds, _span in self.require:
            if seconds is None:
                return None
            end += seconds
            if waited < end:
                return end
        return None

    def open_targets(self, waited: float) -> int:
        """How many of the groups (in order) are open after `waited` seconds."""
        if not self.waits:
            return len(self.groups)
        return sum(1 for seconds in self.waits if seconds <= waited)

    def opens_at(self, waited: float) -> int | None:
        """Seconds after the chat started waiting when its next timed target opens."""
        return next((seconds for seconds in self.waits if seconds > waited), None)

    def relaxes_at(self, waited: float) -> int | None:
        """When the binding next widens for a chat that has waited `waited` seconds: its
        requirement stage ends or a timed target opens, whichever comes first (None:
        neither ever will). A chat nobody can take yet is held until then."""
        ends, opens = self.stage_ends_at(waited), self.opens_at(waited)
        if ends is None or (opens is not None and opens < ends):
            return opens
        return ends

    def holding_reason(self, waited: float) -> str | None:
        """The reason a chat nobody can take yet is held: what widens it next (a target
        opening when both come at once); None when nothing will."""
        opens = self.opens_at(waited)
        if opens is not None and opens == self.relaxes_at(waited):
            return "target_waiting"
        return None if self.relaxes_at(waited) is None else "requirement_waiting"


class Router:
    """A loaded policy: decides events against states built by `state()`."""

    def __init__(self, artifact: dict[str, Any], origin: str = "artifact") -> None:
        # The one contract with the compiler (runtime/artifact.py): checked whoever built
        # it, so a mismatch is an ArtifactError naming the field, never a KeyError below.
        self.artifact = check_artifact(artifact, origin)
        self.policy_hash: str = artifact["policy"]
        shop = artifact["shop"]
        self.tz: str = shop["timezone"]
        self.language: str = shop.get("language", "zh-Hans")  # the buyers' (default replies)
        self.grouping_enabled: bool = shop["grouping_enabled"]
        self.shop_span: str = shop["span"]
        self.main_id: str | None = shop["main"]
        self.main_in_group: bool = shop["main_in_group"]
        self.include_main: bool = shop["include_main_account"]
        self.exclude_admins: bool = shop["exclude_admins"]
        self.strategy: str = artifact["selection"]["strategy"]
        self.busy_threshold: int = artifact["selection"]["busy_threshold"]
        self.agent_specs: list[dict[str, Any]] = artifact["agents"]
        self.agent_ids: frozenset[str] = frozenset(a["id"] for a in self.agent_specs)
        # Optional `name:` of agents, shown to merchants beside the id.
        self.display_names: dict[str, str] = {a["id"]: a["name"] for a in self.agent_specs
                                              if a.get("name")}
        # T12 proxy accounts: agent -> the agent who takes its own buyers meanwhile, and
        # the other way round (whom an agent coming free stands in for).
        self.proxy_of: dict[str, str] = {a["id"]: a["proxy"] for a in self.agent_specs
                                         if a.get("proxy")}
        self.proxied_by: dict[str, list[str]] = {}
        for agent_id, proxy in self.proxy_of.items():
            self.proxied_by.setdefault(proxy, []).append(agent_id)
        self.groups: dict[str, dict[str, Any]] = {g["id"]: g for g in artifact["groups"]}
        self.pins: dict[str, list[str]] = artifact["pins"]
        # A platform's pin table has a million rows, and JSON gives each row its own copy
        # of the agent's id and of the mode: the rows share the roster's and the modes'.
        shared = {a: a for a in self.agent_ids} | {"strict": "strict", "prefer": "prefer"}
        for row in self.pins.values():
            row[0], row[1] = shared.get(row[0], row[0]), shared.get(row[1], row[1])
        self.settings: dict[str, Any] = artifact["settings"]
        self.route = [RouteStep(r["id"], r["kind"], r["span"], r["params"], r["when"],
                                compile_condition(r["when"]) if r["when"] else None)
                      for r in artifact["route"]]
        for step in self.route:
            step.select = step.params.get("select") or self.strategy
        self.bindings = [BindingRow(b["id"], b["span"], b["when"],
                                    compile_condition(b["when"]) if b["when"] else None,
                                    b["groups"], b["agents"], b["select"],
                                    require=[(compile_condition(r["agent"]), r["for"], r["span"])
                                             for r in b.get("require", [])],
                                    split=[(g, w) for g, w in b.get("split", [])],
                                    waits=[t[1] for t in b.get("targets", [])],
                                    wait_spans=[t[2] for t in b.get("targets", [])])
                         for b in artifact["bindings"]]
        self.binding_rows = {b.id: b for b in self.bindings}
        self.shop_id: str = shop["id"]
        self.calendars: dict[str, Any] = artifact.get("calendars", {})
        self.priorities = [(compile_condition(p["when"]), p["priority"])
                           for p in artifact.get("priorities", [])]
        # The steps after the deciding one, as `full` traces show them: the same
        # immutable steps every time, so they cost nothing per decision.
        self._skipped = [tuple(TraceStep(r.id, r.id, r.span, "step", "skipped", {})
                               for r in self.route[i:]) for i in range(len(self.route) + 1)]
        self.binding_index = index_bindings([b.when for b in self.bindings])
        for b in self.bindings:
            if is_only_test_of(b.when, self.binding_index[0]):
                b.cond = None  # the dispatch table already proved it for every row it lists
        # The same table with the rows themselves: (event key, value -> rows, other rows).
        key, table, always = self.binding_index
        self._dispatch: tuple[str | None, dict[object, list[BindingRow]], list[BindingRow]] = (
            key, {v: [self.bindings[i] for i in rows] for v, rows in table.items()},
            [self.bindings[i] for i in always])
        self.node_spans = {n["id"]: n["span"] for n in artifact["graph"]["nodes"]}
        self.binding_spans = {b.id: b.span for b in self.bindings}
        # Bindings written with `enabled: false` (no part of the graph): why-not names them.
        self.switched_off: list[dict[str, Any]] = artifact.get("switched_off", [])
        self._plan: list[tuple[RouteStep, Callable[..., Outcome | None]]] = [
            (step, getattr(self, f"_step_{step.kind}", None) or _fixed(step.kind))
            for step in self.route]

        # Each binding's groups with their overflow chains, flattened once (the
        # order and the strategies are static): (group id, pick node id, pool key,
        # span, strategy). Read by explain's why-not too, so both follow the same chains.
        self.targets: dict[tuple[str, str], list[Target]] = {
            (step.id, b.id): self._flatten(step.id, b, b.id, b.groups)
            for step in self.route if step.kind == "bindings" for b in self.bindings}
        # T9 splits: the tries of each draw (the drawn group first), keyed by the draw's id.
        for step in self.route:
            if step.kind == "bindings":
                for b in self.bindings:
                    for gid, _w in b.split:
                        tries = split_binding_id(b.id, gid)
                        self.targets[(step.id, tries)] = self._flatten(
                            step.id, b, tries, drawn_order(b.groups, gid))
        # T14 group bot first: the gate before the group each of those tries starts with,
        # when that group has one: (gate node, condition, its tree, span).
        self.bot_gates: dict[tuple[str, str], tuple[str, Cond, Any, str]] = {}
        for tries_key, tried in self.targets.items():
            first = self.groups[tried[0][0]].get("bot_first") if tried else None
            if first is not None:
                self.bot_gates[tries_key] = (bot_gate(tried[0][1]),
                                             compile_condition(first["when"]),
                                             first["when"], first["span"])
        self.gate_spans: dict[str, str] = {node: span for node, _c, _w, span
                                           in self.bot_gates.values()}
        # Timed targets: how many of the flattened tries the first k targets (with their
        # overflow chains) make, for each k. Depth first, each target's chain comes
        # before the next target (runtime/overflow.py), so the open ones are a prefix.
        self.open_tries: dict[str, list[int]] = {
            b.id: [len(try_order(b.groups[:k], lambda gid: self.groups[gid]["overflow"]))
                   for k in range(len(b.groups) + 1)]
            for b in self.bindings if b.waits}
        self.contact_memory = contact_memory(
            s.params["window"] for s in self.route if s.kind == "recent_contact")
        replies = self.settings.get("auto_replies") or {}
        self.replies_on = {k for k, v in replies.items() if v.get("enabled")}
        self._summary_alone = not any(b.require or b.split or b.waits for b in self.bindings)
        # `channels:`: a source's (channel, weight), and the channels some agent caps. A
        # chat whose channel weighs 1 and nobody caps is like any other (no fit check).
        self.channel_of: dict[str, tuple[str, int]] = {
            s: (c["id"], c["weight"]) for c in artifact.get("channels", []) for s in c["sources"]}
        self.channel_ids = frozenset(c["id"] for c in artifact.get("channels", []))
        capped = {ch for a in self.agent_specs for ch in a.get("channel_capacity", {})}
        self.needs: dict[str, tuple[int, str]] = {
            s: (weight, ch) for s, (ch, weight) in self.channel_of.items()
            if weight > 1 or ch in capped}

    def load_of(self, source: str | None) -> tuple[int, str | None]:
        """The capacity units a chat from `source` takes and its channel (1, None: none)."""
        found = self.channel_of.get(source or "")
        return (1, None) if found is None else (found[1], found[0])

    # -- state -----------------------------------------------------------------
    def state(self, snapshot: dict[str, Any]) -> ShopState:
        """Build an indexed shop state from a (validated) CONTRACT.md snapshot."""
        return build_state(self, snapshot)

    def apply(self, state: ShopState, decision: Decision, offered: bool = False) -> None:
        """Make the state change a decision implies (an assignment adds a chat; `offered`:
        the engine offers it instead, runtime/offers.py, and holds the place itself)."""
        if decision.outcome == "assigned" and decision.agent is not None and not offered:
            units, channel = self.load_of(decision.source)
            state.assign(state.agents[decision.agent], decision.buyer, decision.at_epoch,
                         units, channel)
        if "welcome" in decision.auto_replies:
            state.welcomed[decision.buyer] = local_minute_and_day(decision.at_epoch, self.tz)[2]

    # -- deciding --------------------------------------------------------------
    def facts(self, event: dict[str, Any], at: float, state: ShopState) -> Facts:
        """What this policy's conditions read about one message at `at`."""
        return Facts(event, at, self.tz, state.pools["shop"], self.calendars)

    def priority(self, event: dict[str, Any], at: float, state: ShopState) -> int:
        """A queued chat's priority: the first `queue.priority` rule it matches (else 0)."""
        if not self.priorities:
            return 0
        facts = self.facts(event, at, state)
        return next((p for cond, p in self.priorities if cond(facts)), 0)

    def decide(self, state: ShopState, event: dict[str, Any], trace: bool = False,
               waited: float = 0.0, at: float | None = None, level: str = "full",
               avoid: Mapping[str, str] | None = None) -> Decision:
        """Decide one `message` event; the state is not changed (see `apply`). `waited`:
        how long the chat has waited already (a decision made again), which relaxes
        bindings' requirements. `at` is the event's time as epoch seconds when the
        caller has parsed it already. With a trace at `level` "summary" only its
        outcome step is made (`view` shows no more); otherwise every step, for any view.
        `avoid`: agents that may not take this chat, each with why (`declined`,
        `offer_timed_out`, `current_agent`): every step passes them over as if they could
        not take a chat, its trace drops them with that why, and the decision lists them
        (`avoided`)."""
        if not avoid:
            return self._decide(state, event, trace, waited, at, level)
        aside = state.set_aside(avoid)
        try:
            d = self._decide(state, event, trace, waited, at, level)
        finally:
            state.restore(aside)
        d.avoided = tuple(sorted(avoid.items()))
        return d

    def _decide(self, state: ShopState, event: dict[str, Any], trace: bool, waited: float,
                at: float | None, level: str) -> Decision:
        if at is None:
            at = parse_instant(event["at"])
        buyer: str = event["buyer"]
        # A summary is its outcome step alone, made without the steps before it, unless
        # a binding's requirement or split step could be what decided (then all are made).
        tr = Tracer() if trace and (level != "summary" or not self._summary_alone) else None
        path = ["entry", "shop.grouping"]
        result: Outcome | None = None
        if not self.grouping_enabled:
            result = ("main_account", "grouping_off", None, None, None,
                      "outcome:main_account:grouping_off")
            if tr:
                tr.add("shop.grouping", "shop.grouping", self.shop_span, "gate", "switched_off")
        facts = Facts(event, at, self.tz, state.pools["shop"], self.calendars)
        facts.waited = waited
        if self.needs:
            facts.need = self.needs.get(event.get("source") or "")
        index = 0
        plan = self._plan
        while result is None:
            step, run = plan[index]
            index += 1
            path.append(step.id)
            if step.cond is not None and not step.cond(facts):
                if tr:
                    tr.add(step.when_id, step.id, step.span, "gate", "condition_false",
                           failed=first_failure(step.when, facts))
                continue
            result = run(step, state, facts, buyer, at, tr, path)
        outcome, reason, agent, group, selection, node = result
        path.append(node)
        replies = self._replies(state, outcome, buyer, at) if self.replies_on else ()
        trace_steps: tuple[TraceStep, ...] | None = None
        if tr:
            span = _deciding_span(tr, reason, self.node_spans.get(node, ""))
            if reason == "target_waiting":
                span = self._awaited_target(path, facts.waited) or span
            elif reason == "bot_first":  # a group's gate, else the route's step
                span = self.gate_spans.get(path[-2], span)
            tr.add(node, node, span, "outcome",
                   outcome, reason=reason, agent=agent.id if agent else None, group=group,
                   selection=selection, **_waiting_for(tr, outcome))
            trace_steps = tuple(tr.steps) + self._skipped[index]
        elif trace:  # summary: the outcome step alone, as the full trace would have it
            trace_steps = (self._outcome_step(result, path, plan[index - 1][0] if index else None,
                                              state, buyer, facts.waited),)
        agent_id = None
        if agent is not None:
            agent_id = agent.id
            if group is None and agent.groups:
                group = agent.groups[0]
        return Decision(event["at"], at, event, buyer, outcome, agent_id, group,
                        event.get("source"), reason, selection, replies, self.policy_hash,
                        tuple(path), trace_steps)

    def _outcome_step(self, result: Outcome, path: list[str], decider: RouteStep | None,
                      state: ShopState, buyer: str, waited: float = 0.0) -> TraceStep:
        """The outcome step of a trace without building the steps before it: what the
        full trace's `_deciding_span` and `_waiting_for` read off those steps, read off
        the path and the step that decided (tests/test_runtime_properties.py)."""
        outcome, reason, agent, group, selection, node = result
        span: str = self.node_spans.get(node, "")
        if reason == "source_group":  # the binding that matched: the last one on the path
            span = next((self.binding_spans[p] for p in reversed(path)
                         if p in self.binding_spans), span)
        elif reason in _PICKED and decider is not None:
            span = decider.span
        elif reason == "target_waiting":
            span = self._awaited_target(path, waited) or span
        elif reason == "bot_first":
            span = self.gate_spans.get(path[-2], span)
        detail: dict[str, object] = {"reason": reason, "agent": agent.id if agent else None,
                                     "group": group, "selection": selection}
        if reason == "pinned_agent_waiting":
            detail["waiting_for"] = self.pins[buyer][0]
        elif reason == "recent_contact_waiting":
            detail["waiting_for"] = state.contacts[buyer][0]
        return TraceStep(node, node, span, "outcome", outcome, detail)

    def _awaited_target(self, path: list[str], waited: float) -> str | None:
        """Where the timed target a held chat waits for is written: the next to open of
        the binding that held it (the last binding on its path)."""
        row = next((self.binding_rows[p] for p in reversed(path) if p in self.binding_rows),
                   None)
        if row is None or not row.waits:
            return None
        opened = row.open_targets(waited)
        return row.wait_spans[opened] if opened < len(row.wait_spans) else None

    def _replies(self, state: ShopState, outcome: str, buyer: str, at: float) -> tuple[str, ...]:
        """Y10: welcome once per buyer per local day; queued notice; after-hours reply;
        each only on the outcomes it is sent on (REPLY_OUTCOMES: none for Y5 excluded or
        T14 assistant chats)."""
        out: list[str] = []
        minute, day, date = local_minute_and_day(at, self.tz)
        on = [n for n in self.replies_on if outcome in REPLY_OUTCOMES[n]]
        if "welcome" in on and state.welcomed.get(buyer) != date:
            out.append("welcome")
        if "queued" in on:
            out.append("queued")
        if "after_hours" in on:
            hours = self.settings.get("working_hours") or {}
            open_now = bool(hours) and day in hours["days"] and \
                hours["from"] <= minute < hours["to"]
            # Only outside working hours is it worth scanning every agent.
            if not open_now and all(a.status == "offline" for a in state.agents.values()):
                out.append("after_hours")
        return tuple(out)

    # -- picking ---------------------------------------------------------------
    def _pick(self, pool_key: str, state: ShopState, strategy: str, step_id: str, node: str,
              span: str, tr: Tracer | None, need: tuple[int, str] | None = None
              ) -> tuple[AgentState | None, str | None]:
        pool = state.pools[pool_key]
        skipped: list[AgentState] = []
        if need is None:
            agent, tied = pool.best(strategy)
            alone = pool.counts[None] == 1
        else:  # a heavier or capped chat: the best who can take this one
            agent, tied, alone, skipped = pool.best_fitting(
                strategy, lambda a: state.unfit(a, need) is None)
        selection = None
        if agent is not None:
            if alone:
                selection = "only_candidate"
            elif tied:
                selection = "earliest_created"
            else:
                selection = strategy
        if tr:
            detail = _pool_detail(pool, _pool_name(pool_key, pool), agent, strategy, selection)
            if need is not None:  # who could take a chat but not this one, and why
                detail["unfit"] = [{"agent": a.id, "why": state.unfit(a, need)}
                                   for a in skipped[:TRACE_LIST_LIMIT]]
            if agent is not None:
                # The best candidates off the heap's top, in the strategy's order: what a
                # scan of the pool would list, at the cost of the few it lists.
                leaders = pool.leaders(strategy, TRACE_LIST_LIMIT + len(skipped))
                if need is not None:
                    leaders = [a for a in leaders if state.unfit(a, need) is None]
                detail["compared"] = compared(leaders, strategy, self.busy_threshold,
                                              TRACE_LIST_LIMIT, ranked=True)
                if selection == "earliest_created":
                    detail["tie_break"] = tie_break(leaders[:2], strategy, self.busy_threshold,
                                                    agent)
            tr.add(step_id, node, span, "pick", "picked" if agent else "nobody_available",
                   **detail)
        return agent, selection

    def _one_agent(self, step: RouteStep, agent_id: str, state: ShopState,
                   tr: Tracer | None, detail: dict[str, object],
                   need: tuple[int, str] | None = None, trace_id: str = ""
                   ) -> tuple[AgentState | None, str | None]:
        """The roster agent (None if unknown) and why it cannot take the chat (None: it can).
        `trace_id`: the trace step's own id when it is not the step's (a proxy's pick)."""
        agent = state.agents.get(agent_id)
        why = "unknown_agent" if agent is None else (agent.static_why or agent.why)
        if why is None and need is not None and agent is not None:
            why = state.unfit(agent, need)
        if tr:
            kept = [agent_id] if why is None else []
            dropped = [] if why is None else [{"agent": agent_id, "why": why}]
            tr.add(trace_id or step.id, step.id, step.span, "pick", "picked" if why is None else
                   "nobody_available", kept=kept, dropped=dropped, **detail)
        return agent, why

    def _proxy(self, step: RouteStep, agent_id: str, state: ShopState, tr: Tracer | None,
               need: tuple[int, str] | None) -> Outcome | None:
        """T12 proxy account: the buyer's own agent cannot take the chat; its proxy, when
        it has one who can, takes it instead (one hop: a proxy's proxy is not asked)."""
        proxy_id = self.proxy_of.get(agent_id)
        if proxy_id is None:
            return None
        proxy, why = self._one_agent(step, proxy_id, state, tr,
                                     {"proxy": {"for": agent_id, "agent": proxy_id}}, need,
                                     f"{step.id}.proxy")
        if why is not None:
            return None
        return ("assigned", "proxy_account", proxy, None, "only_candidate",
                "outcome:assigned:proxy_account")

    def _step_pin(self, step: RouteStep, state: ShopState, facts: Facts, buyer: str,
                  at: float, tr: Tracer | None, path: list[str]) -> Outcome | None:
        pin = self.pins.get(buyer)
        if pin is None:
            if tr:
                tr.add(step.id, step.id, step.span, "pick", "nobody_available",
                       failed={"field": "pin", "actual": "none", "expected": f"a pin for {buyer}"})
            return None
        agent_id, mode, pin_span = pin
        agent, why = self._one_agent(step, agent_id, state, tr,
                                     {"pin": {"agent": agent_id, "mode": mode, "span": pin_span}},
                                     facts.need)
        if why is None:
            return ("assigned", "pinned_agent", agent, None, "only_candidate",
                    "outcome:assigned:pinned_agent")
        if self.proxy_of and agent is not None:
            stood_in = self._proxy(step, agent_id, state, tr, facts.need)
            if stood_in is not None:
                return stood_in
        if mode == "strict":
            return ("waiting", "pinned_agent_waiting", None, None, None,
                    "outcome:waiting:pinned_agent_waiting")
        return None

    def _step_recent_contact(self, step: RouteStep, state: ShopState, facts: Facts, buyer: str,
                             at: float, tr: Tracer | None, path: list[str]) -> Outcome | None:
        contact = state.contacts.get(buyer)
        window, grace = step.params["window"], step.params["grace"]
        if contact is None or (window is not None and at - contact[1] > window):
            if tr:  # (with no window, only a buyer never served gets here)
                actual = "none" if contact is None or at - contact[1] > self.contact_memory \
                    else f"{(at - contact[1]) / 3600:.1f}h ago"
                within = "any time" if window is None else f"{window // 3600}h"
                tr.add(step.id, step.id, step.span, "pick", "nobody_available",
                       failed={"field": "recent_contact", "actual": actual,
                               "expected": f"within {within}", "window": within})
            return None
        agent_id = contact[0]
        if agent_id == self.main_id and not self.main_in_group:
            # S4-C: a main account in no group takes chats only as the last resort, so
            # a buyer it served then is routed afresh rather than stuck to it.
            if tr:
                tr.add(step.id, step.id, step.span, "pick", "nobody_available", kept=[],
                       dropped=[{"agent": agent_id, "why": "main_account_last_resort"}])
            return None
        agent, why = self._one_agent(step, agent_id, state, tr,
                                     {"contact": {"agent": agent_id, "hours_ago":
                                                  round((at - contact[1]) / 3600, 2)}},
                                     facts.need)
        if why is None:
            return ("assigned", "recent_contact", agent, None, "only_candidate",
                    "outcome:assigned:recent_contact")
        if self.proxy_of and agent is not None:
            stood_in = self._proxy(step, agent_id, state, tr, facts.need)
            if stood_in is not None:
                return stood_in
        # Waiting needs a grace (the compiler draws the waiting edge only then): with none,
        # an offline_since later than the message must not make the buyer wait. The grace
        # runs out at its end (runtime/timers.py fires it then).
        if (grace and why == "offline" and agent is not None and agent.offline_since is not None
                and at - agent.offline_since < grace):
            return ("waiting", "recent_contact_waiting", None, None, None,
                    "outcome:waiting:recent_contact_waiting")
        return None

    def _step_only_one_online(self, step: RouteStep, state: ShopState, facts: Facts,
                              buyer: str, at: float, tr: Tracer | None,
                              path: list[str]) -> Outcome | None:
        shop = state.pools["shop"]
        if shop.counts[None] != 1:
            if tr:
                tr.add(step.id, step.id, step.span, "pick", "nobody_available",
                       failed={"field": "available agents", "actual": str(shop.counts[None]),
                               "expected": "== 1"})
            return None
        agent, _ = self._pick("shop", state, self.strategy, step.id, step.id, step.span, tr,
                              facts.need)
        if agent is None:  # the one agent has room, but not for this chat (`channels:`)
            return None
        return ("assigned", "only_one_online", agent, None, "only_candidate",
                "outcome:assigned:only_one_online")

    def _step_other_online(self, step: RouteStep, state: ShopState, facts: Facts, buyer: str,
                           at: float, tr: Tracer | None, path: list[str]) -> Outcome | None:
        agent, selection = self._pick(step.pool_key, state, step.select, step.id, step.id,
                                      step.span, tr, facts.need)
        if agent is None:
            return None
        return ("assigned", "fallback_other_online", agent, None, selection,
                "outcome:assigned:fallback_other_online")

    def _step_main_account(self, step: RouteStep, state: ShopState, facts: Facts, buyer: str,
                           at: float, tr: Tracer | None, path: list[str]) -> Outcome | None:
        """S4-C: a main account in no group is the last resort, so any other agent taking
        part in routing that is online (with room or not) keeps the chat from it; in a
        group (S4-D) it is an ordinary agent and the step only asks whether it can take it."""
        others = 0 if self.main_in_group else _online(state.pools["shop"])
        if others:
            if tr:
                tr.add(step.id, step.id, step.span, "pick", "nobody_available", kept=[],
                       dropped=[{"agent": self.main_id, "why": "main_account_last_resort"}],
                       failed={"field": "other agents online", "actual": str(others),
                               "expected": "0 (S4-C)"})
            return None
        agent, why = self._one_agent(step, self.main_id or "", state, tr, {}, facts.need)
        if why is not None:
            return None
        return ("assigned", "main_account_fallback", agent, None, "only_candidate",
                "outcome:assigned:main_account_fallback")

    def _step_bindings(self, step: RouteStep, state: ShopState, facts: Facts, buyer: str,
                       at: float, tr: Tracer | None, path: list[str]) -> Outcome | None:
        if not step.params.get("enabled", True):
            if tr:
                tr.add(step.id, step.id, step.span, "match", "switched_off")
            return None
        field_name, table, always = self._dispatch
        rows = table.get(facts.event.get(field_name), always) if field_name else always
        for b in rows:
            if b.cond is not None and not b.cond(facts):
                if tr:
                    tr.add(b.when_id, b.id, b.span, "match", "no_match",
                           failed=first_failure(b.when, facts))
                continue
            path.append(b.id)
            if tr:
                tr.add(b.when_id, b.id, b.span, "match", "matched")
            found = self._binding_targets(step, b, state, facts, tr, path)
            if isinstance(found, str):  # BOT_FIRST
                return ("assistant", "bot_first", None, None, None,
                        "outcome:assistant:bot_first")
            if found is not None:
                agent, group, selection = found
                return ("assigned", "source_group", agent, group, selection,
                        "outcome:assigned:source_group")
            held = b.holding_reason(facts.waited)
            if held is not None:  # nobody yet: held until the binding widens
                return ("queued", held, None, None, None, f"outcome:queued:{held}")
            return None
        if tr:
            tr.add(step.id, step.id, step.span, "match", "no_match",
                   failed={"field": "bindings", "actual": "none matched",
                           "expected": f"one of {len(rows)} to match", "count": len(rows)})
        return None

    def _binding_targets(self, step: RouteStep, b: BindingRow, state: ShopState,
                         facts: Facts, tr: Tracer | None, path: list[str]
                         ) -> tuple[AgentState, str | None, str | None] | str | None:
        """The agent a matched binding's targets give (with its group and selection),
        None when nobody can take the chat, or BOT_FIRST when the group it is bound to
        has its assistant answer first (T14)."""
        stage = b.stage(facts.waited) if b.require else None
        prefix = "" if stage is None else requirement_pool(b.id, stage, "")
        if tr and b.require:
            tr.add(b.id + ".require", b.id, b.require[stage][2] if stage is not None else b.span,
                   "match", "matched", requirement={
                       "stage": stage, "waited": round(facts.waited),
                       "relaxes_at": b.stage_ends_at(facts.waited)})
        if b.agents:
            node = b.agents_node
            path.append(node)
            agent, selection = self._pick(prefix + b.pool_key, state, b.select or self.strategy,
                                          node, node, b.span, tr, facts.need)
            return None if agent is None else (agent, None, selection)
        tries = b.id
        if b.split:  # T9: this buyer's drawn group first (runtime/split.py)
            drawn = b.split[draw(self.shop_id, b.id, facts.event["buyer"], b.split)][0]
            tries = split_binding_id(b.id, drawn)
            if tr:
                tr.add(b.id + ".split", b.id, b.span, "match", "matched",
                       split={"drawn": drawn, "weights": dict(b.split)})
        tried = self.targets[(step.id, tries)]
        if b.waits:  # timed targets: only those open after this wait (with their chains)
            opened = b.open_targets(facts.waited)
            tried = tried[:self.open_tries[b.id][opened]]
            if tr:
                tr.add(b.id + ".targets", b.id, b.wait_spans[max(opened - 1, 0)], "match",
                       "matched", targets={
                           "open": b.groups[:opened], "waited": round(facts.waited),
                           "next": b.groups[opened] if opened < len(b.groups) else None,
                           "opens_at": b.opens_at(facts.waited)})
        gate = self.bot_gates.get((step.id, tries)) if tried else None
        if gate is not None:
            node, cond, when, span = gate
            path.append(node)
            if cond(facts):
                return BOT_FIRST
            if tr:
                tr.add(node, node, span, "gate", "condition_false",
                       failed=first_failure(when, facts))
        for gid, node, pool_key, span, strategy in tried:
            path.append(node)
            agent, selection = self._pick(prefix + pool_key, state, strategy, node, node,
                                          span, tr, facts.need)
            if agent is not None:
                return agent, gid, selection
        return None

    def _flatten(self, step_id: str, b: BindingRow, tries: str,
                 groups: list[str]) -> list[Target]:
        """A binding's groups in the order they are tried: each, then its overflow chain,
        once each; each picks by the binding's, else the group's, else the shop's strategy."""
        return [(gid, pick_node(step_id, tries, gid), f"group:{gid}", self.groups[gid]["span"],
                 b.select or self.groups[gid]["select"] or self.strategy)
                for gid in try_order(groups, lambda gid: self.groups[gid]["overflow"])]


def requirement_pool(binding: str, stage: int, pool_key: str) -> str:
    """The pool of a target's members who meet one requirement stage of a binding."""
    return f"req:{binding}:{stage}:{pool_key}"


def _fixed(kind: str) -> Callable[..., Outcome]:
    """A step that always ends the route (exclude, queue, stage, ...): its one outcome,
    as the vocabulary's STEPS table lists it."""
    _node_type, outcomes, passes_on = STEPS[kind]
    if passes_on:  # a step that can pass the chat on needs its own `_step_<kind>`
        raise ValueError(f"no method for route step kind {kind!r}")
    outcome, reason = outcomes[0]
    result: Outcome = (outcome, reason, None, None, None, f"outcome:{outcome}:{reason}")
    return lambda *_: result


def _online(pool: Pool) -> int:
    """Members of a pool who are online, with room or at capacity (the count `shop.online`
    reads); agents without chat permission or kept out by the policy are not members."""
    return pool.online()


def _pool_name(pool_key: str, pool: Pool) -> str:
    """How a trace names a pool: one pool object may serve several steps whose members
    are the same (runtime/snapshot.py), each naming it its own way."""
    if pool_key == "shop":
        return "shop"
    if pool_key.startswith("others:"):
        return "other online agents"
    if pool_key.startswith("binding:"):
        return f"{pool_key[len('binding:'):]} agents"
    return pool.name


def _pool_detail(pool: Pool, name: str, agent: AgentState | None, strategy: str,
                 selection: str | None) -> dict[str, object]:
    detail: dict[str, object] = {"pool": name, "strategy": strategy,
                                 "selection": selection, "picked": agent.id if agent else None,
                                 "available": pool.counts[None]}
    if len(pool.members) + len(pool.static_dropped) <= TRACE_LIST_LIMIT:
        detail["kept"] = [a.id for a in pool.members if a.why is None]
        detail["dropped"] = [{"agent": a.id, "why": a.static_why} for a in pool.static_dropped] + [
            {"agent": a.id, "why": a.why} for a in pool.members if a.why is not None]
    else:
        counts = {str(k): v for k, v in sorted(pool.counts.items(), key=lambda kv: str(kv[0]))
                  if k is not None and v}
        for a in pool.static_dropped:
            counts[str(a.static_why)] = counts.get(str(a.static_why), 0) + 1
        detail["dropped_counts"] = counts
    return detail


def _deciding_span(tr: Tracer, reason: str, node_span: str) -> str:
    """The outcome points at what decided it: for a bound group, the binding that matched
    (the outcome node is drawn at the first binding's line); for another assignment, the
    step that picked the agent; otherwise the outcome's own step."""
    wanted = "matched" if reason == "source_group" else "picked"
    if reason == "source_group" or reason in _PICKED:
        for step in reversed(tr.steps):
            if step.result == wanted:
                return step.span
    return node_span


_PICKED = frozenset({"pinned_agent", "recent_contact", "only_one_online",
                     "fallback_other_online", "main_account_fallback", "proxy_account"})


def _waiting_for(tr: Tracer, outcome: str) -> dict[str, object]:
    """A chat that waits names the agent it waits for (the pin's or the recent contact's)."""
    if outcome != "waiting" or not tr.steps:
        return {}
    detail = tr.steps[-1].detail
    about = detail.get("pin") or detail.get("contact")
    return {"waiting_for": about["agent"]} if isinstance(about, dict) else {}
