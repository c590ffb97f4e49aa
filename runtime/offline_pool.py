"""T2-T8 offline pool runs: when they fire, which pooled chats they take, to whom, what they record.

Chats the route pools (outcome `pooled`, T1) stay in the pool until a run, or
an agent's `pick` (without a buyer: the chat with the latest message, `newest`),
takes them; an agent coming online takes none. The engine
asks this module three things, and does the moving itself:

- **When** (T2, `next_slot`): a run is due at every hour and half hour inside
  each `offline_pool.windows` entry, both ends included, in shop-local wall
  time (09:00-09:30 runs at 09:00 and at 09:30; a window whose end is before
  its start runs over midnight). The engine keeps the next slot as a timer
  (runtime/timers.py) and fires it at its own instant, on the shop as it is at
  that instant, whatever events or ticks come after (never a slot before the
  engine's first event). On a daylight-saving change the wall clock decides: a
  local time that does not exist that day (spring forward: 02:00 and 02:30 in
  Europe/Berlin) has no run, and one that happens twice (fall back) runs once,
  at its first occurrence; so slots always fire once each, in time order.
- **What** (T3, T5, T6, `plan`): a run looks back 24 hours from its slot, at
  messages received by the slot (never a later one). Scope
  `wants_human_24h` takes a pooled chat whose latest message that asked for a
  human (`wants_human: true`; absent counts as false, as in conditions) is that
  recent; `all_24h` one whose latest message is. Older chats stay in the pool,
  visible in `waiting()` and open to `pick`, but no run distributes them. The
  run fails, distributing nothing, with fewer online not-hidden agents in the
  target than `min_online` (at least one: nobody online can take nothing) or an
  average of pending replies per such agent above `max_avg_pending`. Otherwise
  it takes the newest chats first, up to (online not-hidden head count) x
  `per_agent`, and never more than `hard_cap` (itself at most 5000). With target
  `routing_rules` the head count is the whole shop's (the agents that take part
  in routing).
- **Who** (T4, T7, `choose`): `routing_rules` decides the chat again with the
  policy's route at the run's time (bindings, groups, recent contact, pins,
  ...) and takes it only when the route assigns it. The run hands chats to
  people, so the route sees the message as asking for a human (`wants_human`
  true: a `bot_first` step does not take an `all_24h` chat back to the bot).
  Before the route, when the
  route's `recent_contact` step has `reach_hidden: true`, a buyer whose recent
  contact (within that step's window and 24 hours) is a hidden agent with room
  goes to that agent (T7). `groups` and `agents` choose among the eligible
  agents of the named groups or agents by the shop's selection strategy (ties:
  earliest created) and never reach a hidden agent.

Each run is one `pool_run` record (T8): its slot, target, head count, average
pending, cap, how many chats were in scope, over the cap, distributed and
failed, and the failures by reason; each chat it distributes is a `release`
record with reason `pool_distribution`, source `offline_pool`, the run's slot
and the system note the agent sees. `runs_summary` and `runs_text` sum the
runs of a replay up for `policyc simulate`'s report.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from .catalog import N_, say
from .clock import format_instant, parse_instant, zone
from .conditions import Facts
from .decision import Decision
from .router import Router
from .state import AgentState, ShopState
from .transfers import best_of

Entry = dict[str, Any]

DAY = 24 * 3600
HARD_CAP = 5000  # the platform's limit per run, whatever the policy says (T6)
# Why a run or a chat failed: recorded as written (the records' contract), said in the
# reader's language by `runs_text`.
FEW_AGENTS = N_("not enough online unsuspended agents")
PENDING_HIGH = N_("average pending too high")
NO_TARGET_AGENT = N_("no agent of the target can take it")
NOTE = "offline message distribution"  # what the agent sees (T8, "离线留言分配")


@dataclass
class Plan:
    """One run before it moves anything: its facts and the chats it will try, newest first."""

    slot: float
    online: int
    avg_pending: float | None
    cap: int
    in_scope: int
    take: list[Entry]
    failure: str | None  # T5: the run fails as a whole


@dataclass
class Choice:
    """Where one pooled chat goes."""

    agent: AgentState
    group: str | None
    selection: str | None
    routed_by: str | None  # routing_rules: the route's reason (recent_contact, source_group ...)
    decision: Decision | None = None  # routing_rules: the route's decision (path, trace)


@dataclass
class OfflinePool:
    """The pool's settings (`offline_pool:`, or none) and its slots' minutes of the day."""

    router: Router
    settings: dict[str, Any] | None
    minutes: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.minutes = _slot_minutes(self.settings["windows"] if self.settings else [])

    # -- when -------------------------------------------------------------------------
    def first_slot(self, start: float) -> float | None:
        """The first slot at or after the engine's first moment (event times are whole
        seconds or finer, slots whole minutes)."""
        return self.next_slot(start - 0.5)

    def next_slot(self, after: float) -> float | None:
        """The first slot strictly after `after`, in shop-local wall time; None without
        windows. Local times skipped by a clock change have no slot, repeated ones the
        first (see the module's docstring)."""
        if not self.minutes:
            return None
        tz = zone(self.router.tz)
        day = datetime.fromtimestamp(after, tz).date()
        for _ in range(3):  # every day has a slot unless all fall in a clock change's gap
            for m in self.minutes:
                slot = _instant(day, m, tz)
                if slot is not None and slot > after:
                    return slot
            day += timedelta(days=1)
        return None

    # -- what -------------------------------------------------------------------------
    def plan(self, shop: ShopState, pool: list[Entry], slot: float) -> Plan:
        """The run at `slot` on the shop as it is then: its head count, cap, the chats in
        scope and the ones it will try, or why it fails as a whole."""
        cfg = self.settings
        assert cfg is not None
        online = [a for a in self._target(shop) if a.status == "online"]
        avg = sum(a.pending for a in online) / len(online) if online else None
        cap = min(len(online) * cfg["per_agent"], cfg["hard_cap"], HARD_CAP)
        scoped = [(recent, i, e) for i, e in enumerate(pool)
                  if (recent := _latest(e, cfg["scope"])) is not None
                  and 0 <= slot - recent <= DAY]
        scoped.sort(key=lambda row: (-row[0], -row[1]))  # T3: newest first
        failure = None
        if len(online) < max(cfg["min_online"], 1):
            failure = FEW_AGENTS
        elif cfg["max_avg_pending"] is not None and avg is not None \
                and avg > cfg["max_avg_pending"]:
            failure = PENDING_HIGH
        take = [] if failure else [e for _, _, e in scoped[:cap]]
        return Plan(slot, len(online), avg, cap, len(scoped), take, failure)

    def _target(self, shop: ShopState) -> list[AgentState]:
        """The agents a run may give chats to, hidden and offline ones included."""
        cfg = self.settings
        assert cfg is not None
        if cfg["target"] == "routing_rules":
            ids = [a.id for a in shop.pools["shop"].members]
        elif cfg["target"] == "groups":
            ids = [a.id for g in cfg["groups"] for a in shop.group(g)]  # now (S12)
        else:
            ids = list(cfg["agents"])
        agents = [shop.agents[i] for i in dict.fromkeys(ids)]
        return [a for a in agents if a.chat_permission and a.static_why is None]

    # -- who --------------------------------------------------------------------------
    def choose(self, shop: ShopState, entry: Entry, at: str, trace: bool = False,
               avoid: dict[str, str] | None = None) -> Choice | str:
        """Where a pooled chat goes now, or why it stays (`trace`: the route's, kept);
        `avoid`: agents that declined it or let an offer of it run out."""
        cfg = self.settings
        assert cfg is not None
        if cfg["target"] != "routing_rules":
            need = self.router.needs.get(entry["event"].get("source") or "")
            agent, selection = best_of((a for a in self._target(shop)
                                        if a.eligible and a.id not in (avoid or ())
                                        and shop.fits(a, need)),
                                       self.router.strategy, self.router.busy_threshold)
            return NO_TARGET_AGENT if agent is None else Choice(agent, None, selection, None)
        message = dict(entry["event"], at=at, wants_human=True)  # a run hands over to people
        sticky = self._hidden_contact(shop, message)
        if sticky is not None and sticky.id not in (avoid or ()):
            return Choice(sticky, None, "only_candidate", "recent_contact")
        d = self.router.decide(shop, message, trace=trace, avoid=avoid)
        if d.outcome != "assigned" or d.agent is None:
            return f"routing rules: {d.outcome} ({d.reason})"
        return Choice(shop.agents[d.agent], d.group, d.selection, d.reason, d)

    def _hidden_contact(self, shop: ShopState, message: Entry) -> AgentState | None:
        """T7: the hidden agent a buyer talked to recently, when the route lets runs reach it."""
        step = next((s for s in self.router.route if s.kind == "recent_contact"), None)
        contact = shop.contacts.get(message["buyer"])
        if step is None or not step.params.get("reach_hidden") or contact is None:
            return None
        at = parse_instant(message["at"])
        agent = shop.agents.get(contact[0])
        if at - contact[1] > min(step.params["window"], DAY) or agent is None:
            return None
        if step.cond is not None and not step.cond(
                Facts(message, at, self.router.tz, shop.pools["shop"])):
            return None
        room = (agent.capacity is None or agent.open < agent.capacity) and shop.fits(
            agent, self.router.needs.get(message.get("source") or ""))
        if agent.status != "hidden" or not agent.chat_permission or agent.static_why or not room:
            return None
        return agent

    # -- records ----------------------------------------------------------------------
    def record(self, plan: Plan, event: dict[str, Any], given: list[str],
               failed: Counter[str], policy: str) -> dict[str, Any]:
        """The `pool_run` record of T8."""
        cfg = self.settings
        assert cfg is not None
        if plan.failure is not None:
            failed = Counter({plan.failure: plan.in_scope})
        return {
            "kind": "pool_run", "at": event["at"], "slot": format_instant(plan.slot,
                                                                         self.router.tz),
            "event": event, "operator": "system", "target": cfg["target"], "scope": cfg["scope"],
            "online": plan.online,
            "avg_pending": None if plan.avg_pending is None else round(plan.avg_pending, 2),
            "cap": plan.cap, "in_scope": plan.in_scope,
            "over_cap": max(0, plan.in_scope - plan.cap) if plan.failure is None else 0,
            "distributed": len(given), "failed": sum(failed.values()),
            "failures": [{"reason": r, "count": n} for r, n in sorted(failed.items())],
            "buyers": given, "policy": policy,
        }


def note_message(entry: Entry, event: dict[str, Any]) -> None:
    """Keep a pooled chat's latest message and latest request for a human (T3 scope)."""
    entry["last_at"] = event["at"]
    if event.get("wants_human"):
        entry["human_at"] = event["at"]


def newest(pool: list[Entry]) -> Entry | None:
    """The pooled chat with the latest message (a `pick` without a buyer takes it; ties:
    the one pooled last)."""
    if not pool:
        return None
    return max(reversed(pool), key=lambda e: _latest(e, "all_24h") or 0.0)


def _latest(entry: Entry, scope: str) -> float | None:
    """When the chat last counted for `scope`: its latest (human-asking) message."""
    if scope == "all_24h":
        return parse_instant(entry.get("last_at") or entry["at"])
    if "human_at" in entry:
        return parse_instant(entry["human_at"])
    if "last_at" not in entry and entry["event"].get("wants_human"):  # a snapshot's entry
        return parse_instant(entry["at"])
    return None


def _slot_minutes(windows: list[dict[str, int]]) -> list[int]:
    """Minutes after local midnight of every hour and half hour inside some window."""
    minutes: set[int] = set()
    for w in windows:
        start, end = w["from"], w["to"]
        if end < start:  # over midnight
            end += 24 * 60
        first = -(-start // 30) * 30
        minutes.update(m % (24 * 60) for m in range(first, end + 1, 30))
    return sorted(minutes)


def _instant(day: date, minute: int, tz: Any) -> float | None:
    """The instant the local wall clock shows `minute` on `day`: its first occurrence
    when it shows it twice (fold 0), None when it never does (a spring-forward gap)."""
    wall = time(minute // 60, minute % 60)
    epoch = datetime.combine(day, wall, tz).timestamp()
    back = datetime.fromtimestamp(epoch, tz)
    if back.date() != day or back.time() != wall:
        return None
    return epoch


# -- reports ---------------------------------------------------------------------------

WHOLE_RUN = (FEW_AGENTS, PENDING_HIGH)  # T5: reasons a run fails as a whole


def runs_summary(records: list[dict[str, Any]]) -> dict[str, Any]:
    """T8 over a replay: how many runs, chats distributed and failed (by reason), and the
    runs that did something (gave chats out, or failed)."""
    runs = [r for r in records if r["kind"] == "pool_run"]
    chats: Counter[str] = Counter()
    whole: Counter[str] = Counter()
    for r in runs:
        for f in r["failures"]:
            chats[f["reason"]] += f["count"]
            whole[f["reason"]] += f["reason"] in WHOLE_RUN
    return {
        "runs": len(runs), "distributed": sum(r["distributed"] for r in runs),
        "failed": sum(r["failed"] for r in runs), "over_cap": sum(r["over_cap"] for r in runs),
        "failed_runs": {k: n for k, n in sorted(whole.items()) if n},
        "failures": {k: n for k, n in sorted(chats.items()) if n},
        "active": [{k: r[k] for k in ("slot", "online", "cap", "in_scope", "distributed",
                                      "failed", "failures")}
                   for r in runs if r["distributed"] or r["failures"]],
    }


def runs_text(s: dict[str, Any], limit: int = 10, lang: str = "en") -> list[str]:
    """The report's lines for `runs_summary` in `lang` (none when no run fired)."""
    if not s.get("runs"):
        return []
    out = [say(lang, N_("offline pool runs: {runs} ({distributed} chats distributed, {failed} "
                        "failed, {over_cap} over the cap)"), runs=s["runs"],
               distributed=s["distributed"], failed=s["failed"], over_cap=s["over_cap"])]
    if s["failed_runs"]:
        out.append("  " + say(lang, N_("runs failed: {counts}"), counts=", ".join(
            f"{say(lang, k)} {n}" for k, n in s["failed_runs"].items())))
    if s["failures"]:
        out.append("  " + say(lang, N_("chats failed: {counts}"), counts=", ".join(
            f"{say(lang, k)} {n}" for k, n in s["failures"].items())))
    for r in s["active"][:limit]:
        why = "; ".join(say(lang, f["reason"]) for f in r["failures"])
        out.append(f"  {r['slot']}  " + say(
            lang, N_("{distributed} of {in_scope} in scope distributed, {online} online, "
                     "cap {cap}"), distributed=r["distributed"], in_scope=r["in_scope"],
            online=r["online"], cap=r["cap"])
                   + (say(lang, N_(" (failed: {why})"), why=why) if why else ""))
    if len(s["active"]) > limit:
        out.append("  " + say(lang, N_("... {n} more runs (see --format json)"),
                              n=len(s["active"]) - limit))
    return out
