"""Properties of workload runs (hypothesis): whatever the model, no action is ever ignored.

For random models of the sale-day shop (rates, staff count, seed, follow-ups,
transfer share, whether agents act while away), the driver feeds only actions
that fit the engine's state: no `ignored` record, every chat is either taken by
an agent or still waiting in the engine at the end, and the run is the same
when repeated.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from policyc.api import load
from policyc.workload.bind import bind
from policyc.workload.driver import drive
from policyc.workload.load import load_model

REPO = Path(__file__).resolve().parents[1]
ROUTER = load(REPO / "policies" / "workloads" / "sale-day-shop.yaml")
STAFF = ["an", "bo", "cai", "dong", "fei", "gu"]


def model_text(rate: int, staff: int, seed: int, exchanges: float, share: float,
               away: bool, hour: int) -> str:
    agents = "\n".join(f'    - {{agent: {a}, shifts: [{{from: "{(hour + i) % 24:02d}:00", '
                       f'to: "{(hour + i + 2) % 24:02d}:00"}}]}}'
                       for i, a in enumerate(STAFF[:staff]))
    return (f'workload: 1\nstart: "2026-11-11T{hour:02d}:00:00+08:00"\nduration: 3h\n'
            f"seed: {seed}\ntick: 5m\narrivals:\n  per_hour: {rate}\n"
            "  sources: {product_page: 0.5, order_page: 0.5}\n"
            f"handling:\n  exchanges: {{poisson: {exchanges}}}\n"
            f"  transfer: {{share: {share}, to_group: aftersale}}\n"
            f"  finish_offline: {'true' if away else 'false'}\n"
            f"staff:\n  agents:\n{agents}\n")


@settings(max_examples=25, deadline=None)
@given(rate=st.integers(1, 60), staff=st.integers(1, len(STAFF)), seed=st.integers(0, 10**6),
       exchanges=st.sampled_from([0, 0.5, 2.0]), share=st.sampled_from([0, 0.2, 1.0]),
       away=st.booleans(), hour=st.integers(0, 23))
def test_no_action_is_ignored(rate: int, staff: int, seed: int, exchanges: float, share: float,
                              away: bool, hour: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "model.yaml"
        path.write_text(model_text(rate, staff, seed, exchanges, share, away, hour),
                        encoding="utf-8")
        loaded = load_model(path)
        assert loaded.model is not None, loaded.diagnostics
        bound, problems = bind(loaded.model, ROUTER)
        assert bound is not None, problems
        run = drive(ROUTER, bound.model, bound.arrivals, bound.schedule)
        again = drive(ROUTER, bound.model, bound.arrivals, bound.schedule)
    assert run.book.ignored == 0
    assert [r for r in run.records if r["kind"] == "ignored"] == []
    waiting = {e["buyer"] for entries in run.engine.waiting().values() for e in entries}
    for chat in run.book.chats:
        assert chat.served is not None or chat.buyer in waiting
    assert run.records == again.records
