"""`ogpreview serve` as real processes: two instances sharing Redis (one server, a
cluster, a Sentinel-watched master), and graceful shutdown."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import AsyncIterator

import aiohttp
import pytest

from ogpreview.settings import Settings
from tests.redis_topology import Cluster, SentinelSet
from tests.service import PROCESS_DEADLINE, Server, serve, until
from tests.web_origin import SiteOrigin, site_origin


@pytest.fixture
async def origin() -> AsyncIterator[SiteOrigin]:
    async with site_origin() as running:
        yield running


async def test_two_instances_share_one_fetch(
    origin: SiteOrigin, redis_url: str, redis_prefix: str
) -> None:
    """Two server processes on one Redis fetch a URL requested from both only once."""
    env = {"OGPREVIEW_REDIS_URL": redis_url, "OGPREVIEW_CACHE_PREFIX": redis_prefix}
    await _one_fetch_for_two(origin, env)


async def test_two_instances_on_a_cluster_or_sentinels_share_one_fetch(
    origin: SiteOrigin, scaled_redis: Cluster | SentinelSet, scaled_prefix: str
) -> None:
    """Two server processes given the cluster's seed nodes (or the sentinels) in
    OGPREVIEW_REDIS_URL and the mode in OGPREVIEW_REDIS_MODE fetch a URL only once."""
    settings = scaled_redis.settings(Settings(), scaled_prefix)
    env = {
        "OGPREVIEW_REDIS_URL": settings.redis_url or "",
        "OGPREVIEW_REDIS_MODE": settings.redis_mode,
        "OGPREVIEW_REDIS_SENTINEL_SERVICE": settings.redis_sentinel_service or "",
        "OGPREVIEW_CACHE_PREFIX": scaled_prefix,
    }
    await _one_fetch_for_two(origin, env)


async def _one_fetch_for_two(origin: SiteOrigin, env: dict[str, str]) -> None:
    url = origin.url("/hold/shared")
    async with serve(env) as first, serve(env) as second, aiohttp.ClientSession() as http:

        async def get(server: Server) -> tuple[int, dict[str, object]]:
            async with http.get(server.url("/v1/preview"), params={"url": url}) as response:
                return response.status, await response.json()

        async def second_missed() -> bool:
            async with http.get(second.url("/metrics")) as response:
                return 'ogpreview_cache_lookups_total{outcome="miss"} 1.0' in await response.text()

        one = asyncio.ensure_future(get(first))
        await origin.held.wait()
        two = asyncio.ensure_future(get(second))
        await until(second_missed)  # the second instance is waiting on the first's fetch
        origin.release.set()
        (status_one, body_one), (status_two, body_two) = await asyncio.gather(one, two)
        third_status, third = await get(second)

    assert (status_one, status_two, third_status) == (200, 200, 200)
    assert origin.hits["/hold/shared"] == 1
    assert body_one["title"] == "Harbour lights return to the old port"
    assert {**body_two, "cache": "miss"} == body_one
    assert third == {**body_one, "cache": "hit"}


async def test_sigterm_finishes_in_flight_request(origin: SiteOrigin) -> None:
    """On SIGTERM the server stops listening, completes the request in flight, exits 0."""
    async with serve({}) as server, aiohttp.ClientSession() as http:

        async def get() -> tuple[int, dict[str, object]]:
            url = origin.url("/hold/inflight")
            async with http.get(server.url("/v1/preview"), params={"url": url}) as response:
                return response.status, await response.json()

        async def stopped_listening() -> bool:
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", server.port)
            except OSError:
                return True
            writer.close()
            await writer.wait_closed()
            return False

        request = asyncio.ensure_future(get())
        await origin.held.wait()
        server.process.send_signal(signal.SIGTERM)
        await until(stopped_listening)
        origin.release.set()
        status, body = await request
        async with asyncio.timeout(PROCESS_DEADLINE):
            code = await server.process.wait()

    assert status == 200
    assert body["title"] == "Harbour lights return to the old port"
    assert code == 0


async def test_workers_share_the_port_and_stop_cleanly(origin: SiteOrigin) -> None:
    """--workers 2 serves on one port with one image secret; SIGTERM stops all, exit 0."""
    async with serve({"OGPREVIEW_WORKERS": "2", "OGPREVIEW_SECRET": ""}) as server:
        async with aiohttp.ClientSession() as http:
            url = origin.url("/card-normal.html")
            statuses = []
            pages = []
            for _ in range(6):  # new connections, spread over both workers by the kernel
                async with http.get(
                    server.url("/v1/card"), params={"url": url}, headers={"Connection": "close"}
                ) as response:
                    statuses.append(response.status)
                    pages.append(await response.text())
            image_paths = {page.split('src="', 1)[1].split('"', 1)[0] for page in pages}
        server.process.send_signal(signal.SIGTERM)
        async with asyncio.timeout(PROCESS_DEADLINE):
            code = await server.process.wait()
    assert statuses == [200] * 6
    assert len(image_paths) == 1  # every worker signs with the same secret
    assert code == 0
