"""The service under test: an in-process app behind aiohttp's test client, and real
``ogpreview serve`` processes on loopback."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from aiohttp.test_utils import TestClient, TestServer

from ogpreview.settings import Settings
from ogpreview.web import ApiRunner, create_app
from ogpreview.web.imageproxy import ImageSigner

SECRET = "test-secret"
BASE = Settings(
    allow_networks=("127.0.0.0/8",),
    allowed_ports=None,
    secret=SECRET,
    rate_limit=0,
    oembed=False,
    total_timeout=2.0,
)


def signed(url: str) -> dict[str, str]:
    """The query of the image proxy's URL for ``url``, as this service's cards give it."""
    return dict(parse_qsl(urlsplit(ImageSigner(SECRET).proxy_path(url)).query))


class ApiTestServer(TestServer):
    """aiohttp's test server, running the app as ``ogpreview serve`` does (ApiRunner)."""

    async def _make_runner(self, **kwargs: Any) -> ApiRunner:
        return ApiRunner(self.app, **kwargs)


@asynccontextmanager
async def api(settings: Settings = BASE) -> AsyncIterator[TestClient[Any, Any]]:
    client = TestClient(ApiTestServer(create_app(settings), host="127.0.0.1"))
    await client.start_server()
    try:
        yield client
    finally:
        await client.close()


#: Upper bound for a server process to start or stop (not a timing assertion: a hang guard).
PROCESS_DEADLINE = 20.0
POLL = 0.02


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


class Server:
    def __init__(self, process: asyncio.subprocess.Process, port: int) -> None:
        self.process = process
        self.port = port
        #: The lines the process wrote to stderr since it listened, as they come.
        self.log: list[str] = []
        self._logged = asyncio.Condition()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    async def read_log(self) -> None:
        assert self.process.stderr is not None
        while line := await self.process.stderr.readline():
            async with self._logged:
                self.log.append(line.decode(errors="replace").rstrip("\n"))
                self._logged.notify_all()

    async def wait_log(self, condition: Callable[[list[str]], bool]) -> None:
        """Wait until the log so far satisfies ``condition``."""
        async with asyncio.timeout(PROCESS_DEADLINE), self._logged:
            await self._logged.wait_for(lambda: condition(self.log))


@asynccontextmanager
async def serve(extra_env: dict[str, str], *, log_level: str = "WARNING") -> AsyncIterator[Server]:
    port = free_port()
    env = {
        **os.environ,
        "OGPREVIEW_ALLOW_NETWORKS": "127.0.0.0/8",
        "OGPREVIEW_ALLOWED_PORTS": "any",
        "OGPREVIEW_SECRET": "process-test-secret",
        "OGPREVIEW_RATE_LIMIT": "0",
        "OGPREVIEW_OEMBED": "false",
        **extra_env,
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "ogpreview.cli",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        log_level,
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stderr is not None
    try:
        async with asyncio.timeout(PROCESS_DEADLINE):
            while b"Running on" not in (line := await process.stderr.readline()):
                assert line, "server exited before listening"
        server = Server(process, port)
        drain = asyncio.ensure_future(server.read_log())
        yield server
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            try:
                async with asyncio.timeout(PROCESS_DEADLINE):
                    await process.wait()
            except TimeoutError:
                process.kill()  # a server stuck in its event loop must not outlive the test
                await process.wait()
                raise
        if "drain" in locals():
            await drain


async def until(condition: Callable[[], Awaitable[bool]]) -> None:
    """Wait for a condition another process makes true (no event crosses the boundary)."""
    async with asyncio.timeout(PROCESS_DEADLINE):
        while not await condition():  # noqa: ASYNC110 - the condition is in another process
            await asyncio.sleep(POLL)


def served(
    item: dict[str, Any], url: str, card: dict[str, Any], cache: str, final_url: str | None = None
) -> dict[str, Any]:
    """The batch item expected for ``url``'s card (its ``fetched_at`` taken from ``item``)."""
    return {
        "url": url,
        "card": card,
        "cache": cache,
        "fetched_at": item["fetched_at"],
        "requested_url": url,
        "final_url": final_url or url,
    }
