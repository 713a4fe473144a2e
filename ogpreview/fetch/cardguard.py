"""No URL in a card that a client loads by itself points where the guard refuses to go.

A chat client that renders a card loads its image and favicon from the user's machine (and
a host that discovers oEmbed fetches its endpoint), so an ``og:image`` at
``http://10.0.0.1/`` would be loaded inside the user's network. The card keeps only such
URLs that this service would fetch itself: an address spelled in the URL is judged by the
fetcher's URL policy (:func:`~ogpreview.fetch.guard.is_blocked`, no fetch); a host name by
what it resolves to, through the fetcher's guarded resolver (no connection). URLs the
previewer already fetched under the guard, and URLs on the page's own host (resolved under
the guard to fetch the page), need no second look at their addresses.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Collection, Mapping
from typing import Any

from ogpreview.card import Card
from ogpreview.errors import BlockedAddress, BlockedURL, InvalidURL, PreviewError
from ogpreview.fetch.fetcher import Fetcher
from ogpreview.urls import host_key

__all__ = ["LOADED_FIELDS", "drop_refused", "note_dropped"]

#: The card fields holding URLs that clients load without a click.
LOADED_FIELDS = ("image", "favicon", "oembed_url")


async def _refusal(
    fetcher: Fetcher, url: str, page_host: str | None, vetted: Collection[str]
) -> PreviewError | None:
    try:
        if url in vetted:
            return None
        if page_host is not None and host_key(url) == page_host:
            fetcher.validate(url)  # same addresses as the page: only its spelling is new
        else:
            await fetcher.check_destination(url)
    except (BlockedURL, BlockedAddress, InvalidURL) as error:
        return error
    except PreviewError:
        # A name that does not resolve now (or a lookup that timed out) is no refusal:
        # what the guard refuses is an address or a URL, and the image probe, not this
        # check, tells a flaky image host from a broken image.
        return None
    return None


async def drop_refused(
    card: Card,
    fetcher: Fetcher,
    *,
    page_url: str,
    vetted: Collection[str] = (),
) -> tuple[Card, dict[str, str]]:
    """``card`` without the image, favicon and oEmbed URL that ``fetcher`` would refuse
    to fetch, and why each went (``"blocked_address: address 127.0.0.2 is not allowed"``).
    ``vetted`` are URLs already fetched under the guard for this card."""
    urls: dict[str, str] = {}
    if card.image is not None:
        urls["image"] = card.image.url
    if card.favicon is not None:
        urls["favicon"] = card.favicon
    if card.oembed_url is not None:
        urls["oembed_url"] = card.oembed_url
    page_host = host_key(page_url) or None
    refusals = await asyncio.gather(
        *(_refusal(fetcher, url, page_host, vetted) for url in urls.values())
    )
    dropped = {
        name: f"{error.code}: {error.message}"
        for name, error in zip(urls, refusals, strict=True)
        if error is not None
    }
    if not dropped:
        return card, dropped
    changes: dict[str, Any] = dict.fromkeys(dropped)
    return dataclasses.replace(card, **changes), dropped


def note_dropped(
    sources: Mapping[str, str | None], dropped: Mapping[str, str]
) -> dict[str, str | None]:
    """An extraction's sources (field -> rule) with, for each field the previewer dropped,
    the rule and why it went: ``"og_images, dropped: blocked_address: ..."`` (a value
    that came from oEmbed is named ``oembed``)."""
    noted = dict(sources)
    for name, why in dropped.items():
        noted[name] = f"{sources.get(name) or 'oembed'}, dropped: {why}"
    return noted
