"""A check job survives losing one of the two server processes working on it."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
import redis.asyncio as aioredis

from ogpreview.check.jobs.shards import GROUP, JobKeys
from tests.service import PROCESS_DEADLINE, Server, serve, until
from tests.web_origin import SiteOrigin, site_origin

URLS = 30


@pytest.fixture
async def origin() -> AsyncIterator[SiteOrigin]:
    async with site_origin() as running:
        yield running


async def test_job_survives_killing_one_of_two_workers(
    origin: SiteOrigin, redis_url: str, redis_prefix: str
) -> None:
    """SIGKILL one of two instances mid-job: the other claims its entries and every URL
    is reported exactly once."""
    env = {
        "OGPREVIEW_REDIS_URL": redis_url,
        "OGPREVIEW_CACHE_PREFIX": redis_prefix,
        "OGPREVIEW_CHECK_CONCURRENCY": "3",
        "OGPREVIEW_CHECK_CLAIM_IDLE": "1",
        "OGPREVIEW_IMAGE_PROBE": "false",
    }
    urls = [origin.url(f"/slow/300/k{i}") for i in range(URLS)]
    client = aioredis.from_url(redis_url)
    async with serve(env) as survivor, serve(env) as victim, aiohttp.ClientSession() as http:

        async def victim_pending() -> int:
            stream = JobKeys(redis_prefix).stream_of(job["id"])
            for consumer in await client.xinfo_consumers(stream, GROUP):
                if f":{victim.process.pid}:" in consumer["name"].decode():
                    return int(consumer["pending"])
            return 0

        async def view(server: Server) -> dict[str, Any]:
            async with http.get(server.url(f"/v1/checks/{job['id']}")) as response:
                body: dict[str, Any] = await response.json()
                return body

        async with http.post(survivor.url("/v1/checks"), json={"urls": urls}) as response:
            job = await response.json()
        await until(lambda: _positive(victim_pending()))
        victim.process.kill()
        await victim.process.wait()
        held_by_victim = await victim_pending()
        done_at_kill = (await view(survivor))["done"]

        async def job_done() -> bool:
            return (await view(survivor))["status"] == "done"

        async with asyncio.timeout(PROCESS_DEADLINE):
            await until(job_done)
        body = await view(survivor)
    await client.aclose()
    reported = Counter(result["url"] for result in body["results"])
    assert held_by_victim > 0
    assert done_at_kill < URLS
    assert reported == Counter(urls)
    assert sum(body["counts"].values()) == URLS


async def _positive(count: Any) -> bool:
    return bool(await count > 0)
