"""One fetch of a page at a time across instances: a short lease in the shared cache.

The instance that takes a page's lock fetches it and renews the lease while it does; the
others poll the cache for its result. If the holder's process dies, its lease lapses and
another instance takes the page over within one lease.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

from ogpreview.cache.base import Cache, Entry

__all__ = ["LOCK_GRACE", "LOCK_LEASE", "LOCK_POLL", "Held", "fetch_lock"]

#: How often an instance waiting on another's fetch looks for the result.
LOCK_POLL = 0.02
#: Extra seconds a waiter waits beyond the fetch timeouts (oEmbed and image probe included).
LOCK_GRACE = 5.0
#: A fetch lock's lease: the holder renews it every third of this while it fetches.
LOCK_LEASE = 3.0


@dataclass(frozen=True, slots=True)
class Held:
    """How :func:`fetch_lock` ended its wait."""

    #: The lock's token; None when the wait ran out (then the caller fetches anyway).
    token: str | None
    #: The result that instance cached while this one waited (then: no fetch).
    found: Entry | None = None


@contextlib.asynccontextmanager
async def fetch_lock(
    cache: Cache,
    key: str,
    *,
    max_wait: float,
    cached: Callable[[], Awaitable[Entry | None]],
    waiting: Callable[[], None] = lambda: None,
) -> AsyncIterator[Held]:
    """Take ``key``'s fetch lock, or wait (at most ``max_wait``) for the holder's result,
    which ``cached`` reads (``waiting`` hears when the wait begins); the lease is renewed
    while the block runs, released after."""
    token = await cache.acquire_lock(key, LOCK_LEASE)
    if token is None:
        waiting()
        started = time.time()
        deadline = time.monotonic() + max_wait
        while token is None and time.monotonic() < deadline:
            await asyncio.sleep(LOCK_POLL)
            entry = await cached()
            if entry is not None and entry.fetched_at >= started:
                yield Held(None, entry)
                return
            token = await cache.acquire_lock(key, LOCK_LEASE)
    # Only a shared cache's lock can lapse while we fetch; a local one needs no lease.
    lease = (
        asyncio.create_task(_keep(cache, key, token))
        if token is not None and cache.shared
        else None
    )
    try:
        yield Held(token)
    finally:
        if lease is not None:
            lease.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await lease
        if token is not None:
            await cache.release_lock(key, token)


async def _keep(cache: Cache, key: str, token: str) -> None:
    while True:
        await asyncio.sleep(LOCK_LEASE / 3)
        await cache.extend_lock(key, token, LOCK_LEASE)
