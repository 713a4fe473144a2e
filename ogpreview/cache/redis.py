"""The Redis cache backend: entries shared by every instance of the service.

Redis is an optimisation, never a single point of failure: every Redis call has a short
timeout, and an outage turns into misses and no-ops (logged once, counted) until Redis
answers again. This module is imported only when a Redis URL is configured, so that a
process that never talks to Redis (the default service; a check without ``--redis-url``,
and its workers) neither loads redis-py nor pays its memory and start-up time.
"""

from __future__ import annotations

import functools
import logging
import secrets
import time

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from ogpreview.cache import Entry
from ogpreview.cachekey import VARIANT_SEPARATOR, page_of
from ogpreview.errors import CacheUnavailable

__all__ = ["REDIS_TIMEOUT", "RedisCache"]

log = logging.getLogger(__name__)

#: The token handed out when Redis is down: the caller fetches without a lock.
_NO_LOCK = "no-lock"
#: Redis calls give up after this long: a slow Redis must not slow previews down.
REDIS_TIMEOUT = 0.25
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

    Keys are ``prefix + "card:" + key`` and ``prefix + "lock:" + key``; an entry's Redis
    TTL is the time until it turns from stale to gone. A page's language variants are
    listed in the set ``prefix + "variants:" + page``, which lives as long as the
    longest-lived of them, so that a purge finds them without scanning the keyspace.
    """

    shared = True

    def __init__(
        self, url: str, *, prefix: str = "ogpreview:", timeout: float = REDIS_TIMEOUT
    ) -> None:
        self.url = url
        self.prefix = prefix
        self.errors = 0
        self._down = False
        self._client = aioredis.from_url(
            url,
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
            retry=Retry(NoBackoff(), 0),  # one try: falling back is faster than retrying
            health_check_interval=30,
        )
        self._release = self._client.register_script(_RELEASE_LOCK)
        self._extend = self._client.register_script(_EXTEND_LOCK)

    def _failed(self, action: str, exc: BaseException) -> None:
        self.errors += 1
        if not self._down:
            self._down = True
            log.warning("Redis at %s unusable (%s: %s); serving without it", self.url, action, exc)

    def _ok(self) -> None:
        if self._down:
            self._down = False
            log.info("Redis at %s is back", self.url)

    async def get(self, key: str) -> Entry | None:
        try:
            data = await self._client.get(self.prefix + "card:" + key)
        except (RedisError, OSError) as exc:
            self._failed("get", exc)
            return None
        self._ok()
        if data is None:
            return None
        try:
            return _decode_memo(data)
        except ValueError as exc:  # a corrupt or foreign value under our key is a miss
            log.debug("ignoring unreadable cache value for %s: %s", key, exc)
            return None

    async def set(self, key: str, entry: Entry) -> None:
        ttl_ms = int((entry.stale_until - time.time()) * 1000)
        if ttl_ms <= 0:
            return
        try:
            if VARIANT_SEPARATOR not in key:
                await self._client.set(self.prefix + "card:" + key, entry.encode(), px=ttl_ms)
            else:
                index = self.prefix + "variants:" + page_of(key)
                async with self._client.pipeline(transaction=False) as pipe:
                    pipe.set(self.prefix + "card:" + key, entry.encode(), px=ttl_ms)
                    pipe.sadd(index, key)
                    pipe.pexpire(index, ttl_ms, nx=True)  # a new set: give it a lifetime
                    pipe.pexpire(index, ttl_ms, gt=True)  # else only ever lengthen it
                    await pipe.execute()
        except (RedisError, OSError) as exc:
            self._failed("set", exc)
            return
        self._ok()

    async def delete(self, key: str) -> None:
        try:
            await self._client.delete(self.prefix + "card:" + key)
        except (RedisError, OSError) as exc:
            self._failed("delete", exc)

    async def purge(self, key: str) -> int:
        index = self.prefix + "variants:" + key
        try:
            variants = await self._client.smembers(index)
            names = [key, *(v.decode() if isinstance(v, bytes) else v for v in variants)]
            deleted = await self._client.delete(*(self.prefix + "card:" + n for n in names))
            await self._client.delete(index)
        except (RedisError, OSError) as exc:
            self._failed("purge", exc)
            message = "the shared cache (Redis) is unreachable: nothing was purged"
            raise CacheUnavailable(message) from exc
        self._ok()
        return int(deleted)

    async def acquire_lock(self, key: str, ttl: float) -> str | None:
        token = secrets.token_hex(8)
        try:
            won = await self._client.set(
                self.prefix + "lock:" + key, token, nx=True, px=max(1, int(ttl * 1000))
            )
        except (RedisError, OSError) as exc:
            self._failed("lock", exc)
            return _NO_LOCK  # no Redis, no lock: fetch directly
        self._ok()
        return token if won else None

    async def release_lock(self, key: str, token: str) -> None:
        if token == _NO_LOCK:
            return
        try:
            await self._release(keys=[self.prefix + "lock:" + key], args=[token])
        except (RedisError, OSError) as exc:
            self._failed("unlock", exc)

    async def extend_lock(self, key: str, token: str, ttl: float) -> None:
        if token == _NO_LOCK:
            return
        try:
            await self._extend(
                keys=[self.prefix + "lock:" + key], args=[token, max(1, int(ttl * 1000))]
            )
        except (RedisError, OSError) as exc:
            self._failed("extend lock", exc)

    async def ping(self) -> bool:
        try:
            await self._client.ping()
        except (RedisError, OSError) as exc:
            self._failed("ping", exc)
            return False
        self._ok()
        return True

    async def aclose(self) -> None:
        await self._client.aclose()
