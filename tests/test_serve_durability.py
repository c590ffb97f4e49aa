"""Durability: `policyc serve` SIGKILLed at random points under load loses no acknowledged event.

Clients send each shop's events in batches of 1-4 with an Idempotency-Key and
repeat a batch until it is acknowledged, as a chat platform would; meanwhile
the service is SIGKILLed and started again, twenty times. Afterwards each
shop's log holds exactly the acknowledged events, in order, none twice, and
its records are byte for byte those of a single-process simulate of them;
the restarted service continues from there. Once with the SQLite store, once
with Redis (a real redis-server on loopback); then two instances on one Redis,
one SIGKILLed, the other taking over within the lease time.
"""

from __future__ import annotations

import contextlib
import http.client
import io
import json
import os
import random
import shutil
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from policyc.api import load
from policyc.cli import main
from policyc.runtime.engine import Engine
from policyc.serve.local import RedisServer, Spawner, call, free_port, wait_ready
from policyc.serve.stores import Entry, NotOwner, open_store

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # bench/ is a repository folder
from bench.serve_bench import GeneratedShop, make_shops

TOKEN = "admin-token-for-the-kill-tests"
KILLS = 20


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    if shutil.which("redis-server") is None:
        if os.environ.get("CI"):
            pytest.fail("redis-server is missing: .ci/run installs the Debian package")
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    server = RedisServer()
    yield server.url
    server.stop()


@dataclass
class Client:
    """Sends one shop's events in batches until stopped; keeps what was acknowledged."""

    shop: GeneratedShop
    ports: list[int]
    seed: int
    acked: int = 0  # events acknowledged (a prefix of the shop's events)
    replies: list[tuple[int, int, list[Any]]] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        rng = random.Random(self.seed)
        events = self.shop.events
        while self.acked < len(events) and not self.stop.is_set():
            n = rng.randint(1, 4)
            batch = events[self.acked:self.acked + n]
            body = "".join(json.dumps(e) + "\n" for e in batch)
            head = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/x-ndjson",
                    "Idempotency-Key": f"{self.shop.shop}:{self.acked}:{n}"}
            tries = 0
            while True:
                port = self.ports[tries % len(self.ports)]
                tries += 1
                try:
                    status, _, reply = call(port, "POST", f"/v1/shops/{self.shop.shop}/events",
                                            body, head, timeout=5)
                except (OSError, http.client.HTTPException):  # killed before or while answering
                    status, reply = 0, None
                if status == 200:
                    break
                assert status in (0, 307, 503), reply  # down, elsewhere, or taking over
                time.sleep(0.01)
            assert reply is not None
            self.replies.append((self.acked, len(batch), reply["records"]))
            self.acked += len(batch)


def _artifact(tmp: Path, shop: GeneratedShop) -> Path:
    """The shop's compiled policy (a restart then reads it instead of compiling again)."""
    return tmp / "policies" / f"{shop.shop}.json"


def _serve_args(tmp: Path, shops: list[GeneratedShop], port: int, store: str,
                *extra: str) -> list[str]:
    return [*(str(_artifact(tmp, s)) for s in shops), "--port", str(port),
            "--store", store, "--tokens", str(tmp / "tokens"), "--tick", "0", *extra]


def _expected(tmp: Path, shop: GeneratedShop, n: int) -> list[dict[str, Any]]:
    engine = Engine(load(_artifact(tmp, shop)), trace="fails")
    return [r for e in shop.events[:n] for r in engine.feed(e)]


def _simulated(tmp: Path, shop: GeneratedShop, n: int) -> list[dict[str, Any]]:
    """What `policyc simulate` writes for the shop's first `n` events."""
    log, out = tmp / f"{shop.shop}.acked.jsonl", tmp / f"{shop.shop}.simulated.jsonl"
    log.write_text("".join(json.dumps(e) + "\n" for e in shop.events[:n]))
    with contextlib.redirect_stdout(io.StringIO()):
        status = main(["simulate", str(_artifact(tmp, shop)), "--log", str(log), "-o", str(out),
                       "--trace", "fails", "--no-journal"])
    assert status == 0
    return [json.loads(line) for line in out.read_text().splitlines()]


def _check(tmp: Path, store_url: str, clients: list[Client]) -> None:
    store = open_store(store_url, "checker", "", 1.0)
    try:
        for c in clients:
            entries: list[Entry] = [e for e in store.entries(c.shop.shop) if e.kind == "events"]
            logged = [ev for e in entries for ev in e.events]
            assert logged == c.shop.events[:c.acked], f"{c.shop.shop}: log != acknowledged"
            records = [r for e in entries for made in e.records for r in made]
            assert records == _simulated(tmp, c.shop, c.acked)
            flat = [r for _, _, got in c.replies for r in got]
            assert flat == records  # every acknowledged reply is what the log holds
    finally:
        store.close()


def _setup(tmp: Path, n_shops: int) -> list[GeneratedShop]:
    (tmp / "tokens").write_text(f"* {TOKEN}\n")
    shops = make_shops(tmp, n_shops, 6, 3000, distinct=n_shops)
    for shop in shops:
        with contextlib.chdir(tmp):
            artifact = load(shop.policy.relative_to(tmp)).artifact
        _artifact(tmp, shop).write_text(json.dumps(artifact))
    return shops


def _continue_after_restart(tmp: Path, spawner: Spawner, args: list[str], port: int,
                            clients: list[Client]) -> None:
    """Started again, the service goes on from the log: the next batch's records match."""
    pid = spawner.serve(args, tmp / "serve.log")
    wait_ready(port, pid)
    for c in clients:
        c.stop.clear()
        start, n = c.acked, 3
        c.stop.set()  # one more batch only
        body = "".join(json.dumps(e) + "\n" for e in c.shop.events[start:start + n])
        status, _, reply = call(port, "POST", f"/v1/shops/{c.shop.shop}/events", body,
                                {"Authorization": f"Bearer {TOKEN}",
                                 "Content-Type": "application/x-ndjson"})
        assert status == 200, reply
        assert reply["records"] == _expected(tmp, c.shop, start + n)[
            len(_expected(tmp, c.shop, start)):]
    metrics = call(port, "GET", "/metrics")[2]
    for c in clients:  # replaying the log made exactly the records it holds
        assert f'policyc_replay_mismatches{{shop="{c.shop.shop}"}} 0' in metrics
    spawner.kill(pid)


@pytest.mark.parametrize("kind", ["sqlite", "redis"])
def test_sigkill_under_load_loses_no_acknowledged_event(kind: str, tmp_path: Path,
                                                        request: pytest.FixtureRequest) -> None:
    store = f"sqlite:{tmp_path / 'store.sqlite'}" if kind == "sqlite" else \
        request.getfixturevalue("redis_url")
    shops = _setup(tmp_path, 2)
    port = free_port()
    args = _serve_args(tmp_path, shops, port, store)
    spawner = Spawner()
    rng = random.Random(7)
    clients = [Client(s, [port], seed=i) for i, s in enumerate(shops)]
    try:
        with contextlib.chdir(tmp_path):
            pid = spawner.serve(args, tmp_path / "serve.log")
            wait_ready(port, pid)
            threads = [threading.Thread(target=c.run) for c in clients]
            for t in threads:
                t.start()
            for _ in range(KILLS):
                time.sleep(rng.uniform(0.02, 0.2))
                spawner.kill(pid)
                pid = spawner.serve(args, tmp_path / "serve.log")
                wait_ready(port, pid)
            time.sleep(0.1)
            for c in clients:
                c.stop.set()
            for t in threads:
                t.join(timeout=30)
            spawner.kill(pid)
            assert all(0 < c.acked < len(c.shop.events) for c in clients), \
                [c.acked for c in clients]  # the load lasted through every kill
            _check(tmp_path, store, clients)
            _continue_after_restart(tmp_path, spawner, args, port, clients)
    finally:
        spawner.close()


def test_two_instances_on_redis_take_over_within_the_lease(tmp_path: Path,
                                                           redis_url: str) -> None:
    shops = _setup(tmp_path, 2)
    lease = 1.5
    ports = [free_port(), free_port()]
    spawner = Spawner()
    store = redis_url.replace("/0", "/1")  # a database of its own
    args = [_serve_args(tmp_path, shops, port, store, "--lease", str(lease),
                        "--instance", f"instance-{i}") for i, port in enumerate(ports)]
    clients = [Client(s, ports, seed=i) for i, s in enumerate(shops)]
    try:
        with contextlib.chdir(tmp_path):
            first = spawner.serve(args[0], tmp_path / "a.log")
            wait_ready(ports[0], first)
            second = spawner.serve(args[1], tmp_path / "b.log")
            wait_ready(ports[1], second)
            assert call(ports[0], "GET", "/ready")[2]["owned"] == [s.shop for s in shops]
            assert call(ports[1], "GET", "/ready")[2]["owned"] == []
            status, head, _ = call(ports[1], "GET", f"/v1/shops/{shops[0].shop}/policy",
                                   headers={"Authorization": f"Bearer {TOKEN}"})
            assert status == 307  # b sends the client to the owner
            assert head["location"] == f"http://127.0.0.1:{ports[0]}/v1/shops/{shops[0].shop}/policy"
            threads = [threading.Thread(target=c.run) for c in clients]
            for t in threads:
                t.start()
            time.sleep(0.5)
            before = [c.acked for c in clients]
            spawner.kill(first)
            killed = time.monotonic()
            while call(ports[1], "GET", "/ready")[2]["owned"] != [s.shop for s in shops]:
                assert time.monotonic() - killed < lease + 1.0, "no takeover within the lease"
                time.sleep(0.02)
            took = time.monotonic() - killed
            time.sleep(0.5)
            for c in clients:
                c.stop.set()
            for t in threads:
                t.join(timeout=30)
            assert all(c.acked > b for c, b in zip(clients, before, strict=True))
            assert took <= lease + 0.5, took
            spawner.kill(second)
            _check(tmp_path, store, clients)
    finally:
        spawner.close()


def test_an_instance_that_lost_its_lease_cannot_write(redis_url: str) -> None:
    url = redis_url.replace("/0", "/2")
    first = open_store(url, "first", "http://127.0.0.1:1", 0.2)
    second = open_store(url, "second", "http://127.0.0.1:2", 0.2)
    try:
        assert first.claim("fenced") == "taken" and second.claim("fenced") is None
        assert first.append("fenced", Entry("policy", "sha256:a")) == 0
        assert second.owner("fenced") == "http://127.0.0.1:1"
        time.sleep(0.3)  # first is paused past its lease; second takes the shop over
        assert second.claim("fenced") == "taken"
        with pytest.raises(NotOwner) as lost:
            first.append("fenced", Entry("policy", "sha256:b"))
        assert lost.value.owner == "http://127.0.0.1:2"
        assert [e.policy for e in second.entries("fenced")] == ["sha256:a"]
        assert first.claim("fenced") is None
    finally:
        first.close()
        second.close()


def test_a_switched_policy_survives_a_kill(tmp_path: Path) -> None:
    """Two services get the same requests, one is SIGKILLed after a policy upload and
    started again: from then on both answer alike, on the uploaded revision."""
    shops = _setup(tmp_path, 1)
    shop = shops[0].shop
    spawner = Spawner()
    ports = [free_port(), free_port()]
    args = [_serve_args(tmp_path, shops, port, f"sqlite:{tmp_path / f'{n}.sqlite'}")
            for n, port in enumerate(ports)]
    head = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/x-ndjson"}
    events = _stream_of(shops[0])

    def send(port: int, chunk: list[dict[str, Any]]) -> Any:
        status, _, reply = call(port, "POST", f"/v1/shops/{shop}/events",
                                "".join(json.dumps(e) + "\n" for e in chunk), head)
        assert status == 200, reply
        return reply

    try:
        pids = [spawner.serve(a, tmp_path / "serve.log", tmp_path) for a in args]
        for port, pid in zip(ports, pids, strict=True):
            wait_ready(port, pid)
        first = [send(port, events[:40])["records"] for port in ports]
        revised = shops[0].policy.read_text().replace("close_read_idle: 30m",
                                                      "close_read_idle: 20m")
        for port in ports:
            status, _, put = call(port, "PUT", f"/v1/shops/{shop}/policy", revised, head)
            assert status == 200, put
        spawner.kill(pids[0])
        pids[0] = spawner.serve(args[0], tmp_path / "serve.log", tmp_path)
        wait_ready(ports[0], pids[0])
        after = [send(port, events[40:80]) for port in ports]
        assert after[0]["records"] == after[1]["records"] and after[0]["records"]
        assert after[0]["policy"] == put["policy"] != first[0][0]["policy"]
        status, _, history = call(ports[0], "GET", f"/v1/shops/{shop}/policy", headers=head)
        assert [v["policy"] for v in history["revisions"]] == [first[0][0]["policy"],
                                                               put["policy"]]
        buyer = next(r["buyer"] for r in first[0] if r.get("buyer"))
        status, _, told = call(ports[0], "GET", f"/v1/shops/{shop}/buyers/{buyer}/explain",
                               headers=head)
        assert told["records"][0]["policy"] == first[0][0]["policy"]
    finally:
        spawner.close()


def _stream_of(shop: GeneratedShop) -> list[dict[str, Any]]:
    """The shop's events from its first message on, ticks included (time passes)."""
    start = next(i for i, e in enumerate(shop.events) if e["type"] == "message")
    return shop.events[start:]
