"""The app's middlewares: errors as JSON with access log and metrics, then auth and limits.

``observe`` is the one place errors become responses: a :class:`~ogpreview.PreviewError`
and an :class:`ApiError` map to their status by code (``ogpreview.web.apierror``), aiohttp's HTTP
exceptions keep theirs, and anything unexpected is logged and answered 500 without detail.
(Requests aiohttp's parser refuses never reach a middleware: ``ogpreview.web.server``
answers those, with the same :func:`error_response` and :func:`account`.)
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from aiohttp import web

from ogpreview.errors import HTTPStatusError, PreviewError, UpstreamBusy
from ogpreview.fetch.slots import upstream_client
from ogpreview.web.accesslog import log_request
from ogpreview.web.apierror import ApiError, Problem, status_for
from ogpreview.web.imageproxy import EMBED_PURPOSES, IMAGE_PATH, require_signature
from ogpreview.web.keys import (
    IMAGE_LIMITER_KEY,
    LIMITER_KEY,
    METRICS_KEY,
    SETTINGS_KEY,
    SIGNER_KEY,
)

__all__ = ["account", "code_for_status", "error_response", "gate", "observe"]

log = logging.getLogger("ogpreview.web")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

#: Paths under these prefixes are the API proper: keys and rate limit apply.
PROTECTED_PREFIXES = ("/v1/", "/oembed")
#: The image proxy is authorised by its URL signature (browsers load it from a card page,
#: where no bearer token can be sent), so it needs no key; its loads are counted in a
#: rate limit of their own (a page of cards loads many), not the client's API one.
SIGNED_PATHS = frozenset({IMAGE_PATH})
#: Where a signed embed link comes from (an API-key holder asks for it).
EMBED_SOURCE = "take a fresh link from /v1/embed"
#: aiohttp's own refusals mapped to stable codes.
_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
    414: "url_too_long",
    415: "unsupported_media_type",
    429: "rate_limited",
    431: "headers_too_large",
    500: "internal_error",
    504: "timeout",
}


def code_for_status(status: int) -> str:
    """The stable code of an error status the API itself did not choose (aiohttp's)."""
    return _HTTP_CODES.get(status, "http_error")


def error_response(
    status: int,
    code: str,
    message: str,
    *,
    extra: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> web.Response:
    """The API's one error shape: ``{"error": {"code", "message", ...}}``."""
    error = Problem(code, message, **(extra or {}))
    return web.Response(
        status=status,
        body=orjson.dumps({"error": error.to_dict()}),
        content_type="application/json",
        headers=headers,
    )


def _from_exception(request: web.Request, exc: BaseException) -> web.StreamResponse:
    if isinstance(exc, ApiError):
        response = error_response(exc.status, exc.code, exc.message, headers=exc.headers)
        if exc.close_connection:
            response.force_close()
        return response
    if isinstance(exc, UpstreamBusy):
        return error_response(
            status_for(exc),
            exc.code,
            exc.message,
            extra={"retry_after": exc.retry_after},
            headers={"Retry-After": str(exc.retry_after)},
        )
    if isinstance(exc, PreviewError):
        extra = {"status": exc.status} if isinstance(exc, HTTPStatusError) else None
        return error_response(status_for(exc), exc.code, exc.message, extra=extra)
    if isinstance(exc, web.HTTPException):
        if exc.status < 400:
            return exc  # redirects and the like pass through
        code = code_for_status(exc.status)
        headers = {"Allow": exc.headers["Allow"]} if "Allow" in exc.headers else None
        message = f"no route {request.path}" if exc.status == 404 else exc.reason
        return error_response(exc.status, code, message, headers=headers)
    log.error("unexpected error answering %s %s", request.method, request.path, exc_info=exc)
    return error_response(500, "internal_error", "internal error")


def _route(request: web.Request) -> str:
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else "unmatched"


@web.middleware
async def observe(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Errors to JSON, then one access-log line and the request metrics."""
    start = time.perf_counter()
    try:
        response = await handler(request)
    except Exception as exc:
        response = _from_exception(request, exc)
    account(
        request.app,
        client=client_address(request),
        method=request.method,
        path=request.path,
        route=_route(request),
        status=response.status,
        seconds=time.perf_counter() - start,
    )
    return response


def account(
    app: web.Application,
    *,
    client: str,
    method: str,
    path: str | None,
    route: str,
    status: int,
    seconds: float,
) -> None:
    """Count one answered request in the metrics and write its access-log line."""
    app[METRICS_KEY].observe(route, method, status, seconds)
    log_request(client, method, path, route, status, seconds)


def client_address(request: web.Request) -> str:
    """The client's address; behind a trusted proxy, the one it appended to X-Forwarded-For."""
    if request.app[SETTINGS_KEY].trust_forwarded_for:
        forwarded = request.headers.get("X-Forwarded-For", "")
        last = forwarded.rsplit(",", 1)[-1].strip()
        try:
            return str(ipaddress.ip_address(last))
        except ValueError:  # no address (or bytes that are no text): the proxy's own peer
            pass
    return request.remote or "unknown"


def _authorised(header: str, keys: tuple[str, ...]) -> bool:
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        return False
    # The bytes as sent: header bytes that are not UTF-8 arrive as lone surrogates, which
    # surrogateescape turns back into those bytes (and they match no key).
    given = token.strip().encode("utf-8", "surrogateescape")
    ok = False
    for key in keys:  # every key is compared, so timing does not tell which one matched
        ok |= hmac.compare_digest(given, key.encode())
    return ok


@web.middleware
async def gate(request: web.Request, handler: Handler) -> web.StreamResponse:
    """A body declared too large is refused before it is read; then API keys (when
    configured) and the per-client rate limit, on the API paths only."""
    settings = request.app[SETTINGS_KEY]
    declared = request.content_length
    if declared is not None and declared > settings.max_request_bytes:
        raise ApiError(
            "too_large",
            f"the body is over the {settings.max_request_bytes} byte limit",
            request=True,
            close_connection=True,
        )
    path = request.path
    if not path.startswith(PROTECTED_PREFIXES):
        return await handler(request)
    purpose = EMBED_PURPOSES.get(path)
    if purpose is not None and "sig" in request.query:
        # A signed link (an iframe's source): the signature stands for the key.
        require_signature(request.app[SIGNER_KEY], request.query, purpose, fresh=EMBED_SOURCE)
    elif (
        settings.api_keys
        and path not in SIGNED_PATHS
        and not _authorised(request.headers.get("Authorization", ""), settings.api_keys)
    ):
        raise ApiError(
            "unauthorized",
            "a valid API key is required (Authorization: Bearer <key>)",
            headers={"WWW-Authenticate": 'Bearer realm="ogpreview"'},
        )
    limiter = request.app[IMAGE_LIMITER_KEY if path in SIGNED_PATHS else LIMITER_KEY]
    wait = limiter.check(client_address(request))
    if wait > 0:
        raise ApiError(
            "rate_limited",
            f"more than {limiter.per_minute} requests per minute",
            headers={"Retry-After": limiter.retry_after(wait)},
        )
    with upstream_client(client_address(request)):  # its fetches take turns with others'
        return await handler(request)
