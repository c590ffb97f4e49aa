"""`python -m bench.serve_bench`: `policyc serve` under load on loopback, and bulk replay on Dask.

Load: `--shops` generated shops of `--agents` agents (the engine benchmark's
day, its ticks left out: the service has its own clock), `--events` events per
shop sent by `--clients` concurrent HTTP clients over loopback (each client
keeps its shops' order), to a real `policyc serve` on the SQLite store and on
a real redis-server; per store, the events accepted per second and the p50 /
p99 latency per event (each acknowledged only once durable), printed beside
the in-process engines' rate over the same events (no HTTP, no store) as a
ratio. Each run is capped at `--seconds`.

Bulk: every shop's whole log (`--bulk-events`) through `policyc simulate --log
FOLDER`, sequentially (`--scheduler sync`) and on a local Dask cluster of
`--workers` processes; the speed-up, after checking both wrote the same
records. (The generator of the shops, `make_shops`, is shared with the tests.)
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.engine_bench import generate
from policyc.api import load
from policyc.cli import main
from policyc.runtime.engine import Engine
from policyc.runtime.router import Router
from policyc.serve.local import LOOPBACK, RedisServer, free_port, wait_ready

TOKEN = "bench-admin-token-0123456789"

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


# -- the load benchmark ------------------------------------------------------------------------

def _stream(shop: GeneratedShop, count: int) -> list[Event]:
    """The first `count` events of the shop's day that a platform sends (time passing is the
    service's own clock, so ticks are left out)."""
    return [e for e in shop.events if e["type"] != "tick"][:count]


def in_process_rate(routers: dict[str, Router], streams: dict[str, list[Event]],
                    repeats: int) -> float:
    """Events per second of the engines alone (no HTTP, no store), median of `repeats`."""
    total = sum(len(s) for s in streams.values())
    times = []
    for _ in range(repeats):
        engines = {shop: Engine(r, trace="fails") for shop, r in routers.items()}
        started = time.perf_counter()
        for shop, events in streams.items():
            feed = engines[shop].feed
            for e in events:
                feed(e)
        times.append(time.perf_counter() - started)
    return total / statistics.median(times)


def _client(port: int, shops: list[str], streams: dict[str, list[Event]], batch: int,
            deadline: float, latencies: list[float]) -> None:
    """One client: its shops round robin, `batch` events a request, in each shop's order."""
    conn = http.client.HTTPConnection(LOOPBACK, port, timeout=30)
    head = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/x-ndjson"}
    done = dict.fromkeys(shops, 0)
    while any(done[s] < len(streams[s]) for s in shops) and time.monotonic() < deadline:
        for shop in shops:
            events = streams[shop][done[shop]:done[shop] + batch]
            if not events:
                continue
            body = "".join(json.dumps(e) + "\n" for e in events)
            started = time.perf_counter()
            conn.request("POST", f"/v1/shops/{shop}/events", body=body, headers=head)
            response = conn.getresponse()
            response.read()
            if response.status != 200:
                latencies.append(float("nan"))  # the run is void: serve_load says why
                return
            latencies.extend([(time.perf_counter() - started) / len(events)] * len(events))
            done[shop] += len(events)
    conn.close()


def serve_load(folder: Path, artifacts: list[Path], streams: dict[str, list[Event]],
               store: str, clients: int, batch: int, seconds: float) -> dict[str, float]:
    """Start `policyc serve` on `store`, load it with `clients` threads; rate and latency."""
    port = free_port()
    log = (folder / "serve.log").open("a")
    proc = subprocess.Popen([sys.executable, "-m", "policyc", "serve", *map(str, artifacts),
                             "--port", str(port), "--store", store, "--tokens",
                             str(folder / "tokens"), "--tick", "0"], stdout=log, stderr=log)
    try:
        wait_ready(port, timeout=120)
        names = sorted(streams)
        latencies: list[list[float]] = [[] for _ in range(clients)]
        deadline = time.monotonic() + seconds
        threads = [threading.Thread(target=_client, args=(port, names[i::clients], streams,
                                                           batch, deadline, latencies[i]))
                   for i in range(clients)]
        started = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.perf_counter() - started
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()
    flat = sorted(x for part in latencies for x in part)
    if not flat or any(x != x for x in flat):
        raise RuntimeError(f"a request was refused; see {folder / 'serve.log'}")
    return {"events": len(flat), "rate": len(flat) / wall,
            "p50": flat[len(flat) // 2] * 1000, "p99": flat[int(len(flat) * 0.99)] * 1000}


# -- the bulk replay benchmark -------------------------------------------------------------------

def bulk_speedup(folder: Path, workers: int) -> tuple[float, float]:
    """Seconds of `simulate --log FOLDER` sequentially and on a local Dask cluster."""
    times = []
    for scheduler in ("sync", "local"):
        started = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()):
            status = main(["simulate", str(folder / "compiled"), "--log", str(folder / "logs"),
                           "-o", str(folder / f"out-{scheduler}"), "--scheduler", scheduler,
                           "--workers", str(workers)])
        if status != 0:
            raise RuntimeError(f"bulk simulate on {scheduler} exited {status}")
        times.append(time.perf_counter() - started)
    for out in sorted((folder / "out-sync").glob("*.jsonl")):
        if out.read_bytes() != (folder / "out-local" / out.name).read_bytes():
            raise RuntimeError(f"{out.name}: the Dask run's records differ from the sequential")
    return times[0], times[1]


def _compiled(shops: list[GeneratedShop], folder: Path) -> tuple[dict[str, Router], list[Path]]:
    (folder / "compiled").mkdir(exist_ok=True)
    routers, paths = {}, []
    for s in shops:
        routers[s.shop] = load(s.policy)
        path = folder / "compiled" / f"{s.shop}.json"
        path.write_text(json.dumps(routers[s.shop].artifact), encoding="utf-8")
        paths.append(path)
    return routers, paths


def main_bench(argv: list[str] | None = None) -> int:
    """Run the benchmarks and print the table."""
    p = argparse.ArgumentParser(prog="python -m bench.serve_bench", description=__doc__)
    p.add_argument("--shops", type=int, default=100)
    p.add_argument("--agents", type=int, default=20)
    p.add_argument("--events", type=int, default=40, help="events sent per shop (default 40)")
    p.add_argument("--clients", type=int, default=8, help="concurrent HTTP clients")
    p.add_argument("--batch", type=int, default=1, help="events per request (default 1)")
    p.add_argument("--seconds", type=float, default=60.0, help="cap on each load run")
    p.add_argument("--stores", default="sqlite,redis")
    p.add_argument("--bulk-events", type=int, default=3000,
                   help="events in each shop's log for the bulk replay (default 3000; "
                        "0: no bulk replay)")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--repeats", type=int, default=3)
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="policyc-serve-bench-") as tmp:
        folder = Path(tmp)
        (folder / "tokens").write_text(f"* {TOKEN}\n")
        shops = make_shops(folder, args.shops, args.agents, max(args.bulk_events, 400))
        routers, artifacts = _compiled(shops, folder)
        streams = {s.shop: _stream(s, args.events) for s in shops}
        base = in_process_rate(routers, streams, args.repeats)
        print(f"{args.shops} shops x {args.agents} agents, {args.clients} clients, "
              f"{args.batch} event(s) per request, loopback")
        print(f"in-process engine: {base:,.0f} events/s (median of {args.repeats})")
        print(f"{'store':<8}{'events':>8}{'events/s':>11}{'p50 ms':>9}{'p99 ms':>9}"
              f"{'vs engine':>11}")
        for n, kind in enumerate(k for k in args.stores.split(",") if k):
            redis = RedisServer() if kind == "redis" else None
            try:
                store = redis.url if redis else f"sqlite:{folder / f'store-{n}.sqlite'}"
                r = serve_load(folder, artifacts, streams, store, args.clients, args.batch,
                               args.seconds)
            finally:
                if redis:
                    redis.stop()
            print(f"{kind:<8}{r['events']:>8.0f}{r['rate']:>11,.0f}{r['p50']:>9.2f}"
                  f"{r['p99']:>9.2f}{r['rate'] / base:>10.3f}x")
        if args.bulk_events == 0:
            return 0
        sequential, parallel = bulk_speedup(folder, args.workers)
        events = sum(len(s.events) for s in shops)
        print(f"bulk replay of {args.shops} logs ({events:,} events): sequential "
              f"{sequential:.2f} s, Dask LocalCluster x{args.workers} {parallel:.2f} s, "
              f"speed-up {sequential / parallel:.2f}x (records identical; cluster start-up "
              f"included; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")
    return 0


if __name__ == "__main__":
    sys.exit(main_bench())
