"""T13 why-not follows a binding's whole overflow chain, as the router does."""

from __future__ import annotations

from pathlib import Path

import policyc.api as api
from policyc.runtime.why_not import why_not

POLICY = """\
policyc: 1
shop:
  id: demo
  timezone: Asia/Taipei
  sources: [product_page]
roster:
  - {id: boss, role: main, created_at: "2024-01-01T09:00:00+08:00"}
  - {id: ann, created_at: "2024-01-02T09:00:00+08:00"}
  - {id: bob, created_at: "2024-01-03T09:00:00+08:00"}
  - {id: cy, created_at: "2024-01-04T09:00:00+08:00"}
groups:
  presale: {members: [ann], sources: [product_page], overflow: [mid]}
  mid: {members: [bob], overflow: [last]}
  last: {members: [cy]}
route:
  - bindings
  - stage
"""
AT = "2026-01-01T10:00:00+08:00"


def test_agent_reached_through_second_overflow_is_not_reported_unbound(tmp_path: Path) -> None:
    path = tmp_path / "chain.yaml"
    path.write_text(POLICY, encoding="utf-8")
    router = api.load(path)
    state = api.state(router, {"at": AT, "agents": [{"id": "cy", "status": "online"}]})
    decision = router.decide(state, {"type": "message", "at": AT, "buyer": "b1",
                                     "source": "product_page"})
    assert (decision.outcome, decision.agent, decision.group) == ("assigned", "cy", "last")
    assert why_not(router, state, "cy") == []
