"""Jobs run in the process that accepted them: nothing shared, nothing survives a restart."""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field

import orjson

from ogpreview.check.checker import Checker
from ogpreview.check.jobs.base import (
    VERDICTS,
    JobView,
    busy_error,
    new_job_id,
    safe_check,
)
from ogpreview.settings import Settings
from ogpreview.tasks import HostLimiter, cancel_and_wait

__all__ = ["MAX_LOCAL_JOBS", "MAX_LOCAL_RESULTS", "LocalJobs"]

#: Finished in-process jobs, and their results in all, kept for reading (oldest dropped
#: first when a new job comes).
MAX_LOCAL_JOBS = 100
MAX_LOCAL_RESULTS = 200_000


@dataclass
class _LocalJob:
    id: str
    total: int
    created_at: float
    results: list[bytes] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(VERDICTS, 0))
    finished_at: float | None = None
    task: asyncio.Task[None] | None = None

    def view(self) -> JobView:
        return JobView(
            id=self.id,
            total=self.total,
            done=len(self.results),
            counts=dict(self.counts),
            created_at=self.created_at,
            finished_at=self.finished_at,
        )


class LocalJobs:
    """Jobs run by this process: nothing shared, nothing survives a restart."""

    def __init__(self, settings: Settings, checker: Checker) -> None:
        self._settings = settings
        self._checker = checker
        self._jobs: OrderedDict[str, _LocalJob] = OrderedDict()
        self._slots = asyncio.Semaphore(settings.check_concurrency)
        self._hosts = HostLimiter(settings.per_host_connections)

    async def start(self) -> None:
        return None

    async def aclose(self) -> None:
        await cancel_and_wait(job.task for job in self._jobs.values() if job.task is not None)

    def _forget_old(self, now: float) -> None:
        """Drop finished jobs past their TTL, then the oldest finished ones while too many
        jobs or results are kept (results live in memory here)."""
        ttl = self._settings.check_job_ttl
        kept = sum(len(job.results) for job in self._jobs.values())
        for job_id, job in list(self._jobs.items()):
            if job.finished_at is None:
                continue
            too_many = len(self._jobs) > MAX_LOCAL_JOBS or kept > MAX_LOCAL_RESULTS
            if too_many or now - job.finished_at > ttl:
                kept -= len(job.results)
                del self._jobs[job_id]

    async def submit(self, urls: Sequence[str]) -> JobView:
        now = time.time()
        self._forget_old(now)
        queued = sum(job.total - len(job.results) for job in self._jobs.values())
        if queued + len(urls) > self._settings.check_max_queued:
            raise busy_error(queued, len(urls), self._settings.check_max_queued)
        job = _LocalJob(id=new_job_id(), total=len(urls), created_at=now)
        self._jobs[job.id] = job
        job.task = asyncio.create_task(self._run(job, list(urls)))
        return job.view()

    async def _run(self, job: _LocalJob, urls: list[str]) -> None:
        async def one(url: str) -> None:
            try:
                async with self._hosts.hold(url):
                    result = await safe_check(self._checker, url)
            finally:
                self._slots.release()
            job.results.append(orjson.dumps(result.to_dict()))
            job.counts[result.verdict] += 1

        tasks: set[asyncio.Task[None]] = set()
        try:
            for url in urls:
                await self._slots.acquire()  # bounded: one URL per free slot
                task = asyncio.create_task(one(url))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
            await asyncio.gather(*tasks)
        finally:
            for task in tasks:
                task.cancel()
        job.finished_at = time.time()

    async def view(self, job_id: str) -> JobView | None:
        job = self._jobs.get(job_id)
        return None if job is None else job.view()

    async def results(self, job_id: str, offset: int, limit: int) -> list[bytes]:
        job = self._jobs.get(job_id)
        return [] if job is None else job.results[offset : offset + limit]
