"""Batch check jobs: a list of URLs in, one check result per URL out.

Without Redis, jobs run in the process that accepted them (:class:`LocalJobs`). With
Redis, every instance of the service works on every job (:mod:`ogpreview.check.jobs.redis`,
imported only then). Both implement the :class:`Jobs` protocol the API serves from.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from collections import OrderedDict, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol
from urllib.parse import urlsplit

import orjson

from ogpreview.check.checker import Checker, CheckResult, Finding, dedup_key
from ogpreview.settings import Settings
from ogpreview.tasks import cancel_and_wait

__all__ = [
    "JobStoreError",
    "JobView",
    "Jobs",
    "JobsBusy",
    "LocalJobs",
    "dedupe_urls",
    "jobs_for",
]

log = logging.getLogger(__name__)

JobStatus = Literal["queued", "running", "done"]
VERDICTS = ("ok", "warning", "error")
#: Characters of a job id (URL-safe base64 of 12 random bytes).
JOB_ID_LENGTH = 16
#: Finished in-process jobs, and their results in all, kept for reading (oldest dropped
#: first when a new job comes).
MAX_LOCAL_JOBS = 100
MAX_LOCAL_RESULTS = 200_000


class JobStoreError(Exception):
    """Jobs cannot be stored or read now (Redis unreachable)."""


class JobsBusy(JobStoreError):
    """Too many URLs are already waiting; try again later."""


def busy_error(queued: int, adding: int, limit: int) -> JobsBusy:
    return JobsBusy(f"{queued} URLs are waiting to be checked; {adding} more would exceed {limit}")


@dataclass(frozen=True, slots=True)
class JobView:
    """A job's progress."""

    id: str
    total: int
    done: int
    counts: dict[str, int]
    created_at: float
    finished_at: float | None = None

    @property
    def status(self) -> JobStatus:
        if self.done >= self.total:
            return "done"
        return "running" if self.done else "queued"

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "status": self.status,
            "total": self.total,
            "done": self.done,
            "counts": dict(self.counts),
            "created_at": self.created_at,
            "finished_at": self.finished_at,
        }


class Jobs(Protocol):
    """Where jobs are kept and who works on them."""

    async def start(self) -> None: ...

    async def aclose(self) -> None: ...

    async def submit(self, urls: Sequence[str]) -> JobView:
        """Queue a job; ``urls`` are already deduplicated and non-empty."""
        ...

    async def view(self, job_id: str) -> JobView | None:
        """The job's progress, or None when there is no such job (or it expired)."""
        ...

    async def results(self, job_id: str, offset: int, limit: int) -> list[bytes]:
        """Up to ``limit`` results (each a JSON object, encoded) from ``offset``, in the
        order they finished."""
        ...


def dedupe_urls(urls: Sequence[str]) -> list[str]:
    """The URLs stripped, without blanks and repeats, in first-seen order.

    A repeat is the same link as ``ogpreview check`` sees it (:func:`dedup_key`: the same
    normalised URL, so ``https://Example.com/a?utm_source=x`` repeats
    ``https://example.com/a``); the first spelling seen is the one kept, checked and
    reported."""
    seen: set[int] = set()
    kept: list[str] = []
    for url in urls:
        text = url.strip()
        if not text:
            continue
        key = dedup_key(text)
        if key not in seen:
            seen.add(key)
            kept.append(text)
    return kept


def new_job_id() -> str:
    return secrets.token_urlsafe(12)


def valid_job_id(job_id: str) -> bool:
    return len(job_id) == JOB_ID_LENGTH and all(
        c.isascii() and (c.isalnum() or c in "-_") for c in job_id
    )


def _host(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "") if "://" in url else ""
    except ValueError:
        return ""


async def safe_check(checker: Checker, url: str) -> CheckResult:
    """The checker's verdict; a bug in it is reported as that URL's error, so a job
    always finishes."""
    try:
        return await checker.check(url)
    except Exception:
        log.exception("check jobs: checking %s failed", url)
        finding = Finding("internal_error", "error", "the check itself failed; see the server log")
        return CheckResult(
            url=url,
            final_url=None,
            verdict="error",
            findings=(finding,),
            card=None,
            status=None,
            elapsed_ms=0.0,
        )


class HostSlots:
    """Per-host semaphores, dropped when no check holds them (bounded by what is in flight)."""

    def __init__(self, per_host: int) -> None:
        self._per_host = per_host
        self._slots: dict[str, asyncio.Semaphore] = {}
        self._users: defaultdict[str, int] = defaultdict(int)

    @contextlib.asynccontextmanager
    async def hold(self, url: str) -> Any:
        host = _host(url)
        slot = self._slots.setdefault(host, asyncio.Semaphore(self._per_host))
        self._users[host] += 1
        try:
            async with slot:
                yield
        finally:
            self._users[host] -= 1
            if not self._users[host]:
                del self._users[host]
                del self._slots[host]


# --- in-process jobs ---------------------------------------------------------------------------


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
        self._hosts = HostSlots(settings.per_host_connections)

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


# --- choosing the store --------------------------------------------------------------------


def jobs_for(settings: Settings, checker: Checker) -> Jobs:
    """Redis-backed jobs when ``settings.redis_url`` is set, else in-process ones."""
    if settings.redis_url:
        from ogpreview.check.jobs.redis import RedisJobs  # redis-py only where it is used

        return RedisJobs(settings, checker)
    return LocalJobs(settings, checker)
