"""Which shops this instance serves: leases taken, renewed, lost and taken over.

With the SQLite store one process owns every shop. With Redis, each shop is
owned by one instance at a time through a lease that expires (`--lease`
seconds): the owner renews it every third of that time; an instance that
finds a shop's lease free (its owner died or let go) claims it and rebuilds
the shop from the log in Redis before serving it. A shop whose lease could
not be renewed is dropped at once, so two instances never both answer for it.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterable

from ..runtime.router import Router
from .shops import Shop
from .stores import Store, StoreError


class Leases:
    """The shops of the configuration and which of them this instance owns now."""

    def __init__(self, store: Store, shops: dict[str, Shop], routers: dict[str, Router]) -> None:
        self.store = store
        self.shops = shops
        self.routers = routers  # the command line's policy of each shop
        self.owned: set[str] = set()
        self.takeovers = 0

    def owns(self, name: str) -> bool:
        """Own the shop now, claiming it (and rebuilding it) when its lease is free."""
        return name in self.owned or self._take(name)

    def _take(self, name: str) -> bool:
        if self.store.claim(name) is None:
            return False
        shop = self.shops[name]
        try:
            shop.rebuild()
            shop.seed(self.routers[name])
        except StoreError:
            self.store.release(name)
            raise
        self.owned.add(name)
        self.takeovers += 1
        return True

    def drop(self, name: str) -> None:
        """Stop serving a shop (its lease is gone); its engine is let go."""
        self.owned.discard(name)
        shop = self.shops[name]
        shop.engine = shop.router = None

    def renew(self) -> None:
        """Renew what this instance owns and take what is free (one pass of the loop)."""
        for name in sorted(self.shops):
            try:
                if name not in self.owned:
                    self._take(name)
                    continue
                got = self.store.claim(name)
                if got is None:
                    print(f"policyc serve: lost the lease of {name}", file=sys.stderr)
                    self.drop(name)
                elif got == "taken":  # it had expired: another may have written since
                    self.shops[name].rebuild()
            except StoreError as err:
                print(f"policyc serve: {err}", file=sys.stderr)
                if name in self.owned:
                    self.drop(name)

    def release(self, names: Iterable[str]) -> None:
        """Let other instances have these shops at once (a clean shutdown)."""
        for name in list(names):
            with contextlib.suppress(StoreError):
                self.store.release(name)
            self.owned.discard(name)
