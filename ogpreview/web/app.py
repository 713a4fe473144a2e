"""``create_app(settings)``: the aiohttp application serving previews."""

from __future__ import annotations

import logging
import secrets
from collections.abc import AsyncIterator

from aiohttp import web

from ogpreview.fetch.resolver import Resolver
from ogpreview.previewer import Previewer
from ogpreview.settings import Settings
from ogpreview.web.checks import jobs_ctx
from ogpreview.web.checks import routes as check_routes
from ogpreview.web.cors import add_cors_headers, cors
from ogpreview.web.debugger import routes as debugger_routes
from ogpreview.web.handlers import routes
from ogpreview.web.imageproxy import ImageSigner
from ogpreview.web.keys import (
    FETCHER_KEY,
    IMAGE_LIMITER_KEY,
    LIMITER_KEY,
    METRICS_KEY,
    PREVIEWER_KEY,
    SETTINGS_KEY,
    SIGNER_KEY,
)
from ogpreview.web.metrics import ApiMetrics
from ogpreview.web.middleware import gate, observe
from ogpreview.web.plugin import routes as plugin_routes
from ogpreview.web.ratelimit import RateLimiter
from ogpreview.web.upstream import BoundedFetcher

__all__ = ["create_app"]

log = logging.getLogger("ogpreview.web")

#: Bytes of random secret made when none is configured.
GENERATED_SECRET_BYTES = 32


async def _fetcher_ctx(app: web.Application) -> AsyncIterator[None]:
    async with app[FETCHER_KEY]:
        yield


async def _previewer_ctx(app: web.Application) -> AsyncIterator[None]:
    # The fetcher is the app's (its own cleanup_ctx); the previewer owns the cache.
    previewer = Previewer(app[SETTINGS_KEY], fetcher=app[FETCHER_KEY])
    app[PREVIEWER_KEY] = previewer
    app[METRICS_KEY].previewer = previewer
    try:
        yield
    finally:
        app[METRICS_KEY].previewer = None
        await previewer.aclose()


def create_app(
    settings: Settings | None = None, *, resolver: Resolver | None = None
) -> web.Application:
    """The preview service as an aiohttp application (for ``web.run_app``, embedding, tests).

    ``settings`` defaults to ``Settings.from_env()``; ``resolver`` is the fetcher's DNS
    seam. Without ``settings.secret`` a random key signs image URLs, which then do not
    survive a restart nor work across instances (a warning says so).
    """
    settings = settings if settings is not None else Settings.from_env()
    secret = settings.secret
    if secret is None:
        log.warning(
            "no OGPREVIEW_SECRET set: image URLs are signed with a random per-process key "
            "and will not survive restarts or work across instances"
        )
        secret = secrets.token_hex(GENERATED_SECRET_BYTES)
    app = web.Application(
        middlewares=[observe, cors, gate], client_max_size=settings.max_request_bytes
    )
    app.on_response_prepare.append(add_cors_headers)
    metrics = ApiMetrics()
    app[SETTINGS_KEY] = settings
    app[METRICS_KEY] = metrics
    app[SIGNER_KEY] = ImageSigner(secret, ttl=settings.image_url_ttl)
    app[LIMITER_KEY] = RateLimiter(settings.rate_limit)
    app[IMAGE_LIMITER_KEY] = RateLimiter(settings.image_rate_limit)
    app[FETCHER_KEY] = BoundedFetcher(
        settings, resolver=resolver, on_outcome=metrics.upstream_outcome
    )
    app.cleanup_ctx.append(_fetcher_ctx)
    app.cleanup_ctx.append(_previewer_ctx)
    app.add_routes(routes)
    app.add_routes(plugin_routes)
    app.cleanup_ctx.append(jobs_ctx)
    app.add_routes(check_routes)
    app.add_routes(debugger_routes)
    return app
