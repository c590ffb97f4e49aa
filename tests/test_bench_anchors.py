"""Issues 3 and 13 benchmark: the anchors and policyc make the same decisions.

The benchmark's ratios only mean something if every implementation decides
every event alike, state updates included; the harness asserts it before
timing, and these cases pin it down on tiny shops, on the rare route steps
(main account, staging) and on the recent-contact window's edge. The stream
has status and capacity changes so that every route step decides at every
shop size; each of policyc's columns (trace, JSON at each level) decides alike.
"""

from __future__ import annotations

import copy
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

zen = pytest.importorskip("zen", reason="zen-engine is the `bench` extra")

# `bench/` is a folder of the repository, not part of the installed package.
REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.__main__ import main as bench_main  # noqa: E402
from bench.anchor_indexed import IndexedRouter  # noqa: E402
from bench.anchor_scan import ScanRouter  # noqa: E402
from bench.anchor_zen import ZenRouter  # noqa: E402
from bench.harness import Disagreement, check  # noqa: E402
from bench.policyc_side import MODES, PolicycRouter, compile_router  # noqa: E402
from bench.shop_gen import generate  # noqa: E402
from bench.shop_model import Decision  # noqa: E402

Event = dict[str, Any]


ROUTE_REASONS = {"pinned_agent", "pinned_agent_waiting", "recent_contact", "source_group",
                 "fallback_other_online", "main_account_fallback", "staged_nobody_online"}


def all_decisions(policy: str, snapshot: dict[str, Any], events: list[Event],
                  zen_too: bool = True) -> dict[str, list[Decision]]:
    router = compile_router(policy)
    deciders: dict[str, Any] = {
        "scan": ScanRouter(policy, snapshot),
        "indexed": IndexedRouter(policy, snapshot),
        **{mode: PolicycRouter(router, snapshot, mode=mode) for mode in MODES},
    }
    if zen_too:
        deciders["zen"] = ZenRouter(policy, snapshot, "expression")
        deciders["zen-js"] = ZenRouter(policy, snapshot, "function")
    return {name: [d.decide(e) for e in events] for name, d in deciders.items()}


def reasons_of(decisions: list[Decision], events: list[Event]) -> Counter[str]:
    return Counter(d[2] for d, e in zip(decisions, events, strict=True)
                   if e["type"] == "message")


def assert_agree(got: dict[str, list[Decision]], events: list[Event]) -> list[Decision]:
    ref = got["indexed"]
    for name, decisions in got.items():
        for i, (mine, theirs) in enumerate(zip(decisions, ref, strict=True)):
            assert mine == theirs, f"{name} vs indexed at event {i} {events[i]}"
    return ref


@pytest.mark.parametrize("n_agents", [1, 4, 10, 37])
@pytest.mark.parametrize("seed", [1, 2])
@pytest.mark.parametrize("day", [True, False])
def test_generated_streams_agree(n_agents: int, seed: int, day: bool) -> None:
    policy, snapshot, events = generate(n_agents, 120, seed, day)
    assert_agree(all_decisions(policy, snapshot, events), events)


def test_small_shop_covers_the_common_steps() -> None:
    policy, snapshot, events = generate(10, 600, 1, day=False)
    reasons = reasons_of(assert_agree(all_decisions(policy, snapshot, events), events), events)
    assert {"pinned_agent", "pinned_agent_waiting", "recent_contact", "source_group",
            "fallback_other_online"} <= set(reasons)


def test_the_day_has_status_and_capacity_changes() -> None:
    _policy, _snapshot, events = generate(40, 2_000, 1)
    kinds = Counter(e["type"] for e in events)
    assert kinds["message"] == 2_000 and kinds["agent_status"] > 40 and kinds["set_capacity"]
    assert {e["capacity"] is None for e in events if e["type"] == "set_capacity"} == {True, False}


@pytest.mark.parametrize("n_agents", [10, 100, 1_000])
def test_every_route_step_decides_at_every_size(n_agents: int) -> None:
    """The stream's outage and closing make `other_online`, `main_account` and
    `stage` decide however big the shop (issue 13), and every implementation
    (zen too, where it is quick enough) agrees on all of it."""
    policy, snapshot, events = generate(n_agents, 3_000, 1)
    got = all_decisions(policy, snapshot, events, zen_too=n_agents <= 100)
    reasons = reasons_of(assert_agree(got, events), events)
    assert set(reasons) == ROUTE_REASONS, reasons


def with_statuses(snapshot: dict[str, Any], status: str, main: str) -> dict[str, Any]:
    changed = copy.deepcopy(snapshot)
    for agent in changed["agents"]:
        agent["status"] = main if agent["id"] == "main" else status
    return changed


@pytest.mark.parametrize(("status", "main", "reason"), [
    ("offline", "online", "main_account_fallback"),  # S4-C: every other agent offline
    ("hidden", "offline", "staged_nobody_online"),  # S7: nobody online
])
def test_last_resort_steps_agree(status: str, main: str, reason: str) -> None:
    policy, snapshot, events = generate(8, 120, 3, day=False)
    snapshot = with_statuses(snapshot, status, main)
    # New buyers only (pins kept): a buyer returning to the main account is the
    # case of test_returning_buyer_of_the_main_account below.
    events = [e if e["buyer"].startswith("p-") else dict(e, buyer=f"new-{i}")
              for i, e in enumerate(events)]
    reasons = reasons_of(assert_agree(all_decisions(policy, snapshot, events), events), events)
    assert reason in reasons


def returning_to_main() -> tuple[dict[str, list[Decision]], list[Event]]:
    policy, snapshot, events = generate(10, 50, 1, day=False)
    snapshot["contacts"] = [{"buyer": "back", "agent": "main", "at": "2026-11-23T08:00:00+08:00"}]
    event = dict(events[0], buyer="back")
    return all_decisions(policy, snapshot, [event]), [event]


def test_returning_buyer_of_the_main_account_anchors() -> None:
    """S4-C: main takes chats only when every other agent is offline; S8 does not
    override that (the brief: main is picked by the main_account step only)."""
    got, events = returning_to_main()
    anchors = {k: v for k, v in got.items() if not k.startswith("policyc")}
    assert assert_agree(anchors, events)[0][2] == "source_group"


def test_returning_buyer_of_the_main_account_policyc() -> None:
    """S4-C: a main account that served a buyer as last resort does not keep that buyer."""
    got, events = returning_to_main()
    assert_agree(got, events)


@pytest.mark.parametrize(("age", "reason"), [
    ("2026-11-20T09:00:01+08:00", "recent_contact"),  # exactly 72 h before: inside
    ("2026-11-20T09:00:00+08:00", "source_group"),  # 72 h and 1 s: outside
])
def test_recent_contact_window_edge(age: str, reason: str) -> None:
    policy, snapshot, events = generate(10, 50, 1, day=False)
    online = next(a["id"] for a in snapshot["agents"]
                  if a["status"] == "online" and a["id"] != "main")
    snapshot["contacts"] = [{"buyer": "edge", "agent": online, "at": age}]
    event = dict(events[0], buyer="edge", at="2026-11-23T09:00:01+08:00")
    got = assert_agree(all_decisions(policy, snapshot, [event]), [event])
    assert got[0][2] == reason


def test_trace_on_records_a_trace() -> None:
    """The `pc+trace` column measures decisions that really carry their trace."""
    policy, snapshot, events = generate(10, 5, 1, day=False)
    on = PolicycRouter(compile_router(policy), snapshot, trace=True)
    assert on.router.decide(on.state, events[0], trace=True).trace
    assert on.router.decide(on.state, events[0], trace=False).trace is None


def test_trace_and_json_columns_render_what_they_time() -> None:
    """`pc+trace` renders the trace's CONTRACT entries; `json:LEVEL` makes the record's
    JSON line at that level, the one `simulate -o --trace LEVEL` writes."""
    policy, snapshot, events = generate(10, 5, 1, day=False)
    router = compile_router(policy)
    traced = PolicycRouter(router, snapshot, mode="policyc+trace")
    traced.decide(events[0])
    assert isinstance(traced.out, list)
    assert [s["kind"] for s in traced.out].count("outcome") == 1
    lines = {}
    for mode in ("json", "json:summary", "json:fails", "json:full"):
        column = PolicycRouter(router, snapshot, mode=mode)
        column.decide(events[0])
        assert isinstance(column.out, str)
        lines[mode] = json.loads(column.out)
    assert "trace" not in lines["json"]
    assert len(lines["json:summary"]["trace"]) == 1
    assert len(lines["json:full"]["trace"]) >= len(lines["json:fails"]["trace"]) >= 1


def test_harness_reports_a_disagreement() -> None:
    policy, snapshot, events = generate(4, 40, 1)
    reference = [IndexedRouter(policy, snapshot).decide(e) for e in events]
    reference[7] = ("staged", None, "staged_nobody_online")
    with pytest.raises(Disagreement, match="at event 7"):
        check("scan", lambda: ScanRouter(policy, snapshot), events, reference)


def test_quick_run_prints_the_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert bench_main(["--quick", "--sizes", "4,10", "--events", "60", "--repeats", "2"]) == 0
    out = capsys.readouterr().out
    assert "pc/indexed" in out and "cost at 10 vs 4 agents" in out
