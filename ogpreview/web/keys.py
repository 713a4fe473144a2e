"""The typed keys under which the app keeps its resources."""

from __future__ import annotations

from aiohttp import web

from ogpreview.check.jobs.base import Jobs
from ogpreview.previewer import Previewer
from ogpreview.settings import Settings
from ogpreview.web.imageproxy import ImageSigner
from ogpreview.web.metrics import ApiMetrics
from ogpreview.web.ratelimit import RateLimiter
from ogpreview.web.upstream import BoundedFetcher

__all__ = [
    "FETCHER_KEY",
    "IMAGE_LIMITER_KEY",
    "JOBS_KEY",
    "LIMITER_KEY",
    "METRICS_KEY",
    "PREVIEWER_KEY",
    "SETTINGS_KEY",
    "SIGNER_KEY",
]

SETTINGS_KEY = web.AppKey("settings", Settings)
FETCHER_KEY = web.AppKey("fetcher", BoundedFetcher)
PREVIEWER_KEY = web.AppKey("previewer", Previewer)
METRICS_KEY = web.AppKey("metrics", ApiMetrics)
SIGNER_KEY = web.AppKey("signer", ImageSigner)
LIMITER_KEY = web.AppKey("limiter", RateLimiter)
IMAGE_LIMITER_KEY = web.AppKey("image_limiter", RateLimiter)
JOBS_KEY = web.AppKey("jobs", Jobs)
