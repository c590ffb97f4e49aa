"""Offers (issue 12): an automatic assignment is offered, then accepted, declined or timed out.

Through the public interfaces: `compile_file` + `Engine` for the rules, the CLI
(`check`, `test`, `simulate`, `explain`) on the shipped cosmetics policy, whose
day log has accepts, declines and timeouts.
"""

from __future__ import annotations

import copy
import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from policyc.cli import main
from policyc.compiler import compile_file
from policyc.runtime.engine import Engine
from policyc.runtime.router import Router

ROOT = Path(__file__).resolve().parent.parent
T0 = datetime.fromisoformat("2026-11-23T09:00:00+08:00")
Event = dict[str, Any]

POLICY = """\
policyc: 1
shop: {id: offers-test, timezone: Asia/Shanghai, sources: [product_page]}
roster:
  - {id: ann, created_at: "2020-01-01T09:00:00+08:00", capacity: 1}
  - {id: bo, created_at: "2020-02-01T09:00:00+08:00", capacity: 1}
  - {id: cy, created_at: "2020-03-01T09:00:00+08:00", capacity: 1}
groups:
  front: {members: [ann, bo, cy], sources: [product_page]}
route:
  - {step: recent_contact, window: 1d}
  - bindings
  - {step: queue, when: shop.online > 0}
  - stage
offers:
  push_timeout: 30s
"""


def t(seconds: float) -> str:
    return (T0 + timedelta(seconds=seconds)).isoformat()


def engine(tmp_path: Path, text: str = POLICY, **timeouts: int) -> Engine:
    path = tmp_path / "shop.yaml"
    path.write_text(text, encoding="utf-8")
    result = compile_file(path)
    assert result.artifact is not None, result.diagnostics
    artifact: dict[str, Any] = copy.deepcopy(result.artifact)
    artifact["settings"]["timeouts"].update(timeouts)
    return Engine(Router(artifact), trace="full")


def online(s: float, *agents: str) -> list[Event]:
    return [{"type": "agent_status", "at": t(s), "agent": a, "status": "online"}
            for a in agents]


def msg(s: float, buyer: str) -> Event:
    return {"type": "message", "at": t(s), "buyer": buyer, "source": "product_page"}


def act(kind: str, s: float, agent: str, buyer: str) -> Event:
    return {"type": kind, "at": t(s), "agent": agent, "buyer": buyer}


def feed(e: Engine, *events: Event | list[Event]) -> list[dict[str, Any]]:
    flat = [x for ev in events for x in (ev if isinstance(ev, list) else [ev])]
    return [rec for ev in flat for rec in e.feed(ev)]


def brief(records: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [(r["kind"], r.get("buyer"), r.get("agent"), r.get("outcome"),
             r.get("reason") or r.get("why")) for r in records]


def test_an_assignment_is_offered_and_accept_opens_it(tmp_path: Path) -> None:
    e = engine(tmp_path)
    feed(e, online(0, "ann", "bo"))
    recs = feed(e, msg(1, "b1"))
    assert brief(recs) == [("route", "b1", "ann", "offered", "source_group")]
    assert recs[0]["offer_due"] == t(31)
    assert "b1" not in e.conversations and e.next_due() == t(31)
    ann = e.shop.agents["ann"]
    assert (ann.open, ann.unread, ann.pending) == (1, 1, 1)  # its place is held
    assert "b1" not in e.shop.contacts  # not the buyer's agent before it accepts
    recs = feed(e, act("accept", 5, "ann", "b1"))
    assert brief(recs) == [("accepted", "b1", "ann", "assigned", "source_group")]
    assert recs[0]["cause"] == act("accept", 5, "ann", "b1")
    assert recs[0]["event"] == msg(1, "b1")
    assert e.conversations["b1"].agent == "ann"
    assert (ann.open, ann.unread, ann.pending) == (1, 1, 1)  # counted once
    assert e.shop.contacts["b1"][0] == "ann"
    assert feed(e, {"type": "tick", "at": t(60)}) == []  # its timeout went stale


def test_decline_goes_to_the_next_candidate_never_back_to_the_decliner(tmp_path: Path) -> None:
    e = engine(tmp_path)
    feed(e, online(0, "ann", "bo"), msg(1, "b1"))
    recs = feed(e, act("decline", 3, "ann", "b1"))
    assert brief(recs) == [("declined", "b1", "ann", None, "declined"),
                           ("release", "b1", "bo", "offered", "source_group")]
    assert recs[0]["offered_at"] == t(1)
    assert recs[1]["avoided"] == [{"agent": "ann", "why": "declined"}]
    assert recs[1]["cause"] == act("decline", 3, "ann", "b1")
    assert {"agent": "ann", "why": "declined"} in \
        [d for s in recs[1]["trace"] for d in s.get("dropped", [])]
    assert e.shop.agents["ann"].open == 0 and e.shop.agents["bo"].open == 1
    # bo declines too: nobody else online can take it, so it queues, keeping both out.
    recs = feed(e, act("decline", 4, "bo", "b1"))
    assert brief(recs) == [("declined", "b1", "bo", None, "declined"),
                           ("release", "b1", None, "queued", "queued_all_busy")]
    entry = e.wait.of("b1")
    assert entry is not None and entry["avoid"] == {"ann": "declined", "bo": "declined"}
    # ann and bo have room, but a queue pull for them passes the chat over ...
    assert brief(feed(e, {"type": "set_capacity", "at": t(5), "agent": "ann",
                          "capacity": 2})) == []
    # ... and the next agent online gets it offered.
    recs = feed(e, online(6, "cy"))
    assert brief(recs) == [("release", "b1", "cy", "offered", "queue_pull")]
    recs = feed(e, act("accept", 7, "cy", "b1"))
    assert brief(recs) == [("accepted", "b1", "cy", "assigned", "queue_pull")]


def test_the_push_timeout_fires_by_itself(tmp_path: Path) -> None:
    e = engine(tmp_path)
    feed(e, online(0, "ann", "bo"), msg(1, "b1"))
    assert e.advance_to(t(30)) == []  # 29 s: still offered
    recs = e.advance_to(t(31))
    assert brief(recs) == [("declined", "b1", "ann", None, "push_timeout"),
                           ("release", "b1", "bo", "offered", "source_group")]
    assert recs[0]["event"] == {"type": "tick", "at": t(31)}
    assert recs[1]["avoided"] == [{"agent": "ann", "why": "offer_timed_out"}]
    assert recs[1]["offer_due"] == t(61)
    late = feed(e, act("accept", 40, "ann", "b1"))  # too late: it is bo's offer now
    assert brief(late) == [("ignored", None, None, None,
                            "b1's chat is offered to bo, not to ann")]


def test_an_offer_holds_a_place_within_capacity(tmp_path: Path) -> None:
    e = engine(tmp_path)
    feed(e, online(0, "ann", "bo"))
    recs = feed(e, msg(1, "b1"), msg(2, "b2"), msg(3, "b3"))
    assert brief(recs) == [("route", "b1", "ann", "offered", "source_group"),
                           ("route", "b2", "bo", "offered", "source_group"),
                           ("route", "b3", None, "queued", "queued_all_busy")]
    assert all(a.open <= (a.capacity or 0) for a in e.shop.agents.values())


def test_stray_answers_are_ignored_with_why(tmp_path: Path) -> None:
    e = engine(tmp_path)
    feed(e, online(0, "ann", "bo"), msg(1, "b1"))
    recs = feed(e, act("accept", 2, "bo", "b1"), act("decline", 2, "ann", "b9"),
                act("accept", 3, "ann", "b1"), act("accept", 4, "ann", "b1"),
                act("read", 4, "bo", "b1"))
    assert brief(recs) == [
        ("ignored", None, None, None, "b1's chat is offered to ann, not to bo"),
        ("ignored", None, None, None, "b9's chat is not offered to anyone"),
        ("accepted", "b1", "ann", "assigned", "source_group"),
        ("ignored", None, None, None, "b1's chat is not offered to anyone (it is open with ann)"),
        ("ignored", None, None, None, "bo has no open conversation with b1")]


def test_a_message_while_offered_continues_it(tmp_path: Path) -> None:
    e = engine(tmp_path)
    feed(e, online(0, "ann"), msg(1, "b1"))
    recs = feed(e, msg(2, "b1"), act("reply", 3, "ann", "b1"))
    assert brief(recs) == [
        ("continued", "b1", "ann", "offered", "source_group"),
        ("ignored", None, None, None,
         "ann has no open conversation with b1 (the chat is offered to ann, not accepted yet)")]


def test_going_offline_ends_the_agents_offers_at_once(tmp_path: Path) -> None:
    e = engine(tmp_path)
    feed(e, online(0, "ann", "bo"), msg(1, "b1"))
    recs = feed(e, {"type": "agent_status", "at": t(2), "agent": "ann", "status": "offline"})
    assert brief(recs) == [("declined", "b1", "ann", None, "agent_offline"),
                           ("release", "b1", "bo", "offered", "source_group")]
    assert recs[1]["avoided"] == [{"agent": "ann", "why": "offer_timed_out"}]


def test_pick_and_reassign_open_at_once(tmp_path: Path) -> None:
    e = engine(tmp_path, reassign_unreplied=600)
    feed(e, online(0, "ann"), msg(1, "b1"), act("accept", 2, "ann", "b1"), msg(3, "b2"))
    assert e.wait.of("b2") is not None  # ann is at capacity: queued
    recs = feed(e, online(4, "bo"))
    assert brief(recs) == [("release", "b2", "bo", "offered", "queue_pull")]
    feed(e, act("accept", 5, "bo", "b2"), act("close", 6, "bo", "b2"), online(7, "cy"))
    recs = e.advance_to(t(2 + 600))  # b1 unanswered 10 minutes: to someone else, opened
    assert brief(recs) == [("release", "b1", "bo", "assigned", "source_group")]
    assert recs[0]["why"] == "reassign_unreplied"
    assert e.conversations["b1"].agent == "bo"
    recs = feed(e, msg(700, "b3"), act("decline", 701, "ann", "b3"),
                act("decline", 702, "cy", "b3"))
    assert [r[2:4] for r in brief(recs)] == [("ann", "offered"), ("ann", None), ("cy", "offered"),
                                            ("cy", None), (None, "queued")]
    recs = feed(e, {"type": "pick", "at": t(703), "agent": "cy"})  # by hand: opened at once
    assert brief(recs) == [("release", "b3", "cy", "assigned", "queue_pull")]


def test_without_offers_nothing_changes() -> None:
    """An artifact compiled before `offers:` (no such setting) routes as it always did."""
    result = compile_file(ROOT / "policies" / "shopee.yaml")
    assert result.artifact is not None
    artifact: dict[str, Any] = copy.deepcopy(result.artifact)
    assert artifact["settings"]["offers"] is None
    del artifact["settings"]["offers"]
    e = Engine(Router(artifact))
    recs = feed(e, {"type": "agent_status", "at": t(0), "agent": "chrissy",
                    "status": "online"}, msg(1, "b1"))
    assert brief(recs)[-1] == ("route", "b1", "chrissy", "assigned", "source_group")


def test_check_locates_a_bad_push_timeout(tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                          ) -> None:
    path = tmp_path / "shop.yaml"
    path.write_text(POLICY.replace("push_timeout: 30s", "push_timeout: 0s"), encoding="utf-8")
    assert main(["check", str(path)]) == 1
    out = capsys.readouterr().out
    assert f"{path}:15:17: error[E123]" in out and "shorter than 1s" in out


def test_cosmetics_day_exercises_offers(tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    policy = str(ROOT / "policies" / "cosmetics.yaml")
    log = str(ROOT / "policies" / "logs" / "cosmetics-day.jsonl")
    assert main(["check", policy]) == 0
    assert main(["test", str(ROOT / "policies" / "cosmetics.test.yaml")]) == 0
    capsys.readouterr()
    out = tmp_path / "day.jsonl"
    assert main(["simulate", policy, "--log", log, "-o", str(out), "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    whys = {r["why"] for r in records if r["kind"] == "declined"}
    assert whys == {"declined", "push_timeout"}, whys
    assert report["kinds"]["accepted"] > report["kinds"]["declined"] > 0
    assert report["outcomes"]["offered"] > 0
    buyer = next(r["buyer"] for r in records if r["kind"] == "declined")
    assert main(["explain", policy, "--log", log, "--buyer", buyer]) == 0
    text = capsys.readouterr().out
    assert "— declined" in text and "offered to an agent, waiting for it to accept" in text


# -- policyc serve -----------------------------------------------------------------------------

def _serve(tmp: Path) -> tuple[Any, int]:
    import subprocess
    import sys

    from policyc.serve.local import free_port, wait_ready

    port = free_port()
    log = (tmp / "serve.log").open("a")
    proc = subprocess.Popen(
        [sys.executable, "-m", "policyc", "serve", "policies/cosmetics.yaml", "--port", str(port),
         "--store", f"sqlite:{tmp / 'store.sqlite'}", "--tokens", str(tmp / "tokens"),
         "--tick", "0"], stdout=log, stderr=log, cwd=ROOT)
    wait_ready(port, proc.pid, timeout=60)
    return proc, port


def _post(port: int, events: list[Event]) -> list[dict[str, Any]]:
    from policyc.serve.local import call

    status, _, body = call(port, "POST", "/v1/shops/lumiere-sg/events",
                           "".join(json.dumps(e) + "\n" for e in events),
                           {"Authorization": "Bearer lumiere-token-0123456789",
                            "Content-Type": "application/x-ndjson"})
    assert status == 200, body
    return list(body["records"])


def test_serve_takes_answers_and_its_replay_rebuilds_standing_offers(tmp_path: Path) -> None:
    (tmp_path / "tokens").write_text("lumiere-sg lumiere-token-0123456789\n")
    at = "2026-11-23T10:00:{:02d}+08:00".format
    proc, port = _serve(tmp_path)
    try:
        recs = _post(port, [
            {"type": "agent_status", "at": at(0), "agent": "chloe", "status": "online"},
            {"type": "agent_status", "at": at(0), "agent": "devi", "status": "online"},
            {"type": "message", "at": at(5), "buyer": "b-1", "source": "product_page"},
            {"type": "decline", "at": at(8), "agent": "chloe", "buyer": "b-1"}])
        assert [(r["kind"], r.get("agent"), r.get("outcome")) for r in recs] == [
            ("route", "chloe", "offered"), ("declined", "chloe", None),
            ("release", "devi", "offered")]
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    proc, port = _serve(tmp_path)  # rebuilt from its log: devi's offer still stands
    try:
        recs = _post(port, [{"type": "accept", "at": at(10), "agent": "devi", "buyer": "b-1"},
                            {"type": "accept", "at": at(11), "agent": "chloe", "buyer": "b-1"}])
        assert [(r["kind"], r.get("agent"), r.get("why")) for r in recs] == [
            ("accepted", "devi", None),
            ("ignored", None, "b-1's chat is not offered to anyone (it is open with devi)")]
    finally:
        proc.terminate()
        proc.wait(timeout=20)
