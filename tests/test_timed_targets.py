"""Escalation over time (issue 12): a binding's `targets:` open one after another while a
chat waits, through the public API (`compile_file`, `Router`, `Engine`) and the CLI
(`check`, `explain`, `simulate`, `graph`, `fmt`).

The policy of most tests: the VIP team first, the advisors after 2 minutes, the night
team after 5; ann is the VIP team, bob an advisor, cat the night team, dan in no group
(only the `other_online` fallback picks him).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from goldens import assert_golden

from policyc.api import load
from policyc.cli import main
from policyc.compiler import compile_file
from policyc.runtime.artifact import ArtifactError
from policyc.runtime.clock import parse_instant
from policyc.runtime.engine import Engine
from policyc.runtime.router import Router

REPO = Path(__file__).resolve().parents[1]
NOW = "2026-11-23T10:00:00+08:00"  # a Monday
SENT = "2026-11-23T10:00:10+08:00"  # when the VIP buyer writes
WIDEN = "2026-11-23T10:02:10+08:00"  # SENT + 2 minutes: the advisors open
NIGHT = "2026-11-23T10:05:10+08:00"  # SENT + 5 minutes: the night team opens

POLICY = """\
policyc: 1
shop: {id: demo, timezone: Asia/Taipei}
roster:
  - {id: ann, created_at: "2024-01-02T09:00:00+08:00", capacity: 1}
  - {id: bob, created_at: "2024-01-03T09:00:00+08:00"}
  - {id: cat, created_at: "2024-01-04T09:00:00+08:00"}
  - {id: dan, created_at: "2024-01-05T09:00:00+08:00"}
groups:
  vip: {members: [ann]}
  advisors: {members: [bob]}
  night: {members: [cat]}
bindings:
  - when: '"vip" in buyer.tags'
    targets:
      - {group: vip}
      - {group: advisors, wait: 2m}
      - {group: night, wait: 5m}
  - to: [advisors]
route: [bindings, other_online, {step: queue, when: shop.online > 0}, stage]
"""


def write(tmp_path: Path, text: str = POLICY, name: str = "p.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def status(agent: str, value: str = "online", at: str = NOW) -> dict[str, Any]:
    return {"type": "agent_status", "at": at, "agent": agent, "status": value}


def vip(buyer: str = "b-vip", at: str = SENT) -> dict[str, Any]:
    return {"type": "message", "at": at, "buyer": buyer, "source": "product_page",
            "buyer_tags": ["vip"]}


def plain(buyer: str, at: str) -> dict[str, Any]:
    return {"type": "message", "at": at, "buyer": buyer, "source": "product_page"}


def routed(records: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [(r["kind"], r["at"], r["buyer"], r["outcome"], r["reason"], r["agent"],
             r["group"]) for r in records if r["kind"] in ("route", "release")]


def busy_vip_team(tmp_path: Path, *online: str) -> Engine:
    """ann (capacity 1) holds one VIP chat; `online` agents are online too; the VIP
    buyer b-vip has just been queued."""
    engine = Engine(load(write(tmp_path)))
    engine.run([status("ann"), *(status(a) for a in online), vip("b-first", NOW)])
    first = engine.feed(vip())
    assert routed(first) == [("route", SENT, "b-vip", "queued", "target_waiting", None, None)]
    return engine


# -- the engine: waiting, widening at the instant, taken earlier, falling through ----------

def test_the_chat_waits_until_the_widen_instant_then_an_advisor_takes_it(
        tmp_path: Path) -> None:
    engine = busy_vip_team(tmp_path, "bob")
    assert engine.next_due() == WIDEN  # the relax timer of the next target
    assert engine.advance_to(parse_instant(WIDEN) - 1) == []  # 1 s before: still waiting
    assert [e["buyer"] for e in engine.waiting()["queue"]] == ["b-vip"]
    records = engine.advance_to(WIDEN)
    assert routed(records) == [("release", WIDEN, "b-vip", "assigned", "source_group", "bob",
                                "advisors")]
    assert records[0]["cause"] == {"type": "tick", "at": WIDEN}
    assert engine.waiting()["queue"] == []


def test_the_timer_fires_by_itself_before_a_later_event(tmp_path: Path) -> None:
    """No tick: the next event, a minute after the widen, finds the chat given already at
    the widen instant (discrete-event time)."""
    engine = busy_vip_team(tmp_path, "bob")
    records = engine.feed(plain("b-other", "2026-11-23T10:03:10+08:00"))
    assert routed(records) == [
        ("release", WIDEN, "b-vip", "assigned", "source_group", "bob", "advisors"),
        ("route", "2026-11-23T10:03:10+08:00", "b-other", "assigned", "source_group", "bob",
         "advisors")]


def test_an_agent_of_an_open_target_freeing_up_before_the_widen_takes_it(
        tmp_path: Path) -> None:
    engine = busy_vip_team(tmp_path, "bob")
    close = {"type": "close", "at": "2026-11-23T10:01:00+08:00", "agent": "ann",
             "buyer": "b-first"}
    records = engine.feed(close)
    assert routed(records) == [("release", "2026-11-23T10:01:00+08:00", "b-vip", "assigned",
                                "source_group", "ann", "vip")]
    assert engine.advance_to(NIGHT) == []  # the relax timer went stale: nothing more


def test_an_agent_of_a_target_not_open_yet_does_not_take_it(tmp_path: Path) -> None:
    """bob (advisors, opens at 2m) coming online at 1m changes nothing; at 2m he takes it."""
    engine = busy_vip_team(tmp_path)
    assert routed(engine.feed(status("bob", at="2026-11-23T10:01:10+08:00"))) == []
    assert routed(engine.advance_to(WIDEN)) == [
        ("release", WIDEN, "b-vip", "assigned", "source_group", "bob", "advisors")]


def test_each_target_opens_at_its_own_wait(tmp_path: Path) -> None:
    """Nobody but cat (night, 5m) is online besides ann: at 2m the advisors open with
    nobody in them (no record: the chat waits on, for the night team), at 5m cat takes it."""
    engine = busy_vip_team(tmp_path, "cat")
    assert engine.advance_to(WIDEN) == []
    assert engine.next_due() == NIGHT
    assert routed(engine.advance_to(NIGHT)) == [
        ("release", NIGHT, "b-vip", "assigned", "source_group", "cat", "night")]


def test_once_every_target_is_open_the_binding_falls_through(tmp_path: Path) -> None:
    """dan is in no group: the `other_online` step after the bindings takes the chat, but
    only after the last target (5m) has opened without anyone to take it."""
    engine = busy_vip_team(tmp_path, "dan")
    assert engine.advance_to(WIDEN) == []
    assert routed(engine.advance_to(NIGHT)) == [
        ("release", NIGHT, "b-vip", "assigned", "fallback_other_online", "dan", None)]


def test_the_queue_pull_of_a_close_skips_a_held_chat(tmp_path: Path) -> None:
    """A close by bob (advisors, not open yet for b-vip) pulls the plain queued chat, not
    the VIP chat that waits for its targets (Y9 pulls skip held chats)."""
    text = POLICY.replace("  - {id: bob, created_at", "  - {id: bob, capacity: 1, created_at")
    engine = Engine(load(write(tmp_path, text)))
    engine.run([status("ann"), status("bob"), vip("b-first", NOW),
                plain("b-plain-1", NOW), plain("b-plain-2", "2026-11-23T10:00:05+08:00")])
    engine.feed(vip())
    queue = [(e["buyer"], e["reason"]) for e in engine.waiting()["queue"]]
    assert queue == [("b-plain-2", "queued_all_busy"), ("b-vip", "target_waiting")]
    records = engine.feed({"type": "close", "at": "2026-11-23T10:01:00+08:00",
                           "agent": "bob", "buyer": "b-plain-1"})
    assert [(r["buyer"], r["agent"]) for r in records if r["kind"] == "release"] == [
        ("b-plain-2", "bob")]


# -- with a requirement on the same binding ------------------------------------------------

REQUIRED = """\
policyc: 1
shop: {id: demo, timezone: Asia/Taipei}
agent_attributes:
  languages: {type: set, values: [en, zh]}
roster:
  - {id: ann, created_at: "2024-01-02T09:00:00+08:00", capacity: 1,
     attributes: {languages: [zh]}}
  - {id: bob, created_at: "2024-01-03T09:00:00+08:00", attributes: {languages: [en]}}
  - {id: wei, created_at: "2024-01-04T09:00:00+08:00", attributes: {languages: [zh]}}
groups:
  vip: {members: [ann]}
  advisors: {members: [bob, wei]}
bindings:
  - when: '"vip" in buyer.tags'
    targets:
      - {group: vip}
      - {group: advisors, wait: 2m}
    require:
      - {agent: '"zh" in agent.languages', for: 3m}
route: [bindings, {step: queue, when: shop.online > 0}, stage]
"""


def test_requirement_and_targets_widen_together(tmp_path: Path) -> None:
    """bob (en) is online, wei (zh) is not: at 2m the advisors open but the Chinese-speaking
    requirement holds until 3m (requirement_waiting); wei coming online at 2m30s takes it,
    and without him bob does at 3m."""
    events = [status("ann"), status("bob"), vip("b-first", NOW), vip()]
    engine = Engine(load(write(tmp_path, REQUIRED)))
    held = routed(engine.run(events))[-1]
    assert held[3:5] == ("queued", "target_waiting")
    opened = routed(engine.advance_to(WIDEN))
    assert opened == [("release", WIDEN, "b-vip", "queued", "requirement_waiting", None, None)]
    assert routed(engine.feed(status("wei", at="2026-11-23T10:02:40+08:00"))) == [
        ("release", "2026-11-23T10:02:40+08:00", "b-vip", "assigned", "source_group", "wei",
         "advisors")]

    engine = Engine(load(write(tmp_path, REQUIRED)))
    engine.run(events)
    engine.advance_to(WIDEN)
    assert routed(engine.advance_to("2026-11-23T10:03:10+08:00")) == [
        ("release", "2026-11-23T10:03:10+08:00", "b-vip", "assigned", "source_group", "bob",
         "advisors")]


def test_the_router_reads_the_wait_it_is_given(tmp_path: Path) -> None:
    """`Router.decide(waited=...)`: which targets are open is a function of the wait."""
    router = load(write(tmp_path))
    shop = router.state({"at": SENT, "agents": [
        {"id": "ann", "status": "online", "open": 1}, {"id": "bob", "status": "online"}]})
    early = router.decide(shop, vip(), waited=119.0)
    late = router.decide(shop, vip(), waited=120.0)
    assert (early.outcome, early.reason) == ("queued", "target_waiting")
    assert (late.outcome, late.agent, late.group) == ("assigned", "bob", "advisors")


def test_a_held_chat_points_at_the_target_it_waits_for(tmp_path: Path) -> None:
    """The outcome step's span is the entry of the next target to open: the advisors'
    (line 16) at first, the night team's (line 17) once the advisors are open; a summary
    trace says the same as a full one."""
    policy = write(tmp_path)
    router = load(policy)
    shop = router.state({"at": SENT, "agents": [{"id": "ann", "status": "online", "open": 1}]})
    for waited, line in ((0.0, 16), (130.0, 17)):
        spans = set()
        for level in ("full", "summary"):
            d = router.decide(shop, vip(), trace=True, waited=waited, level=level)
            assert d.reason == "target_waiting" and d.trace is not None
            spans.update(step.span for step in d.trace if step.kind == "outcome")
        assert spans == {f"{policy}:{line}:9"}, (waited, spans)


# -- explain, simulate, graph, fmt, the artifact ---------------------------------------------

def _files(tmp_path: Path) -> tuple[Path, Path, Path]:
    state = tmp_path / "s.json"
    state.write_text(json.dumps({"at": NOW, "agents": [
        {"id": "ann", "status": "online", "open": 1}, {"id": "bob", "status": "online"}]}),
        encoding="utf-8")
    event = tmp_path / "e.json"
    event.write_text(json.dumps(vip()), encoding="utf-8")
    return write(tmp_path), state, event


def test_explain_shows_the_open_targets_and_when_the_next_opens(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    policy, state, event = _files(tmp_path)
    said = {}
    for lang in ("en", "zh-Hans", "zh-Hant"):
        assert main(["explain", str(policy), "--state", str(state), "--event", str(event),
                     "--level", "full", "--lang", lang]) == 0
        said[lang] = capsys.readouterr().out
    assert f"[{policy}:15:9] bindings[0].targets: timed targets: open after 0 s of waiting: " \
           "vip; advisors opens once the chat has waited 120 s" in said["en"]
    assert "(target_waiting; Y9)" in said["en"]
    assert "会话等待满 120 秒时开放 advisors" in said["zh-Hans"]
    assert "對話等待滿 120 秒時開放 advisors" in said["zh-Hant"]
    assert main(["explain", str(policy), "--state", str(state), "--event", str(event),
                 "--format", "json", "--level", "full"]) == 0
    steps = json.loads(capsys.readouterr().out)["trace"]
    step = next(s for s in steps if s["step"] == "bindings[0].targets")
    assert step["targets"] == {"open": ["vip"], "waited": 0, "next": "advisors",
                               "opens_at": 120}
    assert step["span"] == f"{policy}:15:9"  # the last open target's entry


def test_explain_over_a_log_shows_the_release_with_every_target_open(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    log = tmp_path / "day.jsonl"
    events = [status("ann"), status("cat"), vip("b-first", NOW), vip(),
              {"type": "tick", "at": "2026-11-23T10:10:00+08:00"}]
    log.write_text("".join(json.dumps(e) + "\n" for e in events), encoding="utf-8")
    assert main(["explain", str(write(tmp_path)), "--log", str(log), "--buyer", "b-vip",
                 "--level", "full"]) == 0
    out = capsys.readouterr().out
    assert "timed targets: all open after 300 s of waiting (vip, advisors, night)" in out
    assert "route[0].bindings[0]>night" in out


def test_simulate_counts_the_held_chats_and_releases_them(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The shipped cosmetics day: VIP chats the VIP team cannot take wait for it, and every
    one is handed out by the end of the day."""
    assert main(["simulate", str(REPO / "policies" / "cosmetics.yaml"), "--log",
                 str(REPO / "policies" / "logs" / "cosmetics-day.jsonl")]) == 0
    out = capsys.readouterr().out
    assert "target_waiting 7" in out
    assert "still waiting: none" in out


def test_the_graph_draws_each_target_with_its_wait(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    policy = write(tmp_path)
    assert main(["graph", str(policy), "--format", "mermaid"]) == 0
    out = capsys.readouterr().out.replace(str(policy), "p.yaml")
    assert_golden(REPO / "tests" / "graph" / "timed-targets.mmd", out)
    assert '-->|"after 2m waiting"|' in out and '-->|"after 5m waiting"|' in out
    assert '-->|"waits for advisors (2m)"|' in out and '-->|"waits for night (5m)"|' in out


def test_fmt_keeps_timed_targets(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    messy = POLICY.replace("      - {group: advisors, wait: 2m}",
                           "      - group:   advisors\n        wait: 2m")
    policy = write(tmp_path, messy)

    def targets() -> list[Any]:
        artifact = json.loads(json.dumps(compile_file(policy).artifact))
        return [(b["groups"], [t[:2] for t in b["targets"]]) for b in artifact["bindings"]]

    before = targets()
    assert main(["fmt", str(policy)]) == 0
    capsys.readouterr()
    assert "      - {group: advisors, wait: 2m}\n" in policy.read_text(encoding="utf-8")
    assert targets() == before
    assert main(["fmt", "--check", str(policy)]) == 0


def test_the_artifact_carries_the_targets_and_checks_them(tmp_path: Path) -> None:
    compiled = compile_file(write(tmp_path)).artifact
    assert compiled is not None
    artifact: dict[str, Any] = json.loads(json.dumps(compiled))
    binding = artifact["bindings"][0]
    assert [t[:2] for t in binding["targets"]] == [["vip", 0], ["advisors", 120],
                                                    ["night", 300]]
    assert artifact["bindings"][1]["targets"] == []
    bad = copy.deepcopy(artifact)
    bad["bindings"][0]["targets"][2][1] = 60  # night before the advisors
    with pytest.raises(ArtifactError, match="/bindings/0/targets/2/1"):
        Router(bad)
    bad = copy.deepcopy(artifact)
    bad["bindings"][0]["targets"].reverse()
    with pytest.raises(ArtifactError, match="/bindings/0/targets"):
        Router(bad)
    old = copy.deepcopy(artifact)  # an artifact made before timed targets: all open at once
    for b in old["bindings"]:
        del b["targets"]
    router = Router(old)
    shop = router.state({"at": SENT, "agents": [
        {"id": "ann", "status": "online", "open": 1}, {"id": "bob", "status": "online"}]})
    d = router.decide(shop, vip())
    assert (d.outcome, d.agent) == ("assigned", "bob")


@pytest.mark.parametrize(("name", "code"), [
    ("E214_targets_out_of_order", "E214"), ("E214_first_target_waits", "E214"),
    ("E123_targets_beside_to", "E123"), ("E123_target_named_twice", "E123"),
    ("E202_unknown_target_group", "E202"),
    ("W316_target_reached_through_overflow", "W316")])
def test_bad_targets_are_located_errors(name: str, code: str,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    """The golden text of each is tests/broken/<name>.expected (tests/test_diagnostics.py);
    here: the exit status, and that a warning still compiles."""
    path = REPO / "tests" / "broken" / f"{name}.yaml"
    assert main(["check", str(path)]) == (0 if code.startswith("W") else 1)
    out = capsys.readouterr().out
    assert f"[{code}]" in out and out.count("error[") == (0 if code.startswith("W") else 1)
