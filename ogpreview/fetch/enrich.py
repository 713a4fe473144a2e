"""Enriching an extracted card: oEmbed's values merged in, the image's size probed, and
the URLs a client would load that the guard refuses dropped (see
:mod:`~ogpreview.fetch.cardguard`). A failure here never fails the card."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field

from ogpreview.card import Card
from ogpreview.errors import PreviewError, UpstreamBusy
from ogpreview.extraction.oembed import endpoint_for, merge_oembed, parse_oembed
from ogpreview.fetch.cardguard import drop_refused
from ogpreview.fetch.fetcher import Fetcher
from ogpreview.fetch.imageprobe import probe_image
from ogpreview.fetch.response import FetchResult

__all__ = ["Enriched", "enrich"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Enriched:
    """An enriched card, and what enriching it found."""

    card: Card
    #: Set when an enrichment failed in a way that may pass: the card is kept briefly.
    retry_soon: bool = False
    #: Source notes for ``explain`` (``image_dropped``, ``image_unsized``).
    notes: Mapping[str, str] = field(default_factory=dict)
    #: The URL fields the card lost (image, favicon, oEmbed URL), and why each went.
    dropped: Mapping[str, str] = field(default_factory=dict)


async def enrich(
    card: Card, result: FetchResult, fetcher: Fetcher, *, oembed: bool, image_probe: bool
) -> Enriched:
    """``card`` (extracted from ``result``) with oEmbed values (when ``oembed``) and image
    dimensions (when ``image_probe``), and none of the URLs a client would load that the
    guard refuses. What failed in a way that may pass (a flaky image host; no upstream
    connection slot for us, UpstreamBusy) sets ``retry_soon``: the card is cached briefly."""
    retry_soon = False
    vetted = {result.url}  # fetched under the guard for this card
    if oembed and result.is_html:
        endpoint = endpoint_for(card.url, card.oembed_url)
        if endpoint is not None:
            try:
                answer = await fetcher.fetch(endpoint, purpose="oembed")
                vetted.add(endpoint)
                card = merge_oembed(card, parse_oembed(answer.body), endpoint)
            except (PreviewError, ValueError) as exc:
                retry_soon = retry_soon or isinstance(exc, UpstreamBusy)
                log.debug("oEmbed for %s failed: %s", card.url, exc)
    image = card.image
    dropped: dict[str, str] = {}
    notes: dict[str, str] = {}
    if (
        image_probe
        and image is not None
        and (image.width is None or image.height is None)
        and image.url not in vetted
    ):
        probe = await probe_image(fetcher, image.url)
        if probe.broken is not None:
            log.debug("image %s of %s dropped: %s", image.url, card.url, probe.broken)
            card = dataclasses.replace(card, image=None)
            dropped["image"] = probe.broken
        elif probe.unchecked is not None:
            # An image nobody checked is no image to show (it may name a refused address).
            card = dataclasses.replace(card, image=None)
            dropped["image"] = f"{probe.unchecked} (not checked: probed again soon)"
            retry_soon = True
        elif probe.transient is not None:
            retry = f"{probe.transient} (a failure that may pass: kept unsized, probed again soon)"
            notes["image_unsized"] = retry
            retry_soon = True
        else:
            vetted.add(image.url)  # it answered, under the guard
            if probe.size is not None:
                sized = dataclasses.replace(image, width=probe.size[0], height=probe.size[1])
                card = dataclasses.replace(card, image=sized)
    card, refused = await drop_refused(card, fetcher, page_url=result.url, vetted=vetted)
    dropped.update(refused)
    if "image" in dropped:
        notes["image_dropped"] = dropped["image"]
    return Enriched(card, retry_soon=retry_soon, notes=notes, dropped=dropped)
