"""The shared store: shops' logs in Redis, each shop written by the one instance holding its lease.

Keys (all under `policyc:`): `shops` (set), `log:{shop}` (list of entries, the
index is the seq), `keys:{shop}` (hash Idempotency-Key -> seq), `revisions`
(hash policy hash -> artifact), `seeds` (hash shop -> policy hash),
`lease:{shop}` (the owning instance's id, with an expiry), `instances` (hash
id -> URL, so another instance can send a client to the owner).

Why writes are safe with several instances: an entry is appended by a Lua
script that first checks the lease still names this instance, and Redis runs
a script atomically, so an instance whose lease ran out (paused, partitioned)
can never add to a log another instance now owns: the check and the append
cannot be split. When an instance dies its leases expire; the next instance
that claims a shop rebuilds it from the log (the engine is deterministic).
Durability of a written entry is Redis's: run it with `appendonly yes`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import redis

from . import Entry, NotOwner, StoreError

_APPEND = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return -1 end
local n = redis.call('RPUSH', KEYS[2], ARGV[2]) - 1
if ARGV[3] ~= '' then redis.call('HSET', KEYS[3], ARGV[3], n) end
redis.call('SADD', KEYS[4], ARGV[4])
return n
"""
_CLAIM = """
local held = redis.call('GET', KEYS[1])
if held == false or held == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  if held == false then return 2 end
  return 1
end
return 0
"""
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""
P = "policyc:"


class RedisStore:
    """A `Store` (see stores/__init__.py) in a Redis server, with per-shop leases."""

    def __init__(self, url: str, instance: str, address: str, lease: float) -> None:
        self.instance = instance
        self.address = address
        self.lease_ms = max(1, int(lease * 1000))
        try:
            self.db = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
            self.db.ping()
            self.db.hset(f"{P}instances", instance, address)
        except (redis.RedisError, ValueError) as err:
            raise StoreError(f"--store {url}: {err}") from None
        self._append = self.db.register_script(_APPEND)
        self._claim = self.db.register_script(_CLAIM)
        self._release = self.db.register_script(_RELEASE)

    def _call(self, what: str, run: Any) -> Any:
        try:
            return run()
        except redis.RedisError as err:
            raise StoreError(f"redis: cannot {what}: {err}") from None

    def shops(self) -> list[str]:
        names = self._call("list shops", lambda: self.db.smembers(f"{P}shops"))
        return sorted(n.decode() for n in names)

    def entries(self, shop: str, start: int = 0) -> Iterator[Entry]:
        rows = self._call("read the log", lambda: self.db.lrange(f"{P}log:{shop}", start, -1))
        for offset, body in enumerate(rows):
            yield Entry.loads(body, start + offset)

    def append(self, shop: str, entry: Entry) -> int:
        keys = [f"{P}lease:{shop}", f"{P}log:{shop}", f"{P}keys:{shop}", f"{P}shops"]
        seq = int(self._call("append", lambda: self._append(
            keys=keys, args=[self.instance, entry.dumps(), entry.key or "", shop])))
        if seq < 0:
            raise NotOwner(shop, self.owner(shop))
        entry.seq = seq
        return seq

    def by_key(self, shop: str, key: str) -> Entry | None:
        seq = self._call("read a key", lambda: self.db.hget(f"{P}keys:{shop}", key))
        if seq is None:
            return None
        body = self._call("read the log", lambda: self.db.lindex(f"{P}log:{shop}", int(seq)))
        return None if body is None else Entry.loads(body, int(seq))

    def save_revision(self, policy: str, artifact: str) -> None:
        self._call("keep a revision", lambda: self.db.hsetnx(f"{P}revisions", policy, artifact))

    def revision(self, policy: str) -> str | None:
        text = self._call("read a revision", lambda: self.db.hget(f"{P}revisions", policy))
        return None if text is None else str(text.decode())

    def seed(self, shop: str) -> str | None:
        text = self._call("read a seed", lambda: self.db.hget(f"{P}seeds", shop))
        return None if text is None else str(text.decode())

    def set_seed(self, shop: str, policy: str) -> None:
        self._call("write a seed", lambda: self.db.hset(f"{P}seeds", shop, policy))
        self._call("list the shop", lambda: self.db.sadd(f"{P}shops", shop))

    def claim(self, shop: str) -> str | None:
        got = int(self._call("claim a lease", lambda: self._claim(
            keys=[f"{P}lease:{shop}"], args=[self.instance, self.lease_ms])))
        return {1: "renewed", 2: "taken"}.get(got)

    def release(self, shop: str) -> None:
        self._call("release a lease", lambda: self._release(
            keys=[f"{P}lease:{shop}"], args=[self.instance]))

    def owner(self, shop: str) -> str | None:
        held = self._call("read a lease", lambda: self.db.get(f"{P}lease:{shop}"))
        if held is None:
            return None
        url = self._call("read an instance", lambda: self.db.hget(f"{P}instances", held))
        return None if url is None else str(url.decode())

    def close(self) -> None:
        self.db.close()
