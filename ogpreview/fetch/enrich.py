"""Enriching an extracted card: oEmbed's values merged in, the image's size probed, and
the URLs a client would load that the guard refuses dropped (see
:mod:`~ogpreview.fetch.cardguard`). A failure here never fails the card."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field

from ogpreview.card import Card, Image
from ogpreview.errors import PreviewError, UpstreamBusy
from ogpreview.extraction.oembed import endpoint_for, merge_oembed, parse_oembed
from ogpreview.fetch.cardguard import drop_refused
from ogpreview.fetch.fetcher import Fetcher
from ogpreview.fetch.imageprobe import probe_image
from ogpreview.fetch.response import FetchResult
from ogpreview.tasks import cancel_and_wait

__all__ = ["Enriched", "enrich_card", "fetches_for", "guard_only"]

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


def _endpoint(card: Card, result: FetchResult, oembed: bool) -> str | None:
    return endpoint_for(card.url, card.oembed_url) if oembed and result.is_html else None


def _to_probe(image: Image | None, image_probe: bool, vetted: Collection[str]) -> str | None:
    """The URL of ``image`` when its size is to be probed: unsized and not fetched yet."""
    if not image_probe or image is None or image.url in vetted:
        return None
    return image.url if image.width is None or image.height is None else None


def fetches_for(card: Card, result: FetchResult, *, oembed: bool, image_probe: bool) -> bool:
    """Whether enriching ``card`` fetches anything (oEmbed, or an image probe)."""
    if _endpoint(card, result, oembed) is not None:
        return True
    return _to_probe(card.image, image_probe, {result.url}) is not None


async def guard_only(card: Card, result: FetchResult, fetcher: Fetcher) -> Enriched:
    """``card`` as extracted, without the URLs a client would load that the guard refuses:
    what can be answered before oEmbed and the image probe (its image unsized)."""
    card, dropped = await drop_refused(card, fetcher, page_url=result.url, vetted={result.url})
    notes = {"image_dropped": dropped["image"]} if "image" in dropped else {}
    return Enriched(card, notes=notes, dropped=dropped)


async def enrich_card(
    card: Card, result: FetchResult, fetcher: Fetcher, *, oembed: bool, image_probe: bool
) -> Enriched:
    """``card`` (extracted from ``result``) with oEmbed values (when ``oembed``) and image
    dimensions (when ``image_probe``), and none of the URLs a client would load that the
    guard refuses. What failed in a way that may pass (a flaky image host; no upstream
    connection slot for us, UpstreamBusy) sets ``retry_soon``: the card is cached briefly.

    The page's image is probed while oEmbed is asked: oEmbed replaces it only when the
    page has none (its thumbnail is probed after it, then) and sizes it only for a photo
    (the probe's answer goes unused, then)."""
    retry_soon = False
    vetted = {result.url}  # fetched under the guard for this card
    endpoint = _endpoint(card, result, oembed)
    page_image = _to_probe(card.image, image_probe, vetted)
    probing = (
        None if page_image is None else asyncio.ensure_future(probe_image(fetcher, page_image))
    )
    try:
        if endpoint is not None:
            try:
                answer = await fetcher.fetch(endpoint, purpose="oembed")
                vetted.add(endpoint)
                card = merge_oembed(card, parse_oembed(answer.body), endpoint)
            except (PreviewError, ValueError) as exc:
                retry_soon = isinstance(exc, UpstreamBusy)
                log.debug("oEmbed for %s failed: %s", card.url, exc)
        image = card.image
        to_probe = _to_probe(image, image_probe, vetted)
        probe = None
        if to_probe is not None and to_probe == page_image and probing is not None:
            probe = await probing
        elif to_probe is not None:  # oEmbed's thumbnail, known only now
            probe = await probe_image(fetcher, to_probe)
    finally:
        if probing is not None and not probing.done():
            await cancel_and_wait([probing])
    dropped: dict[str, str] = {}
    notes: dict[str, str] = {}
    if image is not None and probe is not None:
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
