"""/v1/preview?explain=1&findings=1, and the card endpoints' new behaviour, through the API
against a real page origin on 127.0.0.1."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests
import schemathesis
from aiohttp.test_utils import TestClient
from schemathesis.core.transport import Response

from ogpreview.card import Card
from ogpreview.check.checker import FINDINGS
from ogpreview.check.help import FIXES
from ogpreview.web.imageproxy import ImageSigner
from tests.service import SECRET
from tests.web_origin import SiteOrigin


async def explained(client: TestClient[Any, Any], url: str, **extra: str) -> dict[str, Any]:
    params = {"url": url, "explain": "1", "findings": "1", **extra}
    response = await client.get("/v1/preview", params=params)
    assert response.status == 200, await response.text()
    body: dict[str, Any] = await response.json()
    return body


def proxied(url: str) -> str:
    return ImageSigner(SECRET).proxy_path(url)


async def test_default_answer_has_no_explanation(
    client: TestClient[Any, Any], origin: SiteOrigin
) -> None:
    """Without the flags (or with them at 0) the answer is the card and how it was served."""
    url = origin.url("/card-small.html")
    plain = await (await client.get("/v1/preview", params={"url": url})).json()
    off = await client.get("/v1/preview", params={"url": url, "explain": "0", "findings": "0"})
    body = await off.json()
    served = {"cache", "fetched_at", "requested_url", "final_url"}
    assert set(plain) == {*Card(url=url).to_dict(), *served}
    assert body == {**plain, "cache": "hit"}


async def test_explain_lists_what_the_page_declares(
    client: TestClient[Any, Any], origin: SiteOrigin
) -> None:
    """Every tag group, each tag marked with the card field it gave."""
    body = await explained(client, origin.url("/card-small.html"))
    tags = body["explain"]["tags"]
    assert tags == {
        "title": {"key": "title", "value": "Tide tables for May | Example News", "chosen": []},
        "opengraph": [
            {"key": "og:site_name", "value": "Example News", "chosen": ["site_name"]},
            {"key": "og:title", "value": "Tide tables for May | Example News", "chosen": ["title"]},
            {"key": "og:image", "value": "/card-photo.png", "chosen": ["image"]},
        ],
        "twitter": [
            {"key": "twitter:card", "value": "summary", "chosen": ["twitter_card"]},
            {"key": "twitter:title", "value": "Tide tables for May", "chosen": []},
        ],
        "meta": [
            {
                "key": "description",
                "value": "High and low water at the old port, day by day, with the spring tides "
                "marked.",
                "chosen": ["description"],
            },
            {"key": "theme-color", "value": "#ffffff", "chosen": ["theme_color"]},
        ],
        "icons": [
            {
                "key": "icon",
                "value": origin.url("/icon.png"),
                "chosen": ["favicon"],
                "sizes": "32x32",
                "type": "image/png",
            }
        ],
        "links": [],
        "jsonld": [
            {
                "key": "NewsArticle",
                "value": '{\n  "@context": "https://schema.org",\n  "@type": "NewsArticle",\n'
                '  "headline": "Tide tables for May",\n  "datePublished": "2024-05-01"\n}',
                "valid": True,
                "chosen": ["published_time"],
            }
        ],
        "lang": "en",
        "base": None,
    }


async def test_explain_names_the_rule_of_each_field(
    client: TestClient[Any, Any], origin: SiteOrigin
) -> None:
    """Each field has its value, the page's own value and the rule that chose it."""
    body = await explained(client, origin.url("/card-small.html"))
    fields = {f["field"]: f for f in body["explain"]["fields"]}
    assert [f["field"] for f in body["explain"]["fields"]] == list(Card(url="u").to_dict())
    assert fields["description"] == {
        "field": "description",
        "value": body["description"],
        "extracted": body["description"],
        "source": "meta:description",
        "rule": "the meta description",
    }
    # The image probe measured the image after extraction: both are shown.
    image = fields["image"]
    assert (image["source"], image["value"], image["extracted"]) == (
        "og_images",
        body["image"],
        {**body["image"], "width": None, "height": None},
    )
    assert fields["author"] == {
        "field": "author",
        "value": None,
        "extracted": None,
        "source": None,
        "rule": None,
    }


async def test_explain_gives_the_fetch_facts(
    client: TestClient[Any, Any], origin: SiteOrigin
) -> None:
    """Requested and final URL, redirects, status, type, size, times, cache state."""
    requested = origin.url("/to/card-small.html")
    body = await explained(client, requested)
    facts = body["explain"]["fetch"]
    assert (body["requested_url"], body["final_url"], body["cache"]) == (
        requested,
        origin.url("/card-small.html"),
        "miss",
    )
    timings = {k: facts.pop(k) for k in ("elapsed_ms", "ttfb_ms", "lookup_ms")}
    assert facts == {
        "status": 200,
        "redirects": [requested],
        "content_type": "text/html",
        "bytes": 902,
        "complete": True,
        "peer": "127.0.0.1",
        "reread": False,
    }
    assert 0 < timings["ttfb_ms"] <= timings["elapsed_ms"] <= timings["lookup_ms"]


async def test_explain_of_a_cached_card_reads_the_page_again(
    client: TestClient[Any, Any], origin: SiteOrigin
) -> None:
    """A cache hit keeps its card; the tags come from one more (uncached) read of the page."""
    url = origin.url("/card-normal.html")
    first = await (await client.get("/v1/preview", params={"url": url})).json()
    body = await explained(client, url)
    assert (body["cache"], body["fetched_at"], body["explain"]["fetch"]["reread"]) == (
        "hit",
        first["fetched_at"],
        True,
    )
    assert origin.hits["/card-normal.html"] == 2
    again = await explained(client, url)
    assert again["cache"] == "hit"


async def test_explain_with_refresh_fetches_again(
    client: TestClient[Any, Any], origin: SiteOrigin
) -> None:
    """refresh=1 with explain=1 refreshes the cached card ("fetch again")."""
    url = origin.url("/card-normal.html")
    await client.get("/v1/preview", params={"url": url})
    body = await explained(client, url, refresh="1")
    assert (body["cache"], body["explain"]["fetch"]["reread"]) == ("miss", False)
    assert origin.hits["/card-normal.html"] == 2


async def test_explain_hands_out_signed_image_urls(
    client: TestClient[Any, Any], origin: SiteOrigin
) -> None:
    """The presentation decisions, with the image and favicon through the signed proxy."""
    body = await explained(client, origin.url("/card-small.html"))
    assert body["explain"]["look"] == {
        "layout": "small",
        "direction": "ltr",
        "site": "Example News",
        "title": "Tide tables for May",
        "domain": "127.0.0.1",
        "accent_light": None,
        "accent_dark": "#ffffff",
        "image_src": proxied(origin.url("/card-photo.png")),
        "favicon_src": proxied(origin.url("/icon.png")),
    }


async def test_findings_come_with_how_to_fix_them(
    client: TestClient[Any, Any], origin: SiteOrigin
) -> None:
    """The checker's verdict and findings, worst first, each with its advice."""
    body = await explained(client, origin.url("/to/card-small.html"))
    assert body["verdict"] == "warning"
    assert [(f["code"], f["severity"], f["fix"]) for f in body["findings"]] == [
        ("og_description_missing", "warning", FIXES["og_description_missing"]),
        ("redirected", "info", FIXES["redirected"]),
        ("image_below_recommended", "info", FIXES["image_below_recommended"]),
    ]


async def test_findings_alone(client: TestClient[Any, Any], origin: SiteOrigin) -> None:
    """findings=1 without explain=1 adds the findings only."""
    response = await client.get(
        "/v1/preview", params={"url": origin.url("/card-normal.html"), "findings": "1"}
    )
    body = await response.json()
    assert "explain" not in body
    assert (body["verdict"], [f["code"] for f in body["findings"]]) == (
        "ok",
        ["image_below_recommended"],
    )


def test_every_finding_has_advice() -> None:
    """The advice table covers exactly the checker's finding codes."""
    assert set(FIXES) == set(FINDINGS)


async def test_explain_of_an_image_link(client: TestClient[Any, Any], origin: SiteOrigin) -> None:
    """An image declares no tags; its card previews as the image itself, each field from
    the file's own rules (no page rule)."""
    body = await explained(client, origin.url("/card-photo.png"))
    explain = body["explain"]
    assert (explain["tags"], explain["look"]["layout"]) == (None, "image")
    assert {f["source"] for f in explain["fields"]} == {
        None,
        "file_itself",
        "file_name",
        "file_type",
        "favicon_default",
        "host_name",
        "page_url",
    }
    assert [f["code"] for f in body["findings"]] == ["image_link", "image_below_recommended"]


async def test_explain_of_a_failing_page_is_the_error(
    client: TestClient[Any, Any], origin: SiteOrigin
) -> None:
    """A site's failure answers as the plain request does: the JSON error, 502."""
    response = await client.get(
        "/v1/preview", params={"url": origin.url("/status/404"), "explain": "1", "findings": "1"}
    )
    assert response.status == 502
    assert await response.json() == {
        "error": {"code": "http_status", "message": "the server answered 404", "status": 404}
    }


async def test_explain_flag_must_be_a_boolean(client: TestClient[Any, Any]) -> None:
    """explain=maybe is a bad request, before any fetch."""
    response = await client.get("/v1/preview", params={"url": "http://x/", "explain": "maybe"})
    assert (response.status, (await response.json())["error"]["code"]) == (400, "bad_request")


async def test_failed_page_card_is_a_plain_link(
    client: TestClient[Any, Any], origin: SiteOrigin
) -> None:
    """The HTML card of a page that fails is the bare link, briefly cacheable, not JSON."""
    url = origin.url("/status/500")
    response = await client.get("/v1/card", params={"url": url})
    page = await response.text()
    assert (response.status, response.content_type, response.headers["Cache-Control"]) == (
        200,
        "text/html",
        "public, max-age=60",
    )
    assert f'<a class="ogp-card ogp-text" dir="ltr" href="{url}"' in page
    assert f'<p class="ogp-title" dir="auto" title="{url}">{url}</p>' in page


async def test_failed_page_markdown_is_the_error(
    client: TestClient[Any, Any], origin: SiteOrigin
) -> None:
    """format=markdown of a failing page stays the JSON error (a chat message needs text)."""
    url = origin.url("/status/500")
    response = await client.get("/v1/card", params={"url": url, "format": "markdown"})
    assert (response.status, (await response.json())["error"]["code"]) == (502, "http_status")


async def test_refused_url_card_is_still_a_400(client: TestClient[Any, Any]) -> None:
    """A URL the policy refuses is the caller's mistake: JSON 400, not a link card."""
    response = await client.get("/v1/card", params={"url": "ftp://example.com/"})
    assert (response.status, (await response.json())["error"]["code"]) == (400, "blocked_url")


async def test_card_shows_favicon_through_the_proxy(
    client: TestClient[Any, Any], origin: SiteOrigin
) -> None:
    """The card's site line loads the favicon through the signed proxy."""
    response = await client.get("/v1/card", params={"url": origin.url("/card-small.html")})
    icon = proxied(origin.url("/icon.png")).replace("&", "&amp;")
    assert f'<img class="ogp-icon" src="{icon}"' in await response.text()


def conforms(document: dict[str, Any], body: bytes) -> None:
    """Raise unless ``body`` is a 200 answer of GET /v1/preview as ``document`` describes."""
    operation = schemathesis.openapi.from_dict(document)["/v1/preview"]["GET"]
    request = requests.Request("GET", "http://127.0.0.1/v1/preview").prepare()
    response = Response(
        status_code=200,
        headers={"Content-Type": ["application/json"]},
        content=body,
        request=request,
        elapsed=0.0,
        verify=True,
    )
    operation.validate_response(response)


async def test_explained_answer_is_as_documented(
    client: TestClient[Any, Any], origin: SiteOrigin
) -> None:
    """A real explain+findings answer matches the OpenAPI document's Preview schema, and a
    broken one does not (so the check can fail)."""
    document = await (await client.get("/openapi.json")).json()
    body = await explained(client, origin.url("/to/card-small.html"))
    conforms(document, json.dumps(body).encode())
    body["explain"]["look"]["layout"] = "huge"
    with pytest.raises(Exception, match="huge"):
        conforms(document, json.dumps(body).encode())
