"""Bounded everything: bodies, bombs, trickles and headers, against real loopback servers."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from ogpreview import Fetcher, FetchTimeout, Settings, TooLarge
from ogpreview.fetch.fetcher import HTML_BODY_BUDGET
from tests.servers import Origin, Script, origin_server, raw_listener

LOCAL = Settings(allow_networks=["127.0.0.0/8"], allowed_ports=None)


@pytest.fixture
async def origin() -> AsyncIterator[Origin]:
    async with origin_server() as server:
        yield server


def _declaring(content_type: bytes) -> Script:
    """A server that declares a 10 GB body and never sends it (reading would time out)."""

    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: "
            + content_type
            + b"\r\nContent-Length: 10000000000\r\n\r\n"
        )
        await writer.drain()
        await asyncio.sleep(5)

    return script


@pytest.mark.parametrize(
    ("content_type", "purpose"), [(b"text/html", "page"), (b"image/png", "image")]
)
async def test_declared_length_over_the_cap_is_refused_before_reading(
    content_type: bytes, purpose: str
) -> None:
    """A Content-Length over max_body_bytes is too_large at once, not a slow read."""
    async with (
        raw_listener(script=_declaring(content_type)) as listener,
        Fetcher(LOCAL.replace(total_timeout=3)) as fetcher,
    ):
        with pytest.raises(TooLarge) as info:
            await fetcher.fetch(listener.url("/"), purpose=purpose)  # type: ignore[arg-type]
    assert info.value.code == "too_large"


async def test_endless_html_stops_after_the_body_budget(origin: Origin) -> None:
    """An endless page is read to the end of its head plus the body budget, then cut."""
    async with Fetcher(LOCAL) as fetcher:
        result = await fetcher.fetch(origin.url("/endless"))
    head_end = result.body.find(b"</head>")
    assert (len(result.body), result.complete) == (head_end + HTML_BODY_BUDGET, False)


async def test_endless_head_stops_at_the_html_cap(origin: Origin) -> None:
    """A head that never ends is cut at max_html_bytes."""
    settings = LOCAL.replace(max_html_bytes=200_000)
    async with Fetcher(settings) as fetcher:
        result = await fetcher.fetch(origin.url("/endless-head"))
    assert (len(result.body), result.complete) == (200_000, False)


@pytest.mark.parametrize("encoding", ["gzip", "br"])
async def test_compression_bomb_page_stops_at_the_cap(origin: Origin, encoding: str) -> None:
    """A 64 MB bomb served as HTML stops at the HTML cap of decompressed bytes."""
    async with Fetcher(LOCAL) as fetcher:
        result = await fetcher.fetch(origin.url(f"/bomb/{encoding}"))
    assert (len(result.body), result.complete) == (LOCAL.max_html_bytes, False)


@pytest.mark.parametrize("encoding", ["gzip", "br"])
async def test_compression_bomb_image_is_too_large(origin: Origin, encoding: str) -> None:
    """A bomb served as an image is too_large once decompressed bytes pass the cap."""
    async with Fetcher(LOCAL) as fetcher:
        with pytest.raises(TooLarge):
            await fetcher.fetch(origin.url(f"/bomb/{encoding}?type=image/png"), purpose="image")


async def _trickle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await reader.readuntil(b"\r\n\r\n")
    writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n")
    for _ in range(100):
        writer.write(b"<")
        await writer.drain()
        await asyncio.sleep(0.05)


async def test_trickling_server_is_cut_at_the_total_timeout() -> None:
    """A server sending a byte at a time is cut at total_timeout with a timeout error."""
    async with (
        raw_listener(script=_trickle) as listener,
        Fetcher(LOCAL.replace(total_timeout=0.4)) as fetcher,
    ):
        with pytest.raises(FetchTimeout) as info:
            await fetcher.fetch(listener.url("/"))
    assert info.value.code == "timeout"


async def _silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await reader.readuntil(b"\r\n\r\n")
    await asyncio.sleep(5)


async def test_silent_server_is_a_timeout() -> None:
    """A server that accepts and never answers times out."""
    async with (
        raw_listener(script=_silent) as listener,
        Fetcher(LOCAL.replace(total_timeout=0.3)) as fetcher,
    ):
        with pytest.raises(FetchTimeout):
            await fetcher.fetch(listener.url("/"))


async def _huge_header(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await reader.readuntil(b"\r\n\r\n")
    writer.write(b"HTTP/1.1 200 OK\r\nX-Big: " + b"a" * 100_000 + b"\r\nContent-Length: 0\r\n\r\n")
    await writer.drain()


async def _many_headers(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await reader.readuntil(b"\r\n\r\n")
    headers = b"".join(b"X-H%d: v\r\n" % i for i in range(1000))
    writer.write(b"HTTP/1.1 200 OK\r\n" + headers + b"Content-Length: 0\r\n\r\n")
    await writer.drain()


@pytest.mark.parametrize("script", [_huge_header, _many_headers], ids=["huge", "countless"])
async def test_oversized_response_head_is_too_large(script: Script) -> None:
    """A huge header or a thousand headers are a too_large error, not a crash."""
    async with raw_listener(script=script) as listener, Fetcher(LOCAL) as fetcher:
        with pytest.raises(TooLarge) as info:
            await fetcher.fetch(listener.url("/"))
    assert info.value.code == "too_large"
