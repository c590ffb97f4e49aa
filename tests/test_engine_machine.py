"""The stateful engine as a hypothesis state machine: random event sequences, checked after each.

Each run picks a policy (the three shipped ones and two small variants written
here: a strict pin, capacity-1 agents and a newest-first queue; a balanced
group with a first-online staging cap of 1) and feeds random events with time
moving forward. After every event it checks:

- G1: every message made exactly one `route` or `continued` record, and every
  buyer is where its records say: with an agent, visibly waiting
  (`Engine.waiting()`), or finished with a record saying so;
- G2: every automatic assignment went to an eligible agent (permitted, online,
  not excluded, a member of the group it came through) under its capacity;
- S4-C: the main account in no group is chosen (`main_account_fallback`) only
  when no other agent taking part in routing is online, with room or not;
- Y9, Y2: a `pick` hands a chat only to an agent that is not offline, has chat
  permission and was under its capacity (busy and hidden agents included);
- T12: a `pick` naming a buyer who is neither waiting nor in a conversation nor
  offered opens a chat with that picker (`initiated`, `agent_initiated`, no
  source), under the same checks; one naming a buyer in a conversation or with a
  standing offer is ignored and moves nothing;
- S12, S2: after `membership` events the group pools agree with the agents'
  groups (tests/pools.py); the fallback (`other_online`) never picks a member of a
  team kept out of it (`fallback: false`, the balanced variant's care team), as
  agents join and leave it;
- Y9: chats leave the queue in the policy's order (the highest `queue.priority`
  first, then oldest or newest first); chats held for a binding's requirement
  are never pulled, only decided again;
- `reassign_unreplied` moves a chat to another agent, never back to its own;
- requirements (issue 12): an assignment through a binding with `require:` goes
  to an agent meeting the stage the chat's wait had reached (G2 for skills);
- timed targets (issue 12, escalation over time): an assignment through a binding
  with `targets:` goes to a group open for the chat's wait (a target whose `wait`
  had passed since the chat was queued, or a group in its overflow chain), and a
  chat held for a target (`target_waiting`) is never pulled from the queue; the
  `escalation` variant (three targets, an overflow, a requirement) and the VIP
  binding of `policies/cosmetics.yaml` have them;
- calendars: `policies/cosmetics.yaml` (calendars with a night shift and
  holidays, priorities, skills, a split) runs from a Christmas Eve evening
  through the holiday, so its calendars open and close during a run;
- offers (issue 12; the `offers` variant, the Taobao policy with offers, and
  `policies/cosmetics.yaml`): every offer ends in exactly one `accepted` or
  `declined` record (declined, push timeout, agent offline) before the chat is
  offered again; an agent is never offered a chat it declined or let time out
  until the chat opens; an offer goes to an eligible agent under its capacity
  with the offer counted (G2), and each agent's open chats are its
  conversations plus its standing offers; stray accepts and declines change
  nothing but an `ignored` record;
- channels (issue 12): an agent's open capacity units and per-channel counts are
  those of its conversations and within its caps, however chats reached it (the
  `channels` variant: live chats weigh 2, WeChat chats are capped per agent);
- S8, Y3, T10 (issue 12): each buyer with an agent has as its recent contact that
  agent at its last exchange (the assignment, its last message in the open
  conversation, the agent's last reply), unless that is past the engine's memory;
- Y5, T14 (issue 12): an excluded or assistant chat gets no auto reply (Youzan's
  excluded WeChat OA; Taobao's presale group bot first with every reply switched
  on);
- G3: a fresh engine fed the same events makes byte-identical records.
"""

from __future__ import annotations

import copy
import json
import tempfile
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import hypothesis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule
from pools import assert_pools_agree

from policyc.compiler import compile_file
from policyc.runtime.clock import parse_instant
from policyc.runtime.conditions import Facts
from policyc.runtime.engine import Engine
from policyc.runtime.router import Router
from policyc.runtime.vocabulary import TIMEOUT_REPLIES

ROOT = Path(__file__).resolve().parent.parent
T0 = datetime.fromisoformat("2026-11-23T08:00:00+08:00")
Event = dict[str, Any]
Record = dict[str, Any]

VARIANTS = {
    "queue_newest": """\
policyc: 1
shop:
  id: machine-queue
  timezone: Asia/Shanghai
  grouping: on
  exclude_admins: true
  sources: [product_page]
roster:
  - {id: boss, role: main, created_at: "2020-01-01T09:00:00+08:00", capacity: 3}
  - {id: ann, role: admin, created_at: "2020-02-01T09:00:00+08:00", capacity: 2}
  - {id: bo, created_at: "2020-03-01T09:00:00+08:00", capacity: 1}
  - {id: cy, created_at: "2020-04-01T09:00:00+08:00", capacity: 2}
  - {id: di, created_at: "2020-05-01T09:00:00+08:00", capacity: 1, chat_permission: false}
groups:
  front: {members: [bo, cy], sources: [product_page]}
selection:
  strategy: lowest_load_ratio
pins:
  vip-1: cy
pin_mode: strict
route:
  - pin
  - {step: recent_contact, window: 1d, grace: 5m}
  - bindings
  - other_online
  - {step: queue, when: shop.online > 0}
  - stage
queue:
  order: newest_first
  take_on_online: 1
staging:
  mode: even_split
  cap: 2
timeouts:
  close_read_idle: null
  agent_no_response: 30m
  reassign_unreplied: 10m
""",
    "balanced": """\
policyc: 1
shop:
  id: machine-balanced
  timezone: Asia/Taipei
  grouping: on
  include_main_account: true
  sources: [product_page, order_page, live_story]
roster:
  - {id: main, role: main, created_at: "2021-01-01T09:00:00+08:00"}
  - {id: eve, created_at: "2021-02-01T09:00:00+08:00", capacity: 2}
  - {id: fay, created_at: "2021-02-01T09:00:00+08:00", capacity: 1}
  - {id: gus, created_at: "2021-03-01T09:00:00+08:00"}
groups:
  sales: {members: [eve, fay], sources: [product_page, live_story], select: balanced}
  care: {members: [gus], sources: [order_page], fallback: false}
selection:
  strategy: fewest_unread
route:
  - {step: recent_contact, window: 3d, grace: 0s}
  - bindings
  - other_online
  - {step: queue, when: shop.online > 0}
  - main_account
  - stage
queue:
  order: oldest_first
  take_on_online: null
staging:
  mode: first_online
  cap: 1
timeouts:
  close_read_idle: 30m
  customer_no_response: 15m
auto_replies:
  customer_timeout: {enabled: true}
""",
    # S4-C with the main account first in the route: every message asks whether another
    # agent is online (ann at capacity 1 still is; di, without chat permission, is not).
    "last_resort": """\
policyc: 1
shop:
  id: machine-last-resort
  timezone: Asia/Shanghai
  grouping: on
  include_main_account: true
  sources: [product_page, order_page]
roster:
  - {id: boss, role: main, created_at: "2020-01-01T09:00:00+08:00", capacity: 2}
  - {id: ann, created_at: "2020-02-01T09:00:00+08:00", capacity: 1}
  - {id: bo, created_at: "2020-03-01T09:00:00+08:00", capacity: 1}
  - {id: di, created_at: "2020-04-01T09:00:00+08:00", chat_permission: false}
groups:
  g: {members: [ann], sources: [product_page]}
route:
  - main_account
  - bindings
  - other_online
  - {step: queue, when: shop.online > 0}
  - stage
""",
    # Issue 12 capacity by channel: live chats weigh 2 units, WeChat chats are capped per
    # agent; queue pulls, picks and transfers must hold both.
    "channels": """\
policyc: 1
shop:
  id: machine-channels
  timezone: Asia/Shanghai
  grouping: on
  include_main_account: false
channels:
  live: {sources: [live_story], weight: 2}
  wechat: {sources: [wechat_oa, mini_program]}
roster:
  - {id: boss, role: main, created_at: "2020-01-01T09:00:00+08:00"}
  - {id: ann, created_at: "2020-02-01T09:00:00+08:00", capacity: 3,
     channel_capacity: {wechat: 1}}
  - {id: bo, created_at: "2020-03-01T09:00:00+08:00", capacity: 2,
     channel_capacity: {wechat: 0}}
  - {id: cy, created_at: "2020-04-01T09:00:00+08:00", capacity: 4,
     channel_capacity: {wechat: 2}}
groups:
  front: {members: [ann, bo], sources: [product_page, live_story, wechat_oa], select: balanced}
  back: {members: [cy], sources: [order_page, mini_program], overflow: [front]}
route:
  - {step: recent_contact, window: 1d, grace: 0s}
  - bindings
  - other_online
  - {step: queue, when: shop.online > 0}
  - stage
queue:
  order: oldest_first
  take_on_online: null
staging:
  mode: even_split
  cap: 2
timeouts:
  close_read_idle: 30m
""",
}
# Escalation over time: the front team first, the back team after 2 minutes (its
# overflow, the floor, with it), the night team after 5; a requirement that holds for
# 3 minutes on the same binding; capacities of 1 so chats are held often.
VARIANTS["escalation"] = """\
policyc: 1
shop:
  id: machine-escalation
  timezone: Asia/Taipei
  grouping: on
  sources: [product_page, order_page]
agent_attributes:
  languages: {type: set, values: [en, zh]}
roster:
  - {id: ann, created_at: "2021-01-01T09:00:00+08:00", capacity: 1,
     attributes: {languages: [zh]}}
  - {id: bo, created_at: "2021-02-01T09:00:00+08:00", capacity: 1,
     attributes: {languages: [en]}}
  - {id: cy, created_at: "2021-03-01T09:00:00+08:00", capacity: 1,
     attributes: {languages: [zh, en]}}
  - {id: di, created_at: "2021-04-01T09:00:00+08:00", capacity: 1}
  - {id: ed, created_at: "2021-05-01T09:00:00+08:00", capacity: 2}
  - {id: fu, created_at: "2021-06-01T09:00:00+08:00", capacity: 1}
groups:
  front: {members: [ann]}
  back: {members: [bo], overflow: [floor]}
  floor: {members: [cy]}
  night: {members: [di]}
  rest: {members: [ed]}
bindings:
  - when: '"vip" in buyer.tags'
    targets:
      - {group: front}
      - {group: back, wait: 2m}
      - {group: night, wait: 5m}
  - when: '"zh" in buyer.tags'
    targets:
      - {group: front}
      - {group: floor, wait: 2m}
    require:
      - {agent: '"zh" in agent.languages', for: 3m}
  - to: [rest]
route:
  - {step: recent_contact, window: 1d}
  - bindings
  - other_online
  - {step: queue, when: shop.online > 0}
  - stage
"""
# Issue 12 offers: the queue variant with offers, and Taobao's policy (offline pool runs)
# with offers set in its artifact; cosmetics sets `offers:` itself.
VARIANTS["offers"] = VARIANTS["queue_newest"].replace("id: machine-queue", "id: machine-offers") \
    + "offers:\n  push_timeout: 30s\n"
WITH_OFFERS = {"taobao_offers": "taobao"}
# Shipped policies with settings changed: Taobao's bot first with every auto reply on
# (Y5, T14: the assistant's chats get none of them).
DERIVED = {"taobao_replies": ("taobao", {"auto_replies": {
    name: {"enabled": True, "text": None} for name in ("welcome", "queued", "after_hours")}})}
POLICIES = ("shopee", "youzan", "taobao", "cosmetics", *VARIANTS, *DERIVED, *WITH_OFFERS)
# The shop-local start of each run: the cosmetics shop starts on Christmas Eve at 20:00, so
# its day calendar (short day), night shift (21:00) and holiday (the 25th) all change.
STARTS = {"cosmetics": datetime.fromisoformat("2026-12-24T20:00:00+08:00")}
TAGS = ((), (), ("vip",), ("zh",), ("zh", "vip"))
SOURCES = ("product_page", "order_page", "live_story", "micro_mall", "mini_program",
           "wechat_oa", "bot_handoff")
GAPS = (0, 0, 0.5, 3, 11, 40)  # minutes between events
WAITING = {"queued", "staged", "waiting", "pooled"}
ENDINGS = {"declined", "push_timeout", "agent_offline"}
HELD = {"requirement_waiting", "target_waiting"}  # queued for a binding to widen


@cache
def artifact(name: str) -> dict[str, Any]:
    if name in WITH_OFFERS:
        offered = copy.deepcopy(artifact(WITH_OFFERS[name]))
        offered["settings"]["offers"] = {"push_timeout": 30}
        return offered
    if name in DERIVED:
        base, changes = DERIVED[name]
        derived = copy.deepcopy(artifact(base))
        derived["settings"].update(copy.deepcopy(changes))
        return derived
    if name in VARIANTS:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / f"{name}.yaml"
            path.write_text(VARIANTS[name], encoding="utf-8")
            result = compile_file(path)
    else:
        result = compile_file(ROOT / "policies" / f"{name}.yaml")
    assert result.artifact is not None, name
    return result.artifact


def _intents(cond: Any) -> list[str]:
    """The intents a lowered condition names (so messages can carry them)."""
    if not isinstance(cond, list) or not cond:
        return []
    if cond[0] == "in" and cond[1] == "intent":
        return [str(v) for v in cond[2] if v is not None]
    if cond[0] == "cmp" and cond[2] == "intent" and cond[3] is not None:
        return [str(cond[3])]
    return [v for part in cond[1:] for v in _intents(part)]


def dumps(records: list[Record]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)


class EngineMachine(RuleBasedStateMachine):
    """One engine on one policy; rules are CONTRACT.md events, time only moves forward."""

    def __init__(self) -> None:
        super().__init__()
        self.events: list[Event] = []
        self.records: list[Record] = []
        self.minute = 0.0
        self.place: dict[str, str] = {}  # buyer -> with_agent | waiting | done (from records)
        self.queue: list[str] = []  # the queue as the records tell it, in arrival order
        self.queued: dict[str, tuple[Event, str]] = {}  # buyer -> (message, reason) queued
        self.exchanged: dict[str, float] = {}  # buyer -> its last exchange with its agent
        self.since: dict[str, float] = {}  # buyer -> when its chat started waiting queued
        self.agent_of: dict[str, str] = {}  # buyer -> the agent its records gave it last
        self.offered: dict[str, str] = {}  # buyer -> the agent of its standing offer (records)
        self.declined_by: dict[str, set[str]] = {}  # buyer -> agents its offers ended with

    policies: tuple[str, ...] = POLICIES
    tags: tuple[tuple[str, ...], ...] = TAGS  # the buyer tags a message may carry
    warm_from = 1  # the first agent (often the main account) starts offline
    agent_count = 6  # the roster's first agents, whom the events name

    @initialize(data=st.data(), trace=st.sampled_from([None, None, "full"]),
                warm=st.lists(st.sampled_from([None, 1, 2]), max_size=8))
    def start(self, data: st.DataObject, trace: str | None, warm: list[int | None]) -> None:
        name = data.draw(st.sampled_from(self.policies))
        self.name = name
        self.trace = trace
        self.artifact = artifact(name)
        self.t0 = STARTS.get(name, T0)
        self.intents = sorted({v for b in self.artifact["bindings"] if b["when"]
                               for v in _intents(b["when"])})
        self.engine = Engine(Router(copy.deepcopy(self.artifact)), trace=trace)
        self.agents = [a["id"] for a in self.artifact["agents"]][:self.agent_count]
        self.groups = [g["id"] for g in self.artifact["groups"]]
        self.buyers = ["b1", "b2", "b3", "b4", "b5", *list(self.artifact["pins"])[:2]]
        self.order = self.artifact["settings"]["queue"]["order"]
        self.main = self.artifact["shop"]["main"]
        self.reach_hidden = any(s["params"].get("reach_hidden") for s in self.artifact["route"])
        warm_agents = self.agents[self.warm_from:]
        for agent, capacity in zip(warm_agents, warm, strict=False):  # a shop at work,
            self.feed({"type": "agent_status", "at": self.at(0), "agent": agent,  # small caps
                       "status": "online"})
            self.feed({"type": "set_capacity", "at": self.at(0), "agent": agent,
                       "capacity": capacity})

    # -- events ------------------------------------------------------------------------------
    def at(self, gap: float) -> str:
        self.minute += gap
        return (self.t0 + timedelta(minutes=self.minute)).isoformat()

    def owner(self, buyer: str, agent: str, real: bool) -> str:
        """The buyer's agent when `real` and it has one (events that do something), else `agent`."""
        conv = self.engine.conversations.get(buyer)
        return conv.agent if real and conv is not None else agent

    @rule(gap=st.sampled_from(GAPS), data=st.data())
    def message(self, gap: float, data: st.DataObject) -> None:
        buyer = data.draw(st.sampled_from(self.buyers))
        event: Event = {"type": "message", "at": self.at(gap), "buyer": buyer,
                        "source": data.draw(st.sampled_from(SOURCES)),
                        "wants_human": data.draw(st.booleans()),
                        "buyer_tags": list(data.draw(st.sampled_from(self.tags)))}
        if self.intents:
            event["intent"] = data.draw(st.sampled_from([None, *self.intents]))
        self.feed(event)

    @rule(gap=st.sampled_from(GAPS), data=st.data())
    def burst(self, gap: float, data: st.DataObject) -> None:
        """Several buyers write at the same moment (a live story): queues form."""
        at = self.at(gap)
        for buyer in data.draw(st.lists(st.sampled_from(self.buyers), min_size=2, max_size=5,
                                        unique=True)):
            self.feed({"type": "message", "at": at, "buyer": buyer, "source": "product_page"})

    @rule(gap=st.sampled_from(GAPS), data=st.data(),
          status=st.sampled_from(["online", "online", "online", "busy", "hidden", "offline"]))
    def agent_status(self, gap: float, data: st.DataObject, status: str) -> None:
        self.feed({"type": "agent_status", "at": self.at(gap),
                   "agent": data.draw(st.sampled_from(self.agents)), "status": status})

    @rule(gap=st.sampled_from(GAPS), kind=st.sampled_from(["read", "reply", "close"]),
          real=st.booleans(), data=st.data())
    def conversation(self, gap: float, kind: str, real: bool, data: st.DataObject) -> None:
        buyer = data.draw(st.sampled_from(self.buyers))
        agent = self.owner(buyer, data.draw(st.sampled_from(self.agents)), real)
        self.feed({"type": kind, "at": self.at(gap), "agent": agent, "buyer": buyer})

    @rule(gap=st.sampled_from(GAPS), real=st.booleans(), to_group=st.booleans(),
          data=st.data())
    def transfer(self, gap: float, real: bool, to_group: bool, data: st.DataObject) -> None:
        buyer = data.draw(st.sampled_from(self.buyers))
        agent = self.owner(buyer, data.draw(st.sampled_from(self.agents)), real)
        target = ({"to_group": data.draw(st.sampled_from(self.groups))}
                  if to_group and self.groups
                  else {"to_agent": data.draw(st.sampled_from(self.agents))})
        self.feed({"type": "transfer", "at": self.at(gap), "agent": agent, "buyer": buyer,
                   **target})

    @rule(gap=st.sampled_from(GAPS), named=st.booleans(), data=st.data())
    def pick(self, gap: float, named: bool, data: st.DataObject) -> None:
        event = {"type": "pick", "at": self.at(gap),
                 "agent": data.draw(st.sampled_from(self.agents))}
        if named:
            event["buyer"] = data.draw(st.sampled_from(self.buyers))
        self.feed(event)

    @rule(gap=st.sampled_from(GAPS), capacity=st.sampled_from([None, 0, 1, 2, 3]),
          data=st.data())
    def set_capacity(self, gap: float, capacity: int | None, data: st.DataObject) -> None:
        self.feed({"type": "set_capacity", "at": self.at(gap),
                   "agent": data.draw(st.sampled_from(self.agents)), "capacity": capacity})

    @rule(gap=st.sampled_from(GAPS), joins=st.booleans(), data=st.data())
    def membership(self, gap: float, joins: bool, data: st.DataObject) -> None:
        """S12, S2: an agent joins or leaves a group while the shop runs."""
        if self.groups:
            self.feed({"type": "membership", "at": self.at(gap), "member": joins,
                       "agent": data.draw(st.sampled_from(self.agents)),
                       "group": data.draw(st.sampled_from(self.groups))})

    @rule(gap=st.sampled_from([0.5, 1, 3, 11, 40, 90, 360]))
    def tick(self, gap: float) -> None:
        self.feed({"type": "tick", "at": self.at(gap)})

    @rule(gap=st.sampled_from([0, 0, 0.1, 0.3, 0.5, 1]), accept=st.booleans(),
          real=st.sampled_from([True, True, True, False]), data=st.data())
    def answer(self, gap: float, accept: bool, real: bool, data: st.DataObject) -> None:
        """Issue 12: the offered agent accepts or declines (`real`), or a stray answer."""
        held = self.engine.offers.held
        if real and held:
            buyer = data.draw(st.sampled_from(sorted(held)))
            agent = held[buyer].agent
        else:
            buyer = data.draw(st.sampled_from(self.buyers))
            agent = data.draw(st.sampled_from(self.agents))
        self.feed({"type": "accept" if accept else "decline", "at": self.at(gap),
                   "agent": agent, "buyer": buyer})

    @rule(accept=st.booleans(), data=st.data())
    def answer_at_once(self, accept: bool, data: st.DataObject) -> None:
        """The offered agent answers at once (most do, before the push timeout)."""
        self.answer(0, accept, True, data)

    # -- one event, checked ----------------------------------------------------------------
    def feed(self, event: Event) -> None:
        if self.engine.state is not None:  # the timers due by then, each on its own state
            early = self.engine.advance_to(event["at"])
            self.records.extend(early)
            for r in early:
                self.follow(r, {"type": "tick", "at": event["at"]})
            self.exchange({"type": "tick", "at": event["at"]}, early)
        picker = self.engine.shop.agents.get(event["agent"]) \
            if event["type"] == "pick" and self.engine.state is not None else None
        before = None if picker is None else (picker.open, picker.capacity, picker.status)
        # T12: where the named buyer was before the pick (None: nowhere, it may start a chat)
        named = event.get("buyer") if picker is not None else None
        engaged = None if named is None else (
            "conversation" if named in self.engine.conversations else
            "offer" if named in self.engine.offers.held else
            "waiting" if self.engine.wait.of(named) is not None else None)
        records = self.engine.feed(event)
        self.events.append(event)
        self.records.extend(records)
        if event["type"] == "message":  # G1: exactly one outcome record per message
            made = [r["kind"] for r in records if r["kind"] in ("route", "continued")]
            assert made in (["route"], ["continued"]), (event, records)
        for r in records:  # Y5, T14: no auto reply to an excluded or bot-handled chat
            if r.get("outcome") in ("excluded", "assistant"):
                assert not r.get("auto_replies"), r
            if r["kind"] == "closed":  # Y11: only a no-response timeout sends its notice
                assert set(r["auto_replies"]) <= {TIMEOUT_REPLIES.get(r["why"])}, r
            else:
                assert not set(r.get("auto_replies") or ()) & set(TIMEOUT_REPLIES.values()), r
        if event["type"] == "close" and not any(r["kind"] == "ignored" for r in records):
            self.place[event["buyer"]] = "done"  # a close by the agent records nothing
        for r in records:
            self.follow(r, event)
        self.exchange(event, records)
        if before is not None:
            self.picked_under_capacity(event, records, before)
            self.initiated_only_when_free(event, records, engaged)

    def exchange(self, event: Event, records: list[Record]) -> None:
        """S8, Y3, T10: note when a buyer last exchanged with its agent, as the records tell
        it: an assignment, a message joining its conversation, its agent's reply."""
        for r in records:
            if r["kind"] == "continued":  # a message: an exchange when it joins a conversation
                renewed = r["buyer"] in self.engine.conversations
            else:
                renewed = r.get("outcome") in ("assigned", "main_account")
            if renewed:
                self.exchanged[r["buyer"]] = datetime.fromisoformat(r["at"]).timestamp()
        if event["type"] == "reply" and not any(r["kind"] == "ignored" for r in records):
            self.exchanged[event["buyer"]] = datetime.fromisoformat(event["at"]).timestamp()

    def follow(self, r: Record, event: Event) -> None:
        """Move the buyer of a record where the record says, checking G2 and the queue order."""
        kind, buyer = r["kind"], r.get("buyer")
        by_hand = kind in ("transfer", "initiated") or r.get("cause", {}).get("type") == "pick"
        if kind == "closed" and buyer is not None:
            self.place[buyer] = "done"
            return
        if kind in ("accepted", "declined"):
            self.offer_ended(r)
            return
        if kind == "continued" and r["outcome"] == "offered":  # the offer stands
            assert self.offered.get(str(buyer)) == r["agent"], (r, self.offered)
        if kind == "continued" or buyer is None or r.get("outcome") is None:
            return  # ignored, pool_run: nobody moved
        was_queued = buyer in self.queue
        if r["reason"] == "queue_pull":
            self.pulled(buyer, event, by_hand, r["agent"])
        elif buyer in self.queue:  # decided again (or picked by name) out of the queue
            self.queue.remove(buyer)
        outcome = r["outcome"]
        if outcome == "offered":
            self.offer_made(r)
            return
        if outcome != "offered" and outcome not in WAITING:
            self.declined_by.pop(buyer, None)  # opened or ended: its exclusions go
        if outcome == "assigned":
            if r.get("why") == "reassign_unreplied":  # to someone else, never back
                hypothesis.event("reassign_unreplied moved a chat")
                assert r["agent"] != self.agent_of.get(buyer), r
            self.agent_of[buyer] = r["agent"]
            self.place[buyer] = "with_agent"
            if not by_hand:
                self.eligible(r)
                self.meets_requirement(r)
                self.target_open(r, parse_instant(r["at"]) - self.since[buyer]
                                 if was_queued else 0.0)
            if r["reason"] == "main_account_fallback":
                self.last_resort(r)
        elif outcome == "main_account":
            self.place[buyer] = "with_agent" if self.main in self.engine.shop.agents else "done"
        elif outcome in WAITING:
            self.place[buyer] = "waiting"
            if outcome == "queued":
                self.queue.append(buyer)
                self.queued[buyer] = (r["event"], r["reason"])  # its message, and why
                if not was_queued:  # decided again in the queue: it waits since then still
                    self.since[buyer] = parse_instant(r["at"])
        else:  # assistant, excluded: a recorded end
            self.place[buyer] = "done"

    def pulled(self, buyer: str, event: Event, by_hand: bool, agent: str) -> None:
        """Y9: a queue pull takes the oldest (or newest) queued chat, unless picked by name;
        an automatic one passes over chats its agent declined (offers)."""
        if not (by_hand and "buyer" in event):
            hypothesis.event(f"queue pull among {min(len(self.queue), 3)}+")
            held = {b for b in self.queue if self.queued[b][1] in HELD}
            assert buyer not in held or by_hand, (buyer, self.queued[buyer])
            order = [b for b in self.queue if (b not in held or by_hand)
                     and (by_hand or agent not in self.declined_by.get(b, ()))]
            if self.order == "newest_first":
                order.reverse()
            ranked = sorted(order, key=lambda b: (-self.priority(self.queued[b][0]),
                                                  order.index(b)))
            # `channels:`: a pull passes over chats the agent has no room for (heavier, or
            # of a channel it is capped on), never one that weighs 1 and nobody caps.
            needs = self.engine.router.needs
            ahead = ranked[:ranked.index(buyer)] if buyer in ranked else ranked
            assert all(self.queued[b][0].get("source") in needs for b in ahead), (
                self.order, self.queue, buyer)
            assert buyer in ranked, (self.order, self.queue, buyer)
        self.queue.remove(buyer)

    def offer_made(self, r: Record) -> None:
        """Offers: one standing offer per chat, never to an agent that declined it or let it
        time out, and to an eligible agent under its capacity with the offer counted (G2)."""
        buyer, agent = r["buyer"], r["agent"]
        assert buyer not in self.offered, (r, self.offered)
        assert agent not in self.declined_by.get(buyer, ()), (r, self.declined_by)
        hypothesis.event(f"offered after {min(len(self.declined_by.get(buyer, ())), 2)}+ "
                         "declines")
        self.offered[buyer] = agent
        self.place[buyer] = "offered"
        self.eligible(r)
        self.meets_requirement(r)
        if r["reason"] == "main_account_fallback":
            self.last_resort(r)

    def offer_ended(self, r: Record) -> None:
        """Offers: an offer ends once, accepted (the chat opens) or declined, timed out or
        withdrawn (its agent is kept out of the chat until it opens)."""
        buyer, agent = r["buyer"], r["agent"]
        assert self.offered.pop(buyer, None) == agent, (r, self.offered)
        if r["kind"] == "accepted":
            hypothesis.event("offer accepted")
            assert r["outcome"] == "assigned", r
            self.declined_by.pop(buyer, None)
            self.agent_of[buyer] = agent
            self.place[buyer] = "with_agent"
        else:
            hypothesis.event(f"offer ended: {r['why']}")
            assert r["why"] in ENDINGS, r
            self.declined_by.setdefault(buyer, set()).add(agent)
            self.place[buyer] = "deciding"  # its new decision is the next record

    def priority(self, message: Event) -> int:
        """A queued chat's priority as the policy's `queue.priority` rules give it."""
        router = self.engine.router
        return router.priority(message, self.engine.shop.at, self.engine.shop)

    def meets_requirement(self, r: Record) -> None:
        """G2 for skills: a chat through a binding with `require:` went to an agent meeting
        the stage its wait had reached (a route record: the first stage)."""
        if r["reason"] != "source_group" or r["kind"] != "route":
            return
        rows = self.engine.router.binding_rows
        row = next((rows[n] for n in r["path"] if n in rows and rows[n].require), None)
        if row is None:
            return
        stage = row.stage(0.0)
        hypothesis.event(f"assigned through a requirement, stage {stage}")
        if stage is not None:
            agent = self.engine.shop.agents[r["agent"]]
            cond = row.require[stage][0]
            assert cond(Facts({}, 0.0, "UTC", None, attributes=agent.attributes)), r

    def target_open(self, r: Record, waited: float) -> None:
        """G2 for escalation: a chat through a binding with `targets:` went to a group that
        was open after its wait: a target whose `wait` had passed, or one its overflow
        chain reaches (read from the artifact, not from the router's own bookkeeping)."""
        if r["reason"] != "source_group":
            return
        bindings = {b["id"]: b for b in self.artifact["bindings"]}
        b = next((bindings[n] for n in r["path"] if n in bindings), None)
        if b is None or not b.get("targets"):
            return
        overflow = {g["id"]: g["overflow"] for g in self.artifact["groups"]}
        todo = [g for g, wait, _span in b["targets"] if wait <= waited]
        hypothesis.event(f"assigned through timed targets, {len(todo)} open")
        reached: set[str] = set()
        while todo:
            group = todo.pop()
            if group not in reached:
                reached.add(group)
                todo.extend(overflow[group])
        assert r["group"] in reached, (waited, reached, r)

    def eligible(self, r: Record) -> None:
        """G2 for an automatic assignment (checked right after the event that made it)."""
        agent = self.engine.shop.agents[r["agent"]]
        assert agent.chat_permission and agent.static_why is None, r
        sticky_hidden = (agent.status == "hidden" and self.reach_hidden  # T7
                         and r["reason"] in ("recent_contact", "pool_distribution"))
        assert agent.status == "online" or sticky_hidden, (agent.status, r)
        if r["reason"] != "pinned_agent":
            assert agent.capacity is None or agent.open <= agent.capacity, r
        if r["reason"] == "source_group" and r["group"] is not None:
            assert r["group"] in agent.groups, r  # a member now (S12)
        for channel, cap in agent.channel_capacity.items():  # `channels:` caps (issue 12)
            assert agent.channel_open.get(channel, 0) <= cap, (channel, r)
        if r["reason"] == "fallback_other_online":  # not in a team kept out of the fallback
            kept_out = {g["id"] for g in self.artifact["groups"] if not g.get("fallback", True)}
            hypothesis.event(f"fallback with a team kept out: {bool(kept_out)}")
            assert not kept_out & set(agent.groups), (agent.groups, r)

    def last_resort(self, r: Record) -> None:
        """S4-C: the main account in no group takes a chat only when every other agent
        taking part in routing (chat permission, not kept out by the policy) is not online."""
        if self.artifact["shop"]["main_in_group"]:
            return  # S4-D: an ordinary agent
        online = [a.id for a in self.engine.shop.agents.values()
                  if a.id != self.main and a.status == "online" and a.chat_permission
                  and a.static_why is None]
        hypothesis.event(f"main account fallback, others online: {bool(online)}")
        assert not online, (online, r)

    def picked_under_capacity(self, event: Event, records: list[Record],
                              before: tuple[int, int | None, str]) -> None:
        """Y9, Y2: a pick that handed a chat out went to an agent under its cap, not offline."""
        # Only what the pick itself handed out: a timer due before it (an offer's push
        # timeout, a target opening) may release other chats in the same feed.
        given = [r for r in records if r["kind"] == "initiated" or (
            r["kind"] == "release" and (r.get("cause") or {}).get("type") == "pick")]
        if not given:
            return
        open_before, capacity, status = before
        agent = self.engine.shop.agents[event["agent"]]
        hypothesis.event(f"pick by a {status} agent")
        assert len(given) == 1 and given[0]["agent"] == agent.id, records
        assert status != "offline" and agent.chat_permission, (status, records)
        assert capacity is None or open_before < capacity, (open_before, capacity, records)

    def initiated_only_when_free(self, event: Event, records: list[Record],
                                 engaged: str | None) -> None:
        """T12: a pick starts a chat only with a named buyer who had none (no conversation,
        offer or waiting chat), with the picker, reason `agent_initiated` and no source;
        a buyer who had one keeps it (the pick is ignored or takes the waiting chat)."""
        started = [r for r in records if r["kind"] == "initiated"]
        hypothesis.event(f"named pick of a buyer in: {engaged or 'nothing'}"
                         f"{' (started)' if started else ''}")
        if not started:
            return
        assert engaged is None and "buyer" in event, (engaged, records)
        (r,) = started
        assert (r["buyer"], r["agent"], r["outcome"], r["reason"], r["source"]) == (
            event["buyer"], event["agent"], "assigned", "agent_initiated", None), r
        agent = self.engine.shop.agents[event["agent"]]
        assert r["group"] == (agent.groups[0] if agent.groups else None), r
        assert self.engine.conversations[r["buyer"]].agent == agent.id, r

    # -- after every step ----------------------------------------------------------------------
    @invariant()
    def books_agree_with_records(self) -> None:
        """G1: each buyer is with an agent, visibly waiting, or done, as its records say."""
        if not self.events:
            return
        waiting = self.engine.waiting()
        held = {e["buyer"] for entries in waiting.values() for e in entries}
        with_agent = set(self.engine.conversations)
        assert with_agent == {b for b, p in self.place.items() if p == "with_agent"}
        assert held == {b for b, p in self.place.items() if p == "waiting"}
        assert [e["buyer"] for e in waiting.get("queue", [])] == self.queue

    @invariant()
    def offers_hold_their_places(self) -> None:
        """Offers: the standing offers are the ones the records left standing, and each
        agent's open chats (what capacity counts) are its conversations and its offers."""
        if not self.events:
            return
        held = self.engine.offers.held
        assert {b: o.agent for b, o in held.items()} == self.offered
        assert set(held) == {b for b, p in self.place.items() if p == "offered"}
        load = self.engine.router.load_of
        for agent in self.engine.shop.agents.values():
            convs = [c for c in self.engine.conversations.values() if c.agent == agent.id]
            offers = [o for o in held.values() if o.agent == agent.id]
            units = sum(c.units for c in convs) + sum(load(o.message.get("source"))[0]
                                                      for o in offers)
            assert agent.open == units, (agent.id, agent.open, len(convs), len(offers))
            assert agent.unread == sum(c.unread for c in convs) + len(offers), agent.id

    @invariant()
    def capacity_books_agree(self) -> None:
        """`channels:`: an agent's open units and per-channel counts are those of the
        conversations it holds (and its standing offers), and never over its channel caps
        (hand picks and transfers too; `set_capacity` may lower a cap below the open
        units, so those are checked at each assignment, in `eligible`)."""
        if not self.events:
            return
        load = self.engine.router.load_of
        for agent in self.engine.shop.agents.values():
            held = [c.channel for c in self.engine.conversations.values()
                    if c.agent == agent.id]
            held += [load(o.message.get("source"))[1]
                     for o in self.engine.offers.held.values() if o.agent == agent.id]
            for channel in {c for c in held if c} | set(agent.channel_open):
                count = sum(1 for c in held if c == channel)
                assert agent.channel_open.get(channel, 0) == count, (agent.id, channel)
            for channel, cap in agent.channel_capacity.items():
                assert agent.channel_open.get(channel, 0) <= cap, (agent.id, channel)

    @invariant()
    def contact_is_last_exchange(self) -> None:
        """S8, Y3, T10: the window of a buyer with an agent counts from its last exchange."""
        shop = self.engine.shop if self.events else None
        for buyer, conv in self.engine.conversations.items():
            assert shop is not None
            last = self.exchanged[buyer]
            contact = shop.contacts.get(buyer)
            if contact is None:  # forgotten only once past the memory (runtime/horizon.py)
                assert shop.at - last > self.engine.router.contact_memory, (buyer, last)
                continue
            assert contact == (conv.agent, last), (buyer, contact, conv.agent, last)
        if shop is not None:
            assert len(shop.contact_times) <= 2 * len(shop.contacts) + 65

    @invariant()
    def pools_agree_with_groups(self) -> None:
        """S12, S2: group pools list, count and pick exactly the agents in the group."""
        if self.events:
            router = self.engine.router
            assert_pools_agree(self.engine.shop, self.groups, router.busy_threshold)

    @invariant()
    def replay_is_identical(self) -> None:
        """G3: the same events in a fresh engine (and router) make byte-identical records."""
        if not self.events:
            return
        fresh = Engine(Router(copy.deepcopy(self.artifact)), trace=self.trace)
        again = [rec for event in self.events for rec in fresh.feed(copy.deepcopy(event))]
        assert dumps(again) == dumps(self.records)


EngineMachine.TestCase.settings = settings(
    max_examples=60, stateful_step_count=30, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
TestEngineMachine = EngineMachine.TestCase


class LastResortMachine(EngineMachine):
    """The same checks on the `last_resort` shop with the main account warm too: there
    S4-C is asked on every message and agents at small caps pick, which the run over
    every policy reaches too rarely to catch a slip."""

    policies = ("last_resort",)
    warm_from = 0


LastResortMachine.TestCase.settings = settings(
    max_examples=40, stateful_step_count=30, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
TestLastResortMachine = LastResortMachine.TestCase


class SelectionMachine(EngineMachine):
    """The same checks on `policies/cosmetics.yaml` alone (issue 12): requirements that
    relax while chats wait, queue priorities, calendars opening and closing, a split.
    Among every policy a run reaches a held-back chat too rarely to catch a slip."""

    policies = ("cosmetics",)
    agent_count = 9  # the Chinese speakers and the night shift too


SelectionMachine.TestCase.settings = settings(
    max_examples=40, stateful_step_count=40, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
TestSelectionMachine = SelectionMachine.TestCase


class EscalationMachine(EngineMachine):
    """The same checks on the `escalation` variant alone (issue 12, timed targets): VIP
    and Chinese-speaking chats held for targets and requirements that open while they
    wait, at capacities of 1, with ticks of a few minutes crossing the waits."""

    policies = ("escalation",)
    tags = (("vip",), ("vip",), ("zh",), ("zh", "vip"), ())  # mostly the timed bindings
    warm_from = 0


EscalationMachine.TestCase.settings = settings(
    max_examples=40, stateful_step_count=40, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
TestEscalationMachine = EscalationMachine.TestCase


class FallbackMachine(EngineMachine):
    """The same checks on the `balanced` shop alone, whose care team is kept out of the
    general fallback (`fallback: false`): order-page chats overflow to the sales team
    through `other_online`, and membership events move agents in and out of care."""

    policies = ("balanced",)


FallbackMachine.TestCase.settings = settings(
    max_examples=25, stateful_step_count=30, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
TestFallbackMachine = FallbackMachine.TestCase


class OffersMachine(EngineMachine):
    """The same checks on the shops with offers alone (issue 12): accepts, declines,
    push timeouts and agents going offline with offers standing, with queue pulls,
    staging releases and pool runs offering too. Among every policy a run reaches a
    chat declined twice too rarely to catch a slip."""

    policies = ("offers", "taobao_offers", "cosmetics")


OffersMachine.TestCase.settings = settings(
    max_examples=40, stateful_step_count=40, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
TestOffersMachine = OffersMachine.TestCase


class ChannelMachine(EngineMachine):
    """The same checks on the `channels` shop alone: weighted live chats and per-agent
    WeChat caps, with queue pulls, staging, picks and transfers all holding them."""

    policies = ("channels",)


ChannelMachine.TestCase.settings = settings(
    max_examples=25, stateful_step_count=30, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
TestChannelMachine = ChannelMachine.TestCase
