"""The previewer's image probe through real loopback hosts: every format a browser shows
is sized; a definitive failure drops the image and says why; a failure that may pass keeps
it unsized, briefly, so it is probed again soon."""

from __future__ import annotations

import asyncio
import dataclasses
import time

import pytest
from PIL import Image as PILImage

from ogpreview import Fetcher, Image, MemoryCache, Previewer, Settings
from ogpreview.cache import Entry
from ogpreview.fetch.resolver import StaticResolver
from ogpreview.previewer import PreviewResult
from ogpreview.urls import cache_key
from tests.image_host import IMAGES, page_for, pillow_image
from tests.servers import Site, raw_listener, silent_listener

LOCAL = Settings(allow_networks=["127.0.0.1/32"], allowed_ports=None, oembed=False)
SVG_NS = 'xmlns="http://www.w3.org/2000/svg"'


def _rotated_jpeg() -> bytes:
    exif = PILImage.Exif()
    exif[0x0112] = 6  # orientation: rotate 90° to show
    return pillow_image("JPEG", (640, 360), exif=exif)


FORMATS = {
    "png": (lambda: pillow_image("PNG", (320, 168)), "image/png", (320, 168)),
    "jpeg": (lambda: pillow_image("JPEG", (321, 169)), "image/jpeg", (321, 169)),
    "jpeg-exif-rotated": (_rotated_jpeg, "image/jpeg", (360, 640)),
    "gif": (lambda: pillow_image("GIF", (322, 170)), "image/gif", (322, 170)),
    "webp": (lambda: pillow_image("WEBP", (323, 171)), "image/webp", (323, 171)),
    "avif": (lambda: pillow_image("AVIF", (324, 172)), "image/avif", (324, 172)),
    "heic": (lambda: (IMAGES / "photo-640x336.heic").read_bytes(), "image/heic", (640, 336)),
    "jxl": (lambda: (IMAGES / "banner-333x77.jxl").read_bytes(), "image/jxl", (333, 77)),
    "bmp": (lambda: pillow_image("BMP", (325, 173)), "image/bmp", (325, 173)),
    "tiff": (lambda: pillow_image("TIFF", (326, 174)), "image/tiff", (326, 174)),
    "ico": (
        lambda: pillow_image("ICO", (64, 64), sizes=[(16, 16), (64, 64)]),
        "image/x-icon",
        (64, 64),
    ),
    "svg-size": (
        lambda: f'<svg {SVG_NS} width="3in" height="1.5in"/>'.encode(),
        "image/svg+xml",
        (288, 144),
    ),
    "svg-viewbox": (
        lambda: (
            f'<?xml version="1.0"?>\n<!-- logo -->\n<svg {SVG_NS} viewBox="0 0 1200 630">'
            '<rect width="10" height="10"/></svg>'
        ).encode(),
        "image/svg+xml",
        (1200, 630),
    ),
}


@pytest.mark.parametrize("kind", list(FORMATS))
async def test_every_format_a_browser_shows_is_sized(site: Site, kind: str) -> None:
    """A page's og:image in any browser format gets its real, displayed size."""
    make, content_type, (width, height) = FORMATS[kind]
    site.files["/image"] = (make(), content_type)
    page = page_for(site, site.url("/image"))
    async with Previewer(LOCAL, cache=MemoryCache()) as previewer:
        card = await previewer.preview(page)
    assert card.image == Image(url=site.url("/image"), width=width, height=height)


async def test_a_size_past_the_probed_bytes_keeps_the_image_unsized(site: Site) -> None:
    """A JPEG whose size comes after 100 KB of colour profile is kept, without a size:
    the probe reads only the first bytes, and they say it is a JPEG."""
    site.files["/big.jpg"] = (
        pillow_image("JPEG", (400, 300), icc_profile=b"\0" * 100_000),
        "image/jpeg",
    )
    page = page_for(site, site.url("/big.jpg"))
    async with Previewer(LOCAL, cache=MemoryCache()) as previewer:
        result = await previewer.lookup(page)
    assert (result.card.image, _notes(result)) == (Image(url=site.url("/big.jpg")), {})


def _notes(result: PreviewResult) -> dict[str, str | None]:
    assert result.sources is not None
    return {k: v for k, v in result.sources.items() if k.startswith("image_")}


async def _ttl(cache: MemoryCache, url: str) -> float:
    entry = await cache.get(cache_key(url))
    assert entry is not None
    return round(entry.fresh_until - entry.fetched_at)


DEFINITIVE = {
    "404": ([404], None, "http_status: the server answered 404"),
    "410": ([410], None, "http_status: the server answered 410"),
    "not an image": ([], (b"<html>nope</html>", "text/html"), None),
    "undecodable": (
        [],
        (b"\x89PNG\r\n\x1a\n" + b"\0" * 60, "image/png"),
        "its PNG header does not decode",
    ),
    "no browser format": ([], (b"P6\n2 2\n255\n" + b"\0" * 12, "image/x-portable-pixmap"), None),
}


@pytest.mark.parametrize("case", list(DEFINITIVE))
async def test_a_definitive_answer_drops_the_image_and_says_why(site: Site, case: str) -> None:
    """404, 410, not an image, bytes no decoder reads: the image is dropped, explain's
    sources say why, and the card keeps its full TTL."""
    script, served, reason = DEFINITIVE[case]
    site.script["/image"] = list(script)
    if served is not None:
        site.files["/image"] = served
    page = page_for(site, site.url("/image"))
    cache = MemoryCache()
    async with Previewer(LOCAL, cache=cache) as previewer:
        result = await previewer.lookup(page)
    expected = (
        reason
        or {
            "not an image": "unsupported_content: expected an image, got text/html",
            "no browser format": "it is not an image format browsers show",
        }[case]
    )
    assert (result.card.image, _notes(result), await _ttl(cache, page)) == (
        None,
        {"image_dropped": expected},
        LOCAL.cache_ttl,
    )


async def test_an_image_at_a_refused_address_is_dropped_unprobed(site: Site) -> None:
    """An og:image on an address outside the allowed networks is dropped as blocked,
    and its host sees no connection."""
    async with raw_listener("127.0.0.2") as refused:
        page = page_for(site, refused.url("/image.png"))
        async with Previewer(LOCAL, cache=MemoryCache()) as previewer:
            result = await previewer.lookup(page)
    assert (result.card.image, _notes(result), refused.accepted) == (
        None,
        {"image_dropped": "blocked_address: address 127.0.0.2 is not allowed"},
        0,
    )


Kept = tuple[Image | None, dict[str, str | None], float]


def _kept(url: str, reason: str) -> Kept:
    """What a card keeps after a failure that may pass: the image unsized, why, and the
    short TTL."""
    note = f"{reason} (a failure that may pass: kept unsized, probed again soon)"
    return Image(url=url), {"image_unsized": note}, LOCAL.transient_negative_ttl


async def _kept_of(previewer: Previewer, cache: MemoryCache, page: str) -> Kept:
    result = await previewer.lookup(page)
    return result.card.image, _notes(result), await _ttl(cache, page)


@pytest.mark.parametrize("status", [503, 500, 429])
async def test_a_passing_http_failure_keeps_the_image_unsized(site: Site, status: int) -> None:
    """A 5xx or 429 from the image host keeps the image without a size, and the card is
    cached for the short TTL of a transient failure."""
    site.script["/image.png"] = [status]
    page = page_for(site, site.url("/image.png"))
    cache = MemoryCache()
    async with Previewer(LOCAL, cache=cache) as previewer:
        kept = await _kept_of(previewer, cache, page)
    assert kept == _kept(site.url("/image.png"), f"http_status: the server answered {status}")


async def test_an_image_host_that_times_out_keeps_the_image_unsized(site: Site) -> None:
    """An image host that never answers costs the probe its timeout, not the image."""
    settings = LOCAL.replace(total_timeout=0.5)
    cache = MemoryCache()
    async with silent_listener() as silent, Previewer(settings, cache=cache) as previewer:
        page = page_for(site, silent.url("/image.png"))
        kept = await _kept_of(previewer, cache, page)
    assert kept == _kept(silent.url("/image.png"), "timeout: no complete answer within 0.5 s")


async def test_an_image_host_that_hangs_up_keeps_the_image_unsized(site: Site) -> None:
    """A connection closed before any answer is a failure that may pass."""

    async def hang_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")

    cache = MemoryCache()
    async with raw_listener(script=hang_up) as listener:
        page = page_for(site, listener.url("/image.png"))
        async with Previewer(LOCAL, cache=cache) as previewer:
            kept = await _kept_of(previewer, cache, page)
    assert kept == _kept(
        listener.url("/image.png"),
        "connect_error: connection to 127.0.0.1 failed: Server disconnected",
    )


async def test_an_image_host_whose_name_fails_to_resolve_keeps_the_image(
    site: Site,
) -> None:
    """A DNS failure for the image's host keeps the image unsized, briefly."""
    resolver = StaticResolver({})  # knows no name: every lookup fails as DNS does
    cache = MemoryCache()
    async with (
        Fetcher(LOCAL, resolver=resolver) as fetcher,
        Previewer(LOCAL, fetcher=fetcher, cache=cache) as previewer,
    ):
        page = page_for(site, f"http://images.example.net:{site.port}/a.png")
        kept = await _kept_of(previewer, cache, page)
    assert kept == _kept(
        f"http://images.example.net:{site.port}/a.png",
        "dns_error: images.example.net did not resolve",
    )


async def test_an_image_503_once_is_sized_on_a_later_preview(site: Site) -> None:
    """An image host answering 503 once, then 200: the first card keeps the image
    unsized with the short TTL; once that passes, the card is fetched again and the
    image sized."""
    site.script["/photo.png"] = [503]
    site.files["/photo.png"] = (pillow_image("PNG", (1200, 630)), "image/png")
    page = page_for(site, site.url("/photo.png"))
    cache = MemoryCache()
    async with Previewer(LOCAL, cache=cache) as previewer:
        first = await _kept_of(previewer, cache, page)
        await _pass_fresh_time(cache, page)  # the minute of the short TTL goes by
        stale = await previewer.lookup(page)  # served while one refresh runs
        await asyncio.gather(*previewer._background)
        later = await previewer.lookup(page)
    assert (first, stale.card.image, later.cache, later.card.image) == (
        _kept(site.url("/photo.png"), "http_status: the server answered 503"),
        Image(url=site.url("/photo.png")),
        "hit",
        Image(url=site.url("/photo.png"), width=1200, height=630),
    )
    assert (site.hits["/page.html"], site.hits["/photo.png"]) == (2, 2)


async def _pass_fresh_time(cache: MemoryCache, url: str) -> None:
    key = cache_key(url)
    entry = await cache.get(key)
    assert isinstance(entry, Entry)
    await cache.set(key, dataclasses.replace(entry, fresh_until=time.time() - 1))
