"""Red team: one client's load must not break another's previews (issue 19, exhaustion).

A client that keeps a site's connections busy with slow pages used to make another
client's fast page on that site time out (the wait for a pooled connection counted as the
site's connect timeout), and that timeout was cached as the page's failure. Here: the
slots a fetch waits for, in the library (UpstreamSlots, Fetcher, Previewer) and through
`ogpreview serve` processes, against a loopback origin whose slow pages finish only when
the test hands out tickets.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from ogpreview import FetchTimeout, UpstreamBusy
from ogpreview.fetch.fetcher import Fetcher
from ogpreview.fetch.slots import UpstreamSlots, upstream_client
from ogpreview.previewer import Previewer
from ogpreview.settings import Settings
from tests.servers import silent_listener
from tests.service import Server, serve, until
from tests.web_origin import loopback_app

HOST = "http://site.test:80"


@dataclass
class TicketOrigin:
    """Slow pages (``/slow/{name}``) that each finish on a ticket; a fast page (``/fast``)."""

    port: int = 0
    tickets: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(0))
    arrivals: list[str] = field(default_factory=list)
    arrived: asyncio.Condition = field(default_factory=asyncio.Condition)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    async def until_arrivals(self, count: int) -> None:
        async with self.arrived:
            await self.arrived.wait_for(lambda: len(self.arrivals) >= count)

    def hand_out(self, count: int) -> None:
        for _ in range(count):
            self.tickets.release()


@asynccontextmanager
async def ticket_origin() -> AsyncIterator[TicketOrigin]:
    origin = TicketOrigin()

    async def arrive(request: web.Request) -> None:
        async with origin.arrived:
            origin.arrivals.append(request.path)
            origin.arrived.notify_all()

    async def slow(request: web.Request) -> web.Response:
        await arrive(request)
        await origin.tickets.acquire()
        name = request.match_info["name"]
        return web.Response(text=f"<title>slow {name}</title>", content_type="text/html")

    async def fast(request: web.Request) -> web.Response:
        await arrive(request)
        return web.Response(text="<title>fast</title>", content_type="text/html")

    app = web.Application()
    app.router.add_get("/slow/{name}", slow)
    app.router.add_get("/fast", fast)
    async with loopback_app(app) as port:
        origin.port = port
        try:
            yield origin
        finally:
            origin.hand_out(1000)  # no slow page outlives the test


@pytest.fixture
async def origin() -> AsyncIterator[TicketOrigin]:
    async with ticket_origin() as running:
        yield running


# --- the slots ---------------------------------------------------------------------------------


async def test_waiting_clients_take_turns_for_a_busy_host() -> None:
    """With the host's one slot taken, client a queues three requests and then client b
    one: freed slots go a, b, a, a (b waits one turn, not for all of a's queue)."""
    slots = UpstreamSlots(per_host=1, total=10, queue_timeout=30)
    await slots.acquire(HOST)
    granted: list[str] = []

    async def wait(client: str, name: str) -> None:
        with upstream_client(client):
            await slots.acquire(HOST)
        granted.append(name)

    waiting = [asyncio.ensure_future(wait("a", f"a{i}")) for i in range(3)]
    waiting.append(asyncio.ensure_future(wait("b", "b0")))
    await asyncio.sleep(0)  # one turn of the loop (no timed wait): the four tasks queue up
    assert slots.waiting == 4
    for _ in range(4):  # each release grants the next waiter there and then
        slots.release(HOST)
    await asyncio.gather(*waiting)
    assert granted == ["a0", "b0", "a1", "a2"]


async def test_a_free_slot_to_another_host_is_taken_at_once() -> None:
    """A busy host does not hold up a request to another host (only the total does)."""
    slots = UpstreamSlots(per_host=1, total=2, queue_timeout=30)
    await slots.acquire(HOST)
    blocked = asyncio.ensure_future(slots.acquire(HOST))
    await asyncio.sleep(0)  # one turn of the loop (no timed wait): it queues up
    assert await slots.acquire("http://other.test:80") == 0.0
    assert (slots.in_use, slots.waiting, blocked.done()) == (2, 1, False)
    blocked.cancel()
    with pytest.raises(asyncio.CancelledError):
        await blocked
    assert slots.waiting == 0


async def test_a_wait_past_the_queue_timeout_is_busy() -> None:
    """No slot within queue_timeout: UpstreamBusy (code busy, retry_after), and the
    waiter leaves the queue."""
    slots = UpstreamSlots(per_host=1, total=10, queue_timeout=0.05)
    await slots.acquire(HOST)
    with pytest.raises(UpstreamBusy) as raised:
        await slots.acquire(HOST)
    assert raised.value.to_dict() == {
        "code": "busy",
        "message": (
            "no connection to http://site.test:80 came free within 0.05 s: "
            "this service is busy with that site"
        ),
        "retry_after": 1,
    }
    assert (slots.in_use, slots.waiting) == (1, 0)


# --- the fetcher and the previewer ---------------------------------------------------------------


def _settings(**changes: Any) -> Settings:
    return Settings(
        allow_networks=["127.0.0.1/32"],
        allowed_ports=None,
        oembed=False,
        image_probe=False,
        per_host_connections=1,
        **changes,
    )


async def test_time_waiting_for_a_slot_is_not_the_fetchs(origin: TicketOrigin) -> None:
    """A fetch queued behind a slow one (of another fetcher sharing the slots) for longer
    than its total_timeout still gets its whole timeout once it has a connection: it
    succeeds, and reports the wait as its queue time."""
    slots = UpstreamSlots(per_host=1, total=10, queue_timeout=30)
    patient = Fetcher(_settings(total_timeout=30), slots=slots)
    hasty = Fetcher(_settings(total_timeout=0.3), slots=slots)
    async with patient, hasty, silent_listener() as silent:
        slow = asyncio.ensure_future(patient.fetch(origin.url("/slow/a")))
        await origin.until_arrivals(1)
        fast = asyncio.ensure_future(hasty.fetch(origin.url("/fast")))
        # A fetch of a silent site running out of the same total_timeout shows that much
        # time has passed while the fast page waited.
        with pytest.raises(FetchTimeout):
            await hasty.fetch(silent.url("/"))
        assert not fast.done()
        origin.hand_out(1)
        result = await fast
        await slow
    assert (result.status, result.body) == (200, b"<title>fast</title>")
    assert result.timings["queue"] >= 0.3
    assert origin.arrivals == ["/slow/a", "/fast"]


async def test_busy_is_not_cached(origin: TicketOrigin) -> None:
    """A preview that got no slot in time raises UpstreamBusy; it is not cached, so once
    the site's connections are free the same preview is fetched and succeeds."""
    settings = _settings(upstream_queue_timeout=1.2, connect_timeout=0.2)
    async with Previewer(settings) as previewer:
        slow = asyncio.ensure_future(previewer.preview(origin.url("/slow/a")))
        await origin.until_arrivals(1)
        with pytest.raises(UpstreamBusy) as raised:
            await previewer.lookup(origin.url("/fast"))
        origin.hand_out(1)
        await slow
        after = await previewer.lookup(origin.url("/fast"))
    assert (raised.value.retry_after, raised.value.url) == (2, origin.url("/fast"))
    assert (after.cache, after.card.title) == ("miss", "fast")
    assert origin.arrivals == ["/slow/a", "/fast"]


# --- through the service -------------------------------------------------------------------------


def _client(local_host: str) -> aiohttp.ClientSession:
    """A client connecting from ``local_host`` (another loopback address: another client)."""
    return aiohttp.ClientSession(connector=aiohttp.TCPConnector(local_addr=(local_host, 0)))


async def _waiting(server: Server, http: aiohttp.ClientSession, count: int) -> None:
    async def reached() -> bool:
        async with http.get(server.url("/metrics")) as response:
            text = await response.text()
        found = re.search(r"^ogpreview_upstream_slots_waiting (\S+)$", text, re.MULTILINE)
        return found is not None and float(found.group(1)) == count

    await until(reached)


async def _preview(
    http: aiohttp.ClientSession, server: Server, url: str
) -> tuple[int, dict[str, str], dict[str, Any]]:
    async with http.get(server.url("/v1/preview"), params={"url": url}) as response:
        return response.status, dict(response.headers), await response.json()


SERVICE = {"OGPREVIEW_IMAGE_PROBE": "false", "OGPREVIEW_CONNECT_TIMEOUT": "1"}


async def test_one_clients_slow_pages_do_not_starve_anothers_fast_page(
    origin: TicketOrigin,
) -> None:
    """Client a holds both of a site's connections with slow pages and queues four more;
    client b's fast page on that site is served at the second freed connection (a's turn,
    then b's), not after a's whole queue, and not as a timeout."""
    env = {**SERVICE, "OGPREVIEW_PER_HOST_CONNECTIONS": "2"}
    async with serve(env) as server, _client("127.0.0.2") as a, _client("127.0.0.3") as b:
        slow = [
            asyncio.ensure_future(_preview(a, server, origin.url(f"/slow/a{i}"))) for i in range(6)
        ]
        await origin.until_arrivals(2)
        await _waiting(server, b, 4)
        fast = asyncio.ensure_future(_preview(b, server, origin.url("/fast")))
        await _waiting(server, b, 5)
        origin.hand_out(1)
        await origin.until_arrivals(3)  # a's turn: one of its queued pages
        origin.hand_out(1)
        status, _, card = await fast  # b's turn
        arrivals = list(origin.arrivals)
        origin.hand_out(4)
        slow_statuses = [status for status, _, _ in await asyncio.gather(*slow)]
    assert (status, card["title"]) == (200, "fast")
    assert arrivals[3] == "/fast"
    assert slow_statuses == [200] * 6


async def test_busy_site_is_503_with_retry_after_and_not_cached(origin: TicketOrigin) -> None:
    """While a's slow page holds the site's one connection past the queue timeout, b gets
    503 busy with Retry-After; the failure is not cached: once the connection is free,
    b's same preview is fetched (a miss) and answered."""
    env = {
        **SERVICE,
        "OGPREVIEW_PER_HOST_CONNECTIONS": "1",
        "OGPREVIEW_UPSTREAM_QUEUE_TIMEOUT": "0.3",
        "OGPREVIEW_CONNECT_TIMEOUT": "0.3",
    }
    async with serve(env) as server, _client("127.0.0.2") as a, _client("127.0.0.3") as b:
        slow = asyncio.ensure_future(_preview(a, server, origin.url("/slow/a")))
        await origin.until_arrivals(1)
        busy_status, busy_headers, busy = await _preview(b, server, origin.url("/fast"))
        origin.hand_out(1)
        slow_status, _, _ = await slow
        status, _, card = await _preview(b, server, origin.url("/fast"))
    assert (busy_status, busy_headers["Retry-After"]) == (503, "1")
    assert busy == {
        "error": {
            "code": "busy",
            "message": (
                f"no connection to http://127.0.0.1:{origin.port} came free within 0.3 s: "
                "this service is busy with that site"
            ),
            "retry_after": 1,
        }
    }
    assert (slow_status, status, card["cache"], card["title"]) == (200, 200, "miss", "fast")
