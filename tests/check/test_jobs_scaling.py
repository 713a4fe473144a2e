"""Check jobs on a real Redis Cluster and behind real Sentinels: a job read from another
instance, a cluster node killed mid-job, a failover mid-run, with no result lost or doubled."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from ogpreview.check.jobs.shards import JobKeys
from tests.redis_topology import Cluster, SentinelSet
from tests.service import BASE, api
from tests.web_origin import SiteOrigin, site_origin

#: A hang guard for a job through an outage (record retries back off for some seconds).
DEADLINE = 90.0
URLS = 30
#: Claims of a dead or cut-off instance move after a second here, not a minute.
SETTINGS = BASE.replace(image_probe=False, check_concurrency=3, check_claim_idle=1.0)

Client = TestClient[Any, Any]


@pytest.fixture
async def origin() -> AsyncIterator[SiteOrigin]:
    async with site_origin() as running:
        yield running


async def _post(client: Client, urls: list[str]) -> str:
    response = await client.post("/v1/checks", json={"urls": urls})
    assert response.status == 202, await response.text()
    job_id: str = (await response.json())["id"]
    return job_id


async def _view(client: Client, job_id: str) -> dict[str, Any]:
    response = await client.get(f"/v1/checks/{job_id}")
    body: dict[str, Any] = await response.json()
    return body


async def _until(condition: Callable[[], Any], deadline: float = DEADLINE) -> None:
    """Poll a condition the Redis processes make true (no event crosses to them)."""
    async with asyncio.timeout(deadline):
        while not await condition():  # noqa: ASYNC110 - the state is in other processes
            await asyncio.sleep(0.05)


async def _done(client: Client, job_id: str, deadline: float = DEADLINE) -> dict[str, Any]:
    async def finished() -> bool:
        response = await client.get(f"/v1/checks/{job_id}")
        return response.status == 200 and (await response.json())["status"] == "done"

    await _until(finished, deadline)
    return await _view(client, job_id)


def _reported(body: dict[str, Any]) -> Counter[str]:
    return Counter(result["url"] for result in body["results"])


async def test_a_job_posted_to_one_instance_is_read_complete_from_the_other(
    origin: SiteOrigin, scaled_redis: Cluster | SentinelSet, scaled_prefix: str
) -> None:
    """A job queued through one instance is worked on by both and read, complete, from
    the other."""
    settings = scaled_redis.settings(SETTINGS, scaled_prefix)
    urls = [origin.url(f"/slow/20/o{i}") for i in range(12)]
    async with api(settings) as first, api(settings) as second:
        job_id = await _post(first, urls)
        body = await _done(second, job_id)
    assert (_reported(body), body["counts"]) == (
        Counter(urls),
        {"ok": 12, "warning": 0, "error": 0},
    )


async def test_a_cluster_node_killed_mid_job_loses_no_url(
    origin: SiteOrigin, cluster: Cluster, scaled_prefix: str
) -> None:
    """SIGKILL the node holding a running job: the other nodes' shards keep working (a
    new job completes, previews are served, readiness says degraded), and after the node
    restarts the job completes with every URL reported once."""
    settings = cluster.settings(SETTINGS, scaled_prefix)
    urls = [origin.url(f"/slow/150/k{i}") for i in range(URLS)]
    async with api(settings) as first, api(settings) as second:
        job_id = await _post(first, urls)
        node = cluster.node_of(JobKeys(scaled_prefix).stream_of(job_id))
        await _until(lambda: _some_done(origin, 4))
        node.kill()
        try:
            others = [origin.url(f"/slow/10/n{i}") for i in range(6)]
            other_job = await _post(second, others)
            other_body = await _done(second, other_job)
            previews = [
                (
                    await first.get(
                        "/v1/preview", params={"url": origin.url(f"/card-normal.html?{i}")}
                    )
                ).status
                for i in range(5)
            ]
            readiness = (await (await first.get("/readyz")).json())["status"]
        finally:
            node.start()
        body = await _done(first, job_id)
        ready_after = (await (await second.get("/readyz")).json())["status"]
    assert (_reported(other_body), previews, readiness) == (Counter(others), [200] * 5, "degraded")
    assert (_reported(body), sum(body["counts"].values()), ready_after) == (
        Counter(urls),
        URLS,
        "ready",
    )


async def _some_done(origin: SiteOrigin, count: int, prefix: str = "/slow/150/") -> bool:
    return sum(n for path, n in origin.hits.items() if path.startswith(prefix)) >= count


@pytest.mark.parametrize("how", ["failover", "kill"])
async def test_a_sentinel_failover_mid_run_loses_no_result(
    origin: SiteOrigin, sentinel_set: SentinelSet, scaled_prefix: str, how: str
) -> None:
    """A SENTINEL FAILOVER, or SIGKILL of the master, while a job runs on two instances:
    every preview asked meanwhile is answered, and the job completes with every URL
    reported once."""
    settings = sentinel_set.settings(SETTINGS, scaled_prefix)
    urls = [origin.url(f"/slow/300/f{i}") for i in range(2 * URLS)]
    statuses: list[int] = []
    async with api(settings) as first, api(settings) as second:
        job_id = await _post(first, urls)
        await _until(lambda: _some_done(origin, 4, "/slow/300/"))
        stop = asyncio.Event()

        async def keep_previewing() -> None:
            i = 0
            while not stop.is_set():
                page = origin.url(f"/card-normal.html?p={i}")
                response = await second.get("/v1/preview", params={"url": page})
                statuses.append(response.status)
                i += 1
                await asyncio.sleep(0.02)

        previewing = asyncio.ensure_future(keep_previewing())
        try:
            await asyncio.to_thread(sentinel_set.fail_over, kill=how == "kill")
            done_at_promotion = (await _view(first, job_id))["done"]
        finally:
            stop.set()
            await previewing
            await asyncio.to_thread(sentinel_set.settle)
        body = await _done(second, job_id)
    assert (set(statuses), len(statuses) > 20, done_at_promotion < len(urls)) == (
        {200},
        True,
        True,
    )
    assert (_reported(body), sum(body["counts"].values())) == (Counter(urls), len(urls))
