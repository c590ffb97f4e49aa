"""Issue 12: keeping a team out of the general fallback (`groups.<id>.fallback: false`),
through the public API and CLI: the `other_online` step does not pick its members, its
own bindings still reach them, S12 joins and leaves move agents in and out of the
fallback, and why-not names the setting.
"""

from __future__ import annotations

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
shop: {id: fallback-demo, timezone: Asia/Taipei}
roster:
  - {id: vera, created_at: "2024-01-01T09:00:00+08:00"}
  - {id: vic, created_at: "2024-01-02T09:00:00+08:00"}
  - {id: gus, created_at: "2024-01-03T09:00:00+08:00"}
  - {id: gia, created_at: "2024-01-04T09:00:00+08:00"}
groups:
  vip: {members: [vera, vic], fallback: false}   # kept free for the VIPs
  general: {members: [gus]}
  night: {members: [gia]}
bindings:
  - {when: '"vip" in buyer.tags', to: [vip]}
  - {when: source == product_page, to: [general]}
route:
  - bindings
  - other_online
  - {step: queue, when: shop.online > 0}
  - stage
"""


def write(tmp_path: Path, text: str = POLICY) -> Path:
    path = tmp_path / "p.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def message(buyer: str, at: str = NOW, **facts: Any) -> dict[str, Any]:
    return {"type": "message", "at": at, "buyer": buyer, "source": "product_page", **facts}


def snapshot(*online: str, **extra: Any) -> dict[str, Any]:
    return {"at": NOW, "agents": [{"id": a, "status": "online", **extra.get(a, {})}
                                  for a in online]}


def test_the_fallback_skips_a_team_kept_out(tmp_path: Path) -> None:
    """gus is at capacity: the fallback takes gia (no group of its own bound), never a
    VIP agent, though vera and vic are online with nothing to do."""
    router = load(write(tmp_path))
    shop = {"at": NOW, "agents": [
        {"id": "gus", "status": "online", "open": 1, "capacity": 1},
        {"id": "vera", "status": "online"}, {"id": "vic", "status": "online"},
        {"id": "gia", "status": "online", "unread": 5}]}
    d = decide(router, shop, message("b-1"))
    assert (d.outcome, d.reason, d.agent) == ("assigned", "fallback_other_online", "gia")


def test_with_only_the_team_online_the_chat_queues(tmp_path: Path) -> None:
    router = load(write(tmp_path))
    shop = {"at": NOW, "agents": [
        {"id": "gus", "status": "online", "open": 1, "capacity": 1},
        {"id": "vera", "status": "online"}]}
    d = decide(router, shop, message("b-1"))
    assert (d.outcome, d.reason) == ("queued", "queued_all_busy")


def test_the_team_still_takes_its_own_chats(tmp_path: Path) -> None:
    router = load(write(tmp_path))
    d = decide(router, snapshot("vera", "gus"), message("b-1", buyer_tags=["vip"]))
    assert (d.reason, d.agent, d.group) == ("source_group", "vera", "vip")


def test_without_the_key_the_team_is_in_the_fallback(tmp_path: Path) -> None:
    router = load(write(tmp_path, POLICY.replace(", fallback: false", "")))
    shop = {"at": NOW, "agents": [
        {"id": "gus", "status": "online", "open": 1, "capacity": 1},
        {"id": "vera", "status": "online"}]}
    d = decide(router, shop, message("b-1"))
    assert (d.reason, d.agent) == ("fallback_other_online", "vera")


def test_joining_and_leaving_the_team_moves_an_agent(tmp_path: Path) -> None:
    """S12: gia joins vip (leaving night, one group per agent) and so leaves the fallback;
    back in night, the fallback reaches her again."""
    router = load(write(tmp_path))
    engine = Engine(router, {"at": NOW, "agents": [
        {"id": "gus", "status": "online", "open": 1, "capacity": 1},
        {"id": "gia", "status": "online"}]})
    join = {"type": "membership", "at": NOW, "agent": "gia", "group": "vip", "member": True}
    assert engine.feed(join)[0]["kind"] == "membership"
    first = engine.feed(message("b-1"))[0]
    assert (first["outcome"], first["reason"]) == ("queued", "queued_all_busy")
    back = {"type": "membership", "at": NOW, "agent": "gia", "group": "night", "member": True}
    engine.feed(back)
    second = engine.feed(message("b-2"))[0]
    assert (second["reason"], second["agent"]) == ("fallback_other_online", "gia")


def test_why_not_names_the_setting(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """gia's team is kept out and no binding names it: why-not says `fallback: false` is
    why, at the team's own line, with the fix."""
    text = POLICY.replace("  night: {members: [gia]}",
                          "  night: {members: [gia], fallback: false}")
    path = write(tmp_path, text)
    state = tmp_path / "s.json"
    state.write_text(json.dumps(snapshot("gia")), encoding="utf-8")
    status = main(["why-not", str(path), "--state", str(state), "--agent", "gia",
                   "--format", "json"])
    out = json.loads(capsys.readouterr().out)
    assert status == 0
    causes = [c["cause"] for c in out["causes"]]
    assert "kept_out_of_fallback" in causes, out
    cause = next(c for c in out["causes"] if c["cause"] == "kept_out_of_fallback")
    assert cause["args"]["group"] == "night" and "fallback: false" in cause["fix"]
    assert cause["span"].endswith("p.yaml:11:3"), cause  # the `night:` line


def test_a_misspelt_value_is_a_located_error(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, POLICY.replace("fallback: false", "fallback: nope"))
    assert main(["check", str(path)]) == 1
    out = capsys.readouterr().out
    assert "p.yaml:9:" in out and "E123" in out and "nope" in out


def test_the_artifact_is_unchanged_without_the_key(tmp_path: Path) -> None:
    """Written only when set: policies that keep no team out keep their policy hash."""
    plain = load(write(tmp_path, POLICY.replace(", fallback: false", "")))
    assert all("fallback" not in g for g in plain.artifact["groups"])
    kept = load(write(tmp_path))
    assert [g.get("fallback", True) for g in kept.artifact["groups"]] == [False, True, True]
