"""The fetcher against real servers on 127.0.0.1: results, redirects, errors, politeness."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from ogpreview import (
    BlockedURL,
    ConnectError,
    DNSError,
    Fetcher,
    HTTPStatusError,
    Settings,
    TooManyRedirects,
    UnsupportedContent,
)
from ogpreview.fetch.resolver import StaticResolver
from tests.servers import HTML, PNG_1X1, Origin, origin_server

LOCAL = Settings(allow_networks=["127.0.0.0/8"], allowed_ports=None)


@pytest.fixture
async def origin() -> AsyncIterator[Origin]:
    async with origin_server() as server:
        yield server


@pytest.fixture
async def fetcher() -> AsyncIterator[Fetcher]:
    async with Fetcher(LOCAL) as f:
        yield f


async def test_fetch_returns_the_page(origin: Origin, fetcher: Fetcher) -> None:
    """A plain page comes back whole with its status, type and the dialled address."""
    result = await fetcher.fetch(origin.url("/page"))
    assert (
        result.url,
        result.status,
        result.content_type,
        result.body,
        result.complete,
        result.redirects,
        result.peer,
    ) == (origin.url("/page"), 200, "text/html", HTML, True, (), "127.0.0.1")


async def test_timings_are_reported(origin: Origin, fetcher: Fetcher) -> None:
    """A fetch reports time to the final response's head and the total, in order, and
    the time it waited for connection slots (none here)."""
    result = await fetcher.fetch(origin.url("/redirect/2"))
    timings = result.timings
    assert (sorted(timings), 0 < timings["ttfb"] <= timings["total"], timings["queue"]) == (
        ["queue", "total", "ttfb"],
        True,
        0.0,
    )


async def test_redirect_chain_is_followed_and_recorded(origin: Origin, fetcher: Fetcher) -> None:
    """Each hop is recorded in order; the result is the final URL."""
    result = await fetcher.fetch(origin.url("/redirect/3"))
    assert (result.url, result.redirects) == (
        origin.url("/page"),
        (origin.url("/redirect/3"), origin.url("/redirect/2"), origin.url("/redirect/1")),
    )


async def test_relative_redirect_resolves_against_the_hop(origin: Origin, fetcher: Fetcher) -> None:
    """A relative Location is resolved against the URL that sent it."""
    result = await fetcher.fetch(origin.url("/relative"))
    assert result.url == origin.url("/page")


async def test_redirect_loop_is_an_error(origin: Origin, fetcher: Fetcher) -> None:
    """A loop stops with too_many_redirects instead of spinning."""
    with pytest.raises(TooManyRedirects) as info:
        await fetcher.fetch(origin.url("/loop/a"))
    assert (info.value.code, origin.requests) == ("too_many_redirects", ["/loop/a", "/loop/b"])


async def test_over_long_chain_is_an_error(origin: Origin) -> None:
    """More hops than max_redirects stop with too_many_redirects."""
    async with Fetcher(LOCAL.replace(max_redirects=2)) as fetcher:
        with pytest.raises(TooManyRedirects):
            await fetcher.fetch(origin.url("/redirect/5"))
    assert origin.requests == ["/redirect/5", "/redirect/4", "/redirect/3"]


@pytest.mark.parametrize("target", ["file:///etc/passwd", "ftp://127.0.0.1/x", "gopher://x/"])
async def test_redirect_to_another_scheme_is_blocked(
    origin: Origin, fetcher: Fetcher, target: str
) -> None:
    """A redirect to a non-http scheme is blocked_url, not followed and not a crash."""
    with pytest.raises(BlockedURL) as info:
        await fetcher.fetch(origin.url(f"/to?target={target}"))
    assert info.value.code == "blocked_url"


async def test_port_zero_is_blocked_url(fetcher: Fetcher) -> None:
    """Port 0, where no server listens, is refused as blocked_url, not tried (connect_error)."""
    with pytest.raises(BlockedURL) as info:
        await fetcher.fetch("http://127.0.0.1:0/")
    assert (type(info.value), info.value.message) == (
        BlockedURL,
        "port 0 is not a port a server listens on",
    )


async def test_redirect_to_port_zero_is_blocked_url(origin: Origin, fetcher: Fetcher) -> None:
    """A redirect hop to port 0 is refused the same way."""
    with pytest.raises(BlockedURL) as info:
        await fetcher.fetch(origin.url("/to?target=http://127.0.0.1:0/next"))
    assert info.value.message == "port 0 is not a port a server listens on"


async def test_redirect_without_location_is_an_error(origin: Origin, fetcher: Fetcher) -> None:
    """A 302 with no Location is a connect_error with a clear message."""
    with pytest.raises(ConnectError, match="without a Location"):
        await fetcher.fetch(origin.url("/no-location"))


@pytest.mark.parametrize("status", [404, 410, 500, 503])
async def test_error_status_is_http_status(origin: Origin, fetcher: Fetcher, status: int) -> None:
    """4xx and 5xx answers raise http_status carrying the status."""
    with pytest.raises(HTTPStatusError) as info:
        await fetcher.fetch(origin.url(f"/status/{status}"))
    assert (info.value.code, info.value.status) == ("http_status", status)


async def test_unknown_name_is_a_dns_error() -> None:
    """A name the resolver does not know raises dns_error."""
    async with Fetcher(LOCAL, resolver=StaticResolver({})) as fetcher:
        with pytest.raises(DNSError) as info:
            await fetcher.fetch("http://nowhere.test/")
    assert info.value.code == "dns_error"


async def test_closed_port_is_a_connect_error() -> None:
    """Nothing listening on the port raises connect_error."""
    async with origin_server() as origin:
        url = origin.url("/page")
    async with Fetcher(LOCAL) as fetcher:
        with pytest.raises(ConnectError) as info:
            await fetcher.fetch(url)
    assert info.value.code == "connect_error"


async def test_user_agent_and_language_are_sent(origin: Origin) -> None:
    """The configured User-Agent and Accept-Language reach the server."""
    settings = LOCAL.replace(user_agent="test-agent/1", accept_language="fr")
    async with Fetcher(settings) as fetcher:
        await fetcher.fetch(origin.url("/echo"))
    assert (origin.last_headers["User-Agent"], origin.last_headers["Accept-Language"]) == (
        "test-agent/1",
        "fr",
    )


async def test_default_user_agent_names_ogpreview(origin: Origin, fetcher: Fetcher) -> None:
    """The default User-Agent says who we are and carries the preview-bot token."""
    await fetcher.fetch(origin.url("/echo"))
    agent = origin.last_headers["User-Agent"]
    assert ("ogpreview/" in agent, "facebookexternalhit/1.1" in agent) == (True, True)


async def test_cookies_are_not_kept(origin: Origin, fetcher: Fetcher) -> None:
    """A cookie set by one fetch is not sent with the next."""
    await fetcher.fetch(origin.url("/set-cookie"))
    await fetcher.fetch(origin.url("/echo"))
    assert "Cookie" not in origin.last_headers


async def test_connections_are_reused(origin: Origin, fetcher: Fetcher) -> None:
    """Sequential fetches to one host share one keep-alive connection."""
    for _ in range(5):
        await fetcher.fetch(origin.url("/page"))
    assert (len(origin.requests), len(origin.connections)) == (5, 1)


async def test_per_host_connection_limit_is_honoured(origin: Origin) -> None:
    """No more than per_host_connections requests reach one host at once."""
    async with Fetcher(LOCAL.replace(per_host_connections=2)) as fetcher:
        await asyncio.gather(*(fetcher.fetch(origin.url("/slow")) for _ in range(8)))
    assert (len(origin.requests), origin.max_in_flight) == (8, 2)


async def test_image_url_keeps_the_image_bytes(origin: Origin, fetcher: Fetcher) -> None:
    """A page URL that is an image yields its (small) bytes and type."""
    result = await fetcher.fetch(origin.url("/image.png"))
    assert (result.content_type, result.body, result.complete) == ("image/png", PNG_1X1, True)


async def test_large_image_page_keeps_only_its_first_bytes(
    origin: Origin, fetcher: Fetcher
) -> None:
    """A big image fetched as a page keeps only the first 64 KiB (enough for dimensions)."""
    result = await fetcher.fetch(origin.url("/big-image.png"))
    assert (len(result.body), result.complete) == (64 * 1024, False)


async def test_non_html_type_is_not_read(origin: Origin, fetcher: Fetcher) -> None:
    """An 8 MB PDF is not downloaded: nothing of its body is kept."""
    result = await fetcher.fetch(origin.url("/file.pdf"))
    assert (result.content_type, result.body, result.complete) == ("application/pdf", b"", False)


async def test_html_served_as_png_does_not_crash(origin: Origin, fetcher: Fetcher) -> None:
    """A server lying that HTML is a PNG gives the bytes under the declared type."""
    result = await fetcher.fetch(origin.url("/html-as-png"))
    assert (result.content_type, result.body) == ("image/png", HTML)


async def test_png_served_as_html_does_not_crash(origin: Origin, fetcher: Fetcher) -> None:
    """A server lying that a PNG is HTML gives the bytes for extraction to cope with."""
    result = await fetcher.fetch(origin.url("/png-as-html"))
    assert (result.content_type, result.body) == ("text/html", PNG_1X1)


async def test_image_purpose_refuses_non_images(origin: Origin, fetcher: Fetcher) -> None:
    """Fetching an image that turns out to be HTML raises unsupported_content."""
    with pytest.raises(UnsupportedContent):
        await fetcher.fetch(origin.url("/page"), purpose="image")


async def test_oembed_purpose_reads_json(origin: Origin, fetcher: Fetcher) -> None:
    """An oEmbed fetch reads a JSON document whole."""
    result = await fetcher.fetch(origin.url("/json"), purpose="oembed")
    assert (result.content_type, result.body) == (
        "application/json",
        b'{"type": "link", "title": "T"}',
    )


async def test_fetch_outside_context_is_a_programming_error() -> None:
    """Using a Fetcher without 'async with' is a RuntimeError, not a silent session leak."""
    with pytest.raises(RuntimeError):
        await Fetcher(LOCAL).fetch("http://127.0.0.1/")
