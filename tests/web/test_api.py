"""The HTTP API through aiohttp test clients, against a real page origin on 127.0.0.1."""

from __future__ import annotations

import asyncio
import html
import json
import logging
from typing import Any
from urllib.parse import urlsplit

import pytest
from aiohttp.test_utils import TestClient

from ogpreview.web.debugger import DEBUGGER_PATHS
from ogpreview.web.render import card_height
from tests.servers import FILE_LINKS
from tests.service import BASE, api, served, signed
from tests.web_origin import SITE, SiteOrigin, normal_card


async def test_preview_miss_then_hit(client: TestClient[Any, Any], origin: SiteOrigin) -> None:
    """The first request fetches (miss); the second is served from the cache (hit)."""
    url = origin.url("/card-normal.html")
    first = await client.get("/v1/preview", params={"url": url})
    body = await first.json()
    assert first.status == 200
    assert body == {
        **normal_card(origin),
        "cache": "miss",
        "fetched_at": body["fetched_at"],
        "requested_url": url,
        "final_url": url,
    }
    second = await client.get("/v1/preview", params={"url": url})
    assert await second.json() == {**body, "cache": "hit"}
    assert origin.hits["/card-normal.html"] == 1


async def test_refresh_fetches_again(client: TestClient[Any, Any], origin: SiteOrigin) -> None:
    """refresh=1 skips the cache and fetches the page again."""
    url = origin.url("/card-normal.html")
    await client.get("/v1/preview", params={"url": url})
    again = await client.get("/v1/preview", params={"url": url, "refresh": "1"})
    assert (await again.json())["cache"] == "miss"
    assert origin.hits["/card-normal.html"] == 2


async def test_invalid_url_is_400(client: TestClient[Any, Any]) -> None:
    """A URL that is not absolute http(s) is the client's fault: 400 invalid_url."""
    response = await client.get("/v1/preview", params={"url": "not a url"})
    assert response.status == 400
    assert await response.json() == {
        "error": {"code": "invalid_url", "message": "not an absolute URL"}
    }


async def test_missing_url_is_400(client: TestClient[Any, Any]) -> None:
    """Without the url parameter the request is refused as a bad request."""
    response = await client.get("/v1/preview")
    assert response.status == 400
    assert await response.json() == {
        "error": {"code": "bad_request", "message": "the 'url' query parameter is required"}
    }


async def test_blocked_address_never_connects(origin: SiteOrigin) -> None:
    """Without an allow-list, loopback is refused with 400 and the origin sees nothing."""
    async with api(BASE.replace(allow_networks=())) as client:
        response = await client.get("/v1/preview", params={"url": origin.url("/card-normal.html")})
        assert response.status == 400
        assert (await response.json())["error"]["code"] == "blocked_address"
    assert sum(origin.hits.values()) == 0


async def test_blocked_port_says_how_to_allow_it(origin: SiteOrigin) -> None:
    """A port outside the allowed ones is refused with 400 before any connection, and the
    message names the setting (and the CLI flag) that allows it."""
    async with api(BASE.replace(allowed_ports=(80, 443))) as client:
        response = await client.get("/v1/preview", params={"url": origin.url("/card-normal.html")})
        assert (response.status, await response.json()) == (
            400,
            {
                "error": {
                    "code": "blocked_url",
                    "message": f"port {origin.port} is not allowed (allow it with --allow-port "
                    f"{origin.port} or OGPREVIEW_ALLOWED_PORTS)",
                }
            },
        )
    assert sum(origin.hits.values()) == 0


@pytest.mark.parametrize(("path", "kind"), FILE_LINKS)
async def test_file_link_gets_a_plain_card(
    client: TestClient[Any, Any], origin: SiteOrigin, path: str, kind: str
) -> None:
    """A PDF, JSON, text or archive link answers 200 with a plain card (its file name,
    the site's name and icon), as ogpreview check and ogpreview preview report it."""
    response = await client.get("/v1/preview", params={"url": origin.url(path)})
    body = await response.json()
    assert (response.status, {k: body[k] for k in ("url", "title", "type", "site_name")}) == (
        200,
        {
            "url": origin.url(path),
            "title": path.lstrip("/"),
            "type": kind,
            "site_name": "127.0.0.1",
        },
    )


async def test_url_too_long_is_414(client: TestClient[Any, Any]) -> None:
    """A url parameter over max_url_length is refused with 414 url_too_long."""
    url = "http://127.0.0.1/" + "a" * BASE.max_url_length
    response = await client.get("/v1/preview", params={"url": url})
    assert response.status == 414
    assert await response.json() == {
        "error": {"code": "url_too_long", "message": "URL longer than 2048 characters"}
    }


async def test_upstream_error_status_is_502(
    client: TestClient[Any, Any], origin: SiteOrigin
) -> None:
    """A site answering 500 is a bad gateway, with the site's status in the error."""
    response = await client.get("/v1/preview", params={"url": origin.url("/status/500")})
    assert response.status == 502
    assert await response.json() == {
        "error": {"code": "http_status", "message": "the server answered 500", "status": 500}
    }


async def test_upstream_timeout_is_504(origin: SiteOrigin) -> None:
    """A site that does not answer in time is a gateway timeout."""
    async with api(BASE.replace(total_timeout=0.3)) as client:
        response = await client.get("/v1/preview", params={"url": origin.url("/hold/x")})
        assert response.status == 504
        assert await response.json() == {
            "error": {"code": "timeout", "message": "no complete answer within 0.3 s"}
        }


async def test_unknown_route_is_json_404(client: TestClient[Any, Any]) -> None:
    """Unknown paths answer the API's JSON error shape."""
    response = await client.get("/v2/nothing")
    assert response.status == 404
    assert await response.json() == {
        "error": {"code": "not_found", "message": "no route /v2/nothing"}
    }


async def test_batch_keeps_order_and_isolates_failures(
    client: TestClient[Any, Any], origin: SiteOrigin
) -> None:
    """One bad URL in a batch fails alone; results come back in request order."""
    good = origin.url("/card-normal.html")
    missing = origin.url("/status/404")
    response = await client.post("/v1/previews", json={"urls": ["ftp://x/", good, missing]})
    assert response.status == 200
    body = await response.json()
    assert body == {
        "results": [
            {
                "url": "ftp://x/",
                "error": {"code": "blocked_url", "message": "scheme 'ftp' is not allowed"},
            },
            served(body["results"][1], good, normal_card(origin), "miss"),
            {
                "url": missing,
                "error": {
                    "code": "http_status",
                    "message": "the server answered 404",
                    "status": 404,
                },
            },
        ]
    }


async def test_batch_over_limit_is_413(client: TestClient[Any, Any]) -> None:
    """More URLs than max_batch_urls are refused whole with 413 too_many_urls."""
    urls = [f"http://127.0.0.1/{i}" for i in range(BASE.max_batch_urls + 1)]
    response = await client.post("/v1/previews", json={"urls": urls})
    assert response.status == 413
    assert await response.json() == {
        "error": {"code": "too_many_urls", "message": "at most 50 URLs per request"}
    }


async def test_body_over_limit_is_413() -> None:
    """A request body over max_request_bytes is refused with 413 too_large."""
    async with api(BASE.replace(max_request_bytes=1000)) as client:
        response = await client.post("/v1/previews", data=b'{"urls": ["' + b"a" * 2000 + b'"]}')
        assert response.status == 413
        assert (await response.json())["error"]["code"] == "too_large"


async def test_bad_json_is_400(client: TestClient[Any, Any]) -> None:
    """A body that is not JSON is a bad request."""
    response = await client.post("/v1/previews", data=b"{nope")
    assert response.status == 400
    assert (await response.json())["error"]["code"] == "bad_request"


async def test_wrong_body_shape_is_400(client: TestClient[Any, Any]) -> None:
    """A JSON body without a list under "urls" is a bad request."""
    response = await client.post("/v1/previews", json={"url": ["http://x/"]})
    assert response.status == 400
    assert await response.json() == {
        "error": {"code": "bad_request", "message": 'the body must be {"urls": [string, ...]}'}
    }


async def test_response_links_previewed_in_order(
    client: TestClient[Any, Any], origin: SiteOrigin
) -> None:
    """The links of a plugin's JSON response come back as cards, in their order."""
    first, second = origin.url("/card-no-image.html"), origin.url("/card-normal.html")
    plugin_answer = {"items": [{"link": first}, {"text": f"see {second} for more"}]}
    response = await client.post("/v1/previews/response", json=plugin_answer)
    assert response.status == 200
    results = (await response.json())["results"]
    assert [r["url"] for r in results] == [first, second]
    assert results[1] == served(results[1], second, normal_card(origin), "miss")
    assert results[0]["card"]["title"] == "A page without an image"


async def test_response_as_text(client: TestClient[Any, Any], origin: SiteOrigin) -> None:
    """A plain-text plugin response is scanned for links too."""
    url = origin.url("/card-normal.html")
    response = await client.post(
        "/v1/previews/response", data=f"Read {url} today.", headers={"Content-Type": "text/plain"}
    )
    body = await response.json()
    assert body == {
        "results": [served(body["results"][0], url, normal_card(origin), "miss")],
        "links_found": 1,
        "truncated": False,
    }


async def test_api_keys_required_on_v1(origin: SiteOrigin) -> None:
    """With API keys set, /v1 needs a valid bearer token; health stays open."""
    async with api(BASE.replace(api_keys=("k1", "k2"))) as client:
        url = origin.url("/card-normal.html")
        missing = await client.get("/v1/preview", params={"url": url})
        wrong = await client.get(
            "/v1/preview", params={"url": url}, headers={"Authorization": "Bearer k3"}
        )
        right = await client.get(
            "/v1/preview", params={"url": url}, headers={"Authorization": "Bearer k2"}
        )
        health = await client.get("/healthz")
        assert (missing.status, wrong.status, right.status, health.status) == (401, 401, 200, 200)
        assert (await missing.json())["error"]["code"] == "unauthorized"
        assert missing.headers["WWW-Authenticate"] == 'Bearer realm="ogpreview"'
    assert origin.hits["/card-normal.html"] == 1


async def test_rate_limit_429_with_retry_after() -> None:
    """Past the per-minute budget a client gets 429 with Retry-After."""
    async with api(BASE.replace(rate_limit=2)) as client:
        statuses = [(await client.get("/v1/preview", params={"url": "x"})).status for _ in range(2)]
        limited = await client.get("/v1/preview", params={"url": "x"})
        assert statuses == [400, 400]
        assert limited.status == 429
        assert limited.headers["Retry-After"] == "30"
        assert (await limited.json())["error"]["code"] == "rate_limited"
        assert (await client.get("/healthz")).status == 200


async def test_card_html_escapes_and_proxies_image(
    client: TestClient[Any, Any], origin: SiteOrigin
) -> None:
    """The HTML card escapes page text, loads the image via the signed proxy, sets a CSP."""
    response = await client.get("/v1/card", params={"url": origin.url("/card-script-title.html")})
    page = await response.text()
    image_url = origin.url("/card-photo.png")
    assert response.status == 200
    assert response.headers["Content-Security-Policy"].startswith("default-src 'none'")
    assert "<script>" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &quot;quoted&quot;" in page
    src = html.unescape(page.split('<img src="', 1)[1].split('"', 1)[0])
    proxied = await client.get(src)
    assert (urlsplit(src).path, proxied.status, await proxied.read()) == (
        "/v1/image",
        200,
        (SITE / "card-photo.png").read_bytes(),
    )
    assert f'src="{image_url}"' not in page


async def test_card_markdown(client: TestClient[Any, Any], origin: SiteOrigin) -> None:
    """format=markdown returns the card as a Markdown quote."""
    url = origin.url("/card-normal.html")
    response = await client.get("/v1/card", params={"url": url, "format": "markdown"})
    assert response.status == 200
    assert response.content_type == "text/markdown"
    assert await response.text() == (
        "> **Example News**\n"
        f"> [Harbour lights return to the old port]({url})\n"
        "> After ten years, the lamps along the quay shine again & the town turns out to "
        "watch.\n"
        f"> ![image]({origin.url('/card-photo.png')})\n"
    )


async def test_image_proxy_serves_signed_image(
    client: TestClient[Any, Any], origin: SiteOrigin
) -> None:
    """A signed image URL is fetched and served with cacheable, nosniff headers."""
    url = origin.url("/card-photo.png")
    response = await client.get("/v1/image", params=signed(url))
    assert response.status == 200
    assert await response.read() == (SITE / "card-photo.png").read_bytes()
    assert (
        response.headers["Content-Type"],
        response.headers["Cache-Control"],
        response.headers["X-Content-Type-Options"],
    ) == ("image/png", "public, max-age=86400", "nosniff")


async def test_image_proxy_refuses_bad_signature(
    client: TestClient[Any, Any], origin: SiteOrigin
) -> None:
    """An unsigned URL is refused with 403 before any fetch: not an open proxy."""
    url = origin.url("/card-photo.png")
    response = await client.get("/v1/image", params={**signed(url + "x"), "url": url})
    assert response.status == 403
    assert (await response.json())["error"]["code"] == "bad_signature"
    assert sum(origin.hits.values()) == 0


async def test_image_proxy_refuses_svg(client: TestClient[Any, Any], origin: SiteOrigin) -> None:
    """SVG (it can carry script) is not served by the proxy."""
    url = origin.url("/image.svg")
    response = await client.get("/v1/image", params=signed(url))
    assert response.status == 502
    assert await response.json() == {
        "error": {
            "code": "unsupported_content",
            "message": "image type image/svg+xml is not served by the proxy",
        }
    }


async def test_image_proxy_refuses_non_image(
    client: TestClient[Any, Any], origin: SiteOrigin
) -> None:
    """A signed URL that turns out to be HTML is not proxied."""
    url = origin.url("/card-normal.html")
    response = await client.get("/v1/image", params=signed(url))
    assert response.status == 502
    assert (await response.json())["error"]["code"] == "unsupported_content"


async def test_oembed_rich(client: TestClient[Any, Any], origin: SiteOrigin) -> None:
    """/oembed answers a rich oEmbed document holding the card HTML."""
    url = origin.url("/card-normal.html")
    response = await client.get("/oembed", params={"url": url, "format": "json"})
    body = await response.json()
    assert response.status == 200
    assert {k: v for k, v in body.items() if k != "html"} == {
        "version": "1.0",
        "type": "rich",
        "provider_name": "ogpreview",
        "title": "Harbour lights return to the old port",
        "width": 520,
        "height": card_height("large"),
    }
    assert '<a class="ogp-card ogp-large"' in body["html"] and "/v1/image?url=" in body["html"]


async def test_oembed_xml_is_501(client: TestClient[Any, Any], origin: SiteOrigin) -> None:
    """oEmbed's XML format is not implemented: 501, as the oEmbed spec asks."""
    response = await client.get(
        "/oembed", params={"url": origin.url("/card-normal.html"), "format": "xml"}
    )
    assert response.status == 501
    assert (await response.json())["error"]["code"] == "format_not_supported"


async def test_openapi_matches_routes(client: TestClient[Any, Any]) -> None:
    """Every documented path and method is a real route, and every API route is documented
    (the debugger's page and files are not API)."""
    document = await (await client.get("/openapi.json")).json()
    documented = {
        (method.upper(), path) for path, ops in document["paths"].items() for method in ops
    }
    app = client.server.app
    assert app is not None
    real = {
        (route.method, route.resource.canonical)
        for route in app.router.routes()
        if route.resource is not None
        and route.method not in ("HEAD", "*")
        and route.resource.canonical not in DEBUGGER_PATHS
    }
    assert documented == real


async def test_readyz_degraded_when_redis_down() -> None:
    """With Redis unreachable the service is still ready, but says it is degraded."""
    async with api(BASE.replace(redis_url="redis://127.0.0.1:1/0")) as client:
        response = await client.get("/readyz")
        assert response.status == 200
        assert await response.json() == {"status": "degraded", "cache": "redis", "cache_ok": False}


async def test_readyz_with_redis(redis_url: str, redis_prefix: str) -> None:
    """With Redis up, the service is ready on the shared cache."""
    async with api(BASE.replace(redis_url=redis_url, cache_prefix=redis_prefix)) as client:
        response = await client.get("/readyz")
        assert await response.json() == {"status": "ready", "cache": "redis", "cache_ok": True}


async def test_metrics_count_requests_and_fetches(
    client: TestClient[Any, Any], origin: SiteOrigin
) -> None:
    """/metrics reports requests by route and status, cache outcomes and upstream fetches."""
    url = origin.url("/card-normal.html")
    await client.get("/v1/preview", params={"url": url})
    await client.get("/v1/preview", params={"url": url})
    text = await (await client.get("/metrics")).text()
    lines = set(text.splitlines())
    assert (
        'ogpreview_http_requests_total{method="GET",route="/v1/preview",status="200"} 2.0' in lines
    )
    assert 'ogpreview_cache_lookups_total{outcome="hit"} 1.0' in lines
    assert 'ogpreview_cache_lookups_total{outcome="miss"} 1.0' in lines
    assert 'ogpreview_upstream_fetches_total{outcome="ok",purpose="page"} 1.0' in lines
    assert "ogpreview_redis_errors_total 0.0" in lines


async def test_wrong_method_is_json_405(client: TestClient[Any, Any]) -> None:
    """A known path with the wrong method answers 405 with Allow, in the JSON error shape."""
    response = await client.post("/v1/preview")
    assert response.status == 405
    assert set(response.headers["Allow"].split(",")) == {"GET", "HEAD", "DELETE"}
    assert await response.json() == {
        "error": {"code": "method_not_allowed", "message": "Method Not Allowed"}
    }


async def test_forwarded_for_trusted_only_when_configured() -> None:
    """Behind a trusted proxy the rate limit keys on the X-Forwarded-For client."""
    trusted = BASE.replace(rate_limit=1, trust_forwarded_for=True)
    async with api(trusted) as client:
        first = await client.get("/v1/preview", headers={"X-Forwarded-For": "203.0.113.1"})
        other = await client.get("/v1/preview", headers={"X-Forwarded-For": "203.0.113.2"})
        again = await client.get("/v1/preview", headers={"X-Forwarded-For": "203.0.113.1"})
        assert (first.status, other.status, again.status) == (400, 400, 429)
    async with api(BASE.replace(rate_limit=1)) as client:
        first = await client.get("/v1/preview", headers={"X-Forwarded-For": "203.0.113.1"})
        spoofed = await client.get("/v1/preview", headers={"X-Forwarded-For": "203.0.113.2"})
        assert (first.status, spoofed.status) == (400, 429)


async def test_upstream_fetches_capped(origin: SiteOrigin) -> None:
    """With max_upstream_fetches=1, a batch of two slow pages never fetches both at once."""
    async with api(BASE.replace(max_upstream_fetches=1)) as client:
        urls = [origin.url("/hold/a"), origin.url("/hold/b")]
        batch = asyncio.ensure_future(client.post("/v1/previews", json={"urls": urls}))
        await origin.held.wait()
        with pytest.raises(TimeoutError):  # the second fetch must not start meanwhile
            await asyncio.wait_for(origin.two_held.wait(), 0.3)
        origin.release.set()
        response = await batch
        results = (await response.json())["results"]
        assert [r["card"]["title"] for r in results] == [
            "Harbour lights return to the old port"
        ] * 2
    assert (origin.hits["/hold/a"], origin.hits["/hold/b"]) == (1, 1)


async def test_upstream_fetches_parallel_by_default(origin: SiteOrigin) -> None:
    """Control for the cap test: without the cap both slow fetches run at once."""
    async with api() as client:
        urls = [origin.url("/hold/a"), origin.url("/hold/b")]
        batch = asyncio.ensure_future(client.post("/v1/previews", json={"urls": urls}))
        await origin.two_held.wait()
        origin.release.set()
        assert (await batch).status == 200


async def test_image_proxy_caps_size(origin: SiteOrigin) -> None:
    """An image over max_body_bytes is refused, not streamed through."""
    async with api(BASE.replace(max_body_bytes=100)) as client:
        url = origin.url("/card-photo.png")
        response = await client.get("/v1/image", params=signed(url))
        assert response.status == 502
        assert (await response.json())["error"]["code"] == "too_large"


async def test_access_log_one_json_line_without_query(
    client: TestClient[Any, Any], caplog: pytest.LogCaptureFixture
) -> None:
    """Each request logs one JSON line; the query (URLs, signatures) is left out."""
    caplog.set_level(logging.INFO, logger="ogpreview.access")
    await client.get("/v1/image", params={"url": "http://x/", "sig": "deadbeef"})
    records = [r for r in caplog.records if r.name == "ogpreview.access"]
    assert len(records) == 1
    line = json.loads(records[0].getMessage())
    assert {k: v for k, v in line.items() if k not in ("ts", "ms")} == {
        "client": "127.0.0.1",
        "method": "GET",
        "path": "/v1/image",
        "route": "/v1/image",
        "status": 403,
    }
    assert "deadbeef" not in records[0].getMessage()


async def test_response_with_unknown_charset(client: TestClient[Any, Any]) -> None:
    """A text body in a charset nobody knows is read as UTF-8, not a server error."""
    response = await client.post(
        "/v1/previews/response",
        data=b"no links here",
        headers={"Content-Type": "text/plain; charset=no-such-charset"},
    )
    assert response.status == 200
    assert await response.json() == {"results": [], "links_found": 0, "truncated": False}
