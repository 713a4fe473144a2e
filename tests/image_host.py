"""An image host on 127.0.0.1 for the image probe tests: pages whose og:image it serves,
images of any bytes and type, and per-path answers a test scripts (503 once, then 200).

Only loopback is ever bound.
"""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import web
from PIL import Image as PILImage

IMAGES = Path(__file__).resolve().parent.parent / "fixtures" / "images"


@dataclass
class ImageHost:
    port: int = 0
    #: path -> (body, Content-Type) served with 200.
    files: dict[str, tuple[bytes, str]] = field(default_factory=dict)
    #: path -> statuses answered first, one per request, before the file is served.
    script: dict[str, list[int]] = field(default_factory=dict)
    hits: Counter[str] = field(default_factory=Counter)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def page_for(self, image_url: str, name: str = "/page.html") -> str:
        """Serve a page at ``name`` whose og:image is ``image_url``; its URL."""
        html = (
            "<!doctype html><html><head><title>A page with an image</title>"
            f'<meta property="og:image" content="{image_url}"></head><body></body></html>'
        )
        self.files[name] = (html.encode(), "text/html; charset=utf-8")
        return self.url(name)


@asynccontextmanager
async def image_host() -> AsyncIterator[ImageHost]:
    host = ImageHost()

    async def handle(request: web.Request) -> web.Response:
        path = request.path
        host.hits[path] += 1
        pending = host.script.get(path)
        if pending:
            return web.Response(status=pending.pop(0), text="not now")
        if path not in host.files:
            return web.Response(status=404, text="not found")
        body, content_type = host.files[path]
        return web.Response(body=body, headers={"Content-Type": content_type})

    app = web.Application()
    app.router.add_get("/{tail:.*}", handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host.port = runner.addresses[0][1]
    try:
        yield host
    finally:
        await runner.cleanup()


def pillow_image(kind: str, size: tuple[int, int], **options: object) -> bytes:
    """A real image of ``size`` encoded by Pillow in format ``kind`` (PNG, AVIF, ICO...)."""
    mode = "RGBA" if kind in ("ICO", "PNG", "WEBP") else "RGB"
    out = io.BytesIO()
    PILImage.new(mode, size, (200, 60, 20, 255)[: len(mode)]).save(out, kind, **options)
    return out.getvalue()
