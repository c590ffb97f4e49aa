"""The stateful engine: feed CONTRACT.md events in time order, keep the shop state, record outcomes.

The router decides one message against a state; the engine owns time. It keeps
the open conversations and the waiting places (queue Y9, staging S7, chats
waiting for a pinned or returning buyer's agent Y8/S8, offline pool T1),
applies agent status, read, reply, close, capacity and transfer events, and
hands waiting chats out when an agent can take them.

Every routing outcome is one record: a CONTRACT.md decision plus `kind` and
`buyer`, and for a chat handed out later, `cause` (the event that did it, while
`event` stays the buyer's message). Kinds:

- `route`: a new buyer message decided by the policy's route;
- `continued`: a message that joins the buyer's open conversation or waiting
  chat (no new decision; outcome, agent and reason are the chat's current ones);
- `release`: a waiting chat handed out later (`queue_pull` Y9,
  `staging_release` S7, or decided again by the route when its agent came back
  (Y8, S8) or the S8 grace ran out);
- `transfer`: a conversation forwarded by an agent (S10, Y12);
- `closed`: a conversation the engine closed on a `tick` (`why`: S11
  `close_read_idle`, Y11 `customer_no_response` / `agent_no_response`);
- `ignored`: an event that changed nothing (`why` says what was missing).

So G1 holds visibly: each `message` event gives exactly one `route` or
`continued` record, and a chat that is not assigned is listed by `waiting()`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from .clock import format_instant, parse_instant
from .decision import Decision
from .router import Router
from .state import AgentState, ShopState, strategy_key

Record = dict[str, Any]
Entry = dict[str, Any]  # a waiting chat: buyer, at, event, outcome, reason, agent

PLACES = {"queued": "queue", "staged": "staging", "waiting": "waiting", "pooled": "pool"}
SNAPSHOT_DEFAULTS = {"queue": ("queued", "queued_all_busy"), "staging": ("staged",
                     "staged_nobody_online"), "pool": ("pooled", "offline_pool")}


@dataclass(slots=True)
class Conversation:
    """One open conversation of a buyer with an agent."""

    buyer: str
    agent: str
    group: str | None
    reason: str
    last_update: float  # last message, read, reply or assignment (S11)
    unread: bool = True
    pending: bool = True  # the buyer's last message is unanswered
    since: float = 0.0  # when it became pending (Y11 agent_no_response)
    replied: float | None = None  # the agent's last reply (Y11 customer_no_response)


class Engine:
    """Consumes events in time order; `feed` returns the records each one makes."""

    def __init__(self, router: Router, snapshot: dict[str, Any] | None = None,
                 trace: str | None = None) -> None:
        self.router = router
        self.trace = trace is not None  # decide with a trace; record this view of it
        self.trace_level = trace or "full"
        self.state: ShopState | None = router.state(snapshot) if snapshot else None
        self.conversations: dict[str, Conversation] = {}
        self.waiting_list: list[Entry] = []
        self.held: dict[str, tuple[str, Entry]] = {}
        settings = router.settings
        self.queue_order: str = settings["queue"]["order"]
        self.take_on_online: int | None = settings["queue"]["take_on_online"]
        self.staging_mode: str = settings["staging"]["mode"]
        self.staging_cap: int = settings["staging"]["cap"]
        self.timeouts: dict[str, int | None] = settings["timeouts"]
        if self.state is not None:
            for place in ("queue", "staging", "pool"):
                for entry in self._place(place):
                    _fill_snapshot_entry(place, entry, self.state.at)
                    self.held[str(entry["buyer"])] = (place, entry)

    # -- the front door ----------------------------------------------------------
    def feed(self, event: dict[str, Any]) -> list[Record]:
        """Apply one (validated) event; the records it made, in order."""
        at = parse_instant(event["at"])
        if self.state is None:
            self.state = self.router.state({"at": event["at"]})
        self.state.at = at
        out: list[Record] = []
        match event["type"]:
            case "message":
                self._message(event, at, out)
            case "agent_status":
                self._agent_status(event, at, out)
            case "read" | "reply" | "close":
                self._conversation_event(event, at, out)
            case "set_capacity":
                self._set_capacity(event, at, out)
            case "transfer":
                self._transfer(event, at, out)
            case "pick":
                self._pick(event, at, out)
            case "tick":
                self._tick(event, at, out)
        return out

    def run(self, events: list[dict[str, Any]]) -> list[Record]:
        return [rec for event in events for rec in self.feed(event)]

    def waiting(self) -> dict[str, list[Entry]]:
        """Chats not with an agent, by place (queue, staging, waiting, pool)."""
        return {p: list(self._place(p)) for p in ("queue", "staging", "waiting", "pool")}

    @property
    def shop(self) -> ShopState:
        assert self.state is not None, "no event fed yet"
        return self.state

    # -- messages ----------------------------------------------------------------
    def _message(self, event: dict[str, Any], at: float, out: list[Record]) -> None:
        buyer: str = event["buyer"]
        conv = self.conversations.get(buyer)
        if conv is not None:
            self._buyer_wrote(conv, at)
            out.append(self._record("continued", event["at"], buyer, event, "assigned",
                                    conv.reason, self.shop.agents[conv.agent], conv.group))
            return
        held = self.held.get(buyer)
        if held is not None:
            entry = held[1]
            out.append(self._record("continued", event["at"], buyer, event, entry["outcome"],
                                    entry["reason"], None, None))
            return
        decision = self.router.decide(self.shop, event, trace=self.trace)
        self._settle(decision, event, at)
        out.append(self._decided("route", decision, event, None))

    def _buyer_wrote(self, conv: Conversation, at: float) -> None:
        """A message in an open conversation: unread and unanswered again."""
        agent = self.shop.agents[conv.agent]
        if not conv.unread:
            conv.unread = True
            agent.unread += 1
        if not conv.pending:
            conv.pending = True
            conv.since = at
            agent.pending += 1
        conv.last_update = at
        self.shop.touch(agent)

    def _settle(self, d: Decision, message: dict[str, Any], at: float) -> None:
        """Put a decided chat where its outcome says: a conversation or a waiting place."""
        self.router.apply(self.shop, d)
        if d.outcome == "assigned" and d.agent is not None:
            self._open(d.buyer, d.agent, d.group, d.reason, at)
        elif d.outcome == "main_account" and self.router.main_id in self.shop.agents:
            main = self.shop.agents[str(self.router.main_id)]
            self.shop.assign(main, d.buyer, at)
            self._open(d.buyer, main.id, None, d.reason, at)
        elif d.outcome in PLACES:
            awaited = None
            if d.reason == "pinned_agent_waiting":
                awaited = self.router.pins[d.buyer][0]
            elif d.reason == "recent_contact_waiting":
                awaited = self.shop.contacts[d.buyer][0]
            self._hold(PLACES[d.outcome], {
                "buyer": d.buyer, "at": d.at, "event": message, "outcome": d.outcome,
                "reason": d.reason, "agent": awaited})

    def _open(self, buyer: str, agent_id: str, group: str | None, reason: str,
              at: float) -> None:
        agent = self.shop.agents[agent_id]
        if group is None and agent.groups:
            group = agent.groups[0]
        self.conversations[buyer] = Conversation(buyer, agent_id, group, reason, at, since=at)

    # -- waiting places ----------------------------------------------------------
    def _place(self, place: str) -> list[Entry]:
        if place == "waiting":
            return self.waiting_list
        lists: dict[str, list[Entry]] = {"queue": self.shop.queue,
                                         "staging": self.shop.staging,
                                         "pool": self.shop.pool}
        return lists[place]

    def _hold(self, place: str, entry: Entry) -> None:
        self._place(place).append(entry)
        self.held[entry["buyer"]] = (place, entry)

    def _unhold(self, entry: Entry) -> None:
        place, _ = self.held.pop(entry["buyer"])
        self._place(place).remove(entry)

    def _next(self, place: str) -> Entry | None:
        """The next chat to hand out: Y9 queue order; staging and pool oldest first."""
        items = self._place(place)
        if not items:
            return None
        return items[-1] if place == "queue" and self.queue_order == "newest_first" else items[0]

    def _hand_out(self, entry: Entry, agent: AgentState, reason: str, event: dict[str, Any],
                  at: float, out: list[Record]) -> None:
        """Give a waiting chat to an agent directly (queue pull, staging release, pick)."""
        self._unhold(entry)
        self.shop.assign(agent, entry["buyer"], at)
        self._open(entry["buyer"], agent.id, None, reason, at)
        out.append(self._record("release", event["at"], entry["buyer"], entry["event"],
                                "assigned", reason, agent, None, cause=event))

    def _retry(self, entry: Entry, event: dict[str, Any], at: float,
               out: list[Record]) -> None:
        """Decide a waiting chat again now; record only when its outcome changed."""
        message = dict(entry["event"], at=event["at"])
        d = self.router.decide(self.shop, message, trace=self.trace)
        if d.outcome == entry["outcome"] and d.reason == entry["reason"]:
            return
        self._unhold(entry)
        self._settle(d, entry["event"], at)
        out.append(self._decided("release", d, entry["event"], event))

    def _offer(self, agent: AgentState, event: dict[str, Any], at: float, out: list[Record],
               queue_limit: int | None, staging: bool) -> None:
        """An agent can take more: chats waiting for it, then the queue, then staging."""
        for entry in [e for e in self.waiting_list if e["agent"] == agent.id]:
            self._retry(entry, event, at, out)
        taken = 0
        while agent.eligible and (queue_limit is None or taken < queue_limit):
            pulled = self._next("queue")
            if pulled is None:
                break
            self._hand_out(pulled, agent, "queue_pull", event, at, out)
            taken += 1
        if staging and self.shop.staging:
            self._release_staging(agent, event, at, out, self._staging_share(agent))

    def _staging_share(self, agent: AgentState) -> int:
        """S7: how many staged chats an agent coming online takes."""
        if self.staging_mode != "even_split":
            return self.staging_cap
        still_to_come = sum(1 for a in self.shop.agents.values()
                            if a is not agent and a.status != "online" and a.chat_permission
                            and a.static_why is None)
        share = math.ceil(len(self.shop.staging) / (still_to_come + 1))
        return min(share, self.staging_cap)

    def _release_staging(self, agent: AgentState, event: dict[str, Any], at: float,
                         out: list[Record], share: int) -> None:
        """S7: hand staged chats to an agent, oldest first, while its unread stays under cap."""
        given = 0
        while agent.eligible and given < share and agent.unread < self.staging_cap:
            entry = self._next("staging")
            if entry is None:
                break
            self._hand_out(entry, agent, "staging_release", event, at, out)
            given += 1

    def _spare(self, agent: AgentState) -> int | None:
        return None if agent.capacity is None else max(0, agent.capacity - agent.open)

    # -- agents ------------------------------------------------------------------
    def _agent_status(self, event: dict[str, Any], at: float, out: list[Record]) -> None:
        agent = self.shop.agents[event["agent"]]
        was = agent.status
        self.shop.set_status(agent, event["status"], at)  # S9: chats stay with busy/hidden
        if event["status"] == "online" and was != "online":
            limit = self._spare(agent)
            if self.take_on_online is not None:
                limit = self.take_on_online if limit is None else min(limit, self.take_on_online)
            self._offer(agent, event, at, out, limit, staging=True)

    def _set_capacity(self, event: dict[str, Any], at: float, out: list[Record]) -> None:
        """Y2: a raised cap lets the agent take queued chats up to its new spare capacity."""
        agent = self.shop.agents[event["agent"]]
        agent.capacity = event["capacity"]
        self.shop.touch(agent)
        if agent.status == "online":
            self._offer(agent, event, at, out, self._spare(agent), staging=False)

    # -- conversations -------------------------------------------------------------
    def _conversation_event(self, event: dict[str, Any], at: float, out: list[Record]) -> None:
        conv = self.conversations.get(event["buyer"])
        if conv is None or conv.agent != event["agent"]:
            out.append(self._ignored(event, f"{event['agent']} has no open conversation "
                                            f"with {event['buyer']}"))
            return
        agent = self.shop.agents[conv.agent]
        match event["type"]:
            case "read":
                self._mark(conv, agent, at, read=True, replied=False)
                if self.shop.staging and self._alone(agent):
                    self._release_staging(agent, event, at, out, self.staging_cap)
            case "reply":
                self._mark(conv, agent, at, read=True, replied=True)
            case _:
                self._close(conv, event, at, out)

    def _mark(self, conv: Conversation, agent: AgentState, at: float, read: bool,
              replied: bool) -> None:
        if read and conv.unread:
            conv.unread = False
            agent.unread -= 1
        if replied:
            conv.replied = at
            if conv.pending:
                conv.pending = False
                agent.pending -= 1
        conv.last_update = at
        self.shop.touch(agent)

    def _alone(self, agent: AgentState) -> bool:
        """S7: the only agent online that takes automatic chats."""
        shop = self.shop.pools["shop"]
        return agent.eligible and shop.counts[None] + shop.counts["at_capacity"] == 1

    def _detach(self, conv: Conversation) -> AgentState:
        """Take a conversation off its agent's counters (close or transfer away)."""
        del self.conversations[conv.buyer]
        agent = self.shop.agents[conv.agent]
        agent.open -= 1
        agent.unread -= conv.unread
        agent.pending -= conv.pending
        self.shop.touch(agent)
        return agent

    def _close(self, conv: Conversation, event: dict[str, Any], at: float,
               out: list[Record]) -> None:
        """Y13: closing frees capacity; Y9: each close by an online agent pulls one queued chat."""
        agent = self._detach(conv)
        self._offer(agent, event, at, out, 1, staging=False)

    def _transfer(self, event: dict[str, Any], at: float, out: list[Record]) -> None:
        """S10, Y12: forward a conversation to an agent (online or busy) or to a group."""
        conv = self.conversations.get(event["buyer"])
        if conv is None or conv.agent != event["agent"]:
            out.append(self._ignored(event, f"{event['agent']} has no open conversation "
                                            f"with {event['buyer']}"))
            return
        target, group, selection, why = self._transfer_target(event, conv)
        if target is None:
            out.append(self._ignored(event, f"cannot transfer to "
                                            f"{event.get('to_agent') or group}: {why}"))
            return
        reason = "transfer_to_agent" if "to_agent" in event else "transfer_to_group"
        self._detach(conv)
        self.shop.assign(target, conv.buyer, at)
        self._open(conv.buyer, target.id, group, reason, at)
        out.append(self._record("transfer", event["at"], conv.buyer, event, "assigned", reason,
                                target, group, selection=selection, source="transfer"))

    def _transfer_target(self, event: dict[str, Any], conv: Conversation
                         ) -> tuple[AgentState | None, str | None, str | None, str]:
        """(receiver, group, selection, why not) of a transfer."""
        if "to_agent" in event:
            target = self.shop.agents[event["to_agent"]]
            if target.id == conv.agent:
                return None, None, None, "already its agent"
            if not target.chat_permission:
                return None, None, None, "no_chat_permission"
            if target.status not in ("online", "busy"):  # Y12: online or busy, not offline
                return None, None, None, target.status
            return target, None, "only_candidate", ""
        group: str = event["to_group"]
        if group not in self.router.groups:
            return None, group, None, "unknown group"
        picked, selection = self._group_pick(group, conv.agent)
        return picked, group, selection, "" if picked else "nobody available"

    def _group_pick(self, gid: str, sender: str) -> tuple[AgentState | None, str | None]:
        """The group's strategy over its available members other than the sender."""
        group = self.router.groups.get(gid)
        if group is None:
            return None, None
        strategy = group["select"] or self.router.strategy
        key = strategy_key(strategy, self.router.busy_threshold)
        ranked = sorted((a for a in (self.shop.agents[m] for m in group["members"])
                         if a.eligible and a.id != sender), key=lambda a: (key(a), a.rank))
        if not ranked:
            return None, None
        if len(ranked) == 1:
            return ranked[0], "only_candidate"
        tied = key(ranked[0]) == key(ranked[1])
        return ranked[0], "earliest_created" if tied else strategy

    def _pick(self, event: dict[str, Any], at: float, out: list[Record]) -> None:
        """Y9, Y4: an agent takes a queued (else pooled, else staged) chat by hand."""
        agent = self.shop.agents[event["agent"]]
        why = agent.live_why()
        if why is not None and why not in ("busy", "hidden"):
            out.append(self._ignored(event, f"{agent.id} cannot pick: {why}"))
            return
        buyer = event.get("buyer")
        for place, reason in (("queue", "queue_pull"), ("pool", "pool_distribution"),
                              ("staging", "staging_release")):
            if buyer is not None:
                held = self.held.get(buyer)
                entry = held[1] if held and held[0] == place else None
            else:
                entry = self._next(place) if place != "pool" else \
                    (self.shop.pool[-1] if self.shop.pool else None)  # T3: newest first
            if entry is not None:
                self._hand_out(entry, agent, reason, event, at, out)
                return
        out.append(self._ignored(event, "nothing to pick" if buyer is None
                                 else f"{buyer} is not waiting in the queue, pool or staging"))

    # -- time --------------------------------------------------------------------
    def _tick(self, event: dict[str, Any], at: float, out: list[Record]) -> None:
        """Timeouts (S11, Y11) close conversations; S8 waits past their grace are routed."""
        for conv, why in self._expired(at):
            if conv.buyer in self.conversations:
                out.append({"kind": "closed", "buyer": conv.buyer, "at": event["at"],
                            "event": event, "agent": conv.agent, "why": why,
                            "policy": self.router.policy_hash})
                self._close(conv, event, at, out)
        for entry in [e for e in self.waiting_list if e["reason"] == "recent_contact_waiting"]:
            self._retry(entry, event, at, out)
        if self.staging_mode == "even_split" and self.shop.staging:
            self._deal_staging(event, at, out)

    def _deal_staging(self, event: dict[str, Any], at: float, out: list[Record]) -> None:
        """S7 even_split: staged chats still left on a tick are dealt one by one to the
        online agents, the shop's strategy choosing (fewest unread: evenly by count),
        each while its unread stays under the cap."""
        pool = self.shop.pools["shop"]
        while True:
            agent, _ = pool.best(self.router.strategy)
            entry = self._next("staging")
            if agent is None or entry is None or agent.unread >= self.staging_cap:
                return
            self._hand_out(entry, agent, "staging_release", event, at, out)

    def _expired(self, at: float) -> list[tuple[Conversation, str]]:
        idle = self.timeouts.get("close_read_idle")
        silent = self.timeouts.get("customer_no_response")
        slow = self.timeouts.get("agent_no_response")
        found: list[tuple[Conversation, str]] = []
        for conv in self.conversations.values():
            if idle is not None and not conv.unread and at - conv.last_update > idle:
                found.append((conv, "close_read_idle"))  # S11: never an unread one
            elif slow is not None and conv.pending and at - conv.since > slow:
                found.append((conv, "agent_no_response"))
            elif (silent is not None and not conv.pending and conv.replied is not None
                  and at - conv.replied > silent):
                found.append((conv, "customer_no_response"))
        return found

    # -- records -----------------------------------------------------------------
    def _decided(self, kind: str, d: Decision, message: dict[str, Any],
                 cause: dict[str, Any] | None) -> Record:
        rec: Record = {"kind": kind, "buyer": d.buyer, **d.to_dict(self.trace_level)}
        if cause is not None:
            rec["event"] = message
            rec["cause"] = cause
        return rec

    def _record(self, kind: str, at: str, buyer: str, message: dict[str, Any], outcome: str,
                reason: str, agent: AgentState | None, group: str | None,
                selection: str | None = None, source: str | None = None,
                cause: dict[str, Any] | None = None) -> Record:
        if agent is not None and group is None and agent.groups:
            group = agent.groups[0]
        rec: Record = {
            "kind": kind, "buyer": buyer, "at": at, "event": message, "outcome": outcome,
            "agent": agent.id if agent else None, "group": group,
            "source": source or message.get("source"), "reason": reason,
            "selection": selection, "auto_replies": [], "policy": self.router.policy_hash,
            "path": [],
        }
        if cause is not None:
            rec["cause"] = cause
        return rec

    def _ignored(self, event: dict[str, Any], why: str) -> Record:
        return {"kind": "ignored", "at": event["at"], "event": event, "why": why,
                "policy": self.router.policy_hash}


def _fill_snapshot_entry(place: str, entry: Entry, at: float) -> None:
    """A waiting chat of a state snapshot needs only `buyer`; the rest takes defaults.

    `at` defaults to the snapshot's time, `source` to unknown, outcome and reason to
    the place's own (queued_all_busy, staged_nobody_online, offline_pool).
    """
    outcome, reason = SNAPSHOT_DEFAULTS[place]
    when = entry.get("at") or format_instant(at, "UTC")
    entry.setdefault("at", when)
    entry.setdefault("outcome", outcome)
    entry.setdefault("reason", reason)
    entry.setdefault("agent", None)
    entry.setdefault("event", {"type": "message", "at": when, "buyer": entry["buyer"],
                               "source": entry.get("source") or "unknown"})
