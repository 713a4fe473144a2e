"""RedisCache and the previewer on a real Redis: sharing, locks, corruption, outages."""

from __future__ import annotations

import asyncio
import logging
import shutil
import socket
import subprocess
import time
from collections.abc import AsyncIterator, Iterator

import pytest
import redis.asyncio as aioredis

from ogpreview import Card, Previewer, RedisCache, Settings
from ogpreview.cache import Entry
from ogpreview.urls import cache_key
from tests.conftest import IN_CI
from tests.servers import Site

LOCAL = Settings(allow_networks=["127.0.0.0/8"], allowed_ports=None)


@pytest.fixture
async def cache(redis_url: str, redis_prefix: str) -> AsyncIterator[RedisCache]:
    c = RedisCache(redis_url, prefix=redis_prefix)
    yield c
    await c.aclose()


def _entry(stale_in: float = 600) -> Entry:
    now = time.time()
    return Entry(Card(url="https://e.com/", title="T"), None, now, now + 60, now + stale_in)


async def test_round_trip_with_ttl(cache: RedisCache, redis_url: str, redis_prefix: str) -> None:
    """An entry is stored under the prefix with a TTL up to its stale time."""
    entry = _entry(stale_in=600)
    await cache.set("k", entry)
    client = aioredis.from_url(redis_url)
    try:
        pttl = await client.pttl(cache.card_key("k"))
    finally:
        await client.aclose()
    assert (await cache.get("k"), 590_000 < pttl <= 600_000) == (entry, True)


async def test_garbage_under_our_key_is_a_miss(
    cache: RedisCache, redis_url: str, redis_prefix: str
) -> None:
    """A corrupt or foreign value under our key is treated as a miss."""
    client = aioredis.from_url(redis_url)
    try:
        await client.set(cache.card_key("k"), b"\x00not json")
    finally:
        await client.aclose()
    assert (await cache.get("k"), cache.errors) == (None, 0)


async def test_lock_is_exclusive_and_token_checked(cache: RedisCache) -> None:
    """A held lock refuses others; releasing with a wrong token leaves it held."""
    token = await cache.acquire_lock("k", 5)
    second = await cache.acquire_lock("k", 5)
    await cache.release_lock("k", "not-the-token")
    third = await cache.acquire_lock("k", 5)
    assert token is not None
    await cache.release_lock("k", token)
    fourth = await cache.acquire_lock("k", 5)
    assert (second, third, fourth is not None) == (None, None, True)


async def test_lock_lease_is_extended_only_by_its_holder(
    cache: RedisCache, redis_url: str, redis_prefix: str
) -> None:
    """extend_lock renews the holder's lease; a wrong token does not touch it."""
    token = await cache.acquire_lock("k", 1)
    assert token is not None
    await cache.extend_lock("k", "not-the-token", 60)
    client = aioredis.from_url(redis_url)
    try:
        before = await client.pttl(cache.lock_key("k"))
        await cache.extend_lock("k", token, 60)
        after = await client.pttl(cache.lock_key("k"))
    finally:
        await client.aclose()
    assert (before <= 1000, 59_000 <= after <= 60_000) == (True, True)


async def test_dead_lock_holder_frees_the_url_within_a_lease(
    site: Site, redis_url: str, redis_prefix: str
) -> None:
    """A lock left by a holder that died (never renewed, never released) stops blocking
    other instances once its lease runs out, not after the whole fetch budget."""
    from ogpreview.cache.lock import LOCK_LEASE

    settings = LOCAL.replace(redis_url=redis_url, cache_prefix=redis_prefix, total_timeout=30.0)
    url = site.url("/plain.html")
    async with Previewer(settings) as previewer:
        # What a crashed instance leaves behind: its lock, with the lease it took.
        dead = await previewer.cache.acquire_lock(cache_key(url), LOCK_LEASE)
        assert dead is not None
        loop = asyncio.get_running_loop()
        start = loop.time()
        card = await previewer.preview(url)
        waited = loop.time() - start
    # The fetch budget is 3 x 30 s + grace; the lease is 3 s. Not a speed assertion: a
    # waiter bound by the budget would wait over 90 s.
    assert (card.title, waited < 3 * settings.total_timeout) == ("Plain page", True)


async def test_previewer_uses_redis_from_settings(
    site: Site, redis_url: str, redis_prefix: str
) -> None:
    """Settings.redis_url makes the previewer cache in Redis."""
    settings = LOCAL.replace(redis_url=redis_url, cache_prefix=redis_prefix)
    async with Previewer(settings) as previewer:
        await previewer.preview(site.url("/plain.html"))
        cached = await previewer.cache.get(cache_key(site.url("/plain.html")))
    assert (type(previewer.cache).__name__, cached is not None) == ("RedisCache", True)


async def test_two_instances_share_one_fetch(site: Site, redis_url: str, redis_prefix: str) -> None:
    """Fifty callers split over two previewers sharing Redis cause one upstream request."""
    site.delay = 0.1
    settings = LOCAL.replace(redis_url=redis_url, cache_prefix=redis_prefix)
    async with Previewer(settings) as a, Previewer(settings) as b:
        url = site.url("/plain.html")
        cards = await asyncio.gather(*(p.preview(url) for _ in range(25) for p in (a, b)))
    assert (len(set(cards)), site.hits["/plain.html"]) == (1, 1)


async def test_second_instance_hits_the_shared_cache(
    site: Site, redis_url: str, redis_prefix: str
) -> None:
    """A card fetched by one instance is a hit for another."""
    settings = LOCAL.replace(redis_url=redis_url, cache_prefix=redis_prefix)
    async with Previewer(settings) as a, Previewer(settings) as b:
        await a.preview(site.url("/plain.html"))
        result = await b.lookup(site.url("/plain.html"))
    assert (result.cache, site.hits["/plain.html"]) == ("hit", 1)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class OwnRedis:
    """A throwaway redis-server on a free loopback port (never the shared one)."""

    def __init__(self, binary: str) -> None:
        self.binary = binary
        self.port = _free_port()
        self.procs: list[subprocess.Popen[bytes]] = []

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        args = ["--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        self.procs.append(
            subprocess.Popen(
                [self.binary, *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
        )
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.02)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        for proc in self.procs:
            proc.terminate()
            proc.wait(5)


@pytest.fixture
def own_redis() -> Iterator[OwnRedis]:
    binary = shutil.which("redis-server")
    if binary is None:
        if IN_CI:
            pytest.fail("redis-server is required under CI=true")
        pytest.skip("redis-server not installed")
    server = OwnRedis(binary)
    server.start()
    yield server
    server.stop()


async def test_redis_outage_degrades_and_recovers(
    site: Site, own_redis: OwnRedis, caplog: pytest.LogCaptureFixture
) -> None:
    """With Redis stopped, previews are still served (fetched directly) and the outage is
    logged once; after a restart Redis is used again without a new previewer."""
    settings = LOCAL.replace(redis_url=own_redis.url, cache_prefix="t:")
    async with Previewer(settings) as previewer:
        await previewer.preview(site.url("/plain.html"))
        own_redis.stop()
        with caplog.at_level(logging.WARNING, logger="ogpreview.cache.redis"):
            down = [await previewer.lookup(site.url("/article.html")) for _ in range(3)]
        ready_while_down = await previewer.cache_ready()
        own_redis.start()
        await previewer.preview(site.url("/report.pdf"))
        back = await previewer.lookup(site.url("/report.pdf"))
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert (
        [r.cache for r in down],
        site.hits["/article.html"],
        len(warnings),
        ready_while_down,
        back.cache,
        previewer.redis_errors > 0,
    ) == (["miss"] * 3, 3, 1, False, "hit", True)
