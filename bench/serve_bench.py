"""`python -m bench.serve_bench`: `policyc serve` under load on loopback, and bulk replay on Dask.

(The generator of the shops it uses, `make_shops`, is shared with the tests.)
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.engine_bench import generate

Event = dict[str, Any]


@dataclass
class GeneratedShop:
    """One generated shop: its id, policy file, log file and events."""

    shop: str
    policy: Path
    log: Path
    events: list[Event]


def make_shops(folder: Path, n_shops: int, n_agents: int, n_events: int,
               distinct: int = 8) -> list[GeneratedShop]:
    """`n_shops` shops `shop-000`.. in `folder` (policies/ and logs/), each a busy stretch
    of the engine benchmark's day; `distinct` different days, cycled over the shops
    (generating a day costs a compile and a simulated day)."""
    (folder / "policies").mkdir(parents=True, exist_ok=True)
    (folder / "logs").mkdir(parents=True, exist_ok=True)
    days = [generate(n_agents, n_events, seed) for seed in range(1, min(distinct, n_shops) + 1)]
    shops = []
    for i in range(n_shops):
        policy_text, log_text = days[i % len(days)]
        shop = f"shop-{i:03d}"
        policy = folder / "policies" / f"{shop}.yaml"
        policy.write_text(policy_text.replace(f"id: engine-bench-{n_agents}", f"id: {shop}"),
                          encoding="utf-8")
        log = folder / "logs" / f"{shop}.jsonl"
        log.write_text(log_text, encoding="utf-8")
        shops.append(GeneratedShop(shop, policy, log,
                                   [json.loads(line) for line in log_text.splitlines()]))
    return shops
