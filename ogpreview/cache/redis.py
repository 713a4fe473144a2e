"""The Redis cache backend: entries shared by every instance of the service.

Redis is an optimisation, never a single point of failure: every Redis call has a short
timeout, and an outage turns into misses and no-ops (logged once, counted) until Redis
answers again; on a Redis Cluster with a node down, that holds for the keys on that node
while the others are served as usual. This module is imported only when a Redis URL is
configured, so that a process that never talks to Redis (the default service; a check
without ``--redis-url``, and its workers) neither loads redis-py nor pays its memory and
start-up time.
"""

from __future__ import annotations

import functools
import logging
import secrets
import time

from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from ogpreview.cache.base import Entry
from ogpreview.cache.redisclient import REDIS_ERRORS, Health, connect
from ogpreview.errors import CacheUnavailable
from ogpreview.urls import VARIANT_SEPARATOR, page_of

__all__ = ["REDIS_TIMEOUT", "RedisCache"]

log = logging.getLogger(__name__)

#: The token handed out when Redis is down: the caller fetches without a lock.
_NO_LOCK = "no-lock"
#: Redis calls give up after this long: a slow Redis must not slow previews down.
REDIS_TIMEOUT = 0.25
#: Seconds a cluster node that failed a call is left alone (its keys are misses).
NODE_HOLD_OFF = 1.0
_RELEASE_LOCK = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
"""
_EXTEND_LOCK = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) end
return 0
"""


@functools.lru_cache(maxsize=1024)
def _decode_memo(data: bytes) -> Entry:
    """Decoding is most of a Redis hit's own cost, and hot entries come back byte for
    byte the same; entries are immutable, so one decoded copy serves every hit."""
    return Entry.decode(data)


class RedisCache:
    """Entries in Redis, shared by every instance; survives an outage by degrading.

    Keys are ``prefix + "card:{" + page + "}" + variant`` and the same with ``lock:``: the
    ``{page}`` hash tag (the page's key, without a language variant) keeps a page's cards,
    their fetch locks and the set ``prefix + "variants:{" + page + "}"`` listing its
    language variants in one slot of a Redis Cluster, so a purge finds them without scanning
    the keyspace. An entry's Redis TTL is the time until it turns from stale to gone; the
    variants set lives as long as the longest-lived of them. ``mode`` and
    ``sentinel_service`` say how ``url`` is read (:mod:`ogpreview.cache.redisurl`).
    """

    shared = True

    def __init__(
        self,
        url: str,
        *,
        prefix: str = "ogpreview:",
        timeout: float = REDIS_TIMEOUT,
        mode: str = "standalone",
        sentinel_service: str | None = None,
    ) -> None:
        self.url = url
        self.prefix = prefix
        self._redis = connect(
            url,
            mode=mode,
            sentinel_service=sentinel_service,
            timeout=timeout,
            retry=Retry(NoBackoff(), 0),  # one try: falling back is faster than retrying
            health_check_interval=30,
        )
        self._client = self._redis.client
        self._health = Health(log, f"Redis at {self._redis.describe()}", "serving without it")
        self._release = self._redis.script(_RELEASE_LOCK)
        self._extend = self._redis.script(_EXTEND_LOCK)
        #: Cluster node -> until when the cache leaves it alone (it just failed).
        self._held_off: dict[str, float] = {}

    @property
    def errors(self) -> int:
        """Redis calls that failed so far."""
        return self._health.errors

    def card_key(self, key: str) -> str:
        """The Redis key of the entry cached under ``key`` (tagged by its page)."""
        page = page_of(key)
        return f"{self.prefix}card:{{{page}}}{key[len(page) :]}"

    def lock_key(self, key: str) -> str:
        """The Redis key of the fetch lock of ``key`` (in the slot of its card)."""
        page = page_of(key)
        return f"{self.prefix}lock:{{{page}}}{key[len(page) :]}"

    def variants_key(self, page: str) -> str:
        """The Redis key of the set of ``page``'s language variants (in its slot)."""
        return f"{self.prefix}variants:{{{page}}}"

    def _usable(self, key: str) -> bool:
        """False while the cluster node of ``key`` is left alone after a failure."""
        if not self._held_off:
            return True
        node = self._redis.node_of(self.card_key(key))
        until = self._held_off.get(node)
        if until is None:
            return True
        if time.monotonic() >= until:
            del self._held_off[node]
            return True
        return False

    def _failed(self, action: str, exc: BaseException, key: str) -> None:
        self._health.failed(action, exc)
        if self._redis.mode == "cluster":
            # A node that is down fails fast, but one rejoining answers CLUSTERDOWN, on
            # which redis-py waits 250 ms per call: previews must not wait on it.
            node = self._redis.node_of(self.card_key(key))
            self._held_off[node] = time.monotonic() + NODE_HOLD_OFF

    async def get(self, key: str) -> Entry | None:
        if not self._usable(key):
            return None
        try:
            data = await self._client.get(self.card_key(key))
        except REDIS_ERRORS as exc:
            self._failed("get", exc, key)
            return None
        self._health.ok()
        if data is None:
            return None
        try:
            return _decode_memo(data)
        except ValueError as exc:  # a corrupt or foreign value under our key is a miss
            log.debug("ignoring unreadable cache value for %s: %s", key, exc)
            return None

    async def set(self, key: str, entry: Entry) -> None:
        ttl_ms = int((entry.stale_until - time.time()) * 1000)
        if ttl_ms <= 0 or not self._usable(key):
            return
        try:
            if VARIANT_SEPARATOR not in key:
                await self._client.set(self.card_key(key), entry.encode(), px=ttl_ms)
            else:
                index = self.variants_key(page_of(key))
                async with self._client.pipeline(transaction=False) as pipe:
                    pipe.set(self.card_key(key), entry.encode(), px=ttl_ms)
                    pipe.sadd(index, key)
                    pipe.pexpire(index, ttl_ms, nx=True)  # a new set: give it a lifetime
                    pipe.pexpire(index, ttl_ms, gt=True)  # else only ever lengthen it
                    await pipe.execute()
        except REDIS_ERRORS as exc:
            self._failed("set", exc, key)
            return
        self._health.ok()

    async def delete(self, key: str) -> None:
        if not self._usable(key):
            return
        try:
            await self._client.delete(self.card_key(key))
        except REDIS_ERRORS as exc:
            self._failed("delete", exc, key)

    async def purge(self, key: str) -> int:
        index = self.variants_key(key)
        try:
            variants = await self._client.smembers(index)
            names = [key, *(v.decode() if isinstance(v, bytes) else v for v in variants)]
            deleted = await self._client.delete(*(self.card_key(n) for n in names))
            await self._client.delete(index)
        except REDIS_ERRORS as exc:
            self._failed("purge", exc, key)
            message = "the shared cache (Redis) is unreachable: nothing was purged"
            raise CacheUnavailable(message) from exc
        self._health.ok()
        return int(deleted)

    async def acquire_lock(self, key: str, ttl: float) -> str | None:
        if not self._usable(key):
            return _NO_LOCK
        token = secrets.token_hex(8)
        try:
            won = await self._client.set(
                self.lock_key(key), token, nx=True, px=max(1, int(ttl * 1000))
            )
        except REDIS_ERRORS as exc:
            self._failed("lock", exc, key)
            return _NO_LOCK  # no Redis, no lock: fetch directly
        self._health.ok()
        return token if won else None

    async def release_lock(self, key: str, token: str) -> None:
        if token == _NO_LOCK or not self._usable(key):
            return
        try:
            await self._release(keys=[self.lock_key(key)], args=[token])
        except REDIS_ERRORS as exc:
            self._failed("unlock", exc, key)

    async def extend_lock(self, key: str, token: str, ttl: float) -> None:
        if token == _NO_LOCK or not self._usable(key):
            return
        try:
            await self._extend(keys=[self.lock_key(key)], args=[token, max(1, int(ttl * 1000))])
        except REDIS_ERRORS as exc:
            self._failed("extend lock", exc, key)

    async def ping(self) -> bool:
        try:
            await self._redis.ping()
        except REDIS_ERRORS as exc:
            self._health.failed("ping", exc)
            return False
        self._health.ok()
        return True

    async def aclose(self) -> None:
        await self._redis.aclose()
