"""Fresh-preview latency as a multiple of one origin round trip (issue 12).

The test site (tests/servers.py) on 127.0.0.1 answers every request after ``--latency-ms``: a page,
its oEmbed document and its image. One round trip is a bare aiohttp GET of the page, in
the same run. Each case is a fresh preview (``refresh=True``: no cache hit), the median
of ``--runs`` runs, cases alternating so that drift in machine load hits all alike:

- ``sized``: a page whose og:image declares its size, no oEmbed (nothing to enrich);
- ``oembed + unsized image``: oEmbed advertised and an og:image without dimensions;
  oEmbed and the image probe run at once. Target: at most 2.3x one round trip;
- ``the same, enrich=background``: answered after the page alone. Target: about 1x
  (at most 1.5x here);
- ``oembed thumbnail only``: no og:image; oEmbed's thumbnail is probed after oEmbed
  named it (in sequence, by nature: about 3x).

    python bench/fresh.py [--latency-ms 100] [--runs 7]

Traffic goes to 127.0.0.1 only; the run is bounded by the run count.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import aiohttp
import orjson
from PIL import Image as PILImage

from ogpreview import MemoryCache, Previewer, Settings

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.servers import Site, site_server

MAX_ENRICHED = 2.3
MAX_BACKGROUND = 1.5


def _png(width: int, height: int) -> bytes:
    out = io.BytesIO()
    PILImage.new("RGB", (width, height), (200, 60, 20)).save(out, "PNG")
    return out.getvalue()


def _page(title: str, head: str) -> bytes:
    return f"<!doctype html><html><head><title>{title}</title>{head}</head></html>".encode()


def _serve(site: Site) -> str:
    """Put the bench's files on ``site``; its base URL."""
    base = site.url("")
    files = site.files
    oembed = f'<link rel="alternate" type="application/json+oembed" href="{base}/oembed">'
    sized = (
        f'<meta property="og:image" content="{base}/photo.png">'
        '<meta property="og:image:width" content="320">'
        '<meta property="og:image:height" content="168">'
    )
    clip = f'{oembed}<meta property="og:image" content="{base}/photo.png">'
    author = {"version": "1.0", "type": "video", "author_name": "A"}
    thumb = {"version": "1.0", "type": "video", "thumbnail_url": f"{base}/thumb.png"}
    files["/sized"] = (_page("Sized", sized), "text/html")
    files["/clip"] = (_page("Clip", clip), "text/html")
    files["/thumbed"] = (_page("Thumbed", oembed.replace("/oembed", "/thumb.json")), "text/html")
    files["/oembed"] = (orjson.dumps(author), "application/json")
    files["/thumb.json"] = (orjson.dumps(thumb), "application/json")
    files["/photo.png"] = (_png(320, 168), "image/png")
    files["/thumb.png"] = (_png(480, 360), "image/png")
    return base


async def _timed(call: Callable[[], Awaitable[object]]) -> float:
    start = time.perf_counter()
    await call()
    return time.perf_counter() - start


async def main_async(latency_ms: float, runs: int) -> int:
    settings = Settings(allow_networks=["127.0.0.1/32"], allowed_ports=None)
    times: dict[str, list[float]] = {}
    async with site_server() as site:
        site.delay = latency_ms / 1000  # the origin's round trip, the unit of this bench
        base = _serve(site)
        async with (
            aiohttp.ClientSession() as session,
            Previewer(settings, cache=MemoryCache()) as previewer,
        ):

            async def bare() -> None:
                async with session.get(f"{base}/sized") as response:
                    await response.read()

            cases: dict[str, Callable[[], Awaitable[object]]] = {
                "one round trip (bare GET)": bare,
                "sized": lambda: previewer.preview(f"{base}/sized", refresh=True),
                "oembed + unsized image": lambda: previewer.preview(f"{base}/clip", refresh=True),
                "the same, enrich=background": lambda: previewer.preview(
                    f"{base}/clip", refresh=True, enrich="background"
                ),
                "oembed thumbnail only": lambda: previewer.preview(f"{base}/thumbed", refresh=True),
            }
            card = await previewer.preview(f"{base}/clip", refresh=True)
            assert card.author == "A" and card.image is not None and card.image.width == 320
            for _ in range(runs):
                for name, call in cases.items():
                    times.setdefault(name, []).append(await _timed(call))
                    await previewer.join_background()  # no enrichment left over into the next
    medians = {name: statistics.median(values) for name, values in times.items()}
    unit = medians["one round trip (bare GET)"]
    print(f"origin latency {latency_ms:.0f} ms, median of {runs} runs")
    for name, median in medians.items():
        print(f"{name:<30} {median * 1000:7.1f} ms  {median / unit:5.2f}x")
    enriched = medians["oembed + unsized image"] / unit
    background = medians["the same, enrich=background"] / unit
    print(f"oembed + unsized image {enriched:.2f}x (target <= {MAX_ENRICHED}x), "
          f"background {background:.2f}x (target <= {MAX_BACKGROUND}x)")  # fmt: skip
    return 0 if enriched <= MAX_ENRICHED and background <= MAX_BACKGROUND else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency-ms", type=float, default=100.0)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args(argv)
    return asyncio.run(main_async(args.latency_ms, args.runs))


if __name__ == "__main__":
    sys.exit(main())
