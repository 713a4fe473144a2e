"""Probing an image a card names: its first bytes fetched under the guard, then read, and
a broken image told from one that failed for now."""

from __future__ import annotations

from dataclasses import dataclass

from ogpreview.errors import PreviewError, UpstreamBusy, is_transient
from ogpreview.extraction.imagesize import Size, read_image
from ogpreview.fetch.fetcher import Fetcher

__all__ = ["ImageProbe", "probe_image"]


@dataclass(frozen=True, slots=True)
class ImageProbe:
    """What probing an image found: its size, or why there is none (neither set: the size
    lies past the bytes read, or an SVG declares none)."""

    size: Size | None = None
    #: A definitive answer that the image is unusable: 404/410 or another refusal, not an
    #: image, bytes no decoder reads, a refused address. A card drops such an image.
    broken: str | None = None
    #: A failure that may pass (5xx, 429, timeout, DNS, connection): a card keeps the image
    #: unsized, and is cached only briefly so that it is probed again soon.
    transient: str | None = None
    #: No upstream connection slot was free for the probe (UpstreamBusy): nothing is known
    #: of the image, not even whether its address is refused.
    unchecked: str | None = None


async def probe_image(fetcher: Fetcher, url: str) -> ImageProbe:
    """Fetch an image's first bytes (under the fetcher's guard) and read them; never raises
    for the image's sake."""
    try:
        probe = await fetcher.fetch(url, purpose="image_probe")
    except UpstreamBusy as error:
        return ImageProbe(unchecked=f"{error.code}: {error.message}")
    except PreviewError as error:
        reason = f"{error.code}: {error.message}"
        return ImageProbe(transient=reason) if is_transient(error) else ImageProbe(broken=reason)
    reading = read_image(probe.body, complete=probe.complete)
    if reading.problem is not None:
        return ImageProbe(broken=reading.problem)
    return ImageProbe(size=reading.size)
