"""The engine forgets what no rule reads any more (runtime/horizon.py), and no record changes.

A replay of weeks keeps per buyer only the contacts a `recent_contact` step can
still reach and the welcomes of the current day; an engine that forgets nothing
makes the same records, byte for byte, traces included.
"""

from __future__ import annotations

import copy
import json
import sys
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from policyc.api import load
from policyc.compiler import compile_file
from policyc.runtime.clock import parse_instant
from policyc.runtime.engine import Engine
from policyc.runtime.horizon import CONTACT_MARGIN, Horizon
from policyc.runtime.router import Router
from policyc.runtime.state import ShopState

ROOT = Path(__file__).resolve().parent.parent
POLICIES = ROOT / "policies"


class Remembering(Horizon):
    """A horizon that never forgets: the engine as it was before it had one."""

    def sweep(self, shop: ShopState, at: float) -> None:
        self.due = float("inf")


def _replay(router: Router, events: list[dict[str, Any]], forget: bool,
            trace: str | None = "fails") -> tuple[str, Engine]:
    engine = Engine(router, trace=trace)
    if not forget:
        engine.horizon = Remembering(router.tz, router.contact_memory)
    text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in engine.run(events))
    return text, engine


@cache
def _busy_week() -> tuple[str, str]:
    """Six days of bench/engine_bench.py's shop of 20 agents (window 3d)."""
    sys.path.insert(0, str(ROOT))
    try:
        from bench.engine_bench import generate
    finally:
        sys.path.remove(str(ROOT))
    return generate(20, 60_000, seed=5)


def test_forgotten_contacts_change_no_record_and_the_state_stays_small(tmp_path: Path) -> None:
    policy_text, log_text = _busy_week()
    policy = tmp_path / "shop.yaml"
    policy.write_text(policy_text, encoding="utf-8")
    result = compile_file(policy)
    assert result.artifact is not None
    events = [json.loads(line) for line in log_text.splitlines()]
    days = (parse_instant(events[-1]["at"]) - parse_instant(events[0]["at"])) / 86400
    assert days > 5
    router = Router(copy.deepcopy(result.artifact))
    forgetting, engine = _replay(router, events, forget=True)
    remembering, kept = _replay(Router(copy.deepcopy(result.artifact)), events, forget=False)
    assert forgetting == remembering
    assert router.contact_memory == 3 * 86400 + CONTACT_MARGIN
    last = parse_instant(events[-1]["at"])
    assert all(last - at <= router.contact_memory for _, at in engine.shop.contacts.values())
    assert len(engine.shop.contacts) < 0.8 * len(kept.shop.contacts)
    assert len(engine.shop.contact_times) <= len(kept.shop.contact_times)


def _days(events: list[dict[str, Any]], n: int) -> list[dict[str, Any]]:
    """The same day of events, `n` days in a row; odd days' buyers come back the next day,
    the others are new each day."""
    out = []
    for day in range(n):
        for e in events:
            when = datetime.fromisoformat(e["at"]) + timedelta(days=day)
            moved = dict(e, at=when.isoformat())
            if "buyer" in e and int(e["buyer"][2:]) % 2 == 0:
                moved["buyer"] = f"{e['buyer']}-{day}"
            out.append(moved)
    return out


def test_welcomes_of_earlier_days_are_forgotten_and_each_day_still_welcomes() -> None:
    router = load(POLICIES / "youzan.yaml")
    day = [json.loads(line) for line in
           (POLICIES / "logs" / "youzan-day.jsonl").read_text(encoding="utf-8").splitlines()
           if line.strip()]
    events = _days(day, 4)
    forgetting, engine = _replay(router, events, forget=True, trace=None)
    remembering, kept = _replay(load(POLICIES / "youzan.yaml"), events, forget=False,
                                trace=None)
    assert forgetting == remembering
    welcomes = [line for line in forgetting.splitlines() if '"welcome"' in line]
    assert len(welcomes) >= 4  # every day welcomes again
    last_day = events[-1]["at"][:10]
    assert engine.shop.welcomed and set(engine.shop.welcomed.values()) == {last_day}
    assert len(set(kept.shop.welcomed.values())) == 4
