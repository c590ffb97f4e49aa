"""Issue 12: capacity per channel and a weight per chat (`channels:`, roster
`channel_capacity:`), as TaskRouter's per-channel capacity and Omni-Channel's units of
capacity do it, through the public API and CLI: routing, queue pulls, picks and
transfers all hold the caps, closing frees them, explain says why an agent with room
did not get this chat, and misspelt channels are located errors.
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
shop: {id: channel-demo, timezone: Asia/Taipei}
channels:
  live: {sources: [live_story], weight: 2}       # a live-stream chat takes 2 units
  wechat: {sources: [wechat_oa, mini_program]}   # weight 1, capped per agent below
roster:
  - {id: ann, created_at: "2024-01-01T09:00:00+08:00", capacity: 3,
     channel_capacity: {wechat: 1}}
  - {id: bo, created_at: "2024-01-02T09:00:00+08:00", capacity: 3}
groups:
  team: {members: [ann, bo], select: fewest_unread}
bindings:
  - {to: [team]}
route: [bindings, {step: queue, when: shop.online > 0}, stage]
"""


def write(tmp_path: Path, text: str = POLICY) -> Path:
    path = tmp_path / "p.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def message(buyer: str, source: str, at: str = NOW) -> dict[str, Any]:
    return {"type": "message", "at": at, "buyer": buyer, "source": source}


def online(*agents: str) -> list[dict[str, Any]]:
    return [{"type": "agent_status", "at": NOW, "agent": a, "status": "online"} for a in agents]


def test_a_heavy_chat_goes_to_who_has_room_for_it(tmp_path: Path) -> None:
    """ann holds one live chat (2 of 3 units) and has fewer unread than bo: a product-page
    chat (1 unit) still fits her, a second live chat (2 units) does not."""
    router = load(write(tmp_path))
    shop = {"at": NOW, "agents": [
        {"id": "ann", "status": "online", "open": 2, "unread": 0},
        {"id": "bo", "status": "online", "open": 1, "unread": 1}]}
    assert decide(router, shop, message("b-1", "product_page")).agent == "ann"
    d = decide(router, shop, message("b-2", "live_story"), trace=True)
    assert d.agent == "bo"
    pick = next(s for s in d.trace or () if s.kind == "pick")
    assert pick.detail["unfit"] == [{"agent": "ann", "why": "no_room_for_weight"}]


def test_a_channel_cap_holds_and_closing_frees_it(tmp_path: Path) -> None:
    engine = Engine(load(write(tmp_path)))
    for event in online("ann", "bo"):
        engine.feed(event)
    first = engine.feed(message("b-1", "wechat_oa"))[0]
    second = engine.feed(message("b-2", "mini_program"))[0]  # same channel: ann is capped
    assert (first["agent"], second["agent"]) == ("ann", "bo")
    assert engine.shop.agents["ann"].channel_open == {"wechat": 1}
    engine.feed({"type": "close", "at": NOW, "agent": "ann", "buyer": "b-1"})
    assert engine.shop.agents["ann"].channel_open == {"wechat": 0}
    engine.feed({"type": "read", "at": NOW, "agent": "bo", "buyer": "b-2"})
    third = engine.feed(message("b-3", "wechat_oa"))[0]
    assert third["agent"] == "ann"


def test_units_add_up_and_a_queue_pull_takes_the_first_chat_that_fits(tmp_path: Path) -> None:
    """Only ann online with capacity 3: a live chat (2) and a product chat (1) fill her;
    a live chat and then a product chat queue. Closing the product chat frees 1 unit:
    the pull passes over the live chat (2 units) for the product chat behind it."""
    engine = Engine(load(write(tmp_path)))
    engine.feed(online("ann")[0])
    engine.feed(message("b-1", "live_story"))
    engine.feed(message("b-2", "product_page"))
    assert engine.shop.agents["ann"].open == 3
    queued = [engine.feed(message(b, s))[0] for b, s in (("b-3", "live_story"),
                                                        ("b-4", "product_page"))]
    assert [r["outcome"] for r in queued] == ["queued", "queued"]
    pulled = engine.feed({"type": "close", "at": NOW, "agent": "ann", "buyer": "b-2"})
    assert [(r["buyer"], r["reason"]) for r in pulled] == [("b-4", "queue_pull")]
    assert engine.shop.agents["ann"].open == 3
    assert [e["buyer"] for e in engine.waiting()["queue"]] == ["b-3"]


def test_a_pick_and_a_transfer_respect_the_caps(tmp_path: Path) -> None:
    engine = Engine(load(write(tmp_path)))
    engine.feed(online("ann")[0])
    engine.feed(message("b-1", "wechat_oa"))  # ann: wechat 1 of 1
    engine.feed(online("bo")[0])
    bo = engine.feed(message("b-2", "mini_program"))[0]
    assert bo["agent"] == "bo"
    moved = engine.feed({"type": "transfer", "at": NOW, "agent": "bo", "buyer": "b-2",
                         "to_agent": "ann"})[0]
    assert moved["kind"] == "ignored" and "channel_full" in moved["why"], moved
    engine.feed({"type": "set_capacity", "at": NOW, "agent": "bo", "capacity": 1})
    queued = engine.feed(message("b-3", "wechat_oa"))[0]
    assert queued["outcome"] == "queued"
    picked = engine.feed({"type": "pick", "at": NOW, "agent": "ann", "buyer": "b-3"})[0]
    assert picked["kind"] == "ignored" and "channel_full" in picked["why"], picked


def test_explain_names_the_cap(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path)
    state = tmp_path / "s.json"
    state.write_text(json.dumps({"at": NOW, "agents": [
        {"id": "ann", "status": "online", "open": 1, "channel_open": {"wechat": 1}},
        {"id": "bo", "status": "online", "unread": 4}]}), encoding="utf-8")
    event = tmp_path / "e.json"
    event.write_text(json.dumps(message("b-9", "wechat_oa")), encoding="utf-8")
    assert main(["explain", str(path), "--state", str(state), "--event", str(event)]) == 0
    out = capsys.readouterr().out
    assert "agent:     bo" in out
    assert "ann (at its cap for this chat's channel)" in out, out


def test_a_snapshot_naming_an_unknown_channel_is_refused(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path)
    state = tmp_path / "s.json"
    state.write_text(json.dumps({"at": NOW, "agents": [
        {"id": "ann", "status": "online", "channel_open": {"wechatt": 1}}]}), encoding="utf-8")
    event = tmp_path / "e.json"
    event.write_text(json.dumps(message("b-9", "wechat_oa")), encoding="utf-8")
    assert main(["explain", str(path), "--state", str(state), "--event", str(event)]) == 2
    err = capsys.readouterr().err
    assert "agents/0/channel_open/wechatt" in err and "unknown channel" in err, err


@pytest.mark.parametrize(("change", "code", "where"), [
    ("channel_capacity: {wechat: 1}", "channel_capacity: {wechatt: 1}", "E220"),
    ("wechat: {sources: [wechat_oa, mini_program]}",
     "wechat: {sources: [wechat_oa, live_story]}", "E221"),
], ids=["unknown channel", "source in two channels"])
def test_channel_mistakes_are_located_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                             change: str, code: str, where: str) -> None:
    path = write(tmp_path, POLICY.replace(change, code))
    assert main(["check", str(path)]) == 1
    out = capsys.readouterr().out
    assert f"error[{where}]" in out and "p.yaml:" in out, out


def test_without_channels_the_artifact_is_unchanged(tmp_path: Path) -> None:
    plain = POLICY.replace("""channels:
  live: {sources: [live_story], weight: 2}       # a live-stream chat takes 2 units
  wechat: {sources: [wechat_oa, mini_program]}   # weight 1, capped per agent below
""", "").replace(",\n     channel_capacity: {wechat: 1}}", "}")
    router = load(write(tmp_path, plain))
    assert "channels" not in router.artifact
    assert all("channel_capacity" not in a for a in router.artifact["agents"])
    assert router.needs == {}
