"""S13, Y14 counters: live numbers per shop and per agent, kept from event times only.

The engine tells `Counters` what happened (an agent's status changed, a chat
was assigned and why, a conversation closed, an agent replied for the first
time); the live numbers (open, unread, pending, waiting) are read from the
engine's state when `report` is asked. Time is the events' time, never the
clock, so a replayed log gives the same counters (G3).

Words, as `Engine.counters()` reports them:

- "today" is the shop-local day of the last event fed; `today` counts what
  happened on that day, `total` since the engine started. Status time is split
  at local midnight, and runs up to the last event fed.
- assignments by cause (Y14): `auto` every chat the engine gave an agent
  (route, queue pull, staging release, pool run, a chat decided again);
  `transfer_in` / `transfer_out` forwards (S10, Y12); `agent_initiated` a chat
  the agent took by hand (`pick`): a waiting chat, or one it started with a
  buyer who had none (T12). `opened` is their sum without `transfer_out`.
- first response (Y14): seconds from a conversation's assignment to the
  agent's first `reply` in it; each conversation counts once, for the agent
  that held it (a transferred chat starts again with its new agent). A chat
  the agent started counts none: no buyer waited for that reply.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from typing import Any

from .catalog import N_, say
from .clock import format_instant, zone
from .state import AgentState
from .vocabulary import STATUSES
from .words import STATUS_WORDS

CAUSES = ("auto", "transfer_in", "transfer_out", "agent_initiated")
Seconds = dict[str, float]  # status -> seconds


class Counters:
    """What happened to each agent, by shop-local day."""

    def __init__(self, tz: str) -> None:
        self.tz = tz
        self.status_since: dict[str, tuple[str, float]] = {}
        self.days: dict[str, dict[str, Counter[str]]] = {}  # agent -> date -> counts
        self.seconds: dict[str, dict[str, Seconds]] = {}  # agent -> date -> status -> seconds
        self.closed_by_day: Counter[str] = Counter()  # whole shop, main account included
        self._today: tuple[float, float, str] = (0.0, 0.0, "")  # [start, end) of a local day

    def start(self, agents: Iterable[AgentState], at: float) -> None:
        """Begin counting at `at`, each agent in the status it has then."""
        for agent in agents:
            self.status_since[agent.id] = (agent.status, at)
            self.days[agent.id] = {}
            self.seconds[agent.id] = {}

    # -- what the engine tells ---------------------------------------------------------
    def status(self, agent: str, new: str, at: float) -> None:
        """The agent's status changed: the time in the old one is counted."""
        old, since = self.status_since[agent]
        _add_time(self.seconds[agent], old, since, at, self.tz)
        self.status_since[agent] = (new, at)

    def assigned(self, agent: str, cause: str, at: float) -> None:
        """The agent got (or, `transfer_out`, gave away) a chat; `cause` is one of CAUSES."""
        self._count(agent, cause, at)

    def closed(self, agent: str, at: float) -> None:
        """One of the agent's conversations closed."""
        self._count(agent, "closed", at)
        self.closed_by_day[self._day(at)] += 1

    def first_reply(self, agent: str, waited: float, at: float) -> None:
        """The agent's first reply in a conversation, `waited` seconds after it got it."""
        day = self._count(agent, "first_responses", at)
        day["first_response_seconds"] += round(waited)

    def _count(self, agent: str, key: str, at: float) -> Counter[str]:
        days, date = self.days[agent], self._day(at)
        day = days.get(date)
        if day is None:
            day = days[date] = Counter()
        day[key] += 1
        return day

    def _day(self, at: float) -> str:
        """The shop-local date of `at` (the current day's bounds are kept: events come in
        time order, so nearly every call is a comparison)."""
        start, end, _ = self._today
        if not start <= at < end:
            tz = zone(self.tz)
            local = datetime.fromtimestamp(at, tz).date()
            start = datetime.combine(local, datetime.min.time(), tz).timestamp()
            end = datetime.combine(local + timedelta(days=1), datetime.min.time(), tz).timestamp()
            self._today = start, end, local.isoformat()
        return self._today[2]

    # -- the report ---------------------------------------------------------------------
    def report(self, at: float, agents: dict[str, AgentState], open_unread: tuple[int, int],
               waiting: dict[str, int]) -> dict[str, Any]:
        """Shop and per-agent counters at `at` (the last event's time)."""
        today = self._day(at)
        by_status = Counter(a.status for a in agents.values())
        shop = {
            "open": open_unread[0], "unread": open_unread[1],
            "unassigned": sum(waiting.values()), "waiting": waiting,
            "closed_today": self.closed_by_day[today],
            "closed_total": sum(self.closed_by_day.values()),
            "agents_online": by_status["online"],
            "agents_by_status": {s: by_status[s] for s in STATUSES},
        }
        return {"at": format_instant(at, self.tz), "day": today, "shop": shop,
                "agents": {a.id: self._agent(a, at, today) for a in agents.values()}}

    def _agent(self, agent: AgentState, at: float, today: str) -> dict[str, Any]:
        seconds = {d: dict(c) for d, c in self.seconds[agent.id].items()}
        status, since = self.status_since[agent.id]
        _add_time(seconds, status, since, at, self.tz)  # the status it is in still counts
        days = self.days[agent.id]
        return {
            "status": agent.status, "open": agent.open, "unread": agent.unread,
            "pending": agent.pending,
            "today": _facts(days.get(today, Counter()), seconds.get(today, {})),
            "total": _facts(sum(days.values(), Counter()), _sum(seconds.values())),
        }


def _facts(counts: Counter[str], seconds: Seconds) -> dict[str, Any]:
    answered = counts["first_responses"]
    return {
        "opened": counts["auto"] + counts["transfer_in"] + counts["agent_initiated"],
        "closed": counts["closed"],
        "assignments": {c: counts[c] for c in CAUSES},
        "seconds": {s: round(seconds.get(s, 0.0)) for s in STATUSES},
        "first_response": {
            "count": answered,
            "average_seconds": round(counts["first_response_seconds"] / answered)
            if answered else None,
        },
    }


def _sum(days: Iterable[Seconds]) -> Seconds:
    total: Seconds = {}
    for day in days:
        for status, span in day.items():
            total[status] = total.get(status, 0.0) + span
    return total


def _add_time(seconds: dict[str, Seconds], status: str, start: float, end: float,
              tz: str) -> None:
    """Add `end - start` seconds in `status`, split by shop-local day."""
    for day, span in _split_by_day(start, end, tz):
        spent = seconds.setdefault(day, {})
        spent[status] = spent.get(status, 0.0) + span


def _split_by_day(start: float, end: float, tz: str) -> Iterator[tuple[str, float]]:
    here = zone(tz)
    while start < end:
        local = datetime.fromtimestamp(start, here)
        midnight = datetime.combine(local.date() + timedelta(days=1), datetime.min.time(), here)
        stop = min(end, midnight.timestamp())
        yield local.date().isoformat(), stop - start
        start = stop


def counters_text(report: dict[str, Any], limit: int = 20, lang: str = "en") -> list[str]:
    """The counters for a person, in `lang`: the shop in one line, then each agent seen
    today."""
    if not report:
        return []
    shop = report["shop"]
    out = [say(lang, N_("counters at {at}: {open} open, {unread} unread, {unassigned} "
                        "unassigned, {closed} closed today, {online} agents online"),
               at=report["at"], open=shop["open"], unread=shop["unread"],
               unassigned=shop["unassigned"], closed=shop["closed_today"],
               online=shop["agents_online"])]
    seen = {a: row for a, row in report["agents"].items()
            if row["status"] != "offline" or row["open"] or row["today"]["opened"]
            or row["today"]["closed"]}
    width = max((len(a) for a in seen), default=0)
    statuses = {code: say(lang, text) for code, text in STATUS_WORDS.items()}
    status_width = max(len(text) for text in statuses.values())
    for agent, row in list(seen.items())[:limit]:
        today = row["today"]
        first = today["first_response"]["average_seconds"]
        shown = statuses.get(row["status"], row["status"])
        out.append(f"  {agent:<{width}}  {shown:<{status_width}} " + say(
            lang, N_("{open} open {unread} unread, today {opened} opened {closed} closed, "
                     "online {online} hidden {hidden}"),
            open=row["open"], unread=row["unread"], opened=today["opened"],
            closed=today["closed"], online=_hours(today["seconds"]["online"]),
            hidden=_hours(today["seconds"]["hidden"]))
                   + (say(lang, N_(", first response avg {seconds}s"), seconds=first)
                      if first is not None else ""))
    if len(seen) > limit:
        out.append("  " + say(lang, N_("... {n} more agents (see --format json)"),
                              n=len(seen) - limit))
    return out


def _hours(seconds: int) -> str:
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
