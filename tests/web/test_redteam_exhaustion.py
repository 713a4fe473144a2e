"""Red team: clients that hold the server's connections (issue 19, exhaustion).

Against real `ogpreview serve` processes with shortened limits, over raw sockets on
127.0.0.1: heads and bodies dripped byte by byte, connections that never send, idle
keep-alive connections by the dozen, and a body declared far over the limit.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from tests.rawhttp import closed_by_peer, connect, parse_response, read_response
from tests.service import serve
from tests.web_origin import SiteOrigin, site_origin

#: Shortened limits for the processes under test (the defaults are 5 s and 30 s).
SHORT = "0.4"
#: Between two dripped bytes: a head or body sent at this pace takes far longer than the
#: helpers' hang guard, so finishing at all means the server cut the client off.
DRIP_INTERVAL = 0.05
HEAD_408 = {
    "error": {"code": "request_timeout", "message": "the request's head did not arrive in time"}
}


@pytest.fixture
async def origin() -> AsyncIterator[SiteOrigin]:
    async with site_origin() as running:
        yield running


async def drip(writer: asyncio.StreamWriter, data: bytes) -> None:
    """Send ``data`` one byte at a time (the attack itself, not a wait)."""
    try:
        for byte in data:
            writer.write(bytes([byte]))
            await writer.drain()
            await asyncio.sleep(DRIP_INTERVAL)
    except ConnectionError:
        pass


async def dripped_and_closed(port: int, data: bytes) -> bytes:
    """Drip ``data`` on a new connection until the server closes it; what it sent back."""
    reader, writer = await connect(port)
    sender = asyncio.ensure_future(drip(writer, data))
    try:
        return await closed_by_peer(reader)
    finally:
        sender.cancel()
        writer.close()


async def get_healthz(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> int:
    writer.write(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    await writer.drain()
    return (await read_response(reader)).status


LONG_HEAD = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Pad: " + b"a" * 2000 + b"\r\n\r\n"


async def test_dripping_heads_are_cut_off() -> None:
    """Thirty connections dripping a head byte by byte are all closed after the header
    timeout (each answered 408), and the server still answers a normal request."""
    async with serve({"OGPREVIEW_CLIENT_HEADER_TIMEOUT": SHORT}) as server:
        received = await asyncio.gather(
            *(dripped_and_closed(server.port, LONG_HEAD) for _ in range(30))
        )
        reader, writer = await connect(server.port)
        status = await get_healthz(reader, writer)
        writer.close()
    outcomes = {
        None if r is None else (r.status, r.headers["connection"])
        for r in map(parse_response, received)
    }
    # A reset (nothing received) is possible when a dripped byte lands as the server closes.
    assert outcomes <= {(408, "close"), None}
    assert (408, "close") in outcomes
    assert status == 200


async def test_partial_head_then_silence_gets_408_json() -> None:
    """Half a head and then nothing: a 408 in the API's JSON shape, then the close."""
    async with serve({"OGPREVIEW_CLIENT_HEADER_TIMEOUT": SHORT}) as server:
        reader, writer = await connect(server.port)
        writer.write(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        await writer.drain()
        response = parse_response(await closed_by_peer(reader))
        writer.close()
    assert response is not None
    assert (response.status, response.headers["connection"]) == (408, "close")
    assert response.headers["content-type"] == "application/json"
    assert response.json() == HEAD_408


async def test_connection_that_never_sends_is_closed_silently() -> None:
    """A connection that sends nothing is closed after the header timeout, unanswered."""
    async with serve({"OGPREVIEW_CLIENT_HEADER_TIMEOUT": SHORT}) as server:
        reader, writer = await connect(server.port)
        received = await closed_by_peer(reader)
        writer.close()
    assert received == b""


async def test_slow_answer_is_not_cut_by_the_header_timeout(origin: SiteOrigin) -> None:
    """The header timeout is about the client's head only: a request whose answer takes
    longer than it (a slow upstream page) is answered, and its kept-alive connection,
    idle longer than the header timeout, serves the next request."""
    async with serve({"OGPREVIEW_CLIENT_HEADER_TIMEOUT": SHORT}) as server:
        reader, writer = await connect(server.port)
        path = f"/v1/preview?url={origin.url('/hold/slow')}"
        writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
        await writer.drain()
        await origin.held.wait()
        # A silent connection cut off by the timeout shows the timeout has passed.
        silent_reader, silent_writer = await connect(server.port)
        assert await closed_by_peer(silent_reader) == b""
        silent_writer.close()
        origin.release.set()
        first = await read_response(reader)
        # Idle past the header timeout again, then the next request on the same connection.
        silent_reader, silent_writer = await connect(server.port)
        assert await closed_by_peer(silent_reader) == b""
        silent_writer.close()
        second = await get_healthz(reader, writer)
        writer.close()
    assert (first.status, first.json()["title"]) == (200, "Harbour lights return to the old port")
    assert second == 200


async def test_dripping_body_is_cut_off() -> None:
    """A body dripped byte by byte: the handler gets a 408 request_timeout after the body
    timeout, and the connection is closed."""
    async with serve({"OGPREVIEW_CLIENT_BODY_TIMEOUT": SHORT}) as server:
        reader, writer = await connect(server.port)
        writer.write(
            b"POST /v1/previews HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/json\r\nContent-Length: 10000\r\n\r\n"
        )
        await writer.drain()
        sender = asyncio.ensure_future(drip(writer, b'{"urls": [' + b" " * 9990))
        try:
            response = await read_response(reader)
            sender.cancel()
            rest = await closed_by_peer(reader)
        finally:
            sender.cancel()
            writer.close()
    assert (response.status, response.headers["connection"]) == (408, "close")
    assert response.json() == {
        "error": {
            "code": "request_timeout",
            "message": "the request's body did not arrive within 0.4 s",
        }
    }
    assert rest == b""


async def test_idle_keepalive_connection_is_closed() -> None:
    """A kept-alive connection idle past keepalive_timeout is closed by the server."""
    async with serve({"OGPREVIEW_KEEPALIVE_TIMEOUT": SHORT}) as server:
        reader, writer = await connect(server.port)
        status = await get_healthz(reader, writer)
        received = await closed_by_peer(reader)
        writer.close()
    assert (status, received) == (200, b"")


async def test_idle_keepalive_connections_are_bounded() -> None:
    """With max_idle_connections=3, six idle kept-alive connections become three: the
    three idle longest are closed, the three newest still serve requests."""
    async with serve({"OGPREVIEW_MAX_IDLE_CONNECTIONS": "3"}) as server:
        connections = [await connect(server.port) for _ in range(6)]
        first = [await get_healthz(reader, writer) for reader, writer in connections]
        closed = [await closed_by_peer(reader) for reader, _ in connections[:3]]
        again = [await get_healthz(reader, writer) for reader, writer in connections[3:]]
        for _, writer in connections:
            writer.close()
    assert first == [200] * 6
    assert closed == [b""] * 3
    assert again == [200] * 3


async def test_body_declared_over_the_limit_is_refused_at_once() -> None:
    """``Content-Length: 10000000000`` gets 413 too_large as soon as the head is in, with
    no body sent, and the connection is closed."""
    async with serve({}) as server:
        reader, writer = await connect(server.port)
        writer.write(
            b"POST /v1/previews/response HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: text/plain\r\nContent-Length: 10000000000\r\n\r\nhttps://"
        )
        await writer.drain()
        response = await read_response(reader)
        rest = await closed_by_peer(reader)
        writer.close()
    assert (response.status, response.headers["connection"]) == (413, "close")
    assert response.json() == {
        "error": {"code": "too_large", "message": "the body is over the 1048576 byte limit"}
    }
    assert rest == b""
