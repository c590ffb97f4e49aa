"""Issue 12, T14 "分组机器人优先": a group's own bot first (`groups.<id>.bot_first:`),
through the public API, engine and CLI. The assistant answers the chats a binding sends
to the group while the condition holds; a buyer who asks for a person reaches the group's
agents; it is the bound group's (the first target, the drawn group), not an overflow
group's; earlier route steps (recent contact) still win; the graph has the gate and every
decision is a walk of it; a bad condition is a located error.
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
shop: {id: bot-demo, timezone: Asia/Shanghai, include_main_account: false}
intents: [size_advice, refund]
roster:
  - {id: ann, created_at: "2024-01-01T09:00:00+08:00"}
  - {id: bob, created_at: "2024-01-02T09:00:00+08:00"}
  - {id: gus, created_at: "2024-01-03T09:00:00+08:00"}
groups:
  presale:
    members: [ann]
    overflow: [general]
    bot_first: not wants_human
  aftersale:
    members: [bob]
    overflow: [presale]
  general:
    members: [gus]
bindings:
  - {when: intent == size_advice, to: [presale]}
  - {when: intent == refund, to: [aftersale]}
  - to: [general, presale]
    split: {general: 1, presale: 1}
route:
  - {step: recent_contact, window: 72h}
  - bindings
  - other_online
  - stage
"""


def write(tmp_path: Path, text: str = POLICY) -> Path:
    path = tmp_path / "p.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def message(buyer: str = "b-1", at: str = NOW, **facts: Any) -> dict[str, Any]:
    return {"type": "message", "at": at, "buyer": buyer, "source": "bot_handoff", **facts}


def everyone(**extra: Any) -> dict[str, Any]:
    return {"at": NOW, "agents": [{"id": a, "status": "online"} for a in ("ann", "bob", "gus")],
            **extra}


def test_the_groups_assistant_answers_first(tmp_path: Path) -> None:
    router = load(write(tmp_path))
    d = decide(router, everyone(), message(intent="size_advice", wants_human=False),
               trace=True)
    assert (d.outcome, d.reason, d.agent, d.group) == ("assistant", "bot_first", None, None)
    # The outcome points at the group's `bot_first:` line (line 12), and the path goes
    # through the gate before presale's pick.
    outcome = [s for s in d.to_dict()["trace"] if s["kind"] == "outcome"][-1]  # type: ignore[union-attr,index]
    assert outcome["span"].endswith("p.yaml:12:16"), outcome
    assert d.path[-2:] == ("route[1].bindings[0]>presale:bot_first",
                           "outcome:assistant:bot_first")
    # The summary-only trace says the same (made without the steps before it).
    summary = router.decide(router.state(everyone()), message(intent="size_advice",
                                                              wants_human=False),
                            trace=True, level="summary")
    assert summary.to_dict("summary") == d.to_dict("summary")


def test_a_buyer_who_asks_for_a_person_reaches_the_group(tmp_path: Path) -> None:
    router = load(write(tmp_path))
    d = decide(router, everyone(), message(intent="size_advice", wants_human=True), trace=True)
    assert (d.outcome, d.reason, d.agent, d.group) == ("assigned", "source_group", "ann",
                                                       "presale")
    gate = next(s for s in d.to_dict()["trace"]  # type: ignore[union-attr]
                if s["node"].endswith(":bot_first"))
    assert gate["result"] == "condition_false"
    assert gate["failed"]["field"] == "wants_human", gate


def test_other_groups_and_overflow_have_no_assistant(tmp_path: Path) -> None:
    """aftersale has no bot first; with bob away it overflows to presale, whose agents take
    the chat: the assistant answers only chats bound to presale itself."""
    router = load(write(tmp_path))
    d = decide(router, everyone(), message(intent="refund", wants_human=False))
    assert (d.outcome, d.agent) == ("assigned", "bob")
    away = {"at": NOW, "agents": [{"id": "ann", "status": "online"}]}
    d = decide(router, away, message(intent="refund", wants_human=False))
    assert (d.outcome, d.reason, d.agent, d.group) == ("assigned", "source_group", "ann",
                                                       "presale")


def test_a_split_applies_the_drawn_groups_assistant(tmp_path: Path) -> None:
    """Buyers who draw presale get its assistant; those who draw general do not, even
    when general is away and presale (next in the draw's order) takes the chat."""
    router = load(write(tmp_path))
    draws: dict[str, str] = {}
    for n in range(40):
        d = decide(router, everyone(), message(f"b-{n}", wants_human=False), trace=True)
        drawn = next(s for s in d.to_dict()["trace"]  # type: ignore[union-attr]
                     if s["step"].endswith(".split"))["split"]["drawn"]
        draws[f"b-{n}"] = drawn
        assert (d.outcome == "assistant") == (drawn == "presale"), (n, drawn, d.outcome)
    assert set(draws.values()) == {"general", "presale"}
    general = next(b for b, g in draws.items() if g == "general")
    d = decide(router, {"at": NOW, "agents": [{"id": "ann", "status": "online"}]},
               message(general, wants_human=False))
    assert (d.outcome, d.agent, d.group) == ("assigned", "ann", "presale")


def test_a_recent_contact_comes_first(tmp_path: Path) -> None:
    router = load(write(tmp_path))
    shop = everyone(contacts=[{"buyer": "b-1", "agent": "gus", "at": "2026-11-22T10:00:00+08:00"}])
    d = decide(router, shop, message(intent="size_advice", wants_human=False))
    assert (d.outcome, d.reason, d.agent) == ("assigned", "recent_contact", "gus")


def test_the_engine_hands_over_when_the_buyer_asks(tmp_path: Path) -> None:
    """A buyer the assistant answered asks for a person: the hand-over reaches ann; the
    assistant's record has no human welcome and opens no chat."""
    router = load(write(tmp_path))
    engine = Engine(router, everyone())
    first = engine.feed(message(intent="size_advice", wants_human=False))
    later = engine.feed(message(at="2026-11-23T10:01:00+08:00", intent="size_advice",
                                wants_human=True))
    assert [(r["outcome"], r["reason"], r["agent"]) for r in first + later] == [
        ("assistant", "bot_first", None), ("assigned", "source_group", "ann")]
    assert first[0]["auto_replies"] == []


def test_every_decision_is_a_walk_of_the_graph(tmp_path: Path) -> None:
    router = load(write(tmp_path))
    edges = {(e["from"], e["to"]) for e in router.artifact["graph"]["edges"]}
    nodes = {n["id"]: n for n in router.artifact["graph"]["nodes"]}
    gates = sorted(n for n in nodes if n.endswith(":bot_first") and "bindings" in n)
    # presale first: its own binding and the split's presale draw (not the general
    # draw, where presale comes after general, nor aftersale's overflow).
    assert gates == ["route[1].bindings[0]>presale:bot_first",
                     "route[1].bindings[2]~presale>presale:bot_first"]
    assert all(nodes[g]["type"] == "gate" and nodes[g]["bot_first_of"] == "presale"
               for g in gates)
    assert all((g, "outcome:assistant:bot_first") in edges for g in gates)
    statuses = ("online", "offline")
    for ann, bob, gus, intent, human, buyer in itertools.product(
            statuses, statuses, statuses, (None, "size_advice", "refund"), (False, True),
            ("b-1", "b-2", "b-3")):
        shop = {"at": NOW, "agents": [{"id": "ann", "status": ann}, {"id": "bob", "status": bob},
                                      {"id": "gus", "status": gus}]}
        d = decide(router, shop, message(buyer, intent=intent, wants_human=human))
        path = list(d.path)
        assert path[-1] == f"outcome:{d.outcome}:{d.reason}"
        assert all(step in edges for step in itertools.pairwise(path)), path


def test_the_condition_is_type_checked(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, POLICY.replace("bot_first: not wants_human",
                                          "bot_first: intent == size_advise"))
    assert main(["check", str(path)]) == 1
    out = capsys.readouterr().out
    assert "p.yaml:12:" in out and "size_advise" in out, out


def test_a_bot_first_that_never_hands_over_is_a_warning(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`bot_first: true` keeps every buyer of the group from a person: W317 at the line."""
    path = write(tmp_path, POLICY.replace("bot_first: not wants_human", "bot_first: true"))
    assert main(["check", str(path)]) == 0
    out = capsys.readouterr().out
    assert "p.yaml:12:16: warning[W317]" in out and "group `presale`" in out, out
    router = load(path)
    d = decide(router, everyone(), message(intent="size_advice", wants_human=True))
    assert (d.outcome, d.reason) == ("assistant", "bot_first")


def test_explain_shows_the_groups_line(tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path)
    state, event = tmp_path / "s.json", tmp_path / "e.json"
    state.write_text(json.dumps(everyone()), encoding="utf-8")
    event.write_text(json.dumps(message(intent="size_advice", wants_human=False)),
                     encoding="utf-8")
    assert main(["explain", str(path), "--state", str(state), "--event", str(event)]) == 0
    out = capsys.readouterr().out
    assert "assistant" in out and "p.yaml:12:16" in out, out


def test_the_artifact_is_unchanged_without_the_key(tmp_path: Path) -> None:
    plain = load(write(tmp_path, POLICY.replace("    bot_first: not wants_human\n",
                                                "    # none\n    # off\n")))
    assert all("bot_first" not in g for g in plain.artifact["groups"])
    assert not any(n["id"].endswith(":bot_first") for n in plain.artifact["graph"]["nodes"])
    off = load(write(tmp_path, POLICY.replace("    bot_first: not wants_human\n",
                                              "    bot_first: null\n    # off\n")))
    assert off.artifact["groups"] == plain.artifact["groups"]
