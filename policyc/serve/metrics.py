"""`/metrics` in the Prometheus text format: decisions, latency, and what waits in each shop.

Counters are kept as the records go out (decisions by shop, outcome and
reason; requests by route and status), the latency histogram per event as
requests finish; the depth gauges (queue, staging, waiting, pool, open
conversations) are read from each owned shop's engine at scrape time.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from ..runtime.records import DECIDED, Record
from .shops import Shop

BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


class Metrics:
    """The service's counters and histogram."""

    def __init__(self) -> None:
        self.decisions: Counter[tuple[str, str, str]] = Counter()
        self.requests: Counter[tuple[str, int]] = Counter()
        self.events: Counter[str] = Counter()
        self.counts = [0] * len(BUCKETS)
        self.latency_sum = 0.0
        self.latency_count = 0

    def recorded(self, shop: str, records: Iterable[Record], events: int) -> None:
        """Count the decisions a batch of `events` made."""
        self.events[shop] += events
        for r in records:
            if r["kind"] in DECIDED:
                self.decisions[(shop, r["outcome"], r["reason"])] += 1

    def request(self, route: str, status: int, seconds: float, events: int) -> None:
        """A finished request; an events request adds its time per event to the histogram."""
        self.requests[(route, status)] += 1
        if events and status == 200:
            per_event = seconds / events
            for i, bound in enumerate(BUCKETS):
                if per_event <= bound:
                    self.counts[i] += events
            self.latency_sum += seconds
            self.latency_count += events

    def render(self, shops: Iterable[Shop]) -> str:
        """The exposition text."""
        out = ["# HELP policyc_decisions_total Routing decisions by shop, outcome and reason.",
               "# TYPE policyc_decisions_total counter"]
        out += [f'policyc_decisions_total{{shop="{_label(s)}",outcome="{o}",reason="{r}"}} {n}'
                for (s, o, r), n in sorted(self.decisions.items())]
        out += ["# HELP policyc_events_total Events accepted, by shop.",
                "# TYPE policyc_events_total counter"]
        out += [f'policyc_events_total{{shop="{_label(s)}"}} {n}'
                for s, n in sorted(self.events.items())]
        out += ["# HELP policyc_requests_total HTTP requests by route and status.",
                "# TYPE policyc_requests_total counter"]
        out += [f'policyc_requests_total{{route="{r}",status="{c}"}} {n}'
                for (r, c), n in sorted(self.requests.items())]
        out += ["# HELP policyc_event_latency_seconds Time to accept one event (request time "
                "over its events), durable write included.",
                "# TYPE policyc_event_latency_seconds histogram"]
        out += [f'policyc_event_latency_seconds_bucket{{le="{b}"}} {n}'
                for b, n in zip(BUCKETS, self.counts, strict=True)]
        out += [f'policyc_event_latency_seconds_bucket{{le="+Inf"}} {self.latency_count}',
                f"policyc_event_latency_seconds_sum {self.latency_sum:.6f}",
                f"policyc_event_latency_seconds_count {self.latency_count}",
                "# HELP policyc_waiting Chats waiting in a shop, by place "
                "(queue, staging, waiting, pool).",
                "# TYPE policyc_waiting gauge"]
        conversations = ["# HELP policyc_open_conversations Open conversations in a shop.",
                         "# TYPE policyc_open_conversations gauge"]
        mismatches = ["# HELP policyc_replay_mismatches Log entries whose replay made other "
                      "records than the log holds (the engine changed since they were written).",
                      "# TYPE policyc_replay_mismatches gauge"]
        for shop in sorted(shops, key=lambda s: s.name):
            if shop.engine is None:
                continue
            name = _label(shop.name)
            for place, rows in shop.engine.waiting().items():
                out.append(f'policyc_waiting{{shop="{name}",place="{place}"}} {len(rows)}')
            conversations.append(f'policyc_open_conversations{{shop="{name}"}} '
                                 f"{len(shop.engine.conversations)}")
            mismatches.append(f'policyc_replay_mismatches{{shop="{name}"}} '
                              f"{shop.replay_mismatches}")
        return "\n".join(out + conversations + mismatches) + "\n"
