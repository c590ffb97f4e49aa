"""Anchor 3: the benchmark decision as a GoRules JDM model run by zen-engine.

The decision graph is input -> function (JavaScript selection) -> output. A
rules engine keeps no state between calls, so every call is handed the event,
the buyer's pin and last contact (host look-ups) and the whole agent list; the
host applies the assignment to its own records afterwards, as it would for any
stateless decision service.
"""

from __future__ import annotations

import json
from typing import Any

import zen

from .shop_model import Decision, Shop, load_shop

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
  const main = agents.find((a) => a.main && eligible(a));
  if (main) return {outcome: 'assigned', agent: main.id, reason: 'main_account_fallback'};
  return {outcome: 'staged', agent: null, reason: 'staged_nobody_online'};
};
"""


def decision_model() -> dict[str, Any]:
    """The JDM graph: input node -> function node -> output node."""
    def node(nid: str, kind: str, x: int, content: dict[str, Any]) -> dict[str, Any]:
        return {"id": nid, "type": kind, "name": nid, "position": {"x": x, "y": 0},
                "content": content}

    return {
        "nodes": [node("request", "inputNode", 0, {}),
                  node("select", "functionNode", 200, {"source": SELECT_JS}),
                  node("response", "outputNode", 400, {})],
        "edges": [{"id": "e1", "sourceId": "request", "targetId": "select", "type": "edge"},
                  {"id": "e2", "sourceId": "select", "targetId": "response", "type": "edge"}],
    }


class ZenRouter:
    """decide(event) -> (outcome, agent, reason), applying the assignment host-side."""

    def __init__(self, policy: str | dict[str, Any], snapshot: dict[str, Any]) -> None:
        self.shop: Shop = load_shop(policy, snapshot)
        self.engine = zen.ZenEngine()
        self.decision = self.engine.create_decision(json.dumps(decision_model()))
        self.records: dict[str, dict[str, Any]] = {
            a.id: {"id": a.id, "main": a.is_main, "perm": a.chat_permission,
                   "status": a.status, "unread": a.unread, "open": a.open,
                   "pending": a.pending, "cap": a.capacity,
                   "created": int(a.created * 1000), "group": a.group}
            for a in self.shop.agents.values()
        }
        self.agents = list(self.records.values())
        self.window_ms = int(self.shop.window * 1000)
        self.contacts: dict[str, dict[str, str]] = {
            c["buyer"]: {"agent": c["agent"], "at": c["at"]} for c in snapshot["contacts"]}

    def decide(self, event: dict[str, Any]) -> Decision:
        buyer = event["buyer"]
        result = self.decision.evaluate({
            "at": event["at"], "source": event["source"], "buyer": buyer,
            "pin": self.shop.pins.get(buyer), "contact": self.contacts.get(buyer),
            "window_ms": self.window_ms, "bindings": self.shop.source_group,
            "agents": self.agents,
        })["result"]
        agent = result.get("agent")  # the engine drops null fields
        if result["outcome"] == "assigned":
            record = self.records[agent]
            record["unread"] += 1
            record["pending"] += 1
            record["open"] += 1
            self.contacts[buyer] = {"agent": agent, "at": event["at"]}
        return (result["outcome"], agent, result["reason"])
