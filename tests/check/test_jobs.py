"""Batch check jobs: in-process, and on Redis Streams shared by several workers."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import orjson
import pytest
import redis.asyncio as aioredis

from ogpreview.cache import MemoryCache
from ogpreview.check.checker import Checker
from ogpreview.check.jobs.base import JobView, dedupe_urls
from ogpreview.check.jobs.local import LocalJobs
from ogpreview.check.jobs.redis import GROUP, RedisJobs
from ogpreview.previewer import Previewer
from ogpreview.settings import Settings
from tests.web_origin import SiteOrigin, site_origin

#: A hang guard for waiting on jobs, not a timing assertion.
DEADLINE = 30.0
BASE = Settings(
    allow_networks=("127.0.0.0/8",),
    allowed_ports=None,
    oembed=False,
    image_probe=False,
    check_concurrency=4,
)


@pytest.fixture
async def origin() -> AsyncIterator[SiteOrigin]:
    async with site_origin() as running:
        yield running


async def finished(jobs: Any, job_id: str) -> JobView:
    async with asyncio.timeout(DEADLINE):
        while True:
            view = await jobs.view(job_id)
            assert view is not None
            if view.status == "done":
                return view
            await asyncio.sleep(0.02)


async def reported_urls(jobs: Any, job_id: str) -> list[str]:
    return [orjson.loads(line)["url"] for line in await jobs.results(job_id, 0, 100_000)]


def test_dedupe_keeps_first_seen_order() -> None:
    """Blanks and repeats go; the rest keep the order they came in."""
    assert dedupe_urls([" b ", "a", "", "b", "  ", "c", "a"]) == ["b", "a", "c"]


def test_dedupe_counts_spellings_of_one_page_once() -> None:
    """Spellings with the same normalised URL (host case, tracking parameters, fragment,
    default port) are one link, kept as first spelled, as ogpreview check does."""
    urls = [
        "https://Example.com/a?utm_source=x",
        "https://example.com/a",
        " https://example.com:443/a#top ",
        "https://example.com/b",
        "https://example.com/a?page=2",
    ]
    assert dedupe_urls(urls) == [
        "https://Example.com/a?utm_source=x",
        "https://example.com/b",
        "https://example.com/a?page=2",
    ]


async def test_local_job_checks_spellings_of_one_page_once(origin: SiteOrigin) -> None:
    """A job given one page under three spellings fetches and reports it once, under the
    first spelling."""
    first = origin.url("/card-normal.html?utm_source=newsletter")
    urls = [first, origin.url("/card-normal.html"), origin.url("/card-normal.html#top")]
    async with Previewer(BASE) as previewer:
        jobs = LocalJobs(BASE, Checker(previewer))
        await jobs.start()
        try:
            job = await jobs.submit(dedupe_urls(urls))
            view = await finished(jobs, job.id)
            reported = await reported_urls(jobs, job.id)
        finally:
            await jobs.aclose()
    assert (view.total, reported, origin.hits["/card-normal.html"]) == (1, [first], 1)


async def test_local_job_reports_every_url_once(origin: SiteOrigin) -> None:
    """Without Redis a job runs in-process and reports each URL exactly once."""
    urls = [origin.url(f"/slow/10/p{i}") for i in range(12)] + [origin.url("/status/404")]
    async with Previewer(BASE) as previewer:
        jobs = LocalJobs(BASE, Checker(previewer))
        await jobs.start()
        try:
            job = await jobs.submit(urls)
            view = await finished(jobs, job.id)
            assert sorted(await reported_urls(jobs, job.id)) == sorted(urls)
        finally:
            await jobs.aclose()
    assert (view.total, view.done, view.counts["error"]) == (13, 13, 1)


async def test_local_job_unknown_id_is_none() -> None:
    """An id that was never issued has no view and no results."""
    async with Previewer(BASE) as previewer:
        jobs = LocalJobs(BASE, Checker(previewer))
        assert (await jobs.view("x" * 16), await jobs.results("x" * 16, 0, 10)) == (None, [])


@pytest.fixture
def redis_settings(redis_url: str, redis_prefix: str) -> Settings:
    return BASE.replace(redis_url=redis_url, cache_prefix=redis_prefix)


async def test_redis_job_reports_every_url_once(
    origin: SiteOrigin, redis_settings: Settings
) -> None:
    """A job on Redis Streams is worked off and every URL reported exactly once."""
    urls = [origin.url(f"/slow/10/r{i}") for i in range(20)]
    async with Previewer(redis_settings) as previewer:
        jobs = RedisJobs(redis_settings, Checker(previewer))
        await jobs.start()
        try:
            job = await jobs.submit(urls)
            view = await finished(jobs, job.id)
            assert sorted(await reported_urls(jobs, job.id)) == sorted(urls)
        finally:
            await jobs.aclose()
    assert (view.done, view.counts) == (20, {"ok": 20, "warning": 0, "error": 0})


async def test_two_workers_share_a_job_without_duplicates(
    origin: SiteOrigin, redis_settings: Settings
) -> None:
    """Two instances on one Redis both take entries; each URL is reported once."""
    urls = [origin.url(f"/slow/50/s{i}") for i in range(24)]
    async with Previewer(redis_settings) as p1, Previewer(redis_settings) as p2:
        first = RedisJobs(redis_settings, Checker(p1))
        second = RedisJobs(redis_settings, Checker(p2))
        await first.start()
        await second.start()
        try:
            job = await first.submit(urls)
            await finished(second, job.id)
            reported = await reported_urls(second, job.id)
            client = aioredis.from_url(redis_settings.redis_url or "")
            consumers = await client.xinfo_consumers(first.keys.stream_of(job.id), GROUP)
            await client.aclose()
        finally:
            await first.aclose()
            await second.aclose()
    assert sorted(reported) == sorted(urls)
    assert {c["name"].decode() for c in consumers} == {first.consumer, second.consumer}


async def test_entries_of_a_dead_consumer_are_claimed(
    origin: SiteOrigin, redis_settings: Settings
) -> None:
    """Entries a consumer took and never acknowledged are taken over and reported once."""
    settings = redis_settings.replace(check_claim_idle=0.3)
    urls = [origin.url(f"/slow/10/d{i}") for i in range(8)]
    client = aioredis.from_url(settings.redis_url or "")
    async with Previewer(settings) as previewer:
        submitter = RedisJobs(settings, Checker(previewer))  # queues only: never started
        job = await submitter.submit(urls)
        stream = submitter.keys.stream_of(job.id)
        # A consumer that reads every entry and dies before acknowledging any.
        taken = await client.xreadgroup(GROUP, "dead-consumer", {stream: ">"}, count=100)
        assert len(taken[0][1]) == 8
        survivor = RedisJobs(settings, Checker(previewer))
        await survivor.start()
        try:
            await finished(survivor, job.id)
            reported = await reported_urls(survivor, job.id)
            pending = await client.xpending(stream, GROUP)
        finally:
            await survivor.aclose()
            await submitter.aclose()
            await client.aclose()
    assert sorted(reported) == sorted(urls)
    assert pending["pending"] == 0


class _StalledJobs(RedisJobs):
    """An instance whose claims go stale while it still works: its heartbeat never runs
    (as in a long pause or a partition from Redis)."""

    async def _keep_claims(self) -> None:
        return None


async def test_work_done_twice_is_reported_once(
    origin: SiteOrigin, redis_settings: Settings
) -> None:
    """When a second worker takes over entries a stalled one is still checking, both
    finish them, and each result is recorded once."""
    # Checks take 600 ms, but entries count as abandoned after 100 ms.
    settings = redis_settings.replace(check_claim_idle=0.1, check_concurrency=2)
    urls = [origin.url(f"/slow/600/t{i}") for i in range(2)]
    # Caches of their own: a shared Redis cache would make the second wait for the
    # first's fetch (its one-fetch-per-URL lock) instead of fetching again.
    async with (
        Previewer(settings, cache=MemoryCache()) as p1,
        Previewer(settings, cache=MemoryCache()) as p2,
    ):
        first = _StalledJobs(settings, Checker(p1))
        second = RedisJobs(settings, Checker(p2))
        await first.start()
        try:
            job = await first.submit(urls)
            async with asyncio.timeout(DEADLINE):
                while len(origin.hits) < 2:  # noqa: ASYNC110 - hits come from a server
                    await asyncio.sleep(0.01)
            await second.start()  # both of first's entries are in flight: it takes them
            view = await finished(first, job.id)
            reported = await reported_urls(first, job.id)
        finally:
            await first.aclose()
            await second.aclose()
    page_hits = {path: n for path, n in origin.hits.items() if path.startswith("/slow/")}
    assert page_hits == {"/slow/600/t0": 2, "/slow/600/t1": 2}
    assert (sorted(reported), view.done) == (sorted(urls), 2)


async def test_entries_waiting_for_a_host_slot_are_not_taken_over(
    origin: SiteOrigin, redis_settings: Settings
) -> None:
    """An instance keeps claiming the entries it holds, so one still waiting for its
    per-host slot is not checked again by another instance."""
    # One check per host at a time, 300 ms each: the last of 4 entries waits ~900 ms,
    # three times the 300 ms after which an entry counts as abandoned.
    settings = redis_settings.replace(
        check_claim_idle=0.3, check_concurrency=4, per_host_connections=1
    )
    urls = [origin.url(f"/slow/300/w{i}") for i in range(4)]
    async with (
        Previewer(settings, cache=MemoryCache()) as p1,
        Previewer(settings, cache=MemoryCache()) as p2,
    ):
        first = RedisJobs(settings, Checker(p1))
        second = RedisJobs(settings, Checker(p2))
        await first.start()
        try:
            job = await first.submit(urls)
            async with asyncio.timeout(DEADLINE):
                while not origin.hits:  # noqa: ASYNC110 - hits come from a server
                    await asyncio.sleep(0.01)
            await second.start()
            await finished(first, job.id)
        finally:
            await first.aclose()
            await second.aclose()
    page_hits = {path: n for path, n in origin.hits.items() if path.startswith("/slow/")}
    assert page_hits == {f"/slow/300/w{i}": 1 for i in range(4)}


async def test_job_keys_expire(origin: SiteOrigin, redis_settings: Settings) -> None:
    """A job's keys carry the configured TTL, so finished jobs do not pile up in Redis."""
    settings = redis_settings.replace(check_job_ttl=600.0)
    async with Previewer(settings) as previewer:
        jobs = RedisJobs(settings, Checker(previewer))
        await jobs.start()
        client = aioredis.from_url(settings.redis_url or "")
        try:
            job = await jobs.submit([origin.url("/card-normal.html")])
            await finished(jobs, job.id)
            keys = [jobs.keys.job(job.id, part) for part in ("", ":results", ":seen")]
            ttls = [await client.ttl(key) for key in keys]
        finally:
            await jobs.aclose()
            await client.aclose()
    assert all(590 <= ttl <= 600 for ttl in ttls), ttls


async def test_redis_down_refuses_new_jobs_clearly() -> None:
    """With Redis unreachable, submitting raises JobStoreError instead of hanging or crashing."""
    from ogpreview.check.jobs.base import JobStoreError

    settings = BASE.replace(redis_url="redis://127.0.0.1:1/0")
    async with Previewer(BASE) as previewer:
        jobs = RedisJobs(settings, Checker(previewer))
        with pytest.raises(JobStoreError):
            await jobs.submit(["http://127.0.0.1:1/x"])
        await jobs.aclose()
