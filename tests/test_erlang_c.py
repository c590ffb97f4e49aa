"""policyc against queueing theory: M/M/c runs of the engine agree with Erlang C.

The shop: c agents, each taking one chat at a time (capacity 1), one group
bound to every chat, and a route `bindings -> queue -> stage`, so a chat that
finds every agent busy waits in the queue (Y9, oldest first) and is pulled
when an agent closes a chat. The workload: Poisson arrivals at rate
lambda = rho * c * mu, each holder reads and answers at once and closes after
an exponential time of mean 1/mu = 5 min (the service time), agents online
throughout. Erlang C then gives, in closed form (computed here, cross-checked
with the `ciw` simulator), the probability that a chat waits, its mean wait,
and P(wait > t) = C * exp(-(c mu - lambda) t), the service level's complement.

Tolerance: each estimate is the mean of 20 batch means of consecutive chats
(after dropping the first 5 % as warm-up); its confidence interval is
t(0.9995, 19 df) = 3.883 standard errors wide each side (99.9 %), so over all
45 checks a correct engine fails with probability below 5 % (Bonferroni), and
with the fixed seeds the outcome is the same on every run. Differences below
`FLOOR` (1 % of a share, 3 s of wait) are not resolved: at c = 20, rho = 0.5
one chat in 270 waits. Each interval must also be narrow enough to mean
something (`PRECISION`), and the test is shown
to fail on a biased engine: the same run with a newest-first queue keeps the
mean wait (a work-conserving order does not change it) but misses the wait
distribution, which the service-level check catches.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from pathlib import Path

import ciw  # type: ignore[import-untyped]
import ciw.dists  # type: ignore[import-untyped]
import pytest

from policyc.api import load
from policyc.runtime.router import Router
from policyc.workload.bind import bind
from policyc.workload.driver import drive
from policyc.workload.load import load_model

SERVICE = 300.0  # mean handling time 1/mu, seconds
TARGET = 300.0  # the service-level target t of P(wait > t)
BATCHES, T_CRIT = 20, 3.883  # t quantile 0.9995 with 19 degrees of freedom
WARM_UP = 0.05
AGENTS = (1, 2, 5, 10, 20)
LOADS = (0.5, 0.8, 0.95)
# chats per run: heavy traffic mixes slowly, so rho = 0.95 needs the longest runs
CHATS = {0.5: 8_000, 0.8: 20_000, 0.95: 50_000}
# the widest a CI may be, in units of the mean service time (waits) or absolute (shares)
PRECISION = {"waited": 0.1, "mean_wait": {0.5: 0.25, 0.8: 1.0, 0.95: 8.0}, "over_target": 0.2}
# below these a difference is not resolved (rare waits at low load): 1 % of a share or of
# the mean service time
FLOOR = {"waited": 0.01, "mean_wait": 0.01 * SERVICE, "over_target": 0.01}


def erlang_c(c: int, rho: float) -> float:
    """P(wait > 0) for M/M/c with offered load a = c * rho (Erlang B recursion, stable)."""
    a, b = c * rho, 1.0
    for k in range(1, c + 1):
        b = a * b / (k + a * b)
    return c * b / (c - a * (1 - b))


def closed_form(c: int, rho: float) -> dict[str, float]:
    """Erlang C: P(wait > 0), mean wait (s) and P(wait > TARGET)."""
    p = erlang_c(c, rho)
    drain = (c - c * rho) / SERVICE  # c mu - lambda, per second
    return {"waited": p, "mean_wait": p / drain, "over_target": p * math.exp(-drain * TARGET)}


@dataclass(frozen=True)
class Estimate:
    value: float
    half_width: float


def batch_means(values: list[float]) -> Estimate:
    """The mean and its 99.9 % half-width from BATCHES batch means (warm-up dropped)."""
    kept = values[int(len(values) * WARM_UP):]
    size = len(kept) // BATCHES
    means = [statistics.fmean(kept[i * size:(i + 1) * size]) for i in range(BATCHES)]
    return Estimate(statistics.fmean(means), T_CRIT * statistics.stdev(means) / BATCHES ** 0.5)


def estimates(waits: list[float]) -> dict[str, Estimate]:
    return {"waited": batch_means([float(w > 0) for w in waits]),
            "mean_wait": batch_means(waits),
            "over_target": batch_means([float(w > TARGET) for w in waits])}


def misses(c: int, rho: float, waits: list[float], precise: bool = True) -> list[str]:
    """The checks a run fails: a closed-form value outside its CI, or (`precise`) a CI
    too wide to mean something."""
    exact, found, out = closed_form(c, rho), estimates(waits), []
    for name, est in found.items():
        if abs(est.value - exact[name]) > max(est.half_width, FLOOR[name]):
            out.append(f"{name}: {est.value:.5g} +- {est.half_width:.3g}, "
                       f"Erlang C {exact[name]:.5g}")
        limit = PRECISION[name]
        width = (limit[rho] * SERVICE if isinstance(limit, dict) else limit)
        if precise and est.half_width > width:
            out.append(f"{name}: CI half-width {est.half_width:.3g} wider than {width:.3g}")
    return out


def shop_policy(path: Path, order: str) -> Router:
    agents = [f"a{i:02d}" for i in range(1, max(AGENTS) + 1)]
    roster = "\n".join(f'  - {{id: {a}, created_at: "2020-01-{i:02d}T00:00:00+00:00", '
                       f"capacity: 1}}" for i, a in enumerate(agents, 1))
    path.write_text(
        "policyc: 1\nshop: {id: mmc, timezone: UTC, sources: [product_page]}\nroster:\n"
        '  - {id: main, role: main, created_at: "2019-12-01T00:00:00+00:00"}\n'
        f"{roster}\ngroups:\n  team: {{members: [{', '.join(agents)}], "
        "sources: [product_page]}\nroute:\n  - bindings\n"
        "  - {step: queue, when: shop.online > 0}\n  - stage\n"
        f"queue: {{order: {order}}}\n", encoding="utf-8")
    return load(path)


def workload(path: Path, c: int, rho: float) -> Path:
    per_hour = rho * c / SERVICE * 3600
    hours = CHATS[rho] / per_hour
    staff = "\n".join(f"    - {{agent: a{i:02d}}}" for i in range(1, c + 1))
    path.write_text(
        f'workload: 1\nstart: "2026-01-05T00:00:00+00:00"\nduration: {hours:.4f}h\n'
        f"seed: {c * 100 + round(rho * 100)}\ntick: null\n"
        f"service_level: {{target: {TARGET:.0f}s}}\narrivals:\n  per_hour: {per_hour:.6f}\n"
        "handling:\n  first_read: 0s\n  first_reply: 0s\n"
        f"  close: {{exponential: {SERVICE:.0f}s}}\nstaff:\n  agents:\n{staff}\n",
        encoding="utf-8")
    return path


def policyc_waits(router: Router, model_path: Path) -> list[float]:
    """Each chat's wait, in arrival order, from a workload run of the engine."""
    loaded = load_model(model_path)
    assert loaded.model is not None, loaded.diagnostics
    bound, problems = bind(loaded.model, router)
    assert bound is not None, problems
    run = drive(router, bound.model, bound.arrivals, bound.schedule)
    assert run.book.ignored == 0 and len(run.book.chats) == len(bound.arrivals)
    waits = [chat.wait for chat in run.book.chats]
    assert None not in waits  # every chat was served
    return [w for w in waits if w is not None]


@pytest.fixture(scope="module")
def fifo(tmp_path_factory: pytest.TempPathFactory) -> Router:
    return shop_policy(tmp_path_factory.mktemp("mmc") / "mmc.yaml", "oldest_first")


@pytest.mark.parametrize("rho", LOADS)
@pytest.mark.parametrize("c", AGENTS)
def test_mmc_agrees_with_erlang_c(c: int, rho: float, fifo: Router, tmp_path: Path) -> None:
    waits = policyc_waits(fifo, workload(tmp_path / "model.yaml", c, rho))
    assert misses(c, rho, waits) == []


def test_a_newest_first_queue_is_caught(tmp_path: Path) -> None:
    """A biased engine fails the test: newest-first keeps the mean wait, not its spread."""
    lifo = shop_policy(tmp_path / "lifo.yaml", "newest_first")
    waits = policyc_waits(lifo, workload(tmp_path / "model.yaml", 2, 0.8))
    assert any(m.startswith("over_target:") for m in misses(2, 0.8, waits))


def test_closed_form_matches_known_values() -> None:
    # M/M/1: P(wait) = rho; M/M/2: 2 rho^2 / (1 + rho)
    assert erlang_c(1, 0.8) == pytest.approx(0.8)
    assert erlang_c(2, 0.8) == pytest.approx(2 * 0.64 / 1.8)
    assert erlang_c(10, 0.8) == pytest.approx(0.4092, abs=1e-4)  # published tables


def ciw_waits(c: int, rho: float, chats: int, seed: int) -> list[float]:
    """The same M/M/c in the ciw simulator: waits of the first `chats` arrivals."""
    network = ciw.create_network(
        arrival_distributions=[ciw.dists.Exponential(rate=rho * c / SERVICE)],
        service_distributions=[ciw.dists.Exponential(rate=1 / SERVICE)],
        number_of_servers=[c])
    ciw.seed(seed)
    sim = ciw.Simulation(network)
    sim.simulate_until_max_customers(chats, method="Arrive")
    done = sorted(sim.get_all_records(), key=lambda r: r.arrival_date)
    return [r.waiting_time for r in done][: int(chats * 0.9)]


@pytest.mark.parametrize("c", AGENTS)
def test_closed_form_agrees_with_ciw(c: int) -> None:
    """The cross-check of the closed form: ciw's own M/M/c runs at rho = 0.8 meet it too."""
    assert misses(c, 0.8, ciw_waits(c, 0.8, CHATS[0.8], seed=c), precise=False) == []
