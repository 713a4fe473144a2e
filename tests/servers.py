"""Real servers on loopback for the fetch tests: an aiohttp origin and raw TCP listeners.

Only 127.0.0.0/8 is ever bound or dialled.
"""

from __future__ import annotations

import asyncio
import gzip
import os
import threading
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import brotli
from aiohttp import web

HTML = (
    b"<!doctype html><html><head><title>Origin</title>"
    b'<meta property="og:title" content="Hello"></head><body><p>Hi</p></body></html>'
)
PNG_1X1 = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)
BOMB_UNCOMPRESSED = 64 * 1024 * 1024
T = TypeVar("T")


@dataclass
class Origin:
    """An aiohttp origin on 127.0.0.1 that counts what reaches it."""

    host: str = "127.0.0.1"
    port: int = 0
    requests: list[str] = field(default_factory=list)
    connections: set[int] = field(default_factory=set)
    in_flight: int = 0
    max_in_flight: int = 0
    last_headers: dict[str, str] = field(default_factory=dict)

    def url(self, path: str = "/") -> str:
        return f"http://{self.host}:{self.port}{path}"


def _origin_app(origin: Origin) -> web.Application:
    routes = web.RouteTableDef()

    @web.middleware
    async def count(request: web.Request, handler: Callable[..., Awaitable[web.StreamResponse]]):
        origin.requests.append(request.path_qs)
        transport = request.transport
        if transport is not None:
            origin.connections.add(id(transport))
        origin.last_headers = dict(request.headers)
        origin.in_flight += 1
        origin.max_in_flight = max(origin.max_in_flight, origin.in_flight)
        try:
            return await handler(request)
        finally:
            origin.in_flight -= 1

    @routes.get("/page")
    async def page(request: web.Request) -> web.Response:
        return web.Response(body=HTML, content_type="text/html")

    @routes.get("/slow")
    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(0.05)
        return web.Response(body=HTML, content_type="text/html")

    @routes.get("/redirect/{n}")
    async def redirect(request: web.Request) -> web.Response:
        n = int(request.match_info["n"])
        target = "/page" if n <= 1 else f"/redirect/{n - 1}"
        raise web.HTTPFound(target)

    @routes.get("/relative")
    async def relative(request: web.Request) -> web.Response:
        raise web.HTTPMovedPermanently("../page")

    @routes.get("/loop/a")
    async def loop_a(request: web.Request) -> web.Response:
        raise web.HTTPFound("/loop/b")

    @routes.get("/loop/b")
    async def loop_b(request: web.Request) -> web.Response:
        raise web.HTTPFound("/loop/a")

    @routes.get("/to")
    async def to(request: web.Request) -> web.Response:
        raise web.HTTPFound(request.query["target"])

    @routes.get("/no-location")
    async def no_location(request: web.Request) -> web.Response:
        return web.Response(status=302)

    @routes.get("/status/{code}")
    async def status(request: web.Request) -> web.Response:
        return web.Response(status=int(request.match_info["code"]), text="no")

    @routes.get("/echo")
    async def echo(request: web.Request) -> web.Response:
        return web.Response(body=HTML, content_type="text/html")

    @routes.get("/set-cookie")
    async def set_cookie(request: web.Request) -> web.Response:
        response = web.Response(body=HTML, content_type="text/html")
        response.set_cookie("session", "secret")
        return response

    @routes.get("/png-as-html")
    async def png_as_html(request: web.Request) -> web.Response:
        return web.Response(body=PNG_1X1, content_type="text/html")

    @routes.get("/html-as-png")
    async def html_as_png(request: web.Request) -> web.Response:
        return web.Response(body=HTML, content_type="image/png")

    @routes.get("/image.png")
    async def image(request: web.Request) -> web.Response:
        return web.Response(body=PNG_1X1, content_type="image/png")

    @routes.get("/big-image.png")
    async def big_image(request: web.Request) -> web.StreamResponse:
        return await _stream(request, "image/png", PNG_1X1 + b"\0" * (4 * 1024 * 1024))

    @routes.get("/file.pdf")
    async def pdf(request: web.Request) -> web.StreamResponse:
        return await _stream(request, "application/pdf", b"%PDF-1.4\n" + b"x" * (8 * 1024 * 1024))

    @routes.get("/json")
    async def json_(request: web.Request) -> web.Response:
        return web.json_response({"type": "link", "title": "T"})

    @routes.get("/endless")
    async def endless(request: web.Request) -> web.StreamResponse:
        head = b"<html><head><title>Endless</title></head><body>"
        return await _endless(request, head, b"<p>" + b"x" * 8192 + b"</p>")

    @routes.get("/endless-head")
    async def endless_head(request: web.Request) -> web.StreamResponse:
        head = b"<html><head><title>Never ends</title>"
        return await _endless(request, head, b"<!--" + b"x" * 8192 + b"-->")

    @routes.get("/bomb/{encoding}")
    async def bomb(request: web.Request) -> web.Response:
        encoding = request.match_info["encoding"]
        kind = request.query.get("type", "text/html")
        return web.Response(
            body=_BOMBS[encoding],
            headers={"Content-Encoding": encoding, "Content-Type": kind},
        )

    app = web.Application(middlewares=[count])
    app.add_routes(routes)
    return app


async def _endless(request: web.Request, first: bytes, repeat: bytes) -> web.StreamResponse:
    """An HTML response that sends ``first`` and then ``repeat`` until the client leaves."""
    response = web.StreamResponse(headers={"Content-Type": "text/html"})
    await response.prepare(request)
    await response.write(first)
    try:
        while True:
            await response.write(repeat)
    except (ConnectionError, RuntimeError):
        pass
    return response


async def _stream(request: web.Request, content_type: str, body: bytes) -> web.StreamResponse:
    response = web.StreamResponse(headers={"Content-Type": content_type})
    response.content_length = len(body)
    await response.prepare(request)
    try:
        for i in range(0, len(body), 65536):
            await response.write(body[i : i + 65536])
    except (ConnectionError, RuntimeError):
        pass
    return response


def _make_bombs() -> dict[str, bytes]:
    zeros = b"\0" * BOMB_UNCOMPRESSED
    return {
        "gzip": gzip.compress(zeros, compresslevel=9),
        "br": brotli.compress(zeros, quality=5),
    }


_BOMBS = _make_bombs()


@asynccontextmanager
async def origin_server(host: str = "127.0.0.1") -> AsyncIterator[Origin]:
    """Run the origin app on ``host`` (a loopback address) on a free port."""
    origin = Origin(host=host)
    runner = web.AppRunner(_origin_app(origin), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, 0)
    await site.start()
    server = site._server
    assert server is not None
    origin.port = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield origin
    finally:
        await runner.cleanup()


@dataclass
class Listener:
    """A raw TCP listener that counts connections and answers with a fixed script."""

    host: str
    port: int = 0
    accepted: int = 0

    def url(self, path: str = "/", host: str | None = None) -> str:
        return f"http://{host or self.host}:{self.port}{path}"


Script = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


async def _http_ok(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await reader.readuntil(b"\r\n\r\n")
    writer.write(
        b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: %d\r\n\r\n%s"
        % (len(HTML), HTML)
    )
    await writer.drain()


@asynccontextmanager
async def raw_listener(
    host: str = "127.0.0.1", script: Script = _http_ok
) -> AsyncIterator[Listener]:
    """A listener on ``host`` that runs ``script`` per connection and counts them."""
    listener = Listener(host=host)

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        listener.accepted += 1
        try:
            await script(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, host, 0)
    listener.port = server.sockets[0].getsockname()[1]
    try:
        yield listener
    finally:
        server.close()
        await server.wait_closed()


@dataclass
class Silent:
    """A listener that never answers, with events for a client connecting and hanging up."""

    listener: Listener
    connected: asyncio.Event
    closed: asyncio.Event

    def url(self, path: str = "/") -> str:
        return self.listener.url(path)


@asynccontextmanager
async def silent_listener() -> AsyncIterator[Silent]:
    """A listener on 127.0.0.1 that accepts and never answers: a fetch of it hangs."""
    connected, closed = asyncio.Event(), asyncio.Event()

    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connected.set()
        await reader.read()  # returns when the client hangs up
        closed.set()

    async with raw_listener(script=script) as listener:
        yield Silent(listener, connected, closed)


SITE = Path(__file__).resolve().parent.parent / "fixtures" / "site"
#: The fixture site's files that are no page, and the card ``type`` each previews as.
FILE_LINKS = [
    ("/report.pdf", "document"),
    ("/oembed.json", "data"),
    ("/notes.txt", "document"),
    ("/archive.zip", "file"),
]
_SITE_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".png": "image/png",
    ".json": "application/json",
    ".pdf": "application/pdf",
    ".txt": "text/plain; charset=utf-8",
    ".zip": "application/zip",
}


@dataclass
class Site:
    """The pages under ``fixtures/site`` on 127.0.0.1, counting requests per path."""

    port: int = 0
    hits: Counter[str] = field(default_factory=Counter)
    #: Extra response headers per path (e.g. Cache-Control), set by a test.
    headers: dict[str, dict[str, str]] = field(default_factory=dict)
    #: Paths answering with this status instead of their file, set by a test.
    status: dict[str, int] = field(default_factory=dict)
    #: Seconds each request waits before answering (to make callers overlap).
    delay: float = 0.0
    #: Paths answering with these statuses first, one per request (503 once, then the file).
    script: dict[str, list[int]] = field(default_factory=dict)
    #: Extra files a test serves: path -> (body, Content-Type).
    files: dict[str, tuple[bytes, str]] = field(default_factory=dict)
    #: Paths whose answer waits until this many requests for other paths were answered.
    after: dict[str, int] = field(default_factory=dict)
    #: Paths whose answer waits until a test calls :meth:`release` for them.
    gates: dict[str, asyncio.Event] = field(default_factory=dict)
    #: The paths answered, in the order their answers were made.
    answered: list[str] = field(default_factory=list)
    #: Paths whose answers wait until a request for every one of them has arrived: a
    #: client that asks for them one after the other never gets the first answered.
    together: set[str] = field(default_factory=set)
    #: The paths asked for, in the order their requests arrived.
    arrived: list[str] = field(default_factory=list)
    _changed: asyncio.Condition = field(default_factory=asyncio.Condition)
    _loop: asyncio.AbstractEventLoop | None = None
    #: Set when a request for a held path (see :meth:`hold`) has arrived.
    held: asyncio.Event = field(default_factory=asyncio.Event)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def hold(self, path: str) -> None:
        """Hold the answers to ``path`` until :meth:`release`."""
        self.gates[path] = asyncio.Event()

    def release(self, path: str) -> None:
        """Let ``path`` be answered (from any thread)."""
        assert self._loop is not None
        self._loop.call_soon_threadsafe(self.gates[path].set)

    async def _wait_turn(self, path: str) -> None:
        self.arrived.append(path)
        if path in self.together:
            async with self._changed:
                self._changed.notify_all()
                await self._changed.wait_for(lambda: self.together <= set(self.arrived))
        gate = self.gates.get(path)
        if gate is not None:
            self.held.set()
            await gate.wait()
        others = self.after.get(path)
        if others is not None:
            async with self._changed:
                await self._changed.wait_for(
                    lambda: sum(1 for p in self.answered if p != path) >= others
                )

    async def _answered(self, path: str) -> None:
        self.answered.append(path)
        async with self._changed:
            self._changed.notify_all()


def _site_response(path: str, site: Site) -> web.Response:
    extra = site.headers.get(path, {})
    if path in site.status:
        return web.Response(status=site.status[path], text="error", headers=extra)
    if site.script.get(path):
        return web.Response(status=site.script[path].pop(0), text="not now", headers=extra)
    if path in site.files:
        body, content_type = site.files[path]
        return web.Response(body=body, headers={"Content-Type": content_type, **extra})
    if path == "/bytes.bin":
        return web.Response(body=b"\0" * 64, content_type="application/octet-stream")
    file = SITE / path.lstrip("/")
    if not file.is_file() or SITE not in file.resolve().parents:
        return web.Response(status=404, text="not found")
    content_type = _SITE_TYPES.get(file.suffix, "application/octet-stream")
    return web.Response(body=file.read_bytes(), headers={"Content-Type": content_type, **extra})


@asynccontextmanager
async def site_server() -> AsyncIterator[Site]:
    """Serve ``fixtures/site`` files (and /bytes.bin, an unpreviewable type), and what a
    test puts in ``files`` and ``script``."""
    site = Site()

    async def handle(request: web.Request) -> web.StreamResponse:
        path = request.path
        site.hits[path] += 1
        if site.delay:
            await asyncio.sleep(site.delay)
        await site._wait_turn(path)
        try:
            return _site_response(path, site)
        finally:
            await site._answered(path)

    site._loop = asyncio.get_running_loop()
    app = web.Application()
    app.router.add_get("/{tail:.*}", handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    tcp = web.TCPSite(runner, "127.0.0.1", 0)
    await tcp.start()
    assert tcp._server is not None
    site.port = tcp._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield site
    finally:
        await runner.cleanup()


def running(pids: list[int]) -> list[int]:
    """Those of ``pids`` that are still running (not exited and reaped)."""
    alive = []
    for pid in pids:
        try:
            os.kill(pid, 0)
            alive.append(pid)
        except ProcessLookupError:
            pass
    return alive


#: Upper bound for a server thread to start or stop (a hang guard, not a timing assertion).
THREAD_DEADLINE = 30.0


def in_thread(factory: Callable[[], AbstractAsyncContextManager[T]]) -> Iterator[T]:
    """Run an async context manager (a server) in a thread with its own loop, for code
    that runs its own event loop (the CLI); yield its value."""
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    holder: dict[str, T] = {}
    stop = asyncio.Event()

    async def serve() -> None:
        async with factory() as value:
            holder["value"] = value
            ready.set()
            await stop.wait()
            # Connections still being served end when their clients (gone by now) hang up.
            others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            if others:
                await asyncio.wait(others, timeout=THREAD_DEADLINE)

    thread = threading.Thread(target=loop.run_until_complete, args=(serve(),), daemon=True)
    thread.start()
    assert ready.wait(THREAD_DEADLINE)
    try:
        yield holder["value"]
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(THREAD_DEADLINE)
        loop.close()
