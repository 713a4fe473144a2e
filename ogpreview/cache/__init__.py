"""Caching cards: the ``Cache`` protocol and its backends (memory, null; Redis in ``redis``);
how long an entry is kept (``ttl``), under which key for a user's language (``languages``),
and the fetch lock shared by instances (``lock``).

The Redis backend is not imported here: most processes never talk to Redis, and its
client costs them memory and start-up time.
"""

from ogpreview.cache.base import Cache, Entry, MemoryCache, NullCache, cache_from_settings

__all__ = ["Cache", "Entry", "MemoryCache", "NullCache", "cache_from_settings"]
