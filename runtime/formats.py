"""The CONTRACT.md formats as shape tables: events, state snapshots, decisions and records.

`inputs.py` checks events and snapshots against these tables (then the facts a
table cannot say: agents in the roster, groups in the policy); the JSON Schemas
in `policyc/schemas/` are generated from them. The value ranges are the policy
language's too (`dsl/schema.py` reads `RANGES`), so a snapshot or an event can
never set what a policy may not.
"""

from __future__ import annotations

from .shape import (
    Custom,
    Flag,
    Instant,
    Items,
    Key,
    Nullable,
    Number,
    Record,
    Table,
    Tagged,
    Text,
    Whole,
)
from .vocabulary import (
    AVOID_WHYS,
    OFFER_ENDINGS,
    OUTCOMES,
    REASONS,
    REPLIES,
    ROLES,
    SELECTIONS,
    SOURCES,
    STATUSES,
)

# Roster ranges shared by policies (dsl/schema.py), snapshots and events.
RANGES: dict[str, tuple[int, int]] = {
    "capacity": (1, 10_000),
    "score": (0, 100),
    "efficiency": (0, 10),
    "rate": (0, 1),
}
COUNT_MAX = 1_000_000  # unread, pending, open, assigned chats of one agent in a snapshot
WAITING_MAX = 1_000_000  # chats in one of a snapshot's queue, staging, pool
NAME = Text(max_len=256, doc="an id (buyer, agent, group, item, order)")
CAPACITY = Whole(*RANGES["capacity"], doc="max concurrent conversations (Y2)")
SCORE = Whole(*RANGES["score"], doc="ability score for weighted assignment (Y6)")
COUNT = Whole(0, COUNT_MAX)
ANY = Custom("any", lambda value, at: None, {})


def _event(kind: str, *keys: Key, doc: str = "") -> Record:
    return Record(f"`{kind}` event",
                  (Key("at", Instant(), required=True, doc="when it happened"), *keys), doc=doc)


AGENT_KEY = Key("agent", NAME, required=True, doc="the agent (in the policy's roster)")
BUYER_KEY = Key("buyer", NAME, required=True, doc="the buyer")

MESSAGE = _event(
    "message", BUYER_KEY,
    Key("source", Text(SOURCES), required=True, doc="where the buyer wrote from"),
    Key("item_id", Nullable(NAME)), Key("order_id", Nullable(NAME)),
    Key("order_state", Nullable(NAME),
        doc="a built-in state or one the policy declares (`order_states:`)"),
    Key("intent", Nullable(NAME)),
    Key("wants_human", Flag(), doc="false: the buyer is happy with the assistant (T14)"),
    Key("buyer_tags", Items(NAME, max_items=1000), doc="tags such as vip"),
    doc="a buyer writes")

EVENT = Tagged("type", "event type", {
    "message": MESSAGE,
    "agent_status": _event("agent_status", AGENT_KEY,
                           Key("status", Text(STATUSES), required=True)),
    "read": _event("read", AGENT_KEY, BUYER_KEY),
    "reply": _event("reply", AGENT_KEY, BUYER_KEY),
    "close": _event("close", AGENT_KEY, BUYER_KEY),
    "transfer": _event("transfer", AGENT_KEY, BUYER_KEY,
                       Key("to_agent", NAME), Key("to_group", NAME),
                       doc="exactly one of to_agent, to_group"),
    "pick": _event("pick", AGENT_KEY, Key("buyer", NAME, doc="this buyer's waiting chat, or a "
                                                          "new chat with this buyer when it "
                                                          "has none (T12); absent: the next "
                                                          "waiting chat"),
                   doc="the agent takes a waiting chat by hand (Y9); a named buyer who is "
                       "not waiting and in no conversation: the agent starts a chat with "
                       "it (T12, agent-initiated, not routed)"),
    "set_capacity": _event("set_capacity", AGENT_KEY,
                           Key("capacity", Nullable(CAPACITY), required=True,
                               doc="null: no limit")),
    "membership": _event("membership", AGENT_KEY, Key("group", NAME, required=True),
                         Key("member", Flag(says=("joins", "leaves")), required=True,
                             doc="true: joins the group (S12); false: leaves it")),
    "accept": _event("accept", AGENT_KEY, BUYER_KEY,
                     doc="the agent takes the chat offered to it (`offers:`): it opens"),
    "decline": _event("decline", AGENT_KEY, BUYER_KEY,
                      doc="the agent turns the offered chat down: it goes to someone else"),
    "tick": _event("tick", doc="time passes: timeouts and pool runs fire"),
}, doc="one event (CONTRACT.md); a log is JSON Lines of these, in time order")

SNAPSHOT_AGENT = Record("an agent", (
    Key("id", NAME, required=True, doc="an agent of the policy's roster"),
    Key("status", Text(STATUSES), required=True),
    *(Key(k, Nullable(COUNT)) for k in ("unread", "pending", "open", "assigned")),
    Key("level", Nullable(Number(0, 1e12)),
        doc="Y6: the count balanced/weighted compare (default: assigned)"),
    Key("closed", Nullable(COUNT), doc="Y6 measured efficiency: conversations closed"),
    Key("online_seconds", Nullable(Number(0, 1e12)),
        doc="Y6 measured efficiency: seconds online before the snapshot's current session"),
    Key("channel_open", Table(COUNT),
        doc="open chats per channel of `channels:` (`open` counts capacity units)"),
    Key("offline_since", Nullable(Instant())),
    Key("role", Text(ROLES), doc="overrides the roster"),
    Key("created_at", Instant(), doc="overrides the roster (S5 tie-break)"),
    Key("chat_permission", Flag(), doc="overrides the roster"),
    Key("capacity", Nullable(CAPACITY), doc="overrides the roster; null: no limit"),
    Key("score", SCORE, doc="overrides the roster"),
))
CONTACT = Record("a contact", (BUYER_KEY, AGENT_KEY, Key("at", Instant(), required=True)),
                 doc="a recent conversation (S8)")
WAITING_CHAT = Record("a waiting chat", (
    BUYER_KEY,
    Key("at", Instant(), doc="since when it waits (default: the snapshot's time)"),
    Key("source", Text(SOURCES)),
    Key("event", MESSAGE, doc="the buyer's message (default: one from `source`)"),
))

SNAPSHOT = Record("a state snapshot", (
    Key("at", Instant(), required=True, doc="the moment of the snapshot"),
    Key("agents", Items(SNAPSHOT_AGENT, max_items=100_000, unique="id"),
        doc="agents not listed are offline"),
    Key("contacts", Items(CONTACT)),
    *(Key(place, Items(WAITING_CHAT, max_items=WAITING_MAX), doc=f"chats in {place}")
      for place in ("queue", "staging", "pool")),
), doc="a shop's state for one what-if decision (CONTRACT.md)")

# -- what the runtime writes ----------------------------------------------------------

TRACE_STEP = Custom("trace step", lambda value, at: None, {
    "type": "object", "required": ["step", "node", "span", "kind", "result"],
    "properties": {"step": {"type": "string"}, "node": {"type": "string"},
                   "span": {"type": "string", "pattern": "^.+:[0-9]+:[0-9]+$"},
                   "kind": {"type": "string"}, "result": {"type": "string"},
                   "compared": {"type": "array", "items": {
                       "type": "object", "required": ["agent"]},
                       "description": "a pick's candidates as the strategy ranks them, "
                                      "winner first, each with the figures it compared "
                                      "(unread, open/capacity/load, assigned/weight, "
                                      "pending/busy, reception_rate, conversion_rate)"},
                   "tie_break": {"type": ["object", "null"], "required": [
                       "agent", "created", "other", "other_created"],
                       "description": "S5: the winner and the runner-up it tied with, "
                                      "with both creation times"},
                   "waiting_for": {"type": "string",
                                   "description": "a waiting outcome: the agent it waits for"},
                   "text": {"type": "string", "description": "the step as a sentence in "
                                                             "the chosen language (--lang)"}},
    "description": "one evaluated node; its kind adds detail (failed, kept, dropped, ...)"})
POLICY_HASH = Custom("policy hash", lambda value, at: None,
                     {"type": "string", "pattern": "^sha256:[0-9a-f]{64}$"})
OPT_NAME = Nullable(Text(max_len=1 << 20))
DECISION_KEYS = (
    Key("at", Instant(), required=True), Key("event", EVENT, required=True),
    Key("outcome", Text(OUTCOMES), required=True), Key("agent", OPT_NAME, required=True),
    Key("group", OPT_NAME, required=True), Key("source", OPT_NAME, required=True),
    Key("reason", Text(tuple(REASONS)), required=True),
    Key("selection", Nullable(Text(SELECTIONS)), required=True),
    Key("auto_replies", Items(Text(REPLIES)), required=True),
    Key("policy", POLICY_HASH, required=True),
    Key("path", Items(Text(max_len=1 << 20)), required=True,
        doc="the graph nodes walked (empty when the engine decided without the route)"),
    Key("trace", Items(TRACE_STEP)),
    Key("avoided", Items(Record("an agent left out", (
        AGENT_KEY, Key("why", Text(AVOID_WHYS), required=True)))),
        doc="agents this decision was told to leave out: they declined or let an offer of "
            "the chat run out, or already have it (a reassignment)"),
    *(Key(key, Text(), doc=f"explain --format json: the {what} in the chosen language")
      for key, what in (("outcome_text", "outcome"), ("reason_text", "reason's plain phrase"),
                        ("selection_text", "selection's plain phrase"))),
)
DECISION = Record("a decision", DECISION_KEYS,
                  doc="one routing outcome (CONTRACT.md), as `policyc explain --format json` "
                      "prints it")

FACTS_KEY = Key("facts", Items(Record("an agent-facts row", (
    AGENT_KEY, Key("at", Instant(), required=True),
    Key("status", Text(STATUSES), required=True), Key("open", COUNT, required=True),
    Key("capacity", Nullable(Whole(0, COUNT_MAX)), required=True),
    Key("groups", Items(NAME), required=True)))),
    doc="agents whose facts changed since the previous record, each with its instant "
        "(runtime/facts.py)")
_ROUTED = (BUYER_KEY, *DECISION_KEYS, FACTS_KEY,
           Key("cause", EVENT, doc="the event that handed the chat out"),
           Key("auto_reply_texts", ANY), Key("note", ANY), Key("routed_by", ANY),
           Key("pool_run", ANY), Key("why", ANY),
           Key("offer_due", Instant(), doc="an `offered` chat: when its push timeout runs out"))
_OTHER = (Key("at", Instant(), required=True),
          Key("event", EVENT, required=True), Key("policy", POLICY_HASH, required=True),
          FACTS_KEY)
RECORD = Tagged("kind", "record kind", {
    **{kind: Record(f"a `{kind}` record", _ROUTED)
       for kind in ("route", "continued", "release", "transfer", "accepted", "initiated")},
    "declined": Record("a `declined` record", (
        *_OTHER, BUYER_KEY, AGENT_KEY, Key("why", Text(OFFER_ENDINGS), required=True),
        Key("offered_at", Instant(), required=True))),
    "closed": Record("a `closed` record", (
        *_OTHER, BUYER_KEY, AGENT_KEY, Key("why", Text(), required=True),
        Key("auto_replies", Items(Text(REPLIES)),
            doc="Y11: the timeout notice sent with the close (customer_timeout, "
                "agent_timeout), else empty"),
        Key("auto_reply_texts", Items(Text()), doc="the notice's text, when one was sent"))),
    "ignored": Record("an `ignored` record", (*_OTHER, Key("why", Text(), required=True))),
    "membership": Record("a `membership` record", (
        *_OTHER, AGENT_KEY, Key("group", NAME, required=True),
        Key("member", Flag(), required=True), Key("left", Items(NAME), required=True),
        Key("groups", Items(NAME), required=True))),
    "pool_run": Record("a `pool_run` record", (*_OTHER, *(Key(k, ANY) for k in (
        "avg_pending", "buyers", "cap", "distributed", "failed", "failures", "in_scope",
        "online", "operator", "over_cap", "scope", "slot", "target")))),
}, doc="one line of `policyc simulate -o`: a decision with its kind, or an engine record")
