"""Batch check jobs: a list of URLs in, one check result per URL out.

Without Redis, jobs run in the process that accepted them (:mod:`.local`). With Redis,
every instance of the service works on every job (:mod:`.redis`, imported only then).
Both implement the :class:`~ogpreview.check.jobs.base.Jobs` protocol the API serves from;
the Redis store imports only the base, never this package's factory.
"""

from __future__ import annotations

from ogpreview.check.checker import Checker
from ogpreview.check.jobs.base import Jobs
from ogpreview.check.jobs.local import LocalJobs
from ogpreview.settings import Settings

__all__ = ["jobs_for"]


def jobs_for(settings: Settings, checker: Checker) -> Jobs:
    """Redis-backed jobs when ``settings.redis_url`` is set, else in-process ones."""
    if settings.redis_url:
        from ogpreview.check.jobs.redis import RedisJobs  # redis-py only where it is used

        return RedisJobs(settings, checker)
    return LocalJobs(settings, checker)
