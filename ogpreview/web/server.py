"""Serving the app so that every answer is the API's JSON, those of aiohttp's parser too.

A request head that aiohttp's HTTP parser refuses (a request line or a header over the
limits, bytes a URL may not hold, no ``Host``) is answered by aiohttp's protocol before the
application and its middlewares see anything: a text/plain 400 and a logged traceback.
aiohttp has no hook for that answer (aio-libs/aiohttp#3287) but the protocol's
``handle_error``, so :class:`ApiRunner` serves the app with a protocol whose
``handle_error`` answers the JSON error shape with a stable code and writes the one
access-log line the middleware writes for every other request. The same protocol cuts
off slow and idle clients (``ogpreview.web.connections``).
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable
from typing import Any

from aiohttp import web
from aiohttp.http_exceptions import (
    ContentEncodingError,
    HttpProcessingError,
    InvalidURLError,
    LineTooLong,
)

from ogpreview.text import scrub_surrogates, truncate
from ogpreview.web.apierror import ApiError
from ogpreview.web.body import unsupported_encoding
from ogpreview.web.connections import (
    LINGERING_TIME,
    ConnectionLimits,
    GuardedRequestHandler,
    GuardedServer,
)
from ogpreview.web.keys import SETTINGS_KEY
from ogpreview.web.middleware import account, error_response

__all__ = [
    "MAX_HEADER_FIELD",
    "MAX_REQUEST_LINE",
    "ApiRequestHandler",
    "ApiRunner",
    "ApiServer",
    "parser_refusal",
    "serve_app",
]

#: Bytes of the request line (method, target, version), as aiohttp's default; longer is 414.
MAX_REQUEST_LINE = 8190
#: Bytes of one header field (name and value); longer is 431. It differs from the request
#: line's limit so that a LineTooLong, which carries only the limit it broke, tells which.
MAX_HEADER_FIELD = 8192
#: Header fields of one request; more is 431 (aiohttp's default).
MAX_HEADERS = 128
#: What both of aiohttp's parsers say when there are more than ``max_headers``.
TOO_MANY_HEADERS = "Too many headers received"
#: The route label of requests the parser refused, and of those the app did not answer.
PARSER_ROUTE = "unparsed"
UNHANDLED_ROUTE = "unhandled"
#: Characters of the parser's own explanation quoted back.
QUOTED_REASON = 120


def parser_refusal(exc: HttpProcessingError, *, header_limit: int, max_headers: int) -> ApiError:
    """The API's answer to a request head the HTTP parser refused with ``exc``."""
    if isinstance(exc, LineTooLong):
        limit = exc.args[1]
        if limit == header_limit:
            return ApiError("headers_too_large", f"a header is longer than {limit} bytes")
        return ApiError("url_too_long", f"the request line is longer than {limit} bytes")
    if exc.message == TOO_MANY_HEADERS:
        return ApiError("headers_too_large", f"more than {max_headers} header fields")
    if isinstance(exc, ContentEncodingError):  # a coding aiohttp knows but cannot decode here
        return unsupported_encoding()
    # The first line explains; the next ones quote the raw bytes, which are the client's own.
    reason = scrub_surrogates(exc.message.split("\n", 1)[0].rstrip(": "))
    reason = truncate(reason, QUOTED_REASON) or "unreadable request"
    if isinstance(exc, InvalidURLError):
        return ApiError(
            "bad_request",
            f"the request target is not a valid URL ({reason}): "
            "percent-encode characters outside ASCII",
        )
    return ApiError("bad_request", f"malformed request: {reason}")


#: Messages for the errors aiohttp answers when a request escaped the app's own handling.
_UNHANDLED_MESSAGES = {504: "the request was not answered in time"}


class ApiRequestHandler(GuardedRequestHandler):
    """aiohttp's protocol, answering what it refuses itself as the API does (and cutting
    off slow and idle clients, as :class:`GuardedRequestHandler` does)."""

    def __init__(self, manager: ApiServer, *, api_app: web.Application, **kwargs: Any) -> None:
        super().__init__(manager, **kwargs)
        self.api_app = api_app

    def handle_error(
        self,
        request: web.BaseRequest,
        status: int = 500,
        exc: BaseException | None = None,
        message: str | None = None,
    ) -> web.StreamResponse:
        """The JSON answer to a refused request head (``exc`` from the parser), or to a
        request whose handling failed outside the app's middleware (500, 504)."""
        if request.writer.output_size > 0:  # as aiohttp: an answer has begun, none can follow
            raise ConnectionError("a response was begun; no error response can follow it")
        if isinstance(exc, HttpProcessingError):
            # The client's mistake: no traceback. The request has no method or path to tell.
            error = parser_refusal(
                exc, header_limit=self.max_field_size, max_headers=self.max_headers
            )
            method, path, route = "UNKNOWN", None, PARSER_ROUTE
        else:
            if exc is not None:
                self.log_exception("Error handling request from %s", request.remote, exc_info=exc)
            text = _UNHANDLED_MESSAGES.get(status, "internal error")
            # aiohttp calls this for a handler that timed out (504) or failed (500) only.
            error = ApiError("timeout" if status == 504 else "internal_error", text)
            method, path, route = request.method, request.path, UNHANDLED_ROUTE
        account(
            self.api_app,
            client=request.remote or "unknown",
            method=method,
            path=path,
            route=route,
            status=error.status,
            seconds=0.0,  # answered at once: no handler ran
        )
        response = error_response(error.status, error.code, error.message, headers=error.headers)
        response.force_close()
        return response


class ApiServer(GuardedServer):
    """aiohttp's protocol factory, making :class:`ApiRequestHandler` protocols."""

    def __init__(self, handler: Any, *, api_app: web.Application, **kwargs: Any) -> None:
        super().__init__(handler, **kwargs)
        self._api_app = api_app

    def __call__(self) -> ApiRequestHandler:
        return ApiRequestHandler(
            self, api_app=self._api_app, limits=self._limits, loop=self._loop, **self._kwargs
        )


class ApiRunner(web.AppRunner):
    """:class:`aiohttp.web.AppRunner` for the API: aiohttp's parser refusals are answered
    in the API's JSON error shape and logged as one access-log line (use it in place of
    ``web.AppRunner``; :func:`serve_app` in place of ``web.run_app``). Its connections
    follow ``limits`` (by default the app's settings'). The parser's limits are this
    module's, whatever ``kwargs`` say: telling 414 from 431 relies on them."""

    def __init__(
        self, app: web.Application, *, limits: ConnectionLimits | None = None, **kwargs: Any
    ) -> None:
        kwargs.update(
            max_line_size=MAX_REQUEST_LINE, max_field_size=MAX_HEADER_FIELD, max_headers=MAX_HEADERS
        )
        kwargs.setdefault("lingering_time", LINGERING_TIME)
        kwargs.setdefault("keepalive_timeout", app[SETTINGS_KEY].keepalive_timeout)
        super().__init__(app, **kwargs)
        self._limits = limits or ConnectionLimits.of(app[SETTINGS_KEY].api)

    async def _make_server(self) -> web.Server:
        made = await super()._make_server()  # starts the app up, with aiohttp's Server
        # aiohttp's Server takes no protocol class: the same server, making ours.
        return ApiServer(
            made.request_handler,
            request_factory=made.request_factory,
            handler_cancellation=made.handler_cancellation,
            loop=asyncio.get_running_loop(),
            api_app=self.app,
            limits=self._limits,
            **made._kwargs,
        )


async def _serve(
    app: web.Application,
    *,
    host: str,
    port: int,
    reuse_port: bool,
    shutdown_timeout: float,
    announce: Callable[[str], None],
) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    runner = ApiRunner(app, shutdown_timeout=shutdown_timeout, access_log=None)
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port, reuse_port=reuse_port or None)
        await site.start()
        announce(f"======== Running on {site.name} ========\n(Press CTRL+C to quit)")
        await stop.wait()
    finally:
        # Stops listening, lets in-flight requests finish (up to shutdown_timeout), then
        # runs the app's cleanup contexts.
        await runner.cleanup()


def serve_app(
    app: web.Application,
    *,
    host: str,
    port: int,
    reuse_port: bool = False,
    shutdown_timeout: float = 60.0,
    announce: Callable[[str], None] = print,
) -> None:
    """Serve ``app`` through :class:`ApiRunner` until SIGTERM or SIGINT, then stop
    gracefully; the API's own access log is the only one (aiohttp's is off)."""
    asyncio.run(
        _serve(
            app,
            host=host,
            port=port,
            reuse_port=reuse_port,
            shutdown_timeout=shutdown_timeout,
            announce=announce,
        )
    )
