"""Where cards are kept between fetches: in this process's memory, or in Redis.

Both backends store :class:`Entry` envelopes (a card or an error, with its freshness)
behind the small :class:`Cache` protocol. Redis is an optimisation, never a single point
of failure: every Redis call has a short timeout, and an outage turns into misses and
no-ops (logged once, counted) until Redis answers again.
"""

from __future__ import annotations

import functools
import logging
import secrets
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Protocol

import orjson
import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from ogpreview.card import Card
from ogpreview.errors import PreviewError, error_from_code

__all__ = ["Cache", "Entry", "MemoryCache", "NullCache", "RedisCache"]

log = logging.getLogger(__name__)

ENVELOPE_VERSION = 1
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


@dataclass(frozen=True, slots=True)
class Entry:
    """A cached outcome: a card, or the error a fetch ended with, and its freshness."""

    card: Card | None
    error: PreviewError | None
    fetched_at: float
    fresh_until: float
    stale_until: float

    def is_fresh(self, now: float) -> bool:
        return now < self.fresh_until

    def encode(self) -> bytes:
        error = None if self.error is None else self.error.to_dict()
        return orjson.dumps(
            {
                "v": ENVELOPE_VERSION,
                "card": None if self.card is None else self.card.to_dict(),
                "error": error,
                "fetched_at": self.fetched_at,
                "fresh_until": self.fresh_until,
                "stale_until": self.stale_until,
            }
        )

    @classmethod
    def decode(cls, data: bytes | str) -> Entry:
        """An entry from :meth:`encode` output; ``ValueError`` for anything else."""
        try:
            raw = orjson.loads(data)
        except orjson.JSONDecodeError as exc:
            raise ValueError(f"not a cache entry: {exc}") from exc
        if not isinstance(raw, dict) or raw.get("v") != ENVELOPE_VERSION:
            raise ValueError("not a cache entry of this version")
        card = None if raw.get("card") is None else Card.from_dict(raw["card"])
        error = _error(raw.get("error"))
        if (card is None) == (error is None):
            raise ValueError("a cache entry holds exactly one of card and error")
        times: list[float] = []
        for name in ("fetched_at", "fresh_until", "stale_until"):
            value = raw.get(name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ValueError("cache entry times must be numbers")
            times.append(float(value))
        return cls(card, error, *times)


def _error(raw: Any) -> PreviewError | None:
    if raw is None:
        return None
    if not isinstance(raw, dict) or not isinstance(raw.get("code"), str):
        raise ValueError("cache entry error must be an object with a code")
    status = raw.get("status")
    return error_from_code(
        raw["code"], str(raw.get("message", "")), status=status if isinstance(status, int) else None
    )


@functools.lru_cache(maxsize=1024)
def _decode_memo(data: bytes) -> Entry:
    """Decoding is most of a Redis hit's own cost, and hot entries come back byte for
    byte the same; entries are immutable, so one decoded copy serves every hit."""
    return Entry.decode(data)


class Cache(Protocol):
    """What the previewer needs of a cache backend."""

    #: True when other processes see the same entries (and locks mean something).
    shared: bool

    async def get(self, key: str) -> Entry | None: ...

    async def set(self, key: str, entry: Entry) -> None: ...

    async def delete(self, key: str) -> None: ...

    async def acquire_lock(self, key: str, ttl: float) -> str | None:
        """A token if this caller now holds the fetch lock for ``key``, else None."""
        ...

    async def release_lock(self, key: str, token: str) -> None: ...

    async def extend_lock(self, key: str, token: str, ttl: float) -> None:
        """Keep holding the lock for another ``ttl`` seconds (the holder renews its lease
        while it fetches, so a holder that dies frees the URL within one lease)."""
        ...

    async def ping(self) -> bool:
        """Whether the backend is usable right now."""
        ...

    async def aclose(self) -> None: ...


class MemoryCache:
    """The embedded default: entries in this process, bounded by count and by bytes (LRU),
    each kept until its stale time. Single-flight within the process is the previewer's
    job, so locks here always succeed."""

    shared = False

    def __init__(self, *, max_entries: int = 10_000, max_bytes: int = 64 * 1024 * 1024):
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._entries: OrderedDict[str, tuple[Entry, int]] = OrderedDict()
        self._bytes = 0

    def __len__(self) -> int:
        return len(self._entries)

    async def get(self, key: str) -> Entry | None:
        item = self._entries.get(key)
        if item is None:
            return None
        entry = item[0]
        if time.time() >= entry.stale_until:
            self._drop(key)
            return None
        self._entries.move_to_end(key)
        return entry

    async def set(self, key: str, entry: Entry) -> None:
        size = len(entry.encode()) + len(key)
        if size > self.max_bytes:
            return
        self._drop(key)
        self._entries[key] = (entry, size)
        self._bytes += size
        while len(self._entries) > self.max_entries or self._bytes > self.max_bytes:
            oldest = next(iter(self._entries))
            self._drop(oldest)

    async def delete(self, key: str) -> None:
        self._drop(key)

    def _drop(self, key: str) -> None:
        item = self._entries.pop(key, None)
        if item is not None:
            self._bytes -= item[1]

    async def acquire_lock(self, key: str, ttl: float) -> str | None:
        return "local"

    async def release_lock(self, key: str, token: str) -> None:
        return None

    async def extend_lock(self, key: str, token: str, ttl: float) -> None:
        return None

    async def ping(self) -> bool:
        return True

    async def aclose(self) -> None:
        self._entries.clear()
        self._bytes = 0


class NullCache:
    """A cache that keeps nothing: for callers that fetch every URL once anyway (a batch
    link check), where keeping cards would only cost memory."""

    shared = False

    async def get(self, key: str) -> Entry | None:
        return None

    async def set(self, key: str, entry: Entry) -> None:
        return None

    async def delete(self, key: str) -> None:
        return None

    async def acquire_lock(self, key: str, ttl: float) -> str | None:
        return "local"

    async def release_lock(self, key: str, token: str) -> None:
        return None

    async def extend_lock(self, key: str, token: str, ttl: float) -> None:
        return None

    async def ping(self) -> bool:
        return True

    async def aclose(self) -> None:
        return None


class RedisCache:
    """Entries in Redis, shared by every instance; survives an outage by degrading.

    Keys are ``prefix + "card:" + key`` and ``prefix + "lock:" + key``; an entry's Redis
    TTL is the time until it turns from stale to gone.
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
            await self._client.set(self.prefix + "card:" + key, entry.encode(), px=ttl_ms)
        except (RedisError, OSError) as exc:
            self._failed("set", exc)
            return
        self._ok()

    async def delete(self, key: str) -> None:
        try:
            await self._client.delete(self.prefix + "card:" + key)
        except (RedisError, OSError) as exc:
            self._failed("delete", exc)

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
