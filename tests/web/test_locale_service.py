"""The user's locale end to end: a real `ogpreview serve` asks a loopback origin that
answers by Accept-Language for the page in the language of the chat host's region header
(or the caller's Accept-Language), and keeps the languages apart in the cache."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from ogpreview.settings import DEFAULT_ACCEPT_LANGUAGE
from tests.lang_origin import LangOrigin, lang_origin
from tests.service import Server, serve

REGION = "openai-subdivision-1-iso-code"


@pytest.fixture
async def origin() -> AsyncIterator[LangOrigin]:
    async with lang_origin() as running:
        yield running


async def _preview(server: Server, url: str, **headers: str) -> tuple[str, str, dict[str, Any]]:
    async with (
        aiohttp.ClientSession() as http,
        http.get(server.url("/v1/preview"), params={"url": url}, headers=headers) as response,
    ):
        assert response.status == 200
        body = await response.json()
        return body["title"], body["cache"], dict(response.headers)


async def test_region_header_fetches_the_page_in_the_countrys_language(
    origin: LangOrigin,
) -> None:
    """FR-75 gives the French page, DE-BY the German one, no header the default English
    one; the origin saw the Accept-Language CLDR's languages make; repeats are hits."""
    url = origin.url("/vary/e2e")
    async with serve({}) as server:
        answers = [
            await _preview(server, url, **{REGION: "FR-75"}),
            await _preview(server, url, **{REGION: "DE-BY"}),
            await _preview(server, url),
            await _preview(server, url, **{REGION: "FR-IDF"}),
            await _preview(server, url, **{REGION: "US-CA"}),  # English: the default card
        ]
    assert [(title, cache) for title, cache, _ in answers] == [
        ("Les feux du port", "miss"),
        ("Die Hafenlichter", "miss"),
        ("Harbour lights", "miss"),
        ("Les feux du port", "hit"),
        ("Harbour lights", "hit"),
    ]
    assert origin.fetches("/vary/e2e") == [
        "fr-FR, fr;q=0.9, *;q=0.1",
        "de-DE, de;q=0.9, *;q=0.1",
        DEFAULT_ACCEPT_LANGUAGE,
    ]
    assert answers[0][2]["Vary"] == f"Accept-Language, {REGION}"


async def test_the_callers_accept_language_is_used_without_a_region(
    origin: LangOrigin,
) -> None:
    """A browser's Accept-Language picks the language when no region header is sent;
    the region header wins when both are."""
    url = origin.url("/vary/browser")
    async with serve({}) as server:
        german = await _preview(server, url, **{"Accept-Language": "de-AT,de;q=0.9,en;q=0.5"})
        french = await _preview(server, url, **{"Accept-Language": "de-AT", REGION: "FR-75"})
        ignored = await _preview(server, url, **{REGION: "ZZ-99"})  # names no country
    assert [(t, c) for t, c, _ in (german, french, ignored)] == [
        ("Die Hafenlichter", "miss"),
        ("Les feux du port", "miss"),
        ("Harbour lights", "miss"),
    ]
    assert origin.fetches("/vary/browser")[0] == "de-AT, de;q=0.9, *;q=0.1"


async def test_a_site_that_does_not_vary_is_fetched_once_for_all_languages(
    origin: LangOrigin,
) -> None:
    """Users of three countries share the one card of a site that does not answer by
    language: one upstream fetch."""
    url = origin.url("/fixed/shared")
    async with serve({}) as server:
        caches = [
            (await _preview(server, url, **{REGION: code}))[1]
            for code in ("FR-75", "JP-13", "BR-SP")
        ]
    assert (caches, len(origin.fetches("/fixed/shared"))) == (["miss", "hit", "hit"], 1)


async def test_language_cards_are_shared_through_redis(
    origin: LangOrigin, redis_url: str, redis_prefix: str
) -> None:
    """The French card one instance fetched is a hit on another sharing the Redis, and
    the English one stays apart."""
    env = {"OGPREVIEW_REDIS_URL": redis_url, "OGPREVIEW_CACHE_PREFIX": redis_prefix}
    url = origin.url("/vary/redis")
    async with serve(env) as first, serve(env) as second:
        fetched = await _preview(first, url, **{REGION: "FR-75"})
        shared = await _preview(second, url, **{REGION: "FR-75"})
        english = await _preview(second, url)
    assert [(t, c) for t, c, _ in (fetched, shared, english)] == [
        ("Les feux du port", "miss"),
        ("Les feux du port", "hit"),
        ("Harbour lights", "miss"),
    ]
