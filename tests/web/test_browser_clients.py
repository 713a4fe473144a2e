"""Browser clients and operators through real `ogpreview serve` processes: CORS, purging a
card on every instance sharing Redis, signed card and oEmbed links for iframes, and image
loads counted apart from the client's rate limit."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import aiohttp
import pytest

from ogpreview.web.imageproxy import ImageSigner
from tests.service import Server, serve
from tests.web_origin import SiteOrigin

APP = "https://app.example.com"
KEY = "browser-test-key"
PROCESS_SECRET = "process-test-secret"  # tests.service.serve's OGPREVIEW_SECRET


async def _call(
    method: str, url: str, *, headers: dict[str, str] | None = None, params: Any = None
) -> tuple[int, dict[str, str], Any]:
    async with (
        aiohttp.ClientSession() as http,
        http.request(method, url, headers=headers, params=params) as response,
    ):
        raw = await response.read()
        kind = response.content_type
        body: Any = await response.json() if kind == "application/json" else raw
        return response.status, dict(response.headers), body


PREFLIGHT = {
    "Origin": APP,
    "Access-Control-Request-Method": "GET",
    "Access-Control-Request-Headers": "authorization",
}


async def test_cors_is_off_by_default() -> None:
    """Without OGPREVIEW_CORS_ORIGINS no answer carries CORS headers and a preflight is
    the route's plain 405."""
    async with serve({}) as server:
        status, headers, body = await _call("OPTIONS", server.url("/v1/preview"), headers=PREFLIGHT)
        _, get_headers, _ = await _call(
            "GET", server.url("/v1/preview"), headers={"Origin": APP}, params={"url": "x"}
        )
    assert (status, body["error"]["code"]) == (405, "method_not_allowed")
    assert not [h for h in (*headers, *get_headers) if h.lower().startswith("access-control")]


async def test_preflight_is_answered_before_the_key_check() -> None:
    """With an origin listed and keys on, a preflight (which carries no key) gets 204 with
    the methods of that path and the headers a client may send."""
    env = {"OGPREVIEW_CORS_ORIGINS": APP, "OGPREVIEW_API_KEYS": KEY}
    async with serve(env) as server:
        status, headers, _ = await _call("OPTIONS", server.url("/v1/preview"), headers=PREFLIGHT)
        oembed_status, _, _ = await _call("OPTIONS", server.url("/oembed"), headers=PREFLIGHT)
    cors = {k: v for k, v in headers.items() if k.lower().startswith("access-control")}
    assert (status, oembed_status) == (204, 204)
    assert cors == {
        "Access-Control-Allow-Methods": "DELETE, GET",
        "Access-Control-Allow-Headers": (
            "Authorization, Content-Type, Content-Encoding, Accept-Language, "
            "openai-subdivision-1-iso-code"
        ),
        "Access-Control-Max-Age": "600",
        "Access-Control-Allow-Origin": APP,
        "Access-Control-Expose-Headers": "Retry-After, WWW-Authenticate",
    }


async def test_an_unlisted_origin_is_refused_at_preflight() -> None:
    """A preflight from an origin not listed is 403 origin_not_allowed, without CORS
    headers (the browser then sends nothing)."""
    async with serve({"OGPREVIEW_CORS_ORIGINS": APP}) as server:
        status, headers, body = await _call(
            "OPTIONS",
            server.url("/v1/preview"),
            headers={**PREFLIGHT, "Origin": "https://evil.example"},
        )
    assert (status, body["error"]["code"], "Access-Control-Allow-Origin" in headers) == (
        403,
        "origin_not_allowed",
        False,
    )


async def test_errors_reach_the_browser_with_cors_headers() -> None:
    """An allowed origin's request refused by the gate (401, no key) still carries the
    CORS headers, so the page can read the JSON error; non-API paths get none."""
    env = {"OGPREVIEW_CORS_ORIGINS": APP, "OGPREVIEW_API_KEYS": KEY}
    async with serve(env) as server:
        status, headers, body = await _call(
            "GET", server.url("/v1/preview"), headers={"Origin": APP}, params={"url": "x"}
        )
        _, health_headers, _ = await _call("GET", server.url("/healthz"), headers={"Origin": APP})
    assert (status, body["error"]["code"]) == (401, "unauthorized")
    assert (headers["Access-Control-Allow-Origin"], headers["Vary"]) == (APP, "Origin")
    assert "Access-Control-Allow-Origin" not in health_headers


async def test_purge_reaches_every_instance_sharing_redis(
    origin: SiteOrigin, redis_url: str, redis_prefix: str
) -> None:
    """A card one instance cached and another serves is purged through either: the next
    preview on both fetches again. With keys on, purging needs a key."""
    env = {
        "OGPREVIEW_REDIS_URL": redis_url,
        "OGPREVIEW_CACHE_PREFIX": redis_prefix,
        "OGPREVIEW_API_KEYS": KEY,
    }
    auth = {"Authorization": f"Bearer {KEY}"}
    url = origin.url("/card-normal.html")
    async with serve(env) as first, serve(env) as second:

        async def cache_of(server: Server) -> str:
            status, _, body = await _call(
                "GET", server.url("/v1/preview"), headers=auth, params={"url": url}
            )
            assert status == 200
            return str(body["cache"])

        before = [await cache_of(first), await cache_of(second)]
        refused, _, _ = await _call("DELETE", second.url("/v1/preview"), params={"url": url})
        status, _, purged = await _call(
            "DELETE", second.url("/v1/preview"), headers=auth, params={"url": url}
        )
        after = [await cache_of(first), await cache_of(second)]
    assert (before, refused, status, purged, after) == (
        ["miss", "hit"],
        401,
        200,
        {"url": url, "purged": 1},
        ["miss", "hit"],
    )
    assert origin.hits["/card-normal.html"] == 2


async def _embed_links(server: Server, url: str) -> dict[str, Any]:
    status, _, body = await _call(
        "GET",
        server.url("/v1/embed"),
        headers={"Authorization": f"Bearer {KEY}"},
        params={"url": url},
    )
    assert status == 200
    return dict(body)


def _local(server: Server, link: str) -> str:
    """The signed link, sent to this test's server (its path and query as given)."""
    parts = urlsplit(link)
    return server.url(f"{parts.path}?{parts.query}")


async def test_signed_links_open_the_card_and_oembed_without_a_key(origin: SiteOrigin) -> None:
    """With keys on, /v1/embed gives signed links to the card page and the oEmbed answer
    under the public URL; a browser loads both without a key (an iframe's source)."""
    env = {"OGPREVIEW_API_KEYS": KEY, "OGPREVIEW_PUBLIC_URL": "https://previews.example.com"}
    url = origin.url("/card-normal.html")
    async with serve(env) as server:
        links = await _embed_links(server, url)
        card_status, card_headers, card_page = await _call("GET", _local(server, links["card"]))
        oembed_status, _, oembed = await _call("GET", _local(server, links["oembed"]))
        bare_status, _, _ = await _call("GET", server.url("/v1/card"), params={"url": url})
    assert [links["card"][:35], links["oembed"][:33]] == [
        "https://previews.example.com/v1/car",
        "https://previews.example.com/oemb",
    ]
    assert (card_status, card_headers["Content-Type"], oembed_status, bare_status) == (
        200,
        "text/html; charset=utf-8",
        200,
        401,
    )
    assert b"Harbour lights return to the old port" in card_page
    assert oembed["title"] == "Harbour lights return to the old port"
    assert "frame-ancestors *" in card_headers["Content-Security-Policy"]


@pytest.mark.parametrize("tamper", ["other_url", "card_sig_on_oembed", "forged"])
async def test_a_link_this_service_did_not_sign_is_refused(origin: SiteOrigin, tamper: str) -> None:
    """A signed link is worth only its URL and its purpose: another URL, the card's
    signature on /oembed, or a made-up signature is 403 bad_signature, nothing fetched."""
    url = origin.url("/card-normal.html")
    async with serve({"OGPREVIEW_API_KEYS": KEY}) as server:
        query = dict(parse_qsl(urlsplit((await _embed_links(server, url))["card"]).query))
        path = "/v1/card"
        if tamper == "other_url":
            query["url"] = origin.url("/card-photo.png")
        elif tamper == "card_sig_on_oembed":
            path = "/oembed"
        else:
            query["sig"] = "0" * 64
        status, _, body = await _call("GET", server.url(f"{path}?{urlencode(query)}"))
    assert (status, body["error"]["code"]) == (403, "bad_signature")
    assert origin.hits["/card-normal.html"] == 0


def test_an_embed_link_past_its_expiry_is_expired() -> None:
    """A card link verifies until its exp, and as expired after it."""
    now = [1_000_000.0]
    signer = ImageSigner("s", ttl=60, clock=lambda: now[0])
    path, expires = signer.embed_path("/v1/card", "https://example.com/", ttl=60)
    query = dict(parse_qsl(urlsplit(path).query))
    verdicts = [signer.verify(query["url"], query["exp"], query["sig"], "card")]
    now[0] = expires + 1
    verdicts.append(signer.verify(query["url"], query["exp"], query["sig"], "card"))
    verdicts.append(signer.verify(query["url"], query["exp"], query["sig"], "image"))
    assert verdicts == ["valid", "expired", "invalid"]


async def test_image_loads_do_not_eat_the_clients_rate_limit(origin: SiteOrigin) -> None:
    """A client that loaded many card images still has its whole API rate limit; image
    loads have a limit of their own (OGPREVIEW_IMAGE_RATE_LIMIT)."""
    env = {"OGPREVIEW_RATE_LIMIT": "2", "OGPREVIEW_IMAGE_RATE_LIMIT": "4"}
    image = ImageSigner(PROCESS_SECRET).proxy_path(origin.url("/card-photo.png"))
    page = origin.url("/card-normal.html")
    async with serve(env) as server:
        images = [(await _call("GET", server.url(image)))[0] for _ in range(5)]
        api = [
            (await _call("GET", server.url("/v1/preview"), params={"url": page}))[0]
            for _ in range(3)
        ]
    assert (images, api) == ([200, 200, 200, 200, 429], [200, 200, 429])
