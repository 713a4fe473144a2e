"""The access log written by its writer thread: in a real ``ogpreview serve`` and on its own."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import signal
from collections.abc import Iterator
from typing import Any

import aiohttp
import pytest

from ogpreview.web.accesslog import ACCESS_LOGGER, AccessLogWriter, install_writer, log_request
from tests.service import PROCESS_DEADLINE, Server, serve

#: A linger no test waits out: lines reach the stream only when the writer is closed.
FOREVER = 3600.0
FIELDS = {"ts", "client", "method", "path", "route", "status", "ms"}


def access_lines(log: list[str]) -> list[dict[str, Any]]:
    return [json.loads(line) for line in log if line.startswith('{"ts":')]


def without_times(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in line.items() if k not in ("ts", "ms")} for line in lines]


async def get_each(server: Server, paths: list[str]) -> list[int]:
    async with aiohttp.ClientSession() as http:
        statuses = []
        for path in paths:
            async with http.get(server.url(path)) as response:
                await response.read()
                statuses.append(response.status)
    return statuses


def entry(
    path: str | None, route: str, status: int, method: str = "GET", client: str = "127.0.0.1"
) -> dict[str, Any]:
    """An access line's fields, but its time and duration."""
    return {"client": client, "method": method, "path": path, "route": route, "status": status}


PATHS = ["/healthz", "/nowhere", "/v1/preview", "/healthz?secret=hidden"]
EXPECTED = [
    entry("/healthz", "/healthz", 200),
    entry("/nowhere", "unmatched", 404),
    entry("/v1/preview", "/v1/preview", 400),
    entry("/healthz", "/healthz", 200),
]


async def test_serve_writes_one_json_line_per_request() -> None:
    """`ogpreview serve` writes one JSON access line per request, in order, with the fields
    ts, client, method, path, route, status and ms, and no query."""
    async with serve({}, log_level="INFO") as server:
        statuses = await get_each(server, PATHS)
        await server.wait_log(lambda log: len(access_lines(log)) >= len(PATHS))
        lines = access_lines(server.log)
    assert statuses == [200, 404, 400, 200]
    assert [set(line) for line in lines] == [FIELDS] * len(PATHS)
    assert without_times(lines) == EXPECTED
    assert all(isinstance(line["ts"], float) and line["ms"] >= 0 for line in lines)


async def test_serve_writes_every_line_before_it_exits() -> None:
    """Every request answered before SIGTERM has its line in the log once the process has
    exited (the writer is closed on the way out; the test of the writer on its own shows
    that closing writes what is queued)."""
    async with serve({}, log_level="INFO") as server:
        statuses = await get_each(server, PATHS * 25)
        server.process.send_signal(signal.SIGTERM)
        async with asyncio.timeout(PROCESS_DEADLINE):
            code = await server.process.wait()
    assert (statuses, code) == ([200, 404, 400, 200] * 25, 0)
    assert without_times(access_lines(server.log)) == EXPECTED * 25


async def test_serve_writes_no_access_line_below_info() -> None:
    """At --log-level WARNING the access log is off."""
    async with serve({}, log_level="WARNING") as server:
        await get_each(server, PATHS)
        server.process.send_signal(signal.SIGTERM)
        async with asyncio.timeout(PROCESS_DEADLINE):
            await server.process.wait()
    assert access_lines(server.log) == []


@pytest.fixture
def access_logger() -> Iterator[logging.Logger]:
    """The access logger at INFO, its handlers and settings restored afterwards."""
    logger = logging.getLogger(ACCESS_LOGGER)
    saved = (list(logger.handlers), logger.propagate, list(logger.filters), logger.level)
    logger.setLevel(logging.INFO)
    yield logger
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
        handler.close()
    handlers, logger.propagate, logger.filters, level = saved
    for handler in handlers:
        logger.addHandler(handler)
    logger.setLevel(level)


def test_writer_keeps_order_of_records_and_request_lines(access_logger: logging.Logger) -> None:
    """Request lines and records logged on the access logger come out in the order they
    were logged, one per line, when the writer is closed."""
    stream = io.StringIO()
    writer = install_writer(stream)
    writer.linger = FOREVER
    log_request("10.0.0.1", "GET", "/healthz", "/healthz", 200, 0.0012)
    access_logger.info("a record")
    log_request("10.0.0.2", "POST", None, "unparsed", 400, 0.0)
    writer.close()
    first, record, last = stream.getvalue().splitlines()
    assert without_times([json.loads(first), json.loads(last)]) == [
        entry("/healthz", "/healthz", 200, client="10.0.0.1"),
        entry(None, "unparsed", 400, method="POST", client="10.0.0.2"),
    ]
    assert record == "a record"
    assert json.loads(first)["ms"] == 1.2


def test_filter_on_the_access_logger_sees_every_line(access_logger: logging.Logger) -> None:
    """A filter added to the access logger still sees (and can drop) each request's line."""
    stream = io.StringIO()
    writer = install_writer(stream)
    seen: list[str] = []

    def keep_errors(record: logging.LogRecord) -> bool:
        seen.append(record.getMessage())
        return '"status":200' not in record.getMessage()

    access_logger.addFilter(keep_errors)
    log_request("10.0.0.1", "GET", "/healthz", "/healthz", 200, 0.001)
    log_request("10.0.0.1", "GET", "/nowhere", "unmatched", 404, 0.001)
    writer.close()
    assert [json.loads(line)["status"] for line in seen] == [200, 404]
    assert [json.loads(line)["status"] for line in stream.getvalue().splitlines()] == [404]


def test_writer_writes_lines_logged_after_close() -> None:
    """A line logged after the writer closed is written at once, not lost."""
    stream = io.StringIO()
    writer = AccessLogWriter(stream)
    writer.close()
    writer.put(b"late")
    assert stream.getvalue() == "late\n"
