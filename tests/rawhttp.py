"""HTTP/1.1 spoken by hand over a socket, for what an HTTP client library will not send
(bytes that are not UTF-8 in a header, a body that never comes, a head dripped byte by byte).

Only 127.0.0.0/8 is ever dialled.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import orjson

#: Bound on any one wait of these helpers (a hang guard, not a timing assertion).
DEADLINE = 20.0


@dataclass
class RawResponse:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return orjson.loads(self.body)


async def connect(
    port: int, *, local_host: str | None = None
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """A connection to 127.0.0.1:``port``, from ``local_host`` when given (another loopback
    address: the server then sees another client)."""
    local = (local_host, 0) if local_host is not None else None
    return await asyncio.open_connection("127.0.0.1", port, local_addr=local)


def _head(head: bytes) -> tuple[int, dict[str, str]]:
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers: dict[str, str] = {}
    for line in lines:
        if line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    return int(status_line.split(" ", 2)[1]), headers


async def read_response(reader: asyncio.StreamReader) -> RawResponse:
    """One response with a Content-Length body (what the service sends)."""
    async with asyncio.timeout(DEADLINE):
        status, headers = _head(await reader.readuntil(b"\r\n\r\n"))
        body = await reader.readexactly(int(headers.get("content-length", "0")))
    return RawResponse(status, headers, body)


def parse_response(raw: bytes) -> RawResponse | None:
    """The response in all a connection received before it closed (None for nothing)."""
    if not raw:
        return None
    head, _, body = raw.partition(b"\r\n\r\n")
    return RawResponse(*_head(head), body)


async def exchange(port: int, request: bytes) -> RawResponse:
    """Send ``request`` on a new connection and read the one response."""
    reader, writer = await connect(port)
    try:
        writer.write(request)
        await writer.drain()
        return await read_response(reader)
    finally:
        writer.close()


async def closed_by_peer(reader: asyncio.StreamReader) -> bytes:
    """Everything the peer still sends until it closes the connection (a reset counts as
    closing); raises TimeoutError if it stays open past :data:`DEADLINE`."""
    received = bytearray()
    async with asyncio.timeout(DEADLINE):
        try:
            while chunk := await reader.read(65536):
                received += chunk
        except ConnectionResetError:
            pass
    return bytes(received)
