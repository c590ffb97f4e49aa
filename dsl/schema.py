"""The policy file's structure as data: every key, its type, default and meaning.

One table serves three readers: `validate.py` checks YAML trees against it,
`jsonschema.py` turns it into the JSON Schema editors use, and the README's
language reference is written from it. Change the language here.
"""

from __future__ import annotations

from dataclasses import dataclass

from policyc.runtime.formats import RANGES
from policyc.runtime.vocabulary import (  # noqa: F401  (DEFAULT_REPLIES: Y10 texts, re-exported)
    DEFAULT_REPLIES,
    LANGUAGES,
    ORDER_STATES,
    ROLES,
    SOURCES,
    STRATEGIES,
    WEEKDAYS,
)


@dataclass(frozen=True)
class T:
    """A value type. `kind` selects the check; the other fields parameterise it."""

    kind: str  # str, ident, int, bool, duration, time, date, datetime, timezone, enum,
    #            expr, list, map, obj, step, include, pin, attribute
    values: tuple[str, ...] = ()
    item: T | None = None
    fields: tuple[F, ...] = ()
    min: int | None = None
    max: int | None = None
    nullable: bool = False
    doc: str = ""


@dataclass(frozen=True)
class F:
    """One key of a mapping."""

    name: str
    type: T
    required: bool = False
    default: object = None
    doc: str = ""


def enum(values: tuple[str, ...], doc: str = "") -> T:
    return T("enum", values=values, doc=doc)


def list_of(item: T, doc: str = "") -> T:
    return T("list", item=item, doc=doc)


def obj(*fields: F, doc: str = "") -> T:
    return T("obj", fields=tuple(fields), doc=doc)


STR = T("str")
IDENT = T("ident", doc="a name: letters, digits, _ - . @ (agent ids, group names)")
BOOL = T("bool")
EXPR = T("expr", doc="a condition in the expression syntax")
DURATION = T("duration", doc="a number with a unit: 30s, 10m, 72h, 3d")
TIME = T("time", doc="a time of day, HH:MM, shop-local")
DATE = T("date", doc="a calendar date, YYYY-MM-DD, shop-local")


# The largest count a policy may write (chats, agents): every number has a bound, so a
# 5000-digit one is a located range error, not arithmetic on it at run time.
MAX_COUNT = 100_000


def int_range(lo: int | None = None, hi: int | None = None, nullable: bool = False) -> T:
    return T("int", min=lo, max=hi, nullable=nullable)


RATE = RANGES["rate"]
AGENT = obj(
    F("id", IDENT, required=True, doc="the account's id, as events name it"),
    F("name", T("str", nullable=True), default=None,
      doc="display name shown to merchants beside the id (any text, e.g. 王芳)"),
    F("role", enum(ROLES), default="agent", doc="main account, admin or sub-account"),
    F("created_at", T("datetime"), required=True,
      doc="account creation time (ISO 8601); breaks S5 ties"),
    F("chat_permission", BOOL, default=True, doc="only permitted accounts get chats (S2)"),
    F("capacity", int_range(*RANGES["capacity"], nullable=True), default=None,
      doc="max concurrent conversations (Y2); null = no limit"),
    F("score", int_range(*RANGES["score"]), default=80,
      doc="ability score for weighted assignment (Y6)"),
    F("reception_rate", T("num", min=RATE[0], max=RATE[1]), default=None,
      doc="platform metric (T14)"),
    F("conversion_rate", T("num", min=RATE[0], max=RATE[1]), default=None,
      doc="platform metric (T14)"),
    F("efficiency", T("num", min=RANGES["efficiency"][0], max=RANGES["efficiency"][1]),
      default=1.0,
      doc="historical efficiency factor for weighted assignment (Y6)"),
    F("attributes", T("map", item=T("attribute")), default={},
      doc="the agent's values of the policy's `agent_attributes` (skills, language, level)"),
    F("channel_capacity", T("map", item=int_range(0, 10_000)), default={},
      doc="at most this many open chats of each named channel (`channels:`)"),
    F("proxy", T("ident", nullable=True), default=None,
      doc="T12 proxy account (代理账号): the agent who takes this agent's own buyers "
          "(its pins and recent contacts) while this one cannot; null = none"),
)

# `channels:` groups sources for capacity: each chat of a channel takes `weight` units of
# its agent's `capacity`, and an agent may cap its open chats per channel.
CHANNEL = obj(
    F("sources", list_of(enum(SOURCES)), required=True, doc="the sources of this channel"),
    F("weight", int_range(1, 100), default=1,
      doc="units of an agent's capacity one open chat of this channel takes"),
)

# `agent_attributes:` declares what roster entries may say about an agent, so a misspelt
# attribute or value is an error (E203/E204) rather than a requirement nobody meets.
ATTRIBUTE = obj(
    F("type", enum(("set", "one", "number")), default="one",
      doc="set: an agent lists several values (skills); one: a single value (language); "
          "number: a whole number (level)"),
    F("values", list_of(IDENT), default=[], doc="the allowed values of a set or one"),
)

# A binding's requirement on the agent, stage by stage (relaxing while the chat waits).
REQUIREMENT = obj(
    F("agent", EXPR, required=True, doc="a condition over `agent.<attribute>` fields"),
    F("for", T("duration", nullable=True), default=None,
      doc="how long the chat waits for such an agent before the next stage; null = always"),
)

# One entry of a binding's timed targets: a group that opens once the chat has waited
# `wait` (escalation over time, issue 12: TaskRouter's per-target timeouts).
TARGET = obj(
    F("group", IDENT, required=True, doc="a group (tried with its overflow chain)"),
    F("wait", DURATION, default="0s",
      doc="how long the chat waits before this group may take it; never less than the "
          "previous target's"),
)

WINDOW_LIST_DOC = "opening windows; from > to runs past midnight"

GROUP = obj(
    F("members", list_of(IDENT), default=[], doc="agent ids (S2: one group per agent)"),
    F("sources", list_of(enum(SOURCES)), default=[],
      doc="sources bound to this group (S2, S5, Y7): shorthand for a binding"),
    F("order_states", list_of(enum(ORDER_STATES)), default=[], doc="order states (T9)"),
    F("intents", list_of(IDENT), default=[], doc="bot intents (T9), from `intents:`"),
    F("select", enum(STRATEGIES), default=None, doc="agent selection inside the group"),
    F("overflow", list_of(IDENT), default=[],
      doc="groups to try, in order, when nobody here can take the chat"),
    F("fallback", BOOL, default=True,
      doc="false: this team's members are not among an `other_online` step's agents"),
    F("bot_first", T("expr", nullable=True), default=None,
      doc="T14 group bot first: while this condition holds, the assistant answers the "
          "chats bound to this group before its agents (`not wants_human`: until the "
          "buyer asks for a person); null = off"),
)

BINDING = obj(
    F("when", EXPR, default=None, doc="condition; absent = always"),
    F("to", list_of(IDENT), default=[], doc="target groups, in order"),
    F("agents", list_of(IDENT), default=[], doc="target agents (Y7 designated agents)"),
    F("enabled", BOOL, default=True, doc="this channel's designation switch (Y7)"),
    F("select", enum(STRATEGIES), default=None, doc="selection among the targets"),
    F("require", list_of(REQUIREMENT), default=[],
      doc="stages of what the agent must be; after the last stage with `for:`, anyone"),
    F("split", T("map", item=int_range(1, 10_000)), default={},
      doc="weights of the `to:` groups: each buyer's first group is drawn by a stable "
          "hash of the shop and the buyer (T9)"),
    F("targets", list_of(TARGET), default=[],
      doc="instead of `to:`: groups that open one after another while the chat waits "
          "(escalation over time)"),
)

PIN = obj(
    F("agent", IDENT, required=True),
    F("mode", enum(("strict", "prefer")), default=None,
      doc="strict: wait for that agent (Y8); prefer: fall through when unavailable (T14)"),
)

# Route steps: `kind -> the extra keys it takes`. Every step also takes `when`.
STEP_KINDS: dict[str, tuple[F, ...]] = {
    "exclude": (),
    "bot_first": (),
    "pin": (),
    "recent_contact": (
        F("window", T("duration", nullable=True), default="72h",
          doc="how far back a contact counts (S8, T10); null = no limit (Y3)"),
        F("grace", DURATION, default="0s",
          doc="wait this long for an agent who just went offline (S8: 10m)"),
        F("reach_hidden", BOOL, default=False,
          doc="pool runs may reach a hidden agent of a recent contact (T7)"),
    ),
    "only_one_online": (),
    "bindings": (F("enabled", BOOL, default=True, doc="master designation switch (Y7)"),),
    "other_online": (
        F("include_main", BOOL, default=False, doc="main account among the others (S6)"),
        F("select", enum(STRATEGIES), default=None),
    ),
    "main_account": (),
    "queue": (),
    "stage": (),
    "offline_pool": (),
    "offline_to_main": (),
    "offline_to_assistant": (),
}

WINDOW = obj(F("from", TIME, required=True), F("to", TIME, required=True))

CALENDAR_DATE = obj(
    F("date", DATE, required=True),
    F("hours", list_of(WINDOW), default=[], doc="that day's windows instead; [] = closed"),
)
CALENDAR = obj(
    F("hours", obj(*(F(day, list_of(WINDOW), default=[]) for day in WEEKDAYS)),
      default={}, doc="windows per weekday (a day not written is closed); " + WINDOW_LIST_DOC),
    F("dates", list_of(CALENDAR_DATE), default=[], doc="dates with their own hours"),
    F("holidays", list_of(DATE), default=[], doc="dates the calendar is closed all day"),
)

PRIORITY = obj(
    F("when", EXPR, required=True, doc="a condition on the message"),
    F("priority", int_range(-1000, 1000), required=True, doc="higher is served first"),
)

REPLY = obj(
    F("enabled", BOOL, default=True),
    F("text", T("str", nullable=True), default=None, doc="up to 1000 characters; empty = default"),
)

SHOP = obj(
    F("id", IDENT, required=True),
    F("timezone", T("timezone"), required=True, doc="IANA time zone, e.g. Asia/Taipei"),
    F("language", enum(LANGUAGES), default="zh-Hans",
      doc="the language buyers read: default auto-reply texts (Y10); zh-Hant for Taiwan"),
    F("grouping", BOOL, default=True, doc="grouping switch (S1); off = main account only"),
    F("one_group_per_agent", BOOL, default=True, doc="S2: an agent is in at most one group"),
    F("include_main_account", BOOL, default=True,
      doc="'include main account in grouping' (S4)"),
    F("exclude_admins", BOOL, default=False, doc="admins and main take no auto chats (Y4)"),
    F("sources", list_of(enum(SOURCES)), default=list(SOURCES),
      doc="the sources this shop receives (lint checks each is covered)"),
)

POLICY = obj(
    F("policyc", int_range(1, 1), required=True, doc="language version"),
    F("shop", SHOP, required=True),
    F("intents", list_of(IDENT), default=[], doc="the bot intents bindings may name (T9)"),
    F("order_states", list_of(IDENT), default=[],
      doc="order states the platform sends beyond the built-in ones (e.g. refunded)"),
    F("agent_attributes", T("map", item=ATTRIBUTE), default={},
      doc="what roster entries may say about an agent: `agent.<name>` in requirements"),
    F("calendars", T("map", item=CALENDAR), default={},
      doc="business-hours calendars: `calendar.<name>` is true while one is open"),
    F("roster", T("include", item=list_of(AGENT)), required=True,
      doc="the agents, or the path of a YAML file that holds them"),
    F("groups", T("map", item=GROUP), default={}),
    F("channels", T("map", item=CHANNEL), default={},
      doc="sources grouped for capacity: a weight per chat, a cap per agent and channel"),
    F("selection", obj(
        F("strategy", enum(STRATEGIES), default="fewest_unread"),
        F("busy_threshold", int_range(0, 10_000), default=4,
          doc="pending replies above this count as busy (T11)"),
        F("efficiency", enum(("roster", "measured")), default="roster",
          doc="Y6 weighted: the roster's fixed efficiency, or measured from closes per "
              "hour online"),
        F("reference_rate", T("num", min=1, max=1000), default=10,
          doc="closes per hour online that count as efficiency 1.0 (measured)"),
    ), default={}),
    F("bindings", list_of(BINDING), default=[]),
    F("pins", T("include", item=T("map", item=T("pin", item=PIN))), default={},
      doc="buyer id -> agent id (or {agent, mode}); or a file path, or a list of them"),
    F("pin_mode", enum(("strict", "prefer")), default="strict"),
    F("route", list_of(T("step")), required=True, doc="the decision steps, in order"),
    F("queue", obj(
        F("order", enum(("oldest_first", "newest_first")), default="oldest_first"),
        F("take_on_online", T("int", min=0, max=MAX_COUNT, nullable=True), default=None,
          doc="queued chats an agent takes on coming online; null = its spare capacity"),
        F("priority", list_of(PRIORITY), default=[],
          doc="the first matching rule gives a queued chat its priority (else 0); higher "
              "priority first, then `order`"),
    ), default={}),
    F("staging", obj(
        F("mode", enum(("first_online", "even_split")), default="first_online"),
        F("cap", int_range(1, 100_000), default=100, doc="first agent online takes up to this"),
    ), default={}),
    F("working_hours", obj(
        F("days", list_of(enum(WEEKDAYS)), default=list(WEEKDAYS)),
        F("from", TIME, default="00:00"),
        F("to", TIME, default="24:00"),
    ), default=None),
    F("auto_replies", obj(
        F("welcome", REPLY, default={"enabled": False}),
        F("queued", REPLY, default={"enabled": False}),
        F("after_hours", REPLY, default={"enabled": False}),
        F("customer_timeout", REPLY, default={"enabled": False},
          doc="Y11 timeout notice: sent when `customer_no_response` closes the chat"),
        F("agent_timeout", REPLY, default={"enabled": False},
          doc="Y11 timeout notice: sent when `agent_no_response` closes the chat"),
    ), default={}),
    F("timeouts", obj(
        F("close_read_idle", T("duration", nullable=True), default=None,
          doc="S11: close a read conversation idle this long (Shopee: 30m); null = never"),
        F("customer_no_response", T("duration", nullable=True), default=None, doc="Y11"),
        F("agent_no_response", T("duration", nullable=True), default=None, doc="Y11"),
        F("reassign_unreplied", T("duration", nullable=True), default=None,
          doc="move a chat whose agent has not replied in time to another agent"),
    ), default={}),
    F("offers", obj(
        F("push_timeout", T("duration", min=1), required=True,
          doc="how long an offered chat waits for its agent to accept it (issue 12)"),
    ), default=None, doc="offer automatic assignments: the agent accepts or declines, "
                         "and the chat goes on to the next candidate"),
    F("offline_pool", obj(
        F("windows", list_of(WINDOW), default=[], doc="T2 auto-distribution windows"),
        F("scope", enum(("wants_human_24h", "all_24h")), default="wants_human_24h"),
        F("target", enum(("routing_rules", "groups", "agents")), default="routing_rules"),
        F("groups", list_of(IDENT), default=[]),
        F("agents", list_of(IDENT), default=[]),
        F("min_online", int_range(0, MAX_COUNT), default=1, doc="T5"),
        F("max_avg_pending", T("int", min=0, max=MAX_COUNT, nullable=True), default=None,
          doc="T5"),
        F("per_agent", int_range(1, MAX_COUNT), default=10, doc="T6"),
        F("hard_cap", int_range(1, 5000), default=5000, doc="T6"),
    ), default=None),
)

ROSTER_FILE = obj(F("roster", list_of(AGENT), required=True))
PINS_FILE = obj(F("pins", T("map", item=T("pin", item=PIN)), required=True))

# Y10: an auto reply switched on with empty text sends DEFAULT_REPLIES[name]
# (runtime/vocabulary.py, since the engine sends them); at most this long:
MAX_REPLY_CHARS = 1000
