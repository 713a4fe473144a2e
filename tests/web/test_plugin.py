"""The chat-plugin surface through real `ogpreview serve` processes: the manifest from
configuration, the public URL and allowed hosts, the logo, and the lean model spec."""

from __future__ import annotations

import asyncio
import io
import os
import sys
from typing import Any

import aiohttp
import orjson
from openapi_spec_validator import validate
from PIL import Image as PILImage

from ogpreview.validation import (
    DESCRIPTION_FOR_HUMAN_MAX,
    DESCRIPTION_FOR_MODEL_MAX,
    NAME_FOR_HUMAN_MAX,
    NAME_FOR_MODEL_MAX,
)
from ogpreview.web.modelspec import MAX_MODEL_SPEC_BYTES
from tests.service import PROCESS_DEADLINE, serve
from tests.web_origin import SiteOrigin

PUBLIC = "https://previews.example.com"
PLUGIN_ENV = {
    "OGPREVIEW_PLUGIN_CONTACT_EMAIL": "ops@example.com",
    "OGPREVIEW_PLUGIN_LEGAL_URL": "https://example.com/legal",
}


async def _get(url: str, **kwargs: Any) -> tuple[int, dict[str, str], bytes]:
    async with aiohttp.ClientSession() as http, http.get(url, **kwargs) as response:
        return response.status, dict(response.headers), await response.read()


async def test_manifest_is_built_from_configuration() -> None:
    """Every field the operator sets is in the manifest, every URL starts with the public
    URL, the logo is the service's own, and api.url names the lean spec."""
    env = {
        **PLUGIN_ENV,
        "OGPREVIEW_PUBLIC_URL": PUBLIC + "/",
        "OGPREVIEW_PLUGIN_NAME": "Acme previews",
        "OGPREVIEW_PLUGIN_MODEL_NAME": "acme_previews",
        "OGPREVIEW_PLUGIN_DESCRIPTION": "See where links lead.",
    }
    async with serve(env) as server:
        status, _, body = await _get(server.url("/.well-known/ai-plugin.json"))
    assert status == 200
    assert orjson.loads(body) == {
        "schema_version": "v1",
        "name_for_human": "Acme previews",
        "name_for_model": "acme_previews",
        "description_for_human": "See where links lead.",
        "description_for_model": (
            "Get a preview card (site name, title, description, image) for a web URL, or for "
            "every link in a text. Use it to show users what a link leads to before they "
            "open it."
        ),
        "auth": {"type": "none"},
        "api": {"type": "openapi", "url": f"{PUBLIC}/openapi.model.json"},
        "logo_url": f"{PUBLIC}/logo.png",
        "contact_email": "ops@example.com",
        "legal_info_url": "https://example.com/legal",
    }


async def test_manifest_with_keys_has_the_verification_token() -> None:
    """With API keys on, auth is service_http bearer with the configured verification
    token; a configured logo URL replaces the service's own."""
    env = {
        **PLUGIN_ENV,
        "OGPREVIEW_API_KEYS": "k1",
        "OGPREVIEW_PLUGIN_VERIFICATION_TOKEN": "tok-123",
        "OGPREVIEW_PLUGIN_LOGO_URL": "https://cdn.example.com/logo.svg",
    }
    async with serve(env) as server:
        status, _, body = await _get(server.url("/.well-known/ai-plugin.json"))
    manifest = orjson.loads(body)
    assert status == 200
    assert (manifest["auth"], manifest["logo_url"]) == (
        {
            "type": "service_http",
            "authorization_type": "bearer",
            "verification_tokens": {"openai": "tok-123"},
        },
        "https://cdn.example.com/logo.svg",
    )


async def test_default_manifest_is_within_the_hosts_limits() -> None:
    """The manifest served with the defaults keeps to the limits chat hosts enforce."""
    async with serve(PLUGIN_ENV) as server:
        _, _, body = await _get(server.url("/.well-known/ai-plugin.json"))
    manifest = orjson.loads(body)
    assert len(manifest["name_for_human"]) <= NAME_FOR_HUMAN_MAX
    assert len(manifest["name_for_model"]) <= NAME_FOR_MODEL_MAX
    assert " " not in manifest["name_for_model"]
    assert len(manifest["description_for_human"]) <= DESCRIPTION_FOR_HUMAN_MAX
    assert len(manifest["description_for_model"]) <= DESCRIPTION_FOR_MODEL_MAX


async def test_no_manifest_without_contact_and_legal_page() -> None:
    """Without a contact address and a legal page there is no manifest (never a
    placeholder): 404 plugin_not_configured naming the variables."""
    async with serve({}) as server:
        status, _, body = await _get(server.url("/.well-known/ai-plugin.json"))
    assert (status, orjson.loads(body)) == (
        404,
        {
            "error": {
                "code": "plugin_not_configured",
                "message": "no plugin manifest until OGPREVIEW_PLUGIN_CONTACT_EMAIL and "
                "OGPREVIEW_PLUGIN_LEGAL_URL are set",
            }
        },
    )


async def test_an_unlisted_host_is_refused_not_written() -> None:
    """Without a public URL, a Host the operator did not list is 400 host_not_allowed on
    every answer that names the service, and appears in none."""
    async with serve(PLUGIN_ENV) as server:
        answers = [
            await _get(server.url(path), headers={"Host": "evil.example"})
            for path in ("/.well-known/ai-plugin.json", "/openapi.json", "/openapi.model.json")
        ]
    assert {status for status, _, _ in answers} == {400}
    assert {orjson.loads(body)["error"]["code"] for _, _, body in answers} == {"host_not_allowed"}
    assert not any(b"evil.example" in body for _, _, body in answers)


async def test_a_listed_host_names_the_service() -> None:
    """Without a public URL, a Host that OGPREVIEW_ALLOWED_HOSTS lists is the one used."""
    env = {**PLUGIN_ENV, "OGPREVIEW_ALLOWED_HOSTS": "previews.internal"}
    async with serve(env) as server:
        _, _, body = await _get(
            server.url("/.well-known/ai-plugin.json"), headers={"Host": "previews.internal:8443"}
        )
        loopback, _, _ = await _get(server.url("/openapi.json"))
    assert orjson.loads(body)["api"]["url"] == "http://previews.internal:8443/openapi.model.json"
    assert loopback == 400  # the default list (loopback names) is replaced, not extended


async def test_public_url_wins_over_the_host() -> None:
    """With a public URL, every spec's server is it, whatever the Host says."""
    async with serve({"OGPREVIEW_PUBLIC_URL": PUBLIC}) as server:
        full = await _get(server.url("/openapi.json"), headers={"Host": "evil.example"})
        lean = await _get(server.url("/openapi.model.json"), headers={"Host": "evil.example"})
    assert [orjson.loads(body)["servers"] for _, _, body in (full, lean)] == [
        [{"url": PUBLIC}],
        [{"url": PUBLIC}],
    ]


async def test_logo_is_a_real_png() -> None:
    """/logo.png is a 512x512 PNG image."""
    async with serve({}) as server:
        status, headers, body = await _get(server.url("/logo.png"))
    image = PILImage.open(io.BytesIO(body))
    image.verify()
    assert (status, headers["Content-Type"], image.format, image.size) == (
        200,
        "image/png",
        "PNG",
        (512, 512),
    )


async def test_lean_spec_is_valid_small_and_model_facing() -> None:
    """The manifest's api.url is a valid OpenAPI document of at most 4,000 bytes with
    exactly the two operations a model needs; /openapi.json (valid too) is the whole API."""
    async with serve({"OGPREVIEW_API_KEYS": "k1", **PLUGIN_ENV}) as server:
        _, _, lean_bytes = await _get(server.url("/openapi.model.json"))
        _, _, full_bytes = await _get(server.url("/openapi.json"))
    lean, full = orjson.loads(lean_bytes), orjson.loads(full_bytes)
    validate(lean)
    validate(full)
    operations = {
        (method, path, op["operationId"])
        for path, ops in lean["paths"].items()
        for method, op in ops.items()
    }
    assert len(lean_bytes) <= MAX_MODEL_SPEC_BYTES
    assert operations == {
        ("get", "/v1/preview", "previewUrl"),
        ("post", "/v1/previews/response", "previewLinks"),
    }
    assert lean["security"] == [{"bearer": []}]
    assert {"/metrics", "/v1/image", "/v1/embed", "/openapi.model.json"} <= set(full["paths"])


async def test_lean_spec_operations_answer_as_described(origin: SiteOrigin) -> None:
    """previewLinks, called as the lean spec describes it ({"text": ...}), previews the
    links in the text."""
    page = origin.url("/card-normal.html")
    async with (
        serve({}) as server,
        aiohttp.ClientSession() as http,
        http.post(
            server.url("/v1/previews/response"), json={"text": f"Read [this]({page}) first."}
        ) as response,
    ):
        body = await response.json()
    assert response.status == 200
    assert [(r["url"], r["card"]["title"]) for r in body["results"]] == [
        (page, "Harbour lights return to the old port")
    ]


async def test_serve_refuses_a_manifest_over_the_limits() -> None:
    """`ogpreview serve` with a plugin name over 20 characters exits 2 with one readable
    line, no traceback, before listening."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "ogpreview.cli",
        "serve",
        "--port",
        "0",
        env={**os.environ, "OGPREVIEW_PLUGIN_NAME": "A name far too long for it"},
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    async with asyncio.timeout(PROCESS_DEADLINE):
        _, stderr = await process.communicate()
    assert (process.returncode, stderr.decode()) == (
        2,
        "error: invalid settings: plugin_name is 26 characters; the plugin manifest allows "
        "at most 20\n",
    )
