"""Anchor 3: the benchmark decision as a GoRules JDM model run by zen-engine.

Two equivalent decision graphs, input -> one node -> output: `expression`
(the default; ZEN expressions, evaluated natively, the engine's fast path) and
`function` (a JavaScript function node, run in the engine's embedded JS
runtime). A rules engine keeps no state between calls, so every call is handed
the event, the buyer's pin and last contact (host look-ups) and the whole agent
list; the host applies the assignment (and status and capacity changes) to its
own records, as it would with any stateless decision service.

The model is evaluated through zen-engine's fast path: a `ZenEngine` whose
loader hands out the model parsed once (`ZenDecisionContent`), called by key
(`engine.evaluate("route", input)`); `ZenDecision.evaluate` on a decision made
by `create_decision` gives the same answers many times slower.

The expression model picks the minimum of `unread * 10^13 + created_ms`, which
is the (unread, created_at) order while creation times are distinct (they are
in the benchmark shop; the id tie-break is not modelled).
"""

from __future__ import annotations

import json
from typing import Any

import zen

from .shop_model import Decision, Shop, change_of, load_shop

SELECT_JS = """
const better = (a, b) => b === null || a.unread < b.unread ||
  (a.unread === b.unread && (a.created < b.created ||
   (a.created === b.created && a.id < b.id)));
const eligible = (a) => a.perm && a.status === 'online' && (a.cap === null || a.open < a.cap);
const best = (agents, group) => {
  let pick = null;
  for (const a of agents) {
    if (!a.main && (group === null || a.group === group) && eligible(a) && better(a, pick)) {
      pick = a;
    }
  }
  return pick;
};
export const handler = async (input) => {
  const agents = input.agents;
  const byId = (id) => agents.find((a) => a.id === id);
  if (input.pin !== null) {
    const a = byId(input.pin);
    return a && eligible(a)
      ? {outcome: 'assigned', agent: a.id, reason: 'pinned_agent'}
      : {outcome: 'waiting', agent: null, reason: 'pinned_agent_waiting'};
  }
  const at = Date.parse(input.at);
  if (input.contact !== null && at - Date.parse(input.contact.at) <= input.window_ms) {
    const a = byId(input.contact.agent);
    if (a && !a.main && eligible(a)) {
      return {outcome: 'assigned', agent: a.id, reason: 'recent_contact'};
    }
  }
  const group = input.bindings[input.source];
  if (group !== undefined) {
    const a = best(agents, group);
    if (a !== null) return {outcome: 'assigned', agent: a.id, reason: 'source_group'};
  }
  const other = best(agents, null);
  if (other !== null) {
    return {outcome: 'assigned', agent: other.id, reason: 'fallback_other_online'};
  }
  if (agents.some((a) => !a.main && a.perm && a.status === 'online')) {  // S4-C
    return {outcome: 'staged', agent: null, reason: 'staged_nobody_online'};
  }
  const main = agents.find((a) => a.main && eligible(a));
  if (main) return {outcome: 'assigned', agent: main.id, reason: 'main_account_fallback'};
  return {outcome: 'staged', agent: null, reason: 'staged_nobody_online'};
};
"""


# Eligible (E) and the fewest_unread key (K) of the agent `#`, in ZEN expressions.
_E = "#.perm and #.status == 'online' and (#.cap == null or #.open < #.cap)"
_K = "#.unread * 10000000000000 + #.created"
_GROUP = f"not #.main and #.group == $.group and {_E}"
_OTHER = f"not #.main and {_E}"
_UNDECIDED = "pin == null and not $.recent"
_ONLINE_SUB = "not #.main and #.perm and #.status == 'online'"  # S4-C: keeps main out

# (output key, expression); later expressions read earlier ones as `$.key`.
EXPRESSIONS = (
    ("pinned", "pin != null"),
    ("pin_ok", f"pin != null and some(agents, #.id == pin and {_E})"),
    ("recent", "pin == null and contact != null and date(at) - date(contact.at) <= window_s"
               f" and some(agents, #.id == contact.agent and not #.main and {_E})"),
    ("group", "bindings[source]"),
    ("group_key", f"{_UNDECIDED} and $.group != null and some(agents, {_GROUP})"
                  f" ? min(map(filter(agents, {_GROUP}), {_K})) : null"),
    ("group_pick", f"$.group_key != null ? filter(agents, {_GROUP} and {_K} == $.group_key)[0].id"
                   " : null"),
    ("other_key", f"{_UNDECIDED} and $.group_key == null and some(agents, {_OTHER})"
                  f" ? min(map(filter(agents, {_OTHER}), {_K})) : null"),
    ("other_pick", f"$.other_key != null ? filter(agents, {_OTHER} and {_K} == $.other_key)[0].id"
                   " : null"),
    ("main_pick", f"{_UNDECIDED} and $.group_key == null and $.other_key == null"
                  f" and not some(agents, {_ONLINE_SUB})"
                  f" and some(agents, #.main and {_E}) ? filter(agents, #.main and {_E})[0].id"
                  " : null"),
    ("agent", "$.pin_ok ? pin : ($.recent ? contact.agent : ($.group_key != null ? $.group_pick"
              " : ($.other_key != null ? $.other_pick : $.main_pick)))"),
    ("outcome", "$.pinned ? ($.pin_ok ? 'assigned' : 'waiting')"
                " : ($.agent != null ? 'assigned' : 'staged')"),
    ("reason", "$.pinned ? ($.pin_ok ? 'pinned_agent' : 'pinned_agent_waiting')"
               " : ($.recent ? 'recent_contact' : ($.group_key != null ? 'source_group'"
               " : ($.other_key != null ? 'fallback_other_online'"
               " : ($.main_pick != null ? 'main_account_fallback' : 'staged_nobody_online'))))"),
)

MODELS = ("expression", "function")


def decision_model(kind: str = "expression") -> dict[str, Any]:
    """The JDM graph: input node -> expression or function node -> output node."""
    def node(nid: str, node_type: str, x: int, content: dict[str, Any]) -> dict[str, Any]:
        return {"id": nid, "type": node_type, "name": nid, "position": {"x": x, "y": 0},
                "content": content}

    if kind == "expression":
        select = node("select", "expressionNode", 200, {"expressions": [
            {"id": key, "key": key, "value": value} for key, value in EXPRESSIONS]})
    else:
        select = node("select", "functionNode", 200, {"source": SELECT_JS})
    return {
        "nodes": [node("request", "inputNode", 0, {}), select,
                  node("response", "outputNode", 400, {})],
        "edges": [{"id": "e1", "sourceId": "request", "targetId": "select", "type": "edge"},
                  {"id": "e2", "sourceId": "select", "targetId": "response", "type": "edge"}],
    }


class ZenRouter:
    """decide(event) -> (outcome, agent, reason), applying the assignment host-side."""

    def __init__(self, policy: str | dict[str, Any], snapshot: dict[str, Any],
                 model: str = "expression") -> None:
        self.shop: Shop = load_shop(policy, snapshot)
        content = zen.ZenDecisionContent(json.dumps(decision_model(model)))
        self.engine = zen.ZenEngine({"loader": lambda key: content})
        self.records: dict[str, dict[str, Any]] = {
            a.id: {"id": a.id, "main": a.is_main, "perm": a.chat_permission,
                   "status": a.status, "unread": a.unread, "open": a.open,
                   "pending": a.pending, "cap": a.capacity,
                   "created": int(a.created * 1000), "group": a.group}
            for a in self.shop.agents.values()
        }
        self.agents = list(self.records.values())
        self.window_ms = int(self.shop.window * 1000)
        self.window_s = int(self.shop.window)
        self.contacts: dict[str, dict[str, str]] = {
            c["buyer"]: {"agent": c["agent"], "at": c["at"]} for c in snapshot["contacts"]}

    def decide(self, event: dict[str, Any]) -> Decision:
        if event["type"] != "message":
            changed = self.records[event["agent"]]
            if event["type"] == "agent_status":
                changed["status"] = event["status"]
            else:
                changed["cap"] = event["capacity"]
            return change_of(event)
        buyer = event["buyer"]
        result = self.engine.evaluate("route", {
            "at": event["at"], "source": event["source"], "buyer": buyer,
            "pin": self.shop.pins.get(buyer), "contact": self.contacts.get(buyer),
            "window_ms": self.window_ms, "window_s": self.window_s,
            "bindings": self.shop.source_group, "agents": self.agents,
        })["result"]
        agent = result.get("agent")  # the engine drops null fields
        if result["outcome"] == "assigned":
            record = self.records[agent]
            record["unread"] += 1
            record["pending"] += 1
            record["open"] += 1
            self.contacts[buyer] = {"agent": agent, "at": event["at"]}
        return (result["outcome"], agent, result["reason"])
