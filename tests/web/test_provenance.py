"""Every API answer with a card says what was asked and where the fetch ended, from the
cache too (memory and Redis)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.service import BASE, api, served
from tests.web_origin import normal_card, site_origin


async def test_preview_says_where_the_redirects_ended() -> None:
    """A redirected link's answer names the URL asked and the page the redirects reached,
    on the miss and on the cache hit after it."""
    async with site_origin() as origin, api() as client:
        asked = origin.url("/redirect-to/card-normal.html")
        answers = [
            await (await client.get("/v1/preview", params={"url": asked})).json() for _ in range(2)
        ]
    page = origin.url("/card-normal.html")
    assert [(a["cache"], a["requested_url"], a["final_url"]) for a in answers] == [
        ("miss", asked, page),
        ("hit", asked, page),
    ]


@pytest.mark.redis
async def test_a_card_cached_in_redis_keeps_its_final_url(
    redis_url: str, redis_prefix: str
) -> None:
    """A second instance sharing the Redis answers from the cache and still says where
    the first instance's fetch ended."""
    settings = BASE.replace(redis_url=redis_url, cache_prefix=redis_prefix)
    async with site_origin() as origin:
        asked = origin.url("/redirect-to/card-normal.html")
        answers = []
        for _ in range(2):
            async with api(settings) as client:
                response = await client.get("/v1/preview", params={"url": asked})
                answers.append(await response.json())
        hits = origin.hits["/card-normal.html"]
    page = origin.url("/card-normal.html")
    assert ([(a["cache"], a["final_url"]) for a in answers], hits) == (
        [("miss", page), ("hit", page)],
        1,
    )


async def _post(client: Any, path: str, **kwargs: Any) -> list[dict[str, Any]]:
    response = await client.post(path, **kwargs)
    results: list[dict[str, Any]] = (await response.json())["results"]
    return results


async def test_batch_items_say_how_each_card_was_served() -> None:
    """Items of /v1/previews and /v1/previews/response carry cache, fetched_at,
    requested_url and final_url beside their card."""
    async with site_origin() as origin, api() as client:
        asked = origin.url("/redirect-to/card-normal.html")
        batch = await _post(client, "/v1/previews", json={"urls": [asked]})
        response = await _post(client, "/v1/previews/response", json={"link": asked})
        card = normal_card(origin)
    page = origin.url("/card-normal.html")
    assert batch + response == [
        served(batch[0], asked, card, "miss", final_url=page),
        served(response[0], asked, card, "hit", final_url=page),
    ]


SERVED = {"cache", "fetched_at", "requested_url", "final_url"}


def _fields(doc: dict[str, Any], schema: dict[str, Any]) -> tuple[set[str], set[str]]:
    """(properties, required) of an OpenAPI object schema, through $ref and allOf."""
    if "$ref" in schema:
        name = schema["$ref"].removeprefix("#/components/schemas/")
        return _fields(doc, doc["components"]["schemas"][name])
    properties, required = set(schema.get("properties", {})), set(schema.get("required", ()))
    for part in schema.get("allOf", ()):
        more, needed = _fields(doc, part)
        properties, required = properties | more, required | needed
    return properties, required


async def test_the_openapi_document_describes_the_served_fields() -> None:
    """/openapi.json documents, and requires, exactly the fields a preview answers with,
    and documents the same served fields on batch items."""
    async with site_origin() as origin, api() as client:
        doc = await (await client.get("/openapi.json")).json()
        url = origin.url("/card-normal.html")
        answer = await (await client.get("/v1/preview", params={"url": url})).json()
        item = (await _post(client, "/v1/previews", json={"urls": [url]}))[0]
        card = set(normal_card(origin))
    properties, required = _fields(doc, doc["components"]["schemas"]["Preview"])
    results = doc["components"]["schemas"]["Results"]["properties"]["results"]["items"]
    # explain=1 and findings=1 add their optional parts (tests/web/test_explain.py).
    optional = {"explain", "verdict", "findings"}
    assert (properties, required, set(answer)) == (
        card | SERVED | optional,
        card | SERVED,
        card | SERVED,
    )
    assert (_fields(doc, results)[0], set(item)) == (
        {"url", "card", "error"} | SERVED,
        {"url", "card"} | SERVED,
    )
