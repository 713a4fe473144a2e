"""How the server treats its connections: slow clients are cut off, idle ones are bounded.

aiohttp waits as long as a client likes for a request's head and body (a client dripping
one byte at a time holds a connection, and its handler, for ever), and keeps any number
of idle keep-alive connections. :class:`GuardedRequestHandler` adds what it lacks (the
API's server, ``ogpreview.web.server``, is built on it):

- a deadline for each request's head (``client_header_timeout``), counted from the
  connection's opening or from the first byte of the next request on a kept-alive one;
  past it the client gets a 408 and the connection is closed;
- a deadline for the whole body once the head is in (``client_body_timeout``): the
  handler reading it gets :class:`RequestBodyTimeout` (a 408), the connection is closed;
- at most ``max_idle_connections`` idle kept-alive connections: past it the one idle
  longest is closed (clients reconnect; an idle connection has no request to lose).

The hooks read a few of aiohttp's ``RequestHandler`` internals (``_request_count``,
``_messages``, ``_request_in_progress``); tests/test_redteam_exhaustion.py drives each
of them through a real server process.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import orjson
from aiohttp import web
from aiohttp.web_protocol import RequestHandler

from ogpreview.settings import ApiSettings
from ogpreview.web.apierror import ApiError

__all__ = [
    "LINGERING_TIME",
    "ConnectionLimits",
    "GuardedRequestHandler",
    "GuardedServer",
    "RequestBodyTimeout",
]

#: Seconds the rest of a refused request's body is read and dropped before the connection
#: closes, so the client sees the answer rather than a reset (aiohttp's default is 10 s).
LINGERING_TIME = 2.0


def _raw_error(status: int, reason: str, code: str, message: str) -> bytes:
    """A whole error response in the API's shape, for when no handler runs."""
    body = orjson.dumps({"error": {"code": code, "message": message}})
    head = (
        f"HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    )
    return head.encode("ascii") + body


_HEAD_TIMEOUT_RESPONSE = _raw_error(
    408, "Request Timeout", "request_timeout", "the request's head did not arrive in time"
)


class RequestBodyTimeout(ApiError, TimeoutError):
    """The request's body did not arrive within ``client_body_timeout``.

    A TimeoutError too, so that aiohttp, reading and dropping the rest of a body after
    the response, takes it as the end of that wait and closes the connection.
    """

    def __init__(self, seconds: float) -> None:
        super().__init__(
            "request_timeout",
            f"the request's body did not arrive within {seconds:g} s",
            close_connection=True,
        )


@dataclass(frozen=True, slots=True)
class ConnectionLimits:
    header_timeout: float
    body_timeout: float
    max_idle: int

    @classmethod
    def of(cls, api: ApiSettings) -> ConnectionLimits:
        return cls(api.client_header_timeout, api.client_body_timeout, api.max_idle_connections)


class GuardedRequestHandler(RequestHandler):
    """aiohttp's HTTP/1 protocol with head and body deadlines and idle bookkeeping."""

    def __init__(self, manager: GuardedServer, *, limits: ConnectionLimits, **kwargs: Any):
        super().__init__(manager, **kwargs)
        self._guard_server = manager
        self._limits = limits
        self._head_timer: asyncio.TimerHandle | None = None
        self._head_bytes = False
        #: The body being received, while the parser has not finished it.
        self._body: Any = None
        self._body_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        self._arm_head_timer()  # a connection that never sends a request is cut off too

    def connection_lost(self, exc: BaseException | None) -> None:
        self._guard_server.not_idle(self)
        self._cancel_timers()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if data:
            self._guard_server.not_idle(self)
            if self._body is None:  # bytes of a head
                self._head_bytes = True
                if self._head_timer is None:
                    self._arm_head_timer()
        heads = self._request_count
        super().data_received(data)
        if self._request_count != heads:  # a head is complete
            self._cancel_head_timer()
            payload = self._messages[-1][1] if self._messages else None
            if payload is not None and not payload.is_eof():
                self._body = payload
                self._body_timer = self._loop.call_later(
                    self._limits.body_timeout, self._body_timed_out, payload
                )
        if self._body is not None and self._body.is_eof():
            self._cancel_body_timer()

    async def finish_response(
        self, request: web.BaseRequest, resp: web.StreamResponse, start_time: float | None
    ) -> tuple[web.StreamResponse, bool]:
        result = await super().finish_response(request, resp, start_time)
        if resp.keep_alive and not self._messages and not self._force_close:
            self._guard_server.idle(self)
        return result

    def _arm_head_timer(self) -> None:
        self._head_timer = self._loop.call_later(self._limits.header_timeout, self._head_timed_out)

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if self.transport is None:
            return
        if self._request_in_progress or self._messages:
            # A pipelined head is late behind a request still being answered: finish
            # that answer, then close instead of waiting for the rest.
            self.close()
            return
        if self._head_bytes:
            self.transport.write(_HEAD_TIMEOUT_RESPONSE)
        self.force_close()

    def _body_timed_out(self, payload: Any) -> None:
        self._body_timer = None
        self._body = None
        if not payload.is_eof():
            payload.set_exception(RequestBodyTimeout(self._limits.body_timeout))

    def _cancel_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None
        self._head_bytes = False

    def _cancel_body_timer(self) -> None:
        if self._body_timer is not None:
            self._body_timer.cancel()
            self._body_timer = None
        self._body = None

    def _cancel_timers(self) -> None:
        self._cancel_head_timer()
        self._cancel_body_timer()


class GuardedServer(web.Server):
    """aiohttp's protocol factory, making :class:`GuardedRequestHandler` connections and
    keeping the idle ones in the order they became idle."""

    def __init__(self, handler: Any, *, limits: ConnectionLimits, **kwargs: Any) -> None:
        super().__init__(handler, **kwargs)
        self._limits = limits
        self._idle: dict[GuardedRequestHandler, None] = {}

    def __call__(self) -> GuardedRequestHandler:
        return GuardedRequestHandler(self, limits=self._limits, loop=self._loop, **self._kwargs)

    @property
    def idle_connections(self) -> int:
        return len(self._idle)

    def idle(self, handler: GuardedRequestHandler) -> None:
        self._idle.pop(handler, None)
        self._idle[handler] = None
        while len(self._idle) > self._limits.max_idle:
            oldest = next(iter(self._idle))
            del self._idle[oldest]
            oldest.force_close()

    def not_idle(self, handler: GuardedRequestHandler) -> None:
        self._idle.pop(handler, None)
