"""Red team: the signed image proxy (/v1/image) as a fetcher of anything for anyone.

Anyone can make a page whose og:image names any URL and preview it, so the proxy's
signatures must not outlive the cards they were made for, nor mean anything but "this
service's card image": they are bound to a purpose and an expiry.
"""

from __future__ import annotations

import hashlib
import hmac
import html
import time
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import aiohttp

from ogpreview.web.imageproxy import ImageSigner
from tests.service import Server, serve
from tests.web_origin import SITE, SiteOrigin

SECRET = "process-test-secret"  # what serve() gives the server
IMAGE = "/card-photo.png"
NOT_SIGNED = (
    403,
    {"error": {"code": "bad_signature", "message": "the image URL is not signed by this service"}},
)


async def _image(http: aiohttp.ClientSession, server: Server, query: str) -> tuple[int, Any]:
    async with http.get(server.url(f"/v1/image?{query}")) as response:
        if response.content_type == "application/json":
            return response.status, await response.json()
        return response.status, await response.read()


async def _card_image_query(http: aiohttp.ClientSession, server: Server, page: str) -> str:
    async with http.get(server.url("/v1/card"), params={"url": page}) as response:
        text = await response.text()
    return urlsplit(html.unescape(text.split('<img src="', 1)[1].split('"', 1)[0])).query


async def test_a_signature_of_the_url_alone_is_refused(origin: SiteOrigin) -> None:
    """The HMAC of a bare URL (no purpose, no expiry) opens nothing, and nothing is
    fetched."""
    url = origin.url(IMAGE)
    bare = hmac.new(SECRET.encode(), url.encode(), hashlib.sha256).hexdigest()
    async with serve({}) as server, aiohttp.ClientSession() as http:
        answer = await _image(http, server, urlencode({"url": url, "sig": bare}))
    assert answer == NOT_SIGNED
    assert origin.hits[IMAGE] == 0


async def test_the_cards_image_url_works_and_its_expiry_cannot_be_moved(
    origin: SiteOrigin,
) -> None:
    """The proxy URL a card gives serves the image; the same URL with its expiry pushed
    later is refused before any fetch."""
    async with serve({}) as server, aiohttp.ClientSession() as http:
        query = await _card_image_query(http, server, origin.url("/card-normal.html"))
        served = await _image(http, server, query)
        fields = dict(parse_qsl(query))
        later = urlencode({**fields, "exp": str(int(fields["exp"]) + 365 * 86400)})
        moved = await _image(http, server, later)
    assert served == (200, (SITE / "card-photo.png").read_bytes())
    assert moved == NOT_SIGNED
    assert origin.hits[IMAGE] == 1


async def test_an_expired_image_url_is_refused(origin: SiteOrigin) -> None:
    """A URL the service signed whose expiry has passed is refused with its own code (so
    a client knows to fetch the card again), and nothing is fetched."""
    an_hour_ago = ImageSigner(SECRET, ttl=1.0, clock=lambda: time.time() - 2 * 3600)
    query = urlsplit(an_hour_ago.proxy_path(origin.url(IMAGE))).query
    async with serve({}) as server, aiohttp.ClientSession() as http:
        answer = await _image(http, server, query)
    assert answer == (
        403,
        {
            "error": {
                "code": "signature_expired",
                "message": "the image URL has expired: take a fresh one from the card",
            }
        },
    )
    assert origin.hits[IMAGE] == 0


async def test_signed_urls_last_the_configured_time(origin: SiteOrigin) -> None:
    """OGPREVIEW_IMAGE_URL_TTL sets how long a card's image URL lasts: its expiry is that
    far ahead, rounded up to the hour."""
    async with (
        serve({"OGPREVIEW_IMAGE_URL_TTL": "7200"}) as server,
        aiohttp.ClientSession() as http,
    ):
        before = time.time()
        query = await _card_image_query(http, server, origin.url("/card-normal.html"))
        after = time.time()
    expires = int(dict(parse_qsl(query))["exp"])
    assert before + 7200 <= expires <= after + 7200 + 3600
    assert expires % 3600 == 0
