"""The API's edges through aiohttp test clients: body codings, batch items that are no URL,
truncated link lists, port 0, and what a client is told when the job store is down."""

from __future__ import annotations

import gzip
import json
import logging
import zlib
from typing import Any

import brotli
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from ogpreview.web import create_app
from tests.service import BASE, ApiTestServer, api, served
from tests.web_origin import SiteOrigin, normal_card

BODY = b'{"urls": []}'
ACCEPT = "gzip, deflate, br"
#: Links the guard refuses before any lookup (they carry credentials): nothing is dialled.
REFUSED = "http://user:pw@example.com/"


async def post_coded(
    client: TestClient[Any, Any], path: str, body: bytes, coding: str
) -> tuple[int, dict[str, Any], str | None]:
    response = await client.post(
        path,
        data=body,
        headers={"Content-Type": "application/json", "Content-Encoding": coding},
    )
    return response.status, await response.json(), response.headers.get("Accept-Encoding")


@pytest.mark.parametrize("coding", ["gzip", "deflate", "br"])
@pytest.mark.parametrize("path", ["/v1/previews", "/v1/previews/response", "/v1/checks"])
async def test_body_not_in_its_declared_coding_is_400(
    client: TestClient[Any, Any], path: str, coding: str
) -> None:
    """A plain body declared gzip/deflate/br is a 400 bad_request, not a 500."""
    status, body, _ = await post_coded(client, path, b'{"urls": ["http://x/"]}', coding)
    assert (status, body["error"]["code"]) == (400, "bad_request")


async def test_corrupt_gzip_names_the_coding(client: TestClient[Any, Any]) -> None:
    """The 400 for a body that is not gzip says so."""
    status, body, _ = await post_coded(client, "/v1/previews", b"not gzip at all", "gzip")
    assert (status, body) == (
        400,
        {"error": {"code": "bad_request", "message": "the body is not valid gzip data"}},
    )


@pytest.mark.parametrize("coding", ["zstd", "compress", "gzip, br", "x-custom"])
@pytest.mark.parametrize("path", ["/v1/previews", "/v1/previews/response", "/v1/checks"])
async def test_coding_not_decoded_is_415(
    client: TestClient[Any, Any], path: str, coding: str
) -> None:
    """A coding the service does not decode is 415 unsupported_encoding, naming those it
    does in Accept-Encoding; the body is not read as if it were plain."""
    status, body, accept = await post_coded(client, path, BODY, coding)
    assert (status, body["error"]["code"], accept) == (415, "unsupported_encoding", ACCEPT)


async def test_unsupported_coding_message(client: TestClient[Any, Any]) -> None:
    """The 415 names the refused coding and the ones that would do."""
    _, body, _ = await post_coded(client, "/v1/previews", BODY, "compress")
    assert body == {
        "error": {
            "code": "unsupported_encoding",
            "message": "Content-Encoding 'compress' is not decoded here: "
            "send the body as gzip, deflate, br, or uncompressed",
        }
    }


@pytest.mark.parametrize(
    ("coding", "encode"),
    [
        ("gzip", gzip.compress),
        ("deflate", zlib.compress),
        ("br", brotli.compress),
        ("identity", bytes),
        ("GZIP", gzip.compress),
    ],
)
async def test_encoded_bodies_are_decoded(
    client: TestClient[Any, Any], coding: str, encode: Any
) -> None:
    """Bodies really in gzip, deflate or br (any case), or identity, are read."""
    status, body, _ = await post_coded(client, "/v1/previews", encode(BODY), coding)
    assert (status, body) == (200, {"results": []})


async def test_undecodable_body_closes_the_connection(client: TestClient[Any, Any]) -> None:
    """After a body that cannot be decoded the connection is closed, not left hanging
    with a parser that gave up on it."""
    response = await client.post(
        "/v1/previews", data=b"plain", headers={"Content-Encoding": "gzip"}
    )
    assert (response.status, response.headers.get("Connection")) == (400, "close")


async def test_undecodable_body_logs_no_traceback(
    client: TestClient[Any, Any], caplog: pytest.LogCaptureFixture
) -> None:
    """A corrupt gzip body is the client's mistake: no record carries a traceback."""
    caplog.set_level(logging.DEBUG)
    await client.post("/v1/previews", data=b"plain", headers={"Content-Encoding": "gzip"})
    await client.get("/healthz")  # the first request's connection is done with by now
    assert [r.getMessage() for r in caplog.records if r.exc_info] == []


async def test_non_string_item_fails_alone(
    client: TestClient[Any, Any], origin: SiteOrigin
) -> None:
    """An item that is not a string fails its own result only, in request order."""
    good = origin.url("/card-normal.html")
    response = await client.post(
        "/v1/previews", json={"urls": [7, good, None, ["x"], {"u": 1}, True]}
    )
    assert response.status == 200

    def refused(item: Any, kind: str) -> dict[str, Any]:
        message = f"a URL must be a string, not {kind}"
        return {"url": item, "error": {"code": "invalid_url", "message": message}}

    body = await response.json()
    assert body == {
        "results": [
            refused(7, "a number"),
            served(body["results"][1], good, normal_card(origin), "miss"),
            refused(None, "null"),
            refused(["x"], "an array"),
            refused({"u": 1}, "an object"),
            refused(True, "a boolean"),
        ]
    }


async def test_urls_not_a_list_is_400(client: TestClient[Any, Any]) -> None:
    """A body whose "urls" is one string, not a list, is refused whole."""
    response = await client.post("/v1/previews", json={"urls": "http://x/"})
    assert (response.status, await response.json()) == (
        400,
        {"error": {"code": "bad_request", "message": 'the body must be {"urls": [string, ...]}'}},
    )


async def test_response_links_over_the_cap_say_so(client: TestClient[Any, Any]) -> None:
    """80 links against a cap of 50: 50 results, truncated, and the 80 found."""
    links = [f"{REFUSED}{i}" for i in range(80)]
    response = await client.post("/v1/previews/response", json={"links": links})
    body = await response.json()
    assert (response.status, body["links_found"], body["truncated"]) == (200, 80, True)
    assert [r["url"] for r in body["results"]] == links[: BASE.max_batch_urls]


async def test_response_links_under_the_cap_are_not_truncated(
    client: TestClient[Any, Any],
) -> None:
    """A response with fewer links than the cap reports them all, not truncated."""
    response = await client.post(
        "/v1/previews/response", data=f"see {REFUSED}a", headers={"Content-Type": "text/plain"}
    )
    assert await response.json() == {
        "results": [
            {
                "url": f"{REFUSED}a",
                "error": {
                    "code": "blocked_url",
                    "message": "URLs with credentials are not fetched",
                },
            }
        ],
        "links_found": 1,
        "truncated": False,
    }


async def test_port_zero_is_blocked_url(client: TestClient[Any, Any]) -> None:
    """Port 0 is the user's mistake: 400 blocked_url, not a 502 connect_error."""
    response = await client.get("/v1/preview", params={"url": "http://127.0.0.1:0/"})
    assert (response.status, await response.json()) == (
        400,
        {"error": {"code": "blocked_url", "message": "port 0 is not a port a server listens on"}},
    )


async def test_jobs_unavailable_keeps_the_redis_address_in_the_log(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Clients are told the job store is unreachable, not where it is; the log says where."""
    caplog.set_level(logging.WARNING, logger="ogpreview.web")
    async with api(BASE.replace(redis_url="redis://127.0.0.1:1/0")) as client:
        response = await client.post("/v1/checks", json={"urls": ["http://127.0.0.1:9/"]})
        body = await response.json()
    assert (response.status, body) == (
        503,
        {
            "error": {
                "code": "jobs_unavailable",
                "message": "batch checks are unavailable: the job store cannot be reached",
            }
        },
    )
    logged = [r.getMessage() for r in caplog.records if r.name == "ogpreview.web"]
    assert any("127.0.0.1:1" in line for line in logged)


async def test_openapi_documents_the_new_answers(client: TestClient[Any, Any]) -> None:
    """The OpenAPI document has 415 on every operation reading a body, 431 on the API,
    and the links_found/truncated fields of the response-links answer."""
    document = await (await client.get("/openapi.json")).json()
    paths = document["paths"]
    with_body = {
        (path, method)
        for path, ops in paths.items()
        for method, op in ops.items()
        if "requestBody" in op
    }
    assert with_body == {
        ("/v1/previews", "post"),
        ("/v1/previews/response", "post"),
        ("/v1/checks", "post"),
    }
    assert all("415" in paths[path][method]["responses"] for path, method in with_body)
    assert "431" in paths["/v1/preview"]["get"]["responses"]
    answer = document["components"]["schemas"]["ResponseResults"]
    assert (answer["required"], answer["properties"]["links_found"]["type"]) == (
        ["results", "links_found", "truncated"],
        "integer",
    )
    assert answer["properties"]["truncated"]["type"] == "boolean"


async def test_failure_outside_the_middleware_is_a_json_500(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A failure the app's error middleware never sees (here a middleware outside it that
    raises) is still a JSON 500 internal_error, logged with its traceback, one access line."""

    @web.middleware
    async def broken(request: web.Request, handler: Any) -> web.StreamResponse:
        raise RuntimeError("broken outside the error middleware")

    app = create_app(BASE)
    app.middlewares.insert(0, broken)
    caplog.set_level(logging.INFO)
    async with TestClient(ApiTestServer(app, host="127.0.0.1")) as client:
        response = await client.get("/healthz")
        body = await response.json()
    assert (response.status, body) == (
        500,
        {"error": {"code": "internal_error", "message": "internal error"}},
    )
    access = [json.loads(r.getMessage()) for r in caplog.records if r.name == "ogpreview.access"]
    assert [(a["method"], a["path"], a["route"], a["status"]) for a in access] == [
        ("GET", "/healthz", "unhandled", 500)
    ]
    tracebacks = [r for r in caplog.records if r.exc_info]
    assert [str(r.exc_info[1]) for r in tracebacks if r.exc_info] == [
        "broken outside the error middleware"
    ]
