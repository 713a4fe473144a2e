"""Where cards are kept between fetches: the :class:`Cache` protocol, the :class:`Entry`
envelope every backend stores (a card or an error, with its freshness), and the backends
that live in this process. The Redis backend is in :mod:`ogpreview.cache.redis`, so that a
process that never talks to Redis never imports its client.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import orjson

from ogpreview.card import Card
from ogpreview.errors import PreviewError, error_from_code
from ogpreview.urls import VARIANT_SEPARATOR, page_of

if TYPE_CHECKING:
    pass

__all__ = ["Cache", "Entry", "MemoryCache", "NullCache"]

ENVELOPE_VERSION = 1


@dataclass(frozen=True, slots=True)
class Entry:
    """A cached outcome: a card, or the error a fetch ended with, and its freshness."""

    card: Card | None
    error: PreviewError | None
    fetched_at: float
    fresh_until: float
    stale_until: float
    #: With a card: the URL the fetch that made it ended at, after redirects (None only in
    #: an entry written by a version that did not record it).
    final_url: str | None = None
    #: The response said it depends on the request's language (``Vary: Accept-Language``
    #: or ``Vary: *``): cards for other languages are kept apart from this one.
    vary_language: bool = False
    #: The primary languages its ``Content-Language`` named (empty when it named none).
    languages: tuple[str, ...] = ()

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
                "final_url": self.final_url,
                "vary_language": self.vary_language,
                "languages": list(self.languages),
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
        # Optional within version 1: entries written before they were recorded stay readable
        # (and older instances sharing the Redis ignore it).
        final_url = raw.get("final_url")
        if final_url is not None and not isinstance(final_url, str):
            raise ValueError("cache entry final_url must be a string")
        vary_language = raw.get("vary_language", False)
        languages = raw.get("languages", [])
        if not isinstance(vary_language, bool) or not (
            isinstance(languages, list) and all(isinstance(x, str) for x in languages)
        ):
            raise ValueError("cache entry language fields have the wrong type")
        fetched_at, fresh_until, stale_until = times
        return cls(
            card,
            error,
            fetched_at,
            fresh_until,
            stale_until,
            final_url,
            vary_language=vary_language,
            languages=tuple(languages),
        )


def _error(raw: Any) -> PreviewError | None:
    if raw is None:
        return None
    if not isinstance(raw, dict) or not isinstance(raw.get("code"), str):
        raise ValueError("cache entry error must be an object with a code")
    status = raw.get("status")
    return error_from_code(
        raw["code"], str(raw.get("message", "")), status=status if isinstance(status, int) else None
    )


class Cache(Protocol):
    """What the previewer needs of a cache backend."""

    #: True when other processes see the same entries (and locks mean something).
    shared: bool

    async def get(self, key: str) -> Entry | None: ...

    async def set(self, key: str, entry: Entry) -> None: ...

    async def delete(self, key: str) -> None: ...

    async def purge(self, key: str) -> int:
        """Delete the entry of page ``key`` and every language variant of it (the keys
        :func:`~ogpreview.urls.language_key` makes from it); how many were deleted."""
        ...

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


class _InProcess:
    """What a cache kept by one process needs of the fetch lock and the health check: no
    other instance can race it (the previewer's single flight already serves its callers),
    and it is always up."""

    shared = False

    async def acquire_lock(self, key: str, ttl: float) -> str | None:
        return "local"

    async def release_lock(self, key: str, token: str) -> None:
        return None

    async def extend_lock(self, key: str, token: str, ttl: float) -> None:
        return None

    async def ping(self) -> bool:
        return True


class MemoryCache(_InProcess):
    """The embedded default: entries in this process, bounded by count and by bytes (LRU),
    each kept until its stale time. Single-flight within the process is the previewer's
    job, so locks here always succeed."""

    def __init__(self, *, max_entries: int = 10_000, max_bytes: int = 64 * 1024 * 1024):
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._entries: OrderedDict[str, tuple[Entry, int]] = OrderedDict()
        self._bytes = 0
        #: Page key -> the keys of its language variants held (for purge).
        self._variants: dict[str, set[str]] = {}

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
        if VARIANT_SEPARATOR in key:
            self._variants.setdefault(page_of(key), set()).add(key)
        while len(self._entries) > self.max_entries or self._bytes > self.max_bytes:
            oldest = next(iter(self._entries))
            self._drop(oldest)

    async def delete(self, key: str) -> None:
        self._drop(key)

    async def purge(self, key: str) -> int:
        keys = [key, *self._variants.get(key, ())]
        return sum(self._drop(one) for one in keys)

    def _drop(self, key: str) -> bool:
        item = self._entries.pop(key, None)
        if item is None:
            return False
        self._bytes -= item[1]
        if VARIANT_SEPARATOR in key:
            page = page_of(key)
            variants = self._variants.get(page)
            if variants is not None:
                variants.discard(key)
                if not variants:
                    del self._variants[page]
        return True

    async def aclose(self) -> None:
        self._entries.clear()
        self._variants.clear()
        self._bytes = 0


class NullCache(_InProcess):
    """A cache that keeps nothing: for callers that fetch every URL once anyway (a batch
    link check), where keeping cards would only cost memory."""

    async def get(self, key: str) -> Entry | None:
        return None

    async def set(self, key: str, entry: Entry) -> None:
        return None

    async def delete(self, key: str) -> None:
        return None

    async def purge(self, key: str) -> int:
        return 0

    async def aclose(self) -> None:
        return None
