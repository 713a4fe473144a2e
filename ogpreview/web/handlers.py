"""The API's request handlers; errors are raised and turned into JSON by the middleware."""

from __future__ import annotations

from typing import Any

import orjson
from aiohttp import web

from ogpreview.card import Card
from ogpreview.errors import PreviewError, UnsupportedContent
from ogpreview.extraction.charset import decode_text
from ogpreview.extraction.links import links_in
from ogpreview.previewer import ENRICH_MODES, EnrichMode, PreviewResult
from ogpreview.tasks import offload
from ogpreview.text import ascii_int
from ogpreview.web.apierror import ApiError, status_for
from ogpreview.web.body import json_body, parse_json_body, read_body
from ogpreview.web.explain import explained_preview
from ogpreview.web.imageproxy import PURPOSE as IMAGE_PURPOSE
from ogpreview.web.imageproxy import require_signature
from ogpreview.web.keys import FETCHER_KEY, METRICS_KEY, PREVIEWER_KEY, SETTINGS_KEY, SIGNER_KEY
from ogpreview.web.metrics import CONTENT_TYPE as METRICS_CONTENT_TYPE
from ogpreview.web.openapi import openapi_document
from ogpreview.web.origin import base_url
from ogpreview.web.present import layout_of
from ogpreview.web.render import (
    CARD_CSP,
    CARD_CSS,
    CARD_WIDTH,
    card_fragment,
    card_height,
    card_to_html,
    card_to_markdown,
    plain_card,
)
from ogpreview.web.served import Served
from ogpreview.web.userlocale import LOCALE_HEADERS, request_locale

__all__ = ["routes"]

routes = web.RouteTableDef()

#: Image types the proxy serves. SVG is refused: it can carry script, and a raster
#: preview needs nothing it offers.
PROXY_IMAGE_TYPES = frozenset(
    {
        "image/png",
        "image/jpeg",
        "image/gif",
        "image/webp",
        "image/avif",
        "image/bmp",
        "image/x-icon",
        "image/vnd.microsoft.icon",
    }
)
IMAGE_CACHE_CONTROL = "public, max-age=86400"
CARD_CACHE_CONTROL = "public, max-age=300"
#: A failed page's link card is kept briefly: the site may be back soon.
FAILED_CARD_CACHE_CONTROL = "public, max-age=60"
#: Width of the oEmbed card frame (its height follows the card's layout).
OEMBED_WIDTH = CARD_WIDTH
_TRUE = frozenset({"1", "true", "yes"})
_FALSE = frozenset({"", "0", "false", "no"})


def _json(body: Any, *, status: int = 200, localised: bool = False) -> web.Response:
    """A JSON answer; ``localised`` when it depends on the user's language headers."""
    headers = {"Vary": LOCALE_HEADERS} if localised else None
    return web.Response(
        status=status, body=orjson.dumps(body), content_type="application/json", headers=headers
    )


def _url_param(request: web.Request, name: str = "url") -> str:
    url = request.query.get(name)
    if not url:
        raise ApiError("bad_request", f"the {name!r} query parameter is required")
    limit = request.app[SETTINGS_KEY].max_url_length
    if len(url) > limit:
        raise ApiError("url_too_long", f"URL longer than {limit} characters")
    return url


def _flag(request: web.Request, name: str) -> bool:
    value = request.query.get(name, "").lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ApiError("bad_request", f"{name!r} must be 1/true or 0/false")


# --- previews ------------------------------------------------------------------------------


@routes.get("/v1/preview")
async def preview(request: web.Request) -> web.Response:
    """One card, with how it was served."""
    url = _url_param(request)
    refresh = _flag(request, "refresh")
    explain, findings = _flag(request, "explain"), _flag(request, "findings")
    if explain or findings:
        body = await explained_preview(
            request, url, refresh=refresh, explain=explain, findings=findings
        )
        return _json(body)
    asked = request.query.get("enrich", "wait")
    if asked not in ENRICH_MODES:
        raise ApiError("bad_request", "'enrich' must be wait or background")
    enrich: EnrichMode = "background" if asked == "background" else "wait"
    locale = request_locale(request)
    previewer = request.app[PREVIEWER_KEY]
    result = await previewer.lookup(url, refresh=refresh, locale=locale, enrich=enrich)
    body = result.card.to_dict()
    body.update(Served.of(result).to_dict())
    if enrich == "background":
        body["enrichment"] = result.enrichment
    return _json(body, localised=True)


@routes.delete("/v1/preview")
async def purge(request: web.Request) -> web.Response:
    """Delete a page's cached card (every language of it) from the cache; with Redis,
    for every instance sharing it. The next preview fetches the page again."""
    url = _url_param(request)
    previewer = request.app[PREVIEWER_KEY]
    purged = await previewer.purge(url)
    return _json({"url": previewer.source_url(url), "purged": purged})


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):  # before int: True is an int too
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    return "an array" if isinstance(value, list) else "an object"


def _refusal(item: Any, max_length: int) -> ApiError | None:
    """Why one item of a batch is no URL to preview, or None when it may be one."""
    if not isinstance(item, str):
        return ApiError("invalid_url", f"a URL must be a string, not {_json_type(item)}")
    if len(item) > max_length:
        return ApiError("url_too_long", f"URL longer than {max_length} characters")
    return None


async def _batch(request: web.Request, items: list[Any]) -> list[dict[str, Any]]:
    """One result per item, in order; each fails or succeeds on its own (an item that is
    not a string too: it is echoed under "url" with its error)."""
    max_length = request.app[SETTINGS_KEY].max_url_length
    refused = {i: why for i, item in enumerate(items) if (why := _refusal(item, max_length))}
    wanted = list(dict.fromkeys(item for i, item in enumerate(items) if i not in refused))
    outcomes: dict[str, PreviewResult | PreviewError] = {}
    locale = request_locale(request)
    async for url, done in request.app[PREVIEWER_KEY].lookup_many(wanted, locale=locale):
        outcomes[url] = done
    results: list[dict[str, Any]] = []
    for i, item in enumerate(items):
        outcome = refused[i] if i in refused else outcomes[item]
        if isinstance(outcome, PreviewResult):
            results.append(
                {"url": item, "card": outcome.card.to_dict(), **Served.of(outcome).to_dict()}
            )
        else:
            results.append({"url": item, "error": outcome.to_dict()})
    return results


@routes.post("/v1/previews")
async def previews(request: web.Request) -> web.Response:
    """Cards for a list of URLs, in request order."""
    body = await json_body(request)
    urls = body.get("urls") if isinstance(body, dict) else None
    if not isinstance(urls, list):
        raise ApiError("bad_request", 'the body must be {"urls": [string, ...]}')
    limit = request.app[SETTINGS_KEY].max_batch_urls
    if len(urls) > limit:
        raise ApiError("too_many_urls", f"at most {limit} URLs per request")
    return _json({"results": await _batch(request, urls)}, localised=True)


@routes.post("/v1/previews/response")
async def previews_of_response(request: web.Request) -> web.Response:
    """Cards for the first ``max_batch_urls`` links in a plugin's API response (JSON or
    text), in their order; ``links_found`` and ``truncated`` say whether links were left."""
    raw = await read_body(request)
    links = await offload(len(raw), _response_links, raw, request.content_type, request.charset)
    limit = request.app[SETTINGS_KEY].max_batch_urls
    results = await _batch(request, links[:limit])
    body = {"results": results, "links_found": len(links), "truncated": len(links) > limit}
    return _json(body, localised=True)


def _response_links(raw: bytes, content_type: str, charset: str | None) -> list[str]:
    """The links in a plugin response's body: JSON is walked, anything else read as text."""
    document: Any
    if content_type == "application/json":
        document = parse_json_body(raw)
    else:
        document = decode_text(raw, charset)
    return links_in(document)


# --- the card, its image, oEmbed ---------------------------------------------------------------


def _image_src(request: web.Request, card: Card) -> str | None:
    return None if card.image is None else request.app[SIGNER_KEY].proxy_path(card.image.url)


def _favicon_src(request: web.Request, card: Card) -> str | None:
    return None if card.favicon is None else request.app[SIGNER_KEY].proxy_path(card.favicon)


@routes.get("/v1/card")
async def card(request: web.Request) -> web.Response:
    """The card as a self-contained HTML page, or as Markdown."""
    url = _url_param(request)
    form = request.query.get("format", "html")
    if form not in ("html", "markdown"):
        raise ApiError("bad_request", "format must be 'html' or 'markdown'")
    previewer = request.app[PREVIEWER_KEY]
    cache_control = CARD_CACHE_CONTROL
    try:
        found = await previewer.preview(url, locale=request_locale(request))
    except PreviewError as error:
        if form == "markdown" or status_for(error) < 500:
            raise
        # A page that fails is still a link: embedded cards show it as a plain one.
        found = plain_card(str(previewer.fetcher.validate(url)))
        cache_control = FAILED_CARD_CACHE_CONTROL
    if form == "markdown":
        return web.Response(
            text=card_to_markdown(found),
            content_type="text/markdown",
            headers={"Cache-Control": cache_control, "Vary": LOCALE_HEADERS},
        )
    page = card_to_html(
        found, image_src=_image_src(request, found), favicon_src=_favicon_src(request, found)
    )
    return web.Response(
        text=page,
        content_type="text/html",
        headers={
            "Content-Security-Policy": CARD_CSP,
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
            "Cache-Control": cache_control,
            "Vary": LOCALE_HEADERS,
        },
    )


@routes.get("/v1/image")
async def image(request: web.Request) -> web.Response:
    """A card's image, fetched under the SSRF guard, for URLs this service signed for the
    image proxy and that have not expired."""
    url = _url_param(request)
    require_signature(
        request.app[SIGNER_KEY],
        request.query,
        IMAGE_PURPOSE,
        fresh="take a fresh one from the card",
    )
    result = await request.app[FETCHER_KEY].fetch(url, purpose="image")
    mime = result.content_type
    if mime not in PROXY_IMAGE_TYPES:
        raise UnsupportedContent(f"image type {mime} is not served by the proxy", url=url)
    return web.Response(
        body=result.body,
        content_type=mime,
        headers={
            "Cache-Control": IMAGE_CACHE_CONTROL,
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; sandbox",
        },
    )


@routes.get("/v1/embed")
async def embed(request: web.Request) -> web.Response:
    """Signed links to the card page and the oEmbed answer of a URL, which a browser may
    load (as an iframe's source) without the API key, until ``expires``."""
    url = _url_param(request)
    request.app[PREVIEWER_KEY].source_url(url)  # a URL that would be refused is refused now
    base = base_url(request)
    signer = request.app[SIGNER_KEY]
    ttl = request.app[SETTINGS_KEY].embed_url_ttl
    card_link, expires = signer.embed_path("/v1/card", url, ttl=ttl)
    oembed_link, _ = signer.embed_path("/oembed", url, ttl=ttl)
    body = {"url": url, "card": base + card_link, "oembed": base + oembed_link, "expires": expires}
    return _json(body)


def _positive_int(request: web.Request, name: str) -> int | None:
    raw = request.query.get(name)
    if raw is None:
        return None
    number = ascii_int(raw)
    if number is None or number < 1:
        raise ApiError("bad_request", f"{name!r} must be a positive integer")
    return number


@routes.get("/oembed")
async def oembed(request: web.Request) -> web.Response:
    """ogpreview as an oEmbed provider: a ``rich`` embed holding the card."""
    url = _url_param(request)
    if request.query.get("format", "json") != "json":
        raise ApiError("format_not_supported", "only format=json is supported")
    max_width = _positive_int(request, "maxwidth")
    _positive_int(request, "maxheight")  # validated; the card's height is fixed
    found = await request.app[PREVIEWER_KEY].preview(url, locale=request_locale(request))
    base = base_url(request)
    src, icon = _image_src(request, found), _favicon_src(request, found)
    fragment = card_fragment(
        found,
        image_src=None if src is None else base + src,
        favicon_src=None if icon is None else base + icon,
    )
    width = min(OEMBED_WIDTH, max_width) if max_width else OEMBED_WIDTH
    body: dict[str, Any] = {
        "version": "1.0",
        "type": "rich",
        "provider_name": "ogpreview",
        "html": f"<style>{CARD_CSS}</style>{fragment}",
        "width": width,
        "height": card_height(layout_of(found)),
    }
    if found.title:
        body["title"] = found.title
    if found.author:
        body["author_name"] = found.author
    return _json(body, localised=True)


# --- self-description and operations ------------------------------------------------------------


@routes.get("/openapi.json")
async def openapi(request: web.Request) -> web.Response:
    return _json(openapi_document(base_url(request), request.app[SETTINGS_KEY]))


@routes.get("/healthz")
async def healthz(request: web.Request) -> web.Response:
    return _json({"status": "ok"})


@routes.get("/readyz")
async def readyz(request: web.Request) -> web.Response:
    """Ready while the process can serve; ``degraded`` when Redis is down (the previewer
    then fetches without a shared cache)."""
    previewer = request.app[PREVIEWER_KEY]
    backend = "redis" if request.app[SETTINGS_KEY].redis_url else "memory"
    ok = await previewer.cache_ready()
    return _json({"status": "ready" if ok else "degraded", "cache": backend, "cache_ok": ok})


@routes.get("/metrics")
async def metrics(request: web.Request) -> web.Response:
    body = request.app[METRICS_KEY].render()
    return web.Response(body=body, headers={"Content-Type": METRICS_CONTENT_TYPE})
