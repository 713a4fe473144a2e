"""Images for the image probe tests: pages whose og:image is a given URL, and real images
made by Pillow (or read from ``fixtures/images``), served by the fixture site."""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image as PILImage

from tests.servers import Site

IMAGES = Path(__file__).resolve().parent.parent / "fixtures" / "images"


def page_for(site: Site, image_url: str, path: str = "/page.html") -> str:
    """Serve a page at ``path`` whose og:image is ``image_url``; its URL."""
    html = (
        "<!doctype html><html><head><title>A page with an image</title>"
        f'<meta property="og:image" content="{image_url}"></head><body></body></html>'
    )
    site.files[path] = (html.encode(), "text/html; charset=utf-8")
    return site.url(path)


def pillow_image(kind: str, size: tuple[int, int], **options: object) -> bytes:
    """A real image of ``size`` encoded by Pillow in format ``kind`` (PNG, AVIF, ICO...)."""
    mode = "RGBA" if kind in ("ICO", "PNG", "WEBP") else "RGB"
    out = io.BytesIO()
    PILImage.new(mode, size, (200, 60, 20, 255)[: len(mode)]).save(out, kind, **options)
    return out.getvalue()
