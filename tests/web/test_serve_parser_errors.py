"""What aiohttp's HTTP parser refuses, through a real ``ogpreview serve`` and raw bytes on a
socket: the API's JSON error shape with a stable code, one access-log line, no traceback."""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
import pytest_asyncio

from tests.service import PROCESS_DEADLINE, Server, serve

pytestmark = pytest.mark.asyncio(loop_scope="module")

HOST = b"Host: 127.0.0.1\r\n"
MANY_HEADERS = b"".join(b"X-Header-%d: v\r\n" % i for i in range(200))
INVALID_TARGET = (
    "the request target is not a valid URL (Invalid char in url query): "
    "percent-encode characters outside ASCII"
)
ZSTD_POST = (
    b"POST /v1/previews HTTP/1.1\r\n" + HOST + b"Content-Type: application/json\r\n"
    b"Content-Encoding: zstd\r\nContent-Length: 12\r\n\r\n" + b'{"urls": []}'
)
UNSUPPORTED = (
    "this Content-Encoding is not decoded here: send the body as gzip, deflate, br, or uncompressed"
)


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def server() -> AsyncIterator[Server]:
    async with serve({}, log_level="INFO") as running:
        yield running


async def exchange(port: int, raw: bytes) -> Answer:
    """Send ``raw`` as it is; read the answer until the server closes the connection."""
    async with asyncio.timeout(PROCESS_DEADLINE):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(raw)
        await writer.drain()
        data = await reader.read()
        writer.close()
        await writer.wait_closed()
    head, _, body = data.partition(b"\r\n\r\n")
    status_line, *fields = head.decode("latin-1").split("\r\n")
    headers = dict(field.split(": ", 1) for field in fields)
    return Answer(int(status_line.split(" ")[1]), headers, body)


async def settled(server: Server) -> int:
    """How many lines the log holds once the earlier requests' lines are all in it (the
    access log is written in batches, a little after the answers, in their order)."""
    path = f"/settled-{next(_SETTLED)}"
    head = f"GET {path} HTTP/1.1\r\n".encode() + HOST + b"Connection: close\r\n\r\n"
    await exchange(server.port, head)
    await server.wait_log(lambda log: any(f'"path":"{path}"' in line for line in log))
    return next(i for i, line in enumerate(server.log) if f'"path":"{path}"' in line) + 1


_SETTLED = itertools.count()


async def log_of(server: Server, raw: bytes) -> tuple[Answer, list[str]]:
    """The answer to ``raw`` and every line the server logged for it."""
    mark = await settled(server)
    answer = await exchange(server.port, raw)
    # A request after it, whose access line is written only after all of the first's.
    await exchange(server.port, b"GET /healthz HTTP/1.1\r\n" + HOST + b"Connection: close\r\n\r\n")
    await server.wait_log(lambda log: any('"path":"/healthz"' in line for line in log[mark:]))
    *lines, sentinel = server.log[mark:]
    assert '"path":"/healthz"' in sentinel
    return answer, lines


REFUSALS = [
    pytest.param(
        b"GET /v1/preview?url=" + b"a" * 20_000 + b" HTTP/1.1\r\n" + HOST + b"\r\n",
        414,
        {"code": "url_too_long", "message": "the request line is longer than 8190 bytes"},
        id="request-line-of-20KB",
    ),
    pytest.param(
        b"GET /healthz HTTP/1.1\r\n" + HOST + b"X-Big: " + b"a" * 9000 + b"\r\n\r\n",
        431,
        {"code": "headers_too_large", "message": "a header is longer than 8192 bytes"},
        id="header-over-8KB",
    ),
    pytest.param(
        b"GET /healthz HTTP/1.1\r\n" + HOST + MANY_HEADERS + b"\r\n",
        431,
        {"code": "headers_too_large", "message": "more than 128 header fields"},
        id="200-headers",
    ),
    pytest.param(
        b"GET /v1/preview?url=\xff HTTP/1.1\r\n" + HOST + b"\r\n",
        400,
        {"code": "bad_request", "message": INVALID_TARGET},
        id="raw-xff-in-query",
    ),
    pytest.param(
        "GET /v1/preview?url=http://example.com/ü HTTP/1.1\r\n".encode() + HOST + b"\r\n",
        400,
        {"code": "bad_request", "message": INVALID_TARGET},
        id="unencoded-u-umlaut-in-query",
    ),
    pytest.param(
        ZSTD_POST,
        415,
        {"code": "unsupported_encoding", "message": UNSUPPORTED},
        id="zstd-body",
    ),
]


@pytest.mark.parametrize(("raw", "status", "error"), REFUSALS)
async def test_parser_refusal_is_the_json_error_shape(
    server: Server, raw: bytes, status: int, error: dict[str, str]
) -> None:
    """The refusal is the API's JSON error with its stable code and status."""
    answer = await exchange(server.port, raw)
    assert (answer.status, answer.headers["Content-Type"], answer.json()) == (
        status,
        "application/json",
        {"error": error},
    )


@pytest.mark.parametrize(("raw", "status", "error"), REFUSALS)
async def test_parser_refusal_logs_one_access_line(
    server: Server, raw: bytes, status: int, error: dict[str, str]
) -> None:
    """The refusal logs exactly one access-log line and nothing else (no traceback)."""
    _, lines = await log_of(server, raw)
    assert len(lines) == 1, lines
    entry = json.loads(lines[0])
    assert {key: value for key, value in entry.items() if key != "ts"} == {
        "client": "127.0.0.1",
        "method": "UNKNOWN",
        "path": None,
        "route": "unparsed",
        "status": status,
        "ms": 0.0,
    }


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(b"GET /healthz HTTP/1.1\r\n\r\n", id="no-host"),
        pytest.param(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n", id="tls-hello"),
        pytest.param(b"GET /healthz HTTP/1.1\r\nBad Header\r\n\r\n", id="header-without-colon"),
    ],
)
async def test_malformed_request_is_json_400(server: Server, raw: bytes) -> None:
    """Any other head the parser refuses is a JSON 400 bad_request, logged once."""
    answer, lines = await log_of(server, raw)
    error = answer.json()["error"]
    assert (answer.status, answer.headers["Content-Type"], error["code"]) == (
        400,
        "application/json",
        "bad_request",
    )
    assert error["message"].startswith("malformed request: ")
    assert [json.loads(line)["status"] for line in lines] == [400]


async def unparsed_400s(server: Server) -> float:
    metrics = await exchange(
        server.port, b"GET /metrics HTTP/1.1\r\n" + HOST + b"Connection: close\r\n\r\n"
    )
    prefix = 'ogpreview_http_requests_total{method="UNKNOWN",route="unparsed",status="400"} '
    for line in metrics.body.decode().splitlines():
        if line.startswith(prefix):
            return float(line.removeprefix(prefix))
    return 0.0


async def test_refusals_are_counted_in_the_metrics(server: Server) -> None:
    """/metrics counts what the parser refused, under the route "unparsed"."""
    before = await unparsed_400s(server)
    await exchange(server.port, b"GET /v1/preview?url=\xff HTTP/1.1\r\n" + HOST + b"\r\n")
    assert await unparsed_400s(server) == before + 1
