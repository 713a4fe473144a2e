"""Enrichment through real loopback hosts: oEmbed and the image probe are asked at once,
and ``enrich="background"`` answers after the page while they complete into the cache."""

from __future__ import annotations

import orjson
import pytest

from ogpreview import Image, MemoryCache, Previewer, Settings
from tests.image_host import pillow_image
from tests.servers import Site

#: Short fetch timeouts: a fetch held forever by a test that fails ends in seconds.
LOCAL = Settings(
    allow_networks=["127.0.0.1/32"], allowed_ports=None, total_timeout=3, connect_timeout=3
)


def _page(site: Site, *, image: bool = True) -> str:
    """A page that advertises oEmbed and has (unless not ``image``) an unsized og:image."""
    meta = f'<meta property="og:image" content="{site.url("/photo.png")}">' if image else ""
    html = (
        "<!doctype html><html><head><title>A clip</title>"
        f'<link rel="alternate" type="application/json+oembed" href="{site.url("/oembed")}">'
        f"{meta}</head><body></body></html>"
    )
    site.files["/clip.html"] = (html.encode(), "text/html; charset=utf-8")
    return site.url("/clip.html")


def _oembed(site: Site, **extra: object) -> None:
    body = orjson.dumps({"version": "1.0", "type": "video", "author_name": "A Maker", **extra})
    site.files["/oembed"] = (body, "application/json")


@pytest.fixture
async def previewer() -> Previewer:
    async with Previewer(LOCAL, cache=MemoryCache()) as running:
        yield running  # type: ignore[misc]


async def test_oembed_and_the_image_probe_are_asked_at_once(
    site: Site, previewer: Previewer
) -> None:
    """The origin answers oEmbed and the image only once both requests have arrived: the
    card gets both (asked one after the other, the first would time out)."""
    url = _page(site)
    _oembed(site)
    site.files["/photo.png"] = (pillow_image("PNG", (320, 168)), "image/png")
    site.together = {"/oembed", "/photo.png"}
    card = await previewer.preview(url)
    assert (card.author, card.image) == (
        "A Maker",
        Image(url=site.url("/photo.png"), width=320, height=168),
    )


async def test_an_oembed_thumbnail_is_probed_after_oembed(site: Site, previewer: Previewer) -> None:
    """A page without an image gets oEmbed's unsized thumbnail, probed once oEmbed named it."""
    url = _page(site, image=False)
    _oembed(site, thumbnail_url=site.url("/thumb.png"))
    site.files["/thumb.png"] = (pillow_image("PNG", (480, 360)), "image/png")
    card = await previewer.preview(url)
    assert (card.image, site.arrived) == (
        Image(url=site.url("/thumb.png"), width=480, height=360),
        ["/clip.html", "/oembed", "/thumb.png"],
    )


async def test_background_enrichment_answers_after_the_page(
    site: Site, previewer: Previewer
) -> None:
    """With enrich="background" the page's card comes back while oEmbed and the image
    are still held by the origin: unsized, without oEmbed's author, pending."""
    url = _page(site)
    _oembed(site)
    site.files["/photo.png"] = (pillow_image("PNG", (320, 168)), "image/png")
    site.hold("/oembed")
    site.hold("/photo.png")
    result = await previewer.lookup(url, enrich="background")
    site.release("/oembed")
    site.release("/photo.png")
    assert (result.cache, result.enrichment, result.card.author, result.card.image) == (
        "miss",
        "pending",
        None,
        Image(url=site.url("/photo.png")),
    )


async def test_background_enrichment_completes_into_the_cache(
    site: Site, previewer: Previewer
) -> None:
    """After a background answer, the enriched card is what the cache serves next."""
    url = _page(site)
    _oembed(site)
    site.files["/photo.png"] = (pillow_image("PNG", (320, 168)), "image/png")
    await previewer.lookup(url, enrich="background")
    await previewer.join_background()
    cached = await previewer.lookup(url)
    assert (cached.cache, cached.enrichment, cached.card.author, cached.card.image) == (
        "hit",
        "complete",
        "A Maker",
        Image(url=site.url("/photo.png"), width=320, height=168),
    )


async def test_background_enrichment_of_a_plain_page_is_complete(
    site: Site, previewer: Previewer
) -> None:
    """A page with nothing to enrich answers complete, and is cached at once."""
    site.files["/plain.html"] = (b"<title>Plain</title>", "text/html; charset=utf-8")
    result = await previewer.lookup(site.url("/plain.html"), enrich="background")
    cached = await previewer.lookup(site.url("/plain.html"))
    assert (result.enrichment, result.card.title, cached.cache) == ("complete", "Plain", "hit")


async def test_an_unknown_enrich_mode_is_refused(site: Site, previewer: Previewer) -> None:
    """enrich= takes "wait" or "background"; anything else raises before any fetch."""
    with pytest.raises(ValueError, match="enrich must be one of"):
        await previewer.preview(site.url("/article.html"), enrich="later")  # type: ignore[arg-type]
    assert site.hits == {}
