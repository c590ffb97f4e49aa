"""The workload model file's structure as data: every key, its type, default and meaning.

The same table types as the policy's (dsl/schema.py), checked by the same
validator (dsl/validate.py) with five kinds of its own (policyc/workload/load.py):
`seconds` (a duration, fractions allowed), `dist` and `count` (distributions,
policyc/workload/distributions.py), `rate` (chats per hour: one number, or 24,
one per hour of the day), `shares` (name -> share) and `path` (a file beside the model).
"""

from __future__ import annotations

from ..dsl.schema import BOOL, IDENT, TIME, F, T, enum, int_range, list_of, obj
from ..runtime.vocabulary import WEEKDAYS

SECONDS = T("seconds", doc="a duration: 30s, 1.5m, 2h")
DIST = T("dist", doc="a duration or {exponential|uniform|lognormal|empirical: ...}")
COUNT = T("count", doc="a whole number or {poisson|geometric|empirical: ...}")
SHARES = T("shares", doc="name -> share; the shares add up to 1")
PATH = T("path", doc="a file, relative to the model")

WINDOW = obj(F("from", TIME, required=True), F("to", TIME, required=True),
             doc="a span of the day, shop-local; `to` before `from` runs past midnight")

STAFF = obj(
    F("agent", IDENT, required=True, doc="an agent of the policy's roster"),
    F("days", list_of(enum(WEEKDAYS)), default=list(WEEKDAYS), doc="the weekdays it works"),
    F("shifts", list_of(WINDOW), default=[], doc="when it is online (default: all day)"),
    F("breaks", list_of(WINDOW), default=[], doc="when it is busy inside a shift"),
    F("absent", list_of(obj(F("from", T("datetime"), required=True),
                            F("to", T("datetime"), required=True))),
      default=[], doc="whole spells away (sick, leave): offline"),
)

ARRIVALS = obj(
    F("replay", PATH, doc="replay the buyer messages of this event log"),
    F("per_hour", T("rate"), doc="new chats per hour: one number, or 24 (00:00 to 23:00)"),
    F("weekdays", obj(*(F(day, T("num", min=0), default=1.0) for day in WEEKDAYS)),
      default={}, doc="the rate multiplied by this on each weekday (default 1)"),
    F("sources", SHARES, doc="where chats start (default: product_page)"),
    F("order_states", SHARES, doc="order states (default: none)"),
    F("intents", SHARES, doc="bot intents; `none` for no intent (default: none)"),
    F("wants_human", T("num", min=0, max=1), doc="share of buyers asking for a person"),
)

HANDLING = obj(
    F("fit", PATH, doc="fit the durations from this log, replayed under the policy"),
    F("first_read", DIST, doc="from getting the chat to reading it (default 1m, exp.)"),
    F("first_reply", DIST, doc="from that read to the first reply (default 1m, exp.)"),
    F("exchanges", COUNT, doc="buyer follow-up messages after the first reply (default 0)"),
    F("buyer_gap", DIST, doc="from a reply to the buyer's next message (default 2m, exp.)"),
    F("read", DIST, doc="from a follow-up to reading it (default 30s, exp.)"),
    F("reply", DIST, doc="from that read to the reply (default 1m, exp.)"),
    F("close", DIST, doc="from the last reply to closing the chat (default 5m, exp.)"),
    F("transfer", obj(
        F("share", T("num", min=0, max=1), required=True,
          doc="share of chats the first holder forwards instead of closing"),
        F("to_group", IDENT, doc="forwarded to this group (S10)"),
        F("to_agent", IDENT, doc="or to this agent (S10, Y12)"),
        F("after", DIST, doc="from the first reply to the transfer (default 1m, exp.)"),
    ), doc="transfers; the new holder handles the chat afresh"),
    F("finish_offline", BOOL, default=False,
      doc="agents act while offline or busy (default: they wait until online again)"),
)

MODEL = obj(
    F("workload", int_range(1, 1), required=True, doc="model format version"),
    F("start", T("datetime"), required=True, doc="the first instant simulated"),
    F("duration", SECONDS, required=True, doc="how long arrivals come and staff work"),
    F("seed", int_range(0, 2**63 - 1), default=0, doc="same model and seed: same records"),
    F("tick", T("seconds", nullable=True), default=60.0,
      doc="time passes in steps this long for timeouts and pool runs; null: no ticks"),
    F("service_level", obj(
        F("target", SECONDS, doc="the wait a chat should be taken within (default 1m)"),
        F("goal", T("num", min=0, max=1), default=0.8,
          doc="the share of chats that should be (a sweep names the fewest agents reaching it)"),
    ), default={}),
    F("arrivals", ARRIVALS, required=True),
    F("handling", HANDLING, default={}),
    F("staff", obj(
        F("replay", PATH, doc="replay the agent_status events of this log"),
        F("agents", list_of(STAFF), doc="each agent's shifts, breaks and absences, in the "
                                         "order `--agents N` takes them"),
    ), required=True),
)
