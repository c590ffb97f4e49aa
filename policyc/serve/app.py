"""The service object and the ASGI application: shops, store, leases, clock, metrics.

`Service` holds what every request needs; `build_app` wraps it in a Starlette
application whose lifespan opens the store, seeds each shop with its command
line policy, and runs two background loops: the lease loop (stores with
leases) and the service clock (time passes with no event, serve/clock.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette

from ..runtime.router import Router
from . import clock
from .auth import Tokens
from .lease import Leases
from .metrics import Metrics
from .shops import Shop
from .stores import Store, StoreError, open_store


@dataclass
class Config:
    """What `policyc serve` was started with."""

    routers: dict[str, Router]  # shop id -> the command line's policy
    store: str
    tokens: Tokens
    address: str  # this instance's URL, for redirects from the others
    instance: str
    trace: str | None = "fails"
    max_body: int = 1 << 20
    lease: float = 5.0
    tick: float = 5.0  # seconds between clock ticks; 0: no clock
    lag: float = 2.0


@dataclass
class Service:
    """Everything a request reaches: the shops, their store and leases, the counters."""

    config: Config
    store: Store | None = None
    shops: dict[str, Shop] = field(default_factory=dict)
    leases: Leases | None = None
    metrics: Metrics = field(default_factory=Metrics)
    ready: bool = False

    def start(self) -> None:
        """Open the store (unless given); claim and seed each shop (one leased elsewhere
        waits for the lease loop)."""
        c = self.config
        if self.store is None:
            self.store = open_store(c.store, c.instance, c.address, c.lease)
        self.shops = {name: Shop(name, self.store, c.trace) for name in c.routers}
        self.leases = Leases(self.store, self.shops, c.routers)
        for name in sorted(c.routers):
            self.leases.owns(name)
        self.ready = True

    def renew(self) -> None:
        """One pass of the lease loop: renew what is owned, take over what is free."""
        assert self.leases is not None
        self.leases.renew()

    def tick(self) -> None:
        """One beat of the service clock: time passes in every owned shop that has begun."""
        assert self.leases is not None
        at = clock.now(self.config.lag)
        for name in sorted(self.leases.owned):
            shop = self.shops[name]
            if shop.router is None or shop.at is None or at <= shop.at:
                continue
            try:
                entry = shop.apply([clock.tick_event(at, shop.router.tz)], None, "clock")
            except StoreError as err:
                print(f"policyc serve: clock: {err}", file=sys.stderr)
                continue
            self.metrics.recorded(name, (r for made in entry.records for r in made), 0)

    def stop(self) -> None:
        if self.leases is not None:
            self.leases.release(self.leases.owned)
        if self.store is not None:
            self.store.close()


async def _every(seconds: float, beat: Any) -> None:
    while True:
        await asyncio.sleep(seconds)
        try:
            beat()
        except StoreError as err:
            print(f"policyc serve: {err}", file=sys.stderr)


def build_app(config: Config, store: Store | None = None) -> Starlette:
    """The ASGI application for one `policyc serve` process (on `store`, when opened)."""
    from .routes import ROUTES, error_handlers

    service = Service(config, store)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        service.start()
        tasks = []
        if config.store.startswith(("redis://", "rediss://", "unix://")):
            tasks.append(asyncio.create_task(_every(config.lease / 3, service.renew)))
        if config.tick > 0:
            tasks.append(asyncio.create_task(_every(config.tick, service.tick)))
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            service.stop()

    app = Starlette(routes=ROUTES, lifespan=lifespan, exception_handlers=error_handlers())
    app.state.service = service
    return app
