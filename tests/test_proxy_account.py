"""Issue 12, T12 "代理账号" (proxy account), through the public API, engine and CLI: while
an agent cannot take a chat of its own buyer (its pin, its recent contact), the agent its
roster entry names as `proxy:` takes it (reason `proxy_account`); one hop only; a strict
pin waits only when the proxy cannot take it either, and the proxy coming free takes the
waiting chat; misnamed proxies are located errors.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import pytest

from policyc.api import decide, load
from policyc.cli import main
from policyc.runtime.engine import Engine

NOW = "2026-11-23T10:00:00+08:00"

POLICY = """\
policyc: 1
shop: {id: proxy-demo, timezone: Asia/Shanghai}
roster:
  - {id: ann, created_at: "2024-01-01T09:00:00+08:00", proxy: pia}
  - {id: pia, created_at: "2024-01-02T09:00:00+08:00", proxy: quin}
  - {id: quin, created_at: "2024-01-03T09:00:00+08:00"}
  - {id: gus, created_at: "2024-01-04T09:00:00+08:00"}
groups:
  general: {members: [gus, quin]}
bindings:
  - to: [general]
pins:
  vip-1: {agent: ann, mode: strict}
  vip-2: pia
route:
  - pin
  - {step: recent_contact, window: 72h, grace: 10m}
  - bindings
  - stage
"""


def write(tmp_path: Path, text: str = POLICY) -> Path:
    path = tmp_path / "p.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def message(buyer: str, at: str = NOW) -> dict[str, Any]:
    return {"type": "message", "at": at, "buyer": buyer, "source": "product_page"}


def shop(*online: str, **extra: Any) -> dict[str, Any]:
    return {"at": NOW, "agents": [{"id": a, "status": "online"} for a in online], **extra}


def test_the_proxy_takes_a_pinned_buyer_of_an_away_agent(tmp_path: Path) -> None:
    router = load(write(tmp_path))
    d = decide(router, shop("pia", "gus"), message("vip-1"), trace=True)
    assert (d.outcome, d.reason, d.agent, d.selection) == ("assigned", "proxy_account", "pia",
                                                           "only_candidate")
    steps = d.to_dict()["trace"]
    proxy = next(s for s in steps if s["step"] == "route[0].proxy")  # type: ignore[union-attr]
    assert proxy["proxy"] == {"for": "ann", "agent": "pia"} and proxy["result"] == "picked"
    assert d.path[-2:] == ("route[0]", "outcome:assigned:proxy_account")


def test_one_hop_only_and_a_strict_pin_then_waits(tmp_path: Path) -> None:
    """ann's proxy pia is away too; pia's own proxy quin is not asked for ann's buyer."""
    router = load(write(tmp_path))
    d = decide(router, shop("quin", "gus"), message("vip-1"))
    assert (d.outcome, d.reason) == ("waiting", "pinned_agent_waiting")
    d = decide(router, shop("quin", "gus"), message("vip-2"))  # pia's buyer: quin stands in
    assert (d.outcome, d.reason, d.agent) == ("assigned", "proxy_account", "quin")


def test_the_agent_itself_comes_first(tmp_path: Path) -> None:
    router = load(write(tmp_path))
    d = decide(router, shop("ann", "pia"), message("vip-1"))
    assert (d.reason, d.agent) == ("pinned_agent", "ann")


def test_a_returning_buyer_goes_to_the_proxy_without_waiting(tmp_path: Path) -> None:
    """ann went offline 2 minutes ago (inside the 10-minute grace): with a proxy online the
    buyer does not wait for ann."""
    router = load(write(tmp_path))
    state = {"at": NOW, "agents": [
        {"id": "ann", "status": "offline", "offline_since": "2026-11-23T09:58:00+08:00"},
        {"id": "pia", "status": "online"}, {"id": "gus", "status": "online"}],
        "contacts": [{"buyer": "b-1", "agent": "ann", "at": "2026-11-23T09:00:00+08:00"}]}
    d = decide(router, state, message("b-1"))
    assert (d.outcome, d.reason, d.agent) == ("assigned", "proxy_account", "pia")
    state["agents"][1]["status"] = "offline"
    d = decide(router, state, message("b-1"))
    assert (d.outcome, d.reason) == ("waiting", "recent_contact_waiting")


def test_a_proxy_at_capacity_or_without_permission_cannot_stand_in(tmp_path: Path) -> None:
    text = POLICY.replace('created_at: "2024-01-02T09:00:00+08:00", proxy: quin',
                          'created_at: "2024-01-02T09:00:00+08:00", capacity: 1')
    router = load(write(tmp_path, text))
    full = {"at": NOW, "agents": [{"id": "pia", "status": "online", "open": 1}]}
    assert decide(router, full, message("vip-1")).reason == "pinned_agent_waiting"
    text = POLICY.replace('proxy: quin', 'chat_permission: false')
    router = load(write(tmp_path, text))
    assert decide(router, shop("pia"), message("vip-1")).reason == "pinned_agent_waiting"


def test_the_proxy_coming_online_takes_the_waiting_chat(tmp_path: Path) -> None:
    router = load(write(tmp_path))
    engine = Engine(router, shop("gus"))
    first = engine.feed(message("vip-1"))
    assert [(r["outcome"], r["reason"]) for r in first] == [("waiting", "pinned_agent_waiting")]
    later = engine.feed({"type": "agent_status", "at": "2026-11-23T10:05:00+08:00",
                         "agent": "pia", "status": "online"})
    released = [r for r in later if r["kind"] == "release"]
    assert [(r["outcome"], r["reason"], r["agent"]) for r in released] == [
        ("assigned", "proxy_account", "pia")]
    # The buyer's next message joins the open chat with pia.
    again = engine.feed(message("vip-1", "2026-11-23T10:06:00+08:00"))
    assert again[0]["kind"] == "continued" and again[0]["agent"] == "pia"


def test_every_decision_is_a_walk_of_the_graph(tmp_path: Path) -> None:
    router = load(write(tmp_path))
    edges = {(e["from"], e["to"]) for e in router.artifact["graph"]["edges"]}
    assert ("route[0]", "outcome:assigned:proxy_account") in edges
    assert ("route[1]", "outcome:assigned:proxy_account") in edges
    contacts = [{"buyer": "b-1", "agent": "pia", "at": "2026-11-23T09:00:00+08:00"}]
    statuses = ("online", "offline", "busy")
    for ann, pia, quin, gus in itertools.product(statuses, repeat=4):
        state = {"at": NOW, "contacts": contacts, "agents": [
            {"id": a, "status": s} for a, s in zip(("ann", "pia", "quin", "gus"),
                                                    (ann, pia, quin, gus), strict=True)]}
        for buyer in ("vip-1", "vip-2", "b-1", "b-2"):
            d = decide(router, state, message(buyer))
            assert d.path[-1] == f"outcome:{d.outcome}:{d.reason}"
            assert all(step in edges for step in itertools.pairwise(d.path)), d.path
            if d.reason == "proxy_account":
                assert d.agent in ("pia", "quin") and d.agent is not None


@pytest.mark.parametrize(("proxy", "code"), [("ann", "E215"), ("pai", "E201")])
def test_a_misnamed_proxy_is_a_located_error(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                             proxy: str, code: str) -> None:
    """ann names itself (E215) or a misspelt agent (E201): the error points at the name."""
    text = POLICY.replace("proxy: pia}", f"proxy: {proxy}}}")
    assert main(["check", str(write(tmp_path, text))]) == 1
    out = capsys.readouterr().out
    assert f"p.yaml:4:63: error[{code}]" in out, out


def test_explain_says_it_in_merchant_words(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path)
    state, event = tmp_path / "s.json", tmp_path / "e.json"
    state.write_text(json.dumps(shop("pia")), encoding="utf-8")
    event.write_text(json.dumps(message("vip-1")), encoding="utf-8")
    assert main(["explain", str(path), "--state", str(state), "--event", str(event),
                 "--lang", "zh-Hans"]) == 0
    out = capsys.readouterr().out
    assert "代理账号" in out and "proxy_account" in out, out


def test_the_artifact_is_unchanged_without_the_key(tmp_path: Path) -> None:
    plain = load(write(tmp_path, POLICY.replace(", proxy: pia", "").replace(", proxy: quin", "")))
    assert all("proxy" not in a for a in plain.artifact["agents"])
    assert not any(e["to"] == "outcome:assigned:proxy_account"
                   for e in plain.artifact["graph"]["edges"])
