"""A page origin on 127.0.0.1 for the API tests: the fixtures/site pages plus a few odd ones.

It counts requests per path, so tests can prove a request never reached it (or reached
it once). Only loopback is ever bound.
"""

from __future__ import annotations

import asyncio
import html
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web

SITE = Path(__file__).resolve().parent.parent / "fixtures" / "site"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


@dataclass
class SiteOrigin:
    port: int = 0
    hits: Counter[str] = field(default_factory=Counter)
    #: Every request's path and query, as it reached the origin, in order.
    requests: list[str] = field(default_factory=list)
    #: Pages a test makes: /made/{name} answers with pages[name] (content type, body).
    pages: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    #: /hold/* waits on this (set it to let held requests finish).
    release: asyncio.Event = field(default_factory=asyncio.Event)
    #: Set when a /hold/* request has arrived.
    held: asyncio.Event = field(default_factory=asyncio.Event)
    #: Set when two /hold/* requests are waiting at once.
    two_held: asyncio.Event = field(default_factory=asyncio.Event)
    holding: int = 0

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"


def _app(origin: SiteOrigin) -> web.Application:
    routes = web.RouteTableDef()

    @routes.get("/image.svg")
    async def svg(request: web.Request) -> web.Response:
        return web.Response(body=SVG, content_type="image/svg+xml")

    @routes.get("/status/{code}")
    async def status(request: web.Request) -> web.Response:
        return web.Response(status=int(request.match_info["code"]), text="no")

    @routes.get("/redirect-to/{name}")
    async def redirect_to(request: web.Request) -> web.Response:
        raise web.HTTPFound(f"/{request.match_info['name']}")

    @routes.get("/hold/{name}")
    async def hold(request: web.Request) -> web.Response:
        origin.held.set()
        origin.holding += 1
        if origin.holding >= 2:
            origin.two_held.set()
        try:
            await origin.release.wait()
        finally:
            origin.holding -= 1
        return web.FileResponse(SITE / "card-normal.html")

    @routes.get("/made/{name}")
    async def made(request: web.Request) -> web.Response:
        page = origin.pages.get(request.match_info["name"])
        if page is None:
            raise web.HTTPNotFound()
        return web.Response(body=page[1], headers={"Content-Type": page[0]})

    @routes.get("/reflect")
    async def reflect(request: web.Request) -> web.Response:
        """A page whose og:title is its own query string, as sent (what a page that
        echoes a search term or a campaign name does)."""
        title = html.escape(request.rel_url.raw_query_string, quote=True)
        page = f'<html><head><meta property="og:title" content="{title}"></head></html>'
        return web.Response(text=page, content_type="text/html")

    @routes.get("/slow/{ms}/{name}")
    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(int(request.match_info["ms"]) / 1000)
        return web.FileResponse(SITE / "card-normal.html")

    @routes.get("/to/{name}")
    async def redirect(request: web.Request) -> web.Response:
        raise web.HTTPFound(f"/{request.match_info['name']}")

    @routes.get("/{name}")
    async def static(request: web.Request) -> web.StreamResponse:
        path = SITE / request.match_info["name"]
        if not path.is_file():
            raise web.HTTPNotFound()
        return web.FileResponse(path)

    @web.middleware
    async def count(request: web.Request, handler: Handler) -> web.StreamResponse:
        origin.hits[request.path] += 1
        origin.requests.append(request.raw_path)
        return await handler(request)

    app = web.Application(middlewares=[count])
    app.add_routes(routes)
    return app


@asynccontextmanager
async def loopback_app(app: web.Application) -> AsyncIterator[int]:
    """Serve ``app`` on 127.0.0.1 for the block; its port."""
    runner = web.AppRunner(app, shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield runner.addresses[0][1]
    finally:
        await runner.cleanup()


@asynccontextmanager
async def site_origin() -> AsyncIterator[SiteOrigin]:
    origin = SiteOrigin()
    async with loopback_app(_app(origin)) as port:
        origin.port = port
        try:
            yield origin
        finally:
            origin.release.set()


def normal_card(origin: SiteOrigin) -> dict[str, Any]:
    return {
        "url": origin.url("/card-normal.html"),
        "site_name": "Example News",
        "title": "Harbour lights return to the old port",
        "description": (
            "After ten years, the lamps along the quay shine again & the town turns out to watch."
        ),
        "image": {
            "url": origin.url("/card-photo.png"),
            "width": 400,
            "height": 200,
            "alt": None,
            "type": None,
        },
        "type": None,
        "locale": "en",
        "favicon": origin.url("/favicon.ico"),
        "author": None,
        "published_time": None,
        "oembed_url": None,
        "theme_color": None,
        "twitter_card": None,
    }
