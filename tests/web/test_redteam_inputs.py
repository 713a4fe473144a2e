"""Red team: inputs a stranger controls that used to end in a 500 (issue 19, robustness).

Request bodies labelled with codecs that are no text encoding, numbers spelled in other
scripts' digits, and header bytes that are not UTF-8, through a real server (in-process
or an `ogpreview serve` process), against a page origin on 127.0.0.1.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

import orjson
import pytest
from aiohttp import web

from ogpreview.previewer import Previewer
from ogpreview.settings import Settings
from tests.rawhttp import exchange
from tests.service import BASE, api, serve
from tests.web_origin import SiteOrigin, loopback_app, site_origin

TITLE = "Harbour lights return to the old port"


@pytest.fixture
async def origin() -> AsyncIterator[SiteOrigin]:
    async with site_origin() as running:
        yield running


def titles(body: dict[str, Any]) -> list[str]:
    return [result["card"]["title"] for result in body["results"]]


@pytest.mark.parametrize(
    "label", ["idna", "punycode", "undefined", "rot13", "base64", "zlib", "utf-7", "x-nope"]
)
async def test_body_labelled_with_a_non_text_codec_reads_as_utf8(
    origin: SiteOrigin, label: str
) -> None:
    """A charset that names no web encoding is read as UTF-8 (the Encoding Standard's
    fallback): the link in the body is previewed, no 500."""
    body = f"Voilà: {origin.url('/card-normal.html')} — fin".encode()
    async with api() as client:
        response = await client.post(
            "/v1/previews/response",
            data=body,
            headers={"Content-Type": f"text/plain; charset={label}"},
        )
        assert response.status == 200
        assert titles(await response.json()) == [TITLE]


async def test_body_in_a_declared_web_encoding_is_decoded_with_it(origin: SiteOrigin) -> None:
    """A web encoding's label is honoured: a UTF-16 body with charset=utf-16 is read."""
    body = f"see {origin.url('/card-normal.html')}".encode("utf-16-le")
    async with api() as client:
        response = await client.post(
            "/v1/previews/response",
            data=body,
            headers={"Content-Type": "text/plain; charset=utf-16"},
        )
        assert response.status == 200
        assert titles(await response.json()) == [TITLE]


@pytest.mark.parametrize("name", ["maxwidth", "maxheight"])
@pytest.mark.parametrize("value", ["²", "¹", "٣", "１", "3²"])
async def test_oembed_size_in_non_ascii_digits_is_bad_request(
    origin: SiteOrigin, name: str, value: str
) -> None:
    """maxwidth/maxheight take ASCII digits only; "²" (isdigit) or "٣" (int) are a 400."""
    async with api() as client:
        response = await client.get(
            "/oembed", params={"url": origin.url("/card-normal.html"), name: value}
        )
        assert response.status == 400
        assert await response.json() == {
            "error": {"code": "bad_request", "message": f"{name!r} must be a positive integer"}
        }
    assert origin.hits["/card-normal.html"] == 0


async def test_max_age_in_a_superscript_digit_is_ignored() -> None:
    """A site's ``Cache-Control: max-age=²`` does not break its preview: the card is
    cached for the default time, as with any unreadable max-age."""

    async def page(request: web.Request) -> web.Response:
        return web.Response(
            text="<title>Squared</title>",
            content_type="text/html",
            headers={"Cache-Control": "max-age=²"},
        )

    app = web.Application()
    app.router.add_get("/", page)
    settings = Settings(
        allow_networks=["127.0.0.1/32"], allowed_ports=None, oembed=False, image_probe=False
    )
    async with loopback_app(app) as port, Previewer(settings) as previewer:
        result = await previewer.lookup(f"http://127.0.0.1:{port}/")
    assert result.card.title == "Squared"
    assert result.fetch is not None
    assert result.fetch.status == 200


def _get(path: str, *headers: bytes) -> bytes:
    lines = [f"GET {path} HTTP/1.1".encode(), b"Host: 127.0.0.1", *headers]
    return b"\r\n".join([*lines, b"Connection: close", b"", b""])


async def test_authorization_with_non_utf8_bytes_is_unauthorized() -> None:
    """``Authorization: Bearer \\xff\\xfe`` is a wrong key (401 JSON), not a 500."""
    async with serve({"OGPREVIEW_API_KEYS": "right-key"}) as server:
        response = await exchange(
            server.port, _get("/v1/preview?url=x", b"Authorization: Bearer \xff\xfe")
        )
    assert response.status == 401
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers["www-authenticate"] == 'Bearer realm="ogpreview"'
    assert response.json() == {
        "error": {
            "code": "unauthorized",
            "message": "a valid API key is required (Authorization: Bearer <key>)",
        }
    }


async def test_authorization_key_is_compared_as_sent_bytes() -> None:
    """A key with non-ASCII characters matches when its UTF-8 bytes are sent (the request
    then gets past the key check: a 400 for its missing URL), and not in Latin-1."""
    async with serve({"OGPREVIEW_API_KEYS": "clé"}) as server:
        utf8 = await exchange(
            server.port, _get("/v1/preview", "Authorization: Bearer clé".encode())
        )
        latin1 = await exchange(
            server.port, _get("/v1/preview", "Authorization: Bearer clé".encode("latin-1"))
        )
    assert (utf8.status, utf8.json()["error"]["code"]) == (400, "bad_request")
    assert (latin1.status, latin1.json()["error"]["code"]) == (401, "unauthorized")


@pytest.mark.parametrize("path", ["/.well-known/ai-plugin.json", "/openapi.json"])
async def test_host_header_with_non_utf8_bytes_is_bad_request(path: str) -> None:
    """A Host header that is no host name (bytes that are not UTF-8) is a 400 JSON error
    where the service names its own origin, not a 500."""
    async with serve({}) as server:
        request = b"\r\n".join(
            [f"GET {path} HTTP/1.1".encode(), b"Host: \xff\xfe", b"Connection: close", b"", b""]
        )
        response = await exchange(server.port, request)
    assert response.status == 400
    assert response.json()["error"]["code"] == "bad_request"


async def test_forwarded_for_with_non_utf8_bytes_falls_back_to_the_peer(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Behind a trusted proxy, an X-Forwarded-For that is no address is ignored: the
    request is answered and logged under the peer's address, not a 500."""
    caplog.set_level(logging.INFO, logger="ogpreview.access")
    async with api(BASE.replace(trust_forwarded_for=True)) as client:
        assert client.port is not None
        response = await exchange(
            client.port, _get("/v1/preview", b"X-Forwarded-For: 10.0.0.1, \xff\xfe")
        )
    assert response.status == 400
    assert response.json()["error"]["code"] == "bad_request"
    [line] = [r.getMessage() for r in caplog.records if r.name == "ogpreview.access"]
    assert orjson.loads(line)["client"] == "127.0.0.1"
