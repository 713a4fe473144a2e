"""What every job store shares: the :class:`Jobs` protocol the API serves from, the job
view, its errors, and the helpers both stores use (deduplication, ids, a check that
always yields a result, per-host slots).
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from ogpreview.check.checker import Checker, CheckResult, Finding, dedup_key

__all__ = [
    "JobStoreError",
    "JobView",
    "Jobs",
    "JobsBusy",
    "dedupe_urls",
]

log = logging.getLogger(__name__)

JobStatus = Literal["queued", "running", "done"]
VERDICTS = ("ok", "warning", "error")
#: Characters of a job id (URL-safe base64 of 12 random bytes).
JOB_ID_LENGTH = 16


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
