"""The API's request handlers; errors are raised and turned into JSON by the middleware."""

from __future__ import annotations

from typing import Any

import orjson
from aiohttp import web

from ogpreview.card import Card
from ogpreview.errors import PreviewError, UnsupportedContent
from ogpreview.web.apierror import ApiError, status_for
from ogpreview.web.explain import explained_preview
from ogpreview.web.keys import FETCHER_KEY, METRICS_KEY, PREVIEWER_KEY, SETTINGS_KEY, SIGNER_KEY
from ogpreview.web.manifest import plugin_manifest
from ogpreview.web.metrics import CONTENT_TYPE as METRICS_CONTENT_TYPE
from ogpreview.web.openapi import openapi_document
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


def _json(body: Any, *, status: int = 200) -> web.Response:
    return web.Response(status=status, body=orjson.dumps(body), content_type="application/json")


def _url_param(request: web.Request, name: str = "url") -> str:
    url = request.query.get(name)
    if not url:
        raise ApiError(400, "bad_request", f"the {name!r} query parameter is required")
    limit = request.app[SETTINGS_KEY].max_url_length
    if len(url) > limit:
        raise ApiError(414, "url_too_long", f"URL longer than {limit} characters")
    return url


def _flag(request: web.Request, name: str) -> bool:
    value = request.query.get(name, "").lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ApiError(400, "bad_request", f"{name!r} must be 1/true or 0/false")


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
    result = await request.app[PREVIEWER_KEY].lookup(url, refresh=refresh)
    body = result.card.to_dict()
    body["cache"] = result.cache
    body["fetched_at"] = result.fetched_at
    return web.Response(body=orjson.dumps(body), content_type="application/json")


async def _json_body(request: web.Request) -> Any:
    raw = await request.read()  # client_max_size caps it (413)
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise ApiError(400, "bad_request", f"the body is not valid JSON: {exc}") from exc


async def _batch(request: web.Request, urls: list[str]) -> list[dict[str, Any]]:
    """Results in the order of ``urls``; each URL fails or succeeds on its own."""
    settings = request.app[SETTINGS_KEY]
    outcomes: dict[str, Card | PreviewError | ApiError] = {}
    wanted: list[str] = []
    for url in urls:
        if len(url) > settings.max_url_length:
            outcomes[url] = ApiError(
                414, "url_too_long", f"URL longer than {settings.max_url_length} characters"
            )
        elif url not in outcomes:
            wanted.append(url)
    async for url, done in request.app[PREVIEWER_KEY].preview_many(wanted):
        outcomes[url] = done
    results: list[dict[str, Any]] = []
    for url in urls:
        outcome = outcomes[url]
        if isinstance(outcome, Card):
            results.append({"url": url, "card": outcome.to_dict()})
        elif isinstance(outcome, ApiError):
            results.append(
                {"url": url, "error": {"code": outcome.code, "message": outcome.message}}
            )
        else:
            results.append({"url": url, "error": outcome.to_dict()})
    return results


@routes.post("/v1/previews")
async def previews(request: web.Request) -> web.Response:
    """Cards for a list of URLs, in request order."""
    body = await _json_body(request)
    urls = body.get("urls") if isinstance(body, dict) else None
    if not isinstance(urls, list) or not all(isinstance(u, str) for u in urls):
        raise ApiError(400, "bad_request", 'the body must be {"urls": [string, ...]}')
    limit = request.app[SETTINGS_KEY].max_batch_urls
    if len(urls) > limit:
        raise ApiError(413, "too_many_urls", f"at most {limit} URLs per request")
    return _json({"results": await _batch(request, urls)})


@routes.post("/v1/previews/response")
async def previews_of_response(request: web.Request) -> web.Response:
    """Cards for the links in a plugin's API response (JSON or text), in their order."""
    document: Any
    if request.content_type == "application/json":
        document = await _json_body(request)
    else:
        raw = await request.read()
        try:
            document = raw.decode(request.charset or "utf-8", errors="replace")
        except LookupError:  # a charset name Python does not know
            document = raw.decode("utf-8", errors="replace")
    previewer = request.app[PREVIEWER_KEY]
    links = previewer.links_in(document)[: request.app[SETTINGS_KEY].max_batch_urls]
    return _json({"results": await _batch(request, links)})


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
        raise ApiError(400, "bad_request", "format must be 'html' or 'markdown'")
    previewer = request.app[PREVIEWER_KEY]
    cache_control = CARD_CACHE_CONTROL
    try:
        found = await previewer.preview(url)
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
            headers={"Cache-Control": cache_control},
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
        },
    )


@routes.get("/v1/image")
async def image(request: web.Request) -> web.Response:
    """A card's image, fetched under the SSRF guard, for signed URLs only."""
    url = _url_param(request)
    sig = request.query.get("sig", "")
    if not request.app[SIGNER_KEY].verify(url, sig):
        raise ApiError(403, "bad_signature", "the image URL is not signed by this service")
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


def _positive_int(request: web.Request, name: str) -> int | None:
    raw = request.query.get(name)
    if raw is None:
        return None
    if not raw.isdigit() or int(raw) < 1:
        raise ApiError(400, "bad_request", f"{name!r} must be a positive integer")
    return int(raw)


@routes.get("/oembed")
async def oembed(request: web.Request) -> web.Response:
    """ogpreview as an oEmbed provider: a ``rich`` embed holding the card."""
    url = _url_param(request)
    if request.query.get("format", "json") != "json":
        raise ApiError(501, "format_not_supported", "only format=json is supported")
    max_width = _positive_int(request, "maxwidth")
    _positive_int(request, "maxheight")  # validated; the card's height is fixed
    found = await request.app[PREVIEWER_KEY].preview(url)
    base = _base_url(request)
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
    return _json(body)


# --- self-description and operations ------------------------------------------------------------


def _base_url(request: web.Request) -> str:
    """This service's own origin; behind a trusted proxy, as the client saw it."""
    scheme = request.scheme
    if request.app[SETTINGS_KEY].trust_forwarded_for:
        forwarded = request.headers.get("X-Forwarded-Proto", "").split(",", 1)[0].strip()
        if forwarded in ("http", "https"):
            scheme = forwarded
    return f"{scheme}://{request.host}"


@routes.get("/.well-known/ai-plugin.json")
async def manifest(request: web.Request) -> web.Response:
    settings = request.app[SETTINGS_KEY]
    return _json(plugin_manifest(_base_url(request), auth=bool(settings.api_keys)))


@routes.get("/openapi.json")
async def openapi(request: web.Request) -> web.Response:
    return _json(openapi_document(_base_url(request), request.app[SETTINGS_KEY]))


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
