"""GET /v1/preview?enrich=background: the page's card at once, the rest into the cache."""

from __future__ import annotations

from typing import Any

import orjson

from ogpreview.web.keys import PREVIEWER_KEY
from tests.image_host import pillow_image
from tests.servers import Site
from tests.service import BASE, api


def _clip(site: Site) -> str:
    html = (
        "<!doctype html><html><head><title>A clip</title>"
        f'<link rel="alternate" type="application/json+oembed" href="{site.url("/oembed")}">'
        f'<meta property="og:image" content="{site.url("/photo.png")}"></head></html>'
    )
    site.files["/clip.html"] = (html.encode(), "text/html; charset=utf-8")
    oembed = {"version": "1.0", "type": "video", "author_name": "A Maker"}
    site.files["/oembed"] = (orjson.dumps(oembed), "application/json")
    site.files["/photo.png"] = (pillow_image("PNG", (320, 168)), "image/png")
    return site.url("/clip.html")


def _facts(body: dict[str, Any]) -> tuple[Any, ...]:
    image = body["image"]
    return body["cache"], body.get("enrichment"), body.get("author"), image["width"]


async def test_background_answers_pending_then_the_cache_has_it_all(site: Site) -> None:
    """The first answer is the page's card, pending (the origin still holds oEmbed and
    the image); once enrichment is done the next answer is a hit with both."""
    url = _clip(site)
    site.hold("/oembed")
    site.hold("/photo.png")
    async with api(BASE.replace(oembed=True)) as client:
        query = {"url": url, "enrich": "background"}
        first = await (await client.get("/v1/preview", params=query)).json()
        site.release("/oembed")
        site.release("/photo.png")
        await client.app[PREVIEWER_KEY].join_background()
        second = await (await client.get("/v1/preview", params={"url": url})).json()
    assert (_facts(first), _facts(second)) == (
        ("miss", "pending", None, None),
        ("hit", None, "A Maker", 320),
    )


async def test_an_unknown_enrich_mode_is_400(site: Site) -> None:
    """?enrich= other than wait or background is a bad request, and fetches nothing."""
    async with api() as client:
        params = {"url": site.url("/article.html"), "enrich": "later"}
        response = await client.get("/v1/preview", params=params)
        body = await response.json()
    assert (response.status, body, site.hits) == (
        400,
        {"error": {"code": "bad_request", "message": "'enrich' must be wait or background"}},
        {},
    )
