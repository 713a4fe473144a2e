"""Caching cards: the ``Cache`` protocol and its backends (memory, null; Redis in ``redis``);
how long an entry is kept (``ttl``), under which key for a user's language (``languages``),
and the fetch lock shared by instances (``lock``).

The Redis backend is not imported here: most processes never talk to Redis, and its
client costs them memory and start-up time.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ogpreview.cache.base import Cache, Entry, MemoryCache, NullCache

if TYPE_CHECKING:
    from ogpreview.settings import CacheSettings

__all__ = ["Cache", "Entry", "MemoryCache", "NullCache", "cache_from_settings"]


def cache_from_settings(settings: CacheSettings) -> Cache:
    """The cache ``settings`` name: Redis at ``redis_url`` when set (imported only then),
    else a memory cache bounded by ``memory_cache_entries`` and ``memory_cache_bytes``."""
    if settings.redis_url:
        from ogpreview.cache.redis import RedisCache

        return RedisCache(
            settings.redis_url,
            prefix=settings.cache_prefix,
            mode=settings.redis_mode,
            sentinel_service=settings.redis_sentinel_service,
        )
    return MemoryCache(
        max_entries=settings.memory_cache_entries, max_bytes=settings.memory_cache_bytes
    )
