"""The previewer on the embedded memory cache, against the fixture site on 127.0.0.1."""

from __future__ import annotations

import asyncio
import dataclasses
import sys
import time
from collections.abc import AsyncIterator

import pytest

from ogpreview import (
    Card,
    HTTPStatusError,
    Image,
    InvalidURL,
    MemoryCache,
    Previewer,
    Settings,
)
from ogpreview.urls import cache_key
from tests.servers import FILE_LINKS, Site, silent_listener

LOCAL = Settings(allow_networks=["127.0.0.0/8"], allowed_ports=None)


@pytest.fixture
async def previewer() -> AsyncIterator[Previewer]:
    async with Previewer(LOCAL, cache=MemoryCache()) as p:
        yield p


def _article(site: Site) -> Card:
    return Card(
        url=site.url("/article.html"),
        site_name="Fixture Site",
        title="An article",
        description="What the article is about, in a sentence or two.",
        image=Image(url=site.url("/wide.png"), width=1200, height=630),
        locale="en",
        favicon=site.url("/favicon.ico"),
        author="Oe Author",
        oembed_url=site.url("/oembed.json"),
    )


async def test_preview_builds_the_full_card(site: Site, previewer: Previewer) -> None:
    """A page gives its card, with oEmbed's author and the image's measured size."""
    assert await previewer.preview(site.url("/article.html")) == _article(site)


async def test_second_lookup_is_a_cache_hit(site: Site, previewer: Previewer) -> None:
    """The first lookup fetches (miss), the second is served from the cache (hit)."""
    first = await previewer.lookup(site.url("/article.html"))
    second = await previewer.lookup(site.url("/article.html"))
    assert (first.cache, second.cache, second.card, site.hits["/article.html"]) == (
        "miss",
        "hit",
        first.card,
        1,
    )


async def test_tracking_parameters_share_the_cache_entry(site: Site, previewer: Previewer) -> None:
    """A link with utm_* parameters is served from the entry of the clean link."""
    await previewer.lookup(site.url("/article.html"))
    again = await previewer.lookup(site.url("/article.html?utm_source=x&fbclid=y#top"))
    assert (again.cache, site.hits["/article.html"]) == ("hit", 1)


async def test_miss_reports_the_fetch(site: Site, previewer: Previewer) -> None:
    """A miss carries the fetch made for it (status, final URL) and when it happened."""
    before = time.time()
    result = await previewer.lookup(site.url("/plain.html"))
    assert result.fetch is not None
    assert (result.fetch.status, result.fetch.url, result.fetched_at >= before) == (
        200,
        site.url("/plain.html"),
        True,
    )


async def test_refresh_forces_a_fetch(site: Site, previewer: Previewer) -> None:
    """refresh=True fetches again even when the card is fresh."""
    await previewer.preview(site.url("/plain.html"))
    result = await previewer.lookup(site.url("/plain.html"), refresh=True)
    assert (result.cache, site.hits["/plain.html"]) == ("miss", 2)


async def test_concurrent_callers_share_one_fetch(site: Site, previewer: Previewer) -> None:
    """Fifty concurrent callers of one URL cause exactly one upstream request."""
    site.delay = 0.05
    cards = await asyncio.gather(*(previewer.preview(site.url("/plain.html")) for _ in range(50)))
    assert (len(set(cards)), site.hits["/plain.html"]) == (1, 1)


async def test_one_caller_giving_up_leaves_the_fetch_to_the_others(
    site: Site, previewer: Previewer
) -> None:
    """Of two callers waiting on one fetch, the one cancelled does not stop it: the
    other gets the card, from the one request made."""
    site.hold("/plain.html")
    first = asyncio.ensure_future(previewer.preview(site.url("/plain.html")))
    second = asyncio.ensure_future(previewer.preview(site.url("/plain.html")))
    await site.held.wait()  # the one fetch is at the site; both callers wait on it
    first.cancel()
    await asyncio.wait([first])
    site.release("/plain.html")
    card = await second
    assert (first.cancelled(), card.url, site.hits["/plain.html"]) == (
        True,
        site.url("/plain.html"),
        1,
    )


async def test_the_last_caller_giving_up_stops_the_fetch(previewer: Previewer) -> None:
    """When the only caller waiting on a fetch is cancelled, the fetch stops too: the
    upstream connection closes at once, not when the fetch would have timed out."""
    async with silent_listener() as silent:
        waiting = asyncio.ensure_future(previewer.preview(silent.url("/hangs")))
        await silent.connected.wait()
        waiting.cancel()
        async with asyncio.timeout(LOCAL.total_timeout / 2):  # well before the fetch's own
            await silent.closed.wait()
    assert waiting.cancelled()


async def test_http_errors_are_cached_briefly(site: Site, previewer: Previewer) -> None:
    """A 404 is raised and remembered: asking again does not hit the site."""
    site.status["/gone.html"] = 404
    for _ in range(2):
        with pytest.raises(HTTPStatusError) as info:
            await previewer.preview(site.url("/gone.html"))
        assert info.value.status == 404
    assert site.hits["/gone.html"] == 1


async def test_negative_ttls_depend_on_the_failure(site: Site) -> None:
    """404s are remembered for negative_ttl, 5xx for the shorter transient_negative_ttl."""
    cache = MemoryCache()
    settings = LOCAL.replace(negative_ttl=600, transient_negative_ttl=30)
    site.status["/404"] = 404
    site.status["/503"] = 503
    async with Previewer(settings, cache=cache) as previewer:
        for path in ("/404", "/503"):
            with pytest.raises(HTTPStatusError):
                await previewer.preview(site.url(path))
    ttls = []
    for path in ("/404", "/503"):
        entry = await cache.get(cache_key(site.url(path)))
        assert entry is not None
        ttls.append(round(entry.fresh_until - entry.fetched_at))
    assert ttls == [600, 30]


async def test_refused_urls_are_not_fetched_or_cached(previewer: Previewer) -> None:
    """An invalid URL raises at once and leaves nothing in the cache."""
    with pytest.raises(InvalidURL):
        await previewer.preview("notaurl")
    assert len(previewer.cache) == 0  # type: ignore[arg-type]


async def test_freshness_follows_cache_control(site: Site) -> None:
    """max-age sets how long a card is fresh, clamped to the configured bounds."""
    cache = MemoryCache()
    settings = LOCAL.replace(cache_min_ttl=60, cache_max_ttl=3600)
    site.headers["/plain.html"] = {"Cache-Control": "public, max-age=120"}
    site.headers["/article.html"] = {"Cache-Control": "max-age=999999"}
    async with Previewer(settings, cache=cache) as previewer:
        await previewer.preview(site.url("/plain.html"))
        await previewer.preview(site.url("/article.html"))
    spans = []
    for path in ("/plain.html", "/article.html"):
        entry = await cache.get(cache_key(site.url(path)))
        assert entry is not None
        spans.append(round(entry.fresh_until - entry.fetched_at))
    assert spans == [120, 3600]


async def test_stale_card_is_served_while_one_refresh_runs(site: Site) -> None:
    """Past freshness the stale card comes back at once and one refresh updates it."""
    cache = MemoryCache()
    url = site.url("/plain.html")
    async with Previewer(LOCAL, cache=cache) as previewer:
        first = await previewer.lookup(url)
        await _age(cache, url)
        stale = await asyncio.gather(*(previewer.lookup(url) for _ in range(5)))
        await _drain(previewer)
        fresh = await previewer.lookup(url)
    assert ([r.cache for r in stale], fresh.cache, fresh.fetched_at > first.fetched_at) == (
        ["stale"] * 5,
        "hit",
        True,
    )
    assert site.hits["/plain.html"] == 2


async def test_failed_refresh_keeps_the_stale_card(site: Site) -> None:
    """When the refresh fails, the stale card stays and is still served."""
    cache = MemoryCache()
    url = site.url("/plain.html")
    async with Previewer(LOCAL, cache=cache) as previewer:
        first = await previewer.lookup(url)
        await _age(cache, url)
        site.status["/plain.html"] = 500
        await previewer.lookup(url)
        await _drain(previewer)
        again = await previewer.lookup(url)
    assert (again.cache, again.card, site.hits["/plain.html"]) == ("stale", first.card, 2)


def _wide_png_card(site: Site) -> Card:
    return Card(
        url=site.url("/wide.png"),
        site_name="127.0.0.1",
        title="wide.png",
        image=Image(url=site.url("/wide.png"), width=1200, height=630, type="image/png"),
        type="image",
        favicon=site.url("/favicon.ico"),
    )


async def test_image_url_previews_as_itself(site: Site, previewer: Previewer) -> None:
    """A link to an image gives a card whose image is that URL, with its size."""
    assert await previewer.preview(site.url("/wide.png")) == _wide_png_card(site)


@pytest.mark.parametrize(("path", "kind"), [*FILE_LINKS, ("/bytes.bin", "file")])
async def test_every_other_file_gets_a_plain_card(
    site: Site, previewer: Previewer, path: str, kind: str
) -> None:
    """A PDF, JSON, text, an archive or an octet stream previews as a plain card (file
    name, site name, icon), without its body downloaded: never a failure."""
    card = await previewer.preview(site.url(path))
    assert card == Card(
        url=site.url(path),
        site_name="127.0.0.1",
        title=path.lstrip("/"),
        type=kind,
        favicon=site.url("/favicon.ico"),
    )


async def test_png_labelled_html_previews_as_the_image(site: Site, previewer: Previewer) -> None:
    """A server calling a PNG text/html: its bytes are sniffed, the card is the image."""
    site.headers["/wide.png"] = {"Content-Type": "text/html; charset=utf-8"}
    assert await previewer.preview(site.url("/wide.png")) == _wide_png_card(site)


async def test_broken_image_is_dropped(site: Site, previewer: Previewer) -> None:
    """An og:image that 404s is dropped from the card; the card survives."""
    card = await previewer.preview(site.url("/broken-image.html"))
    assert (card.title, card.image) == ("Page with a broken image", None)


async def test_failing_oembed_never_fails_the_card(site: Site, previewer: Previewer) -> None:
    """With the oEmbed endpoint down, the card comes from the page alone."""
    site.status["/oembed.json"] = 500
    card = await previewer.preview(site.url("/article.html"))
    assert (card.title, card.author) == ("An article", None)


async def test_preview_many_yields_every_outcome(site: Site, previewer: Previewer) -> None:
    """Each URL yields its card or its error; one bad URL never fails the others."""
    site.status["/gone.html"] = 404
    urls = [site.url("/plain.html"), site.url("/gone.html"), "nope", site.url("/article.html")]
    outcomes = {url: outcome async for url, outcome in previewer.preview_many(urls, concurrency=2)}
    kinds = {url: type(outcome).__name__ for url, outcome in outcomes.items()}
    assert kinds == {
        urls[0]: "Card",
        urls[1]: "HTTPStatusError",
        urls[2]: "InvalidURL",
        urls[3]: "Card",
    }


async def test_preview_response_keeps_the_links_order(site: Site, previewer: Previewer) -> None:
    """The links of a plugin's JSON response come back previewed, in their order."""
    body = {
        "results": [
            {"summary": f"See [the article]({site.url('/article.html')})."},
            {"link": site.url("/plain.html")},
            {"again": site.url("/article.html?utm_medium=chat")},
        ]
    }
    results = await previewer.preview_response(body)
    assert [(url, getattr(card, "title", None)) for url, card in results] == [
        (site.url("/article.html"), "An article"),
        (site.url("/plain.html"), "Plain page"),
    ]


async def _age(cache: MemoryCache, url: str) -> None:
    """Make the cached entry for ``url`` stale (past fresh, before gone)."""
    key = cache_key(url)
    entry = await cache.get(key)
    assert entry is not None
    now = time.time()
    await cache.set(key, dataclasses.replace(entry, fresh_until=now - 1, stale_until=now + 3600))


async def _drain(previewer: Previewer) -> None:
    """Wait for the background refreshes started so far."""
    await asyncio.gather(*previewer._background)


_PREVIEW_AND_LIST_REDIS_MODULES = """
import asyncio, sys
from ogpreview import Checker, Previewer, Settings
from ogpreview.check.jobs import jobs_for
import ogpreview.check.pool, ogpreview.cli, ogpreview.web.app  # the service and check too

async def main(url):
    settings = Settings(allow_networks=["127.0.0.0/8"], allowed_ports=None)
    async with Previewer(settings) as previewer:
        card = await previewer.preview(url)
        jobs = jobs_for(settings, Checker(previewer))
        await jobs.aclose()
    loaded = sorted(name for name in sys.modules if name.split(".")[0] == "redis")
    print(card.title, loaded)

asyncio.run(main(sys.argv[1]))
"""


async def test_without_a_redis_url_redis_py_is_never_loaded(site: Site) -> None:
    """With no Redis URL, previewing (and choosing a job store, and importing the service
    and the check command) does not import redis-py (its memory and start-up time are
    spent only where Redis is used)."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        _PREVIEW_AND_LIST_REDIS_MODULES,
        site.url("/article.html"),
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        out, _ = await asyncio.wait_for(proc.communicate(), 30)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert (proc.returncode, out.decode()) == (0, "An article []\n")
