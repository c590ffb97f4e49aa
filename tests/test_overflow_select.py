"""A binding's `select` applies to its groups' overflow groups too (S5, S6)."""

from __future__ import annotations

from pathlib import Path

import policyc.api as api

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
groups:
  presale: {members: [ann], overflow: [backup]}
  backup: {members: [bob]}
bindings:
  - when: source == product_page
    to: [presale]
    select: balanced
route:
  - bindings
  - stage
"""
AT = "2026-01-01T10:00:00+08:00"


def test_binding_select_picks_in_an_overflow_group(tmp_path: Path) -> None:
    path = tmp_path / "select.yaml"
    path.write_text(POLICY, encoding="utf-8")
    router = api.load(path)
    state = api.state(router, {"at": AT, "agents": [{"id": "bob", "status": "online"}]})
    decision = router.decide(state, {"type": "message", "at": AT, "buyer": "b1",
                                     "source": "product_page"})
    assert (decision.outcome, decision.agent, decision.group) == ("assigned", "bob", "backup")
