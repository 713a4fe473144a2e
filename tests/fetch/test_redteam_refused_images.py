"""Red team: cards whose image, favicon or oEmbed URLs point where the guard refuses to go.

A chat client loads a card's image and favicon from its user's machine, so a URL into a
refused network (here loopback addresses other than 127.0.0.1, the only network the tests
allow) must not stay in the card. Listeners on those addresses prove nothing ever
connects to them: not the service, whatever the page says.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

import aiohttp
import pytest

from ogpreview import Fetcher, Previewer, Settings, StaticResolver
from tests.servers import Listener, raw_listener
from tests.service import serve
from tests.web_origin import SiteOrigin

HTML = "text/html; charset=utf-8"
ONLY_127_0_0_1 = Settings(allow_networks=("127.0.0.1/32",), allowed_ports=None, oembed=False)


@pytest.fixture
async def refused() -> AsyncIterator[dict[str, Listener]]:
    """Listeners on 127.0.0.2, 127.0.0.3 and ::1: refused by the settings used here."""
    async with AsyncExitStack() as stack:
        yield {
            host: await stack.enter_async_context(raw_listener(host))
            for host in ("127.0.0.2", "127.0.0.3", "::1")
        }


def _page(head: str, body: str = "") -> bytes:
    return f"<html><head><title>T</title>{head}</head><body>{body}</body></html>".encode()


def _cases(origin: SiteOrigin, refused: dict[str, Listener]) -> dict[str, tuple[bytes, Any]]:
    """page name -> (page, the card's (image, favicon, oembed_url))."""
    two, three, six = (refused[h].port for h in ("127.0.0.2", "127.0.0.3", "::1"))
    favicon = origin.url("/favicon.ico")
    oembed = origin.url("/made/oembed")
    origin.pages["oembed"] = (
        "application/json",
        json.dumps(
            {
                "type": "video",
                "version": "1.0",
                "thumbnail_url": f"http://127.0.0.2:{two}/thumb.jpg",
                "thumbnail_width": 480,
                "thumbnail_height": 360,
            }
        ).encode(),
    )
    sized = '<meta property="og:image:width" content="1200">'
    sized += '<meta property="og:image:height" content="630">'
    jsonld = {
        "@context": "https://schema.org",
        "@type": "Article",
        "image": {"url": f"http://[::ffff:127.0.0.3]:{three}/j.png", "width": 800, "height": 600},
    }
    return {
        "og-image": (
            _page(f'<meta property="og:image" content="http://127.0.0.2:{two}/og.png">{sized}'),
            (None, favicon, None),
        ),
        "og-image-unsized": (
            _page(f'<meta property="og:image" content="http://127.0.0.2:{two}/og.png">'),
            (None, favicon, None),
        ),
        "og-image-as-integer": (
            _page(f'<meta property="og:image" content="http://2130706434:{two}/og.png">{sized}'),
            (None, favicon, None),
        ),
        "jsonld-image-mapped": (
            _page(f'<script type="application/ld+json">{json.dumps(jsonld)}</script>'),
            (None, favicon, None),
        ),
        "body-image": (
            _page("", f'<img src="http://127.0.0.3:{three}/b.png" width="600" height="400">'),
            (None, favicon, None),
        ),
        "favicon-ipv6-loopback": (
            _page(f'<link rel="icon" href="http://[::1]:{six}/favicon.ico">'),
            (None, None, None),
        ),
        "oembed-thumbnail": (
            _page(f'<link rel="alternate" type="application/json+oembed" href="{oembed}">'),
            (None, favicon, oembed),
        ),
        "oembed-endpoint": (
            _page(
                '<link rel="alternate" type="application/json+oembed" '
                f'href="http://127.0.0.2:{two}/oembed.json">'
            ),
            (None, favicon, None),
        ),
    }


async def test_cards_keep_no_url_into_a_refused_network(
    origin: SiteOrigin, refused: dict[str, Listener]
) -> None:
    """og:image (sized or not, in any spelling), JSON-LD and body images, favicons,
    oEmbed thumbnails and endpoints at refused addresses are left out of the JSON card,
    and nothing connects to those addresses."""
    cases = _cases(origin, refused)
    for name, (page, _) in cases.items():
        origin.pages[name] = (HTML, page)
    env = {"OGPREVIEW_ALLOW_NETWORKS": "127.0.0.1/32", "OGPREVIEW_OEMBED": "true"}
    got: dict[str, Any] = {}
    async with serve(env) as server, aiohttp.ClientSession() as http:
        for name in cases:
            params = {"url": origin.url(f"/made/{name}")}
            async with http.get(server.url("/v1/preview"), params=params) as response:
                card = await response.json()
                assert response.status == 200, card
            got[name] = (card["image"], card["favicon"], card["oembed_url"])
    assert got == {name: expected for name, (_, expected) in cases.items()}
    assert {host: listener.accepted for host, listener in refused.items()} == dict.fromkeys(
        refused, 0
    )


@asynccontextmanager
async def _previewer(resolver: StaticResolver) -> AsyncIterator[Previewer]:
    async with (
        Fetcher(ONLY_127_0_0_1, resolver=resolver) as fetcher,
        Previewer(ONLY_127_0_0_1, fetcher=fetcher) as previewer,
    ):
        yield previewer


async def test_a_name_resolving_to_a_refused_address_is_dropped_and_explained(
    origin: SiteOrigin, refused: dict[str, Listener]
) -> None:
    """An image (with a declared size, so never probed) and a favicon on a name that
    resolves to 127.0.0.2 are dropped without a connection; the sources say why."""
    port = refused["127.0.0.2"].port
    origin.pages["named"] = (
        HTML,
        _page(
            f'<meta property="og:image" content="http://cdn.example.com:{port}/i.png">'
            '<meta property="og:image:width" content="1200">'
            '<meta property="og:image:height" content="630">'
            f'<link rel="icon" href="http://cdn.example.com:{port}/f.ico">'
        ),
    )
    resolver = StaticResolver({"cdn.example.com": ["127.0.0.2"]})
    async with _previewer(resolver) as previewer:
        result = await previewer.lookup(origin.url("/made/named"))
    why = "blocked_address: cdn.example.com resolves to a refused address 127.0.0.2"
    assert (result.card.image, result.card.favicon) == (None, None)
    assert result.sources is not None
    assert (result.sources["image"], result.sources["favicon"]) == (
        f"og_images, dropped: {why}",
        f"favicons, dropped: {why}",
    )
    assert refused["127.0.0.2"].accepted == 0


async def test_a_probed_image_refused_by_its_name_is_explained(
    origin: SiteOrigin, refused: dict[str, Listener]
) -> None:
    """An image of unknown size is probed; when its name resolves to a refused address
    the probe refuses before connecting, and the sources say why the image went."""
    port = refused["127.0.0.2"].port
    origin.pages["probed"] = (
        HTML,
        _page(f'<meta property="og:image" content="http://cdn.example.com:{port}/i.png">'),
    )
    async with _previewer(StaticResolver({"cdn.example.com": ["127.0.0.2"]})) as previewer:
        result = await previewer.lookup(origin.url("/made/probed"))
    assert result.card.image is None
    assert result.sources is not None
    assert result.sources["image"] == (
        "og_images, dropped: blocked_address: cdn.example.com resolves to a refused address "
        "127.0.0.2"
    )
    assert refused["127.0.0.2"].accepted == 0


async def test_a_name_resolving_to_an_allowed_address_is_kept(origin: SiteOrigin) -> None:
    """The same page with the name resolving to 127.0.0.1 keeps its image and favicon."""
    origin.pages["allowed"] = (
        HTML,
        _page(
            f'<meta property="og:image" content="http://img.example.com:{origin.port}/i.png">'
            '<meta property="og:image:width" content="1200">'
            '<meta property="og:image:height" content="630">'
            f'<link rel="icon" href="http://img.example.com:{origin.port}/f.ico">'
        ),
    )
    async with _previewer(StaticResolver({"img.example.com": ["127.0.0.1"]})) as previewer:
        card = await previewer.preview(origin.url("/made/allowed"))
    assert (card.image and card.image.url, card.favicon) == (
        f"http://img.example.com:{origin.port}/i.png",
        f"http://img.example.com:{origin.port}/f.ico",
    )
