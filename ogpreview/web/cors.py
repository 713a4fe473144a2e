"""CORS for browser clients of /v1 and /oembed: off unless ``OGPREVIEW_CORS_ORIGINS``
lists origins (or ``*``).

Not aiohttp-cors: it answers preflights through OPTIONS routes it adds to each resource,
which would run behind the API's gate (a preflight carries no Authorization, so keys on
would refuse it) and show up as undocumented routes. Here one middleware answers
preflights before the gate, and a response-prepare hook puts the CORS headers on every
answer to an allowed origin, the JSON errors of the other middlewares included (a
browser can read a 401 or a 429 only with them).
"""

from __future__ import annotations

from aiohttp import web

from ogpreview.web.apierror import ApiError
from ogpreview.web.keys import SETTINGS_KEY
from ogpreview.web.middleware import PROTECTED_PREFIXES, Handler
from ogpreview.web.userlocale import REGION_HEADER

__all__ = ["add_cors_headers", "cors"]

#: Request headers a browser client may send.
ALLOW_HEADERS = f"Authorization, Content-Type, Content-Encoding, Accept-Language, {REGION_HEADER}"
#: Response headers a browser client may read besides the simple ones.
EXPOSE_HEADERS = "Retry-After, WWW-Authenticate"
#: Seconds a browser may keep a preflight's answer.
MAX_AGE = "600"


def _allowed_origin(request: web.Request) -> str | None:
    """The Access-Control-Allow-Origin value for this request, or None for no CORS."""
    origins = request.app[SETTINGS_KEY].cors_origins
    origin = request.headers.get("Origin")
    if not origins or not origin or not request.path.startswith(PROTECTED_PREFIXES):
        return None
    if "*" in origins:
        return "*"
    return origin if origin.lower() in origins else None


@web.middleware
async def cors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Answer a CORS preflight to /v1 and /oembed (before keys and limits are asked)."""
    if not (
        request.method == "OPTIONS"
        and "Access-Control-Request-Method" in request.headers
        and request.app[SETTINGS_KEY].cors_origins
        and request.path.startswith(PROTECTED_PREFIXES)
    ):
        return await handler(request)
    if _allowed_origin(request) is None:
        raise ApiError("origin_not_allowed", "this origin is not in OGPREVIEW_CORS_ORIGINS")
    refusal = request.match_info.http_exception
    if isinstance(refusal, web.HTTPMethodNotAllowed):
        methods = sorted(refusal.allowed_methods - {"HEAD"})
    else:  # no such route (404): its own answer says so
        return await handler(request)
    return web.Response(
        status=204,
        headers={
            "Access-Control-Allow-Methods": ", ".join(methods),
            "Access-Control-Allow-Headers": ALLOW_HEADERS,
            "Access-Control-Max-Age": MAX_AGE,
        },
    )


async def add_cors_headers(request: web.Request, response: web.StreamResponse) -> None:
    """``on_response_prepare``: the CORS headers of an answer to an allowed origin."""
    allowed = _allowed_origin(request)
    if allowed is None:
        return
    response.headers["Access-Control-Allow-Origin"] = allowed
    response.headers["Access-Control-Expose-Headers"] = EXPOSE_HEADERS
    if allowed != "*":
        response.headers.add("Vary", "Origin")
