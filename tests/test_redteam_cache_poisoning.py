"""Red team: poisoning the shared card cache through the parts of a URL its key leaves out.

A cache key stands for one page; whatever a caller adds to a URL that the key ignores must
not reach the page either, or a page that reflects it gives every later caller the
attacker's card. The origin's /reflect page puts its raw query string into og:title.
"""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from ogpreview.urls import cache_key, strip_tracking
from tests.service import Server, serve
from tests.web_origin import SiteOrigin


async def _preview(http: aiohttp.ClientSession, server: Server, url: str) -> dict[str, Any]:
    async with http.get(server.url("/v1/preview"), params={"url": url}) as response:
        assert response.status == 200, await response.text()
        body: dict[str, Any] = await response.json()
        return body


async def test_tracking_parameters_cannot_poison_the_card(origin: SiteOrigin) -> None:
    """An attacker's utm_*/fbclid values never reach the page: the first preview fetches
    the URL without them, and a later caller of the clean URL gets that same card."""
    clean = origin.url("/reflect?id=7")
    poisoned = clean + "&utm_source=%3Cb%3EPwned%3C%2Fb%3E&fbclid=evil&UTM_Campaign=x"
    async with serve({}) as server, aiohttp.ClientSession() as http:
        attacker = await _preview(http, server, poisoned)
        victim = await _preview(http, server, clean)
    assert origin.requests == ["/reflect?id=7"]
    assert [(attacker["title"], attacker["cache"]), (victim["title"], victim["cache"])] == [
        ("id=7", "miss"),
        ("id=7", "hit"),
    ]


async def test_spellings_the_page_can_tell_apart_are_separate_cards(origin: SiteOrigin) -> None:
    """``q=a+b`` and ``q=a%20b`` reach the page differently, so they are two cache
    entries: the key stands for exactly the URL fetched, never for a family of them."""
    plus, encoded = origin.url("/reflect?q=a+b"), origin.url("/reflect?q=a%20b")
    async with serve({}) as server, aiohttp.ClientSession() as http:
        first = await _preview(http, server, plus)
        second = await _preview(http, server, encoded)
    assert origin.requests == ["/reflect?q=a+b", "/reflect?q=a%20b"]
    assert [first["title"], second["title"]] == ["q=a+b", "q=a%20b"]


@pytest.mark.parametrize(
    ("url", "fetched"),
    [
        ("https://e.com/p?utm_source=a&id=%41&fbclid=x&b", "https://e.com/p?id=%41&b"),
        ("https://e.com/p?%75tm_medium=x", "https://e.com/p"),
        ("https://e.com/p?utm_source=a#top", "https://e.com/p#top"),
        ("https://e.com/p?q=a+b&&gclid=1", "https://e.com/p?q=a+b&"),
        ("https://e.com/p?utm=1&spam=2", "https://e.com/p?utm=1&spam=2"),
    ],
)
def test_strip_tracking_keeps_everything_else_as_written(url: str, fetched: str) -> None:
    """Only tracking pairs go (named in any case or percent-encoding); every other pair,
    empty ones included, keeps its spelling and place."""
    assert strip_tracking(url) == fetched


def test_the_key_is_the_key_of_the_fetched_url() -> None:
    """A URL and the URL it is fetched as have one key."""
    url = "https://E.com:443/p?utm_source=a&q=a+b#f"
    assert cache_key(url) == cache_key(strip_tracking(url))


async def test_cr_and_lf_in_a_url_are_dropped_as_browsers_drop_them(origin: SiteOrigin) -> None:
    """Tabs, CRs and LFs inside a URL are removed (the URL Standard's parsing), so they
    can neither split the request line nor add a header, nor make a second cache entry."""
    split_path = origin.url("/refl\r\nect?y=2")
    header = origin.url("/reflect?x=1\r\nX-Injected: yes")
    async with serve({}) as server, aiohttp.ClientSession() as http:
        first = await _preview(http, server, split_path)
        again = await _preview(http, server, origin.url("/reflect?y=2"))
        injected = await _preview(http, server, header)
    assert [(first["title"], first["cache"]), (again["title"], again["cache"])] == [
        ("y=2", "miss"),
        ("y=2", "hit"),
    ]
    assert origin.requests[0] == "/reflect?y=2"
    assert origin.requests[1].startswith("/reflect?x=1X-Injected:")
    assert not any(c in request for request in origin.requests for c in "\r\n\t")
    assert "\n" not in injected["title"]
