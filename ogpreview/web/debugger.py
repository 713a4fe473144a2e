"""The preview debugger at ``GET /``: a page that shows how a link previews, built on the
service's own API (``/v1/preview?explain=1&findings=1``, ``/v1/card``, ``/oembed``).

The page and its script and styles are static files shipped in the package
(``ogpreview/web/static``); no build step, nothing from elsewhere. It is served under a
strict Content-Security-Policy: script only from its own file, no inline script or eval,
images only from this service (the signed ``/v1/image`` proxy), requests only to it.
With API keys set it is off unless ``OGPREVIEW_DEBUGGER=1``, and then asks for a key.
"""

from __future__ import annotations

import functools
import string
from importlib import resources

import orjson
from aiohttp import web

from ogpreview.check.help import FIXES
from ogpreview.settings import __version__
from ogpreview.web.apierror import ApiError
from ogpreview.web.keys import SETTINGS_KEY
from ogpreview.web.render import CARD_CSS

__all__ = ["DEBUGGER_CSP", "DEBUGGER_PATHS", "routes"]

routes = web.RouteTableDef()

DEBUGGER_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
#: The debugger's own routes (a page, not API: the OpenAPI document leaves them out).
DEBUGGER_PATHS = frozenset({"/", "/debugger/{name}"})
_ASSETS = {
    "debugger.js": "text/javascript",
    "debugger.css": "text/css",
}
_HEADERS = {
    "Content-Security-Policy": DEBUGGER_CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}
_PAGE_CACHE_CONTROL = "no-cache"
_ASSET_CACHE_CONTROL = "public, max-age=3600"


@functools.cache
def _static(name: str) -> str:
    return (resources.files("ogpreview.web") / "static" / name).read_text(encoding="utf-8")


def _json_for_html(value: object) -> str:
    # Inside <script type="application/json">: "</script" or "<!--" must not appear.
    text = orjson.dumps(value).decode()
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _require_on(request: web.Request) -> None:
    if not request.app[SETTINGS_KEY].debugger_on:
        raise ApiError(
            "not_found",
            "the debugger is off (API keys are set; OGPREVIEW_DEBUGGER=1 serves it)",
        )


@routes.get("/")
async def page(request: web.Request) -> web.Response:
    """The debugger page; ``/?url=...`` opens with that URL previewed."""
    _require_on(request)
    settings = request.app[SETTINGS_KEY]
    config = {"auth": bool(settings.api_keys), "fixes": dict(FIXES), "version": __version__}
    text = string.Template(_static("debugger.html")).substitute(
        version=__version__, config=_json_for_html(config)
    )
    return web.Response(
        text=text,
        content_type="text/html",
        headers={**_HEADERS, "Cache-Control": _PAGE_CACHE_CONTROL},
    )


@routes.get("/debugger/{name}")
async def asset(request: web.Request) -> web.Response:
    """The page's script and styles (``card.css`` is the card's own, as /v1/card has it)."""
    _require_on(request)
    name = request.match_info["name"]
    if name == "card.css":
        text, kind = CARD_CSS, "text/css"
    elif name in _ASSETS:
        text, kind = _static(name), _ASSETS[name]
    else:
        raise ApiError("not_found", f"no route {request.path}")
    return web.Response(
        text=text,
        content_type=kind,
        headers={**_HEADERS, "Cache-Control": _ASSET_CACHE_CONTROL},
    )
