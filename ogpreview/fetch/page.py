"""One fill's fetch: the page fetched and extracted, then enriched, as the cache entry it
makes (see :mod:`ogpreview.cache.ttl`) and what the fetch found, for ``explain``."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from ogpreview.cache.base import Entry
from ogpreview.cache.ttl import card_entry, error_entry
from ogpreview.card import Card
from ogpreview.errors import PreviewError
from ogpreview.extraction.extractor import explain_result
from ogpreview.fetch.cardguard import note_dropped
from ogpreview.fetch.enrich import Enriched, enrich_card, fetches_for
from ogpreview.fetch.fetcher import Fetcher
from ogpreview.fetch.response import FetchResult
from ogpreview.settings import CacheSettings

__all__ = ["Fetched", "Page", "entry_of", "fetch_page"]


@dataclass(frozen=True, slots=True)
class Page:
    """A page fetched and extracted, before enrichment."""

    result: FetchResult
    extracted: Card
    #: The extractor rule each field came from.
    found: Mapping[str, str | None]


@dataclass(frozen=True, slots=True)
class Fetched:
    """What a fetch found, beside the card it made: the answer, the card as extracted,
    and each field's rule (with why a field the previewer dropped went)."""

    result: FetchResult
    extracted: Card
    sources: Mapping[str, str | None] | None


def entry_of(page: Page, enriched: Enriched, cache: CacheSettings) -> tuple[Entry, Fetched]:
    """The entry ``page``'s card makes, once ``enriched``, fresh from now."""
    result = page.result
    entry = card_entry(
        enriched.card,
        final_url=result.url,
        headers=result.headers,
        cache=cache,
        now=time.time(),
        retry_soon=enriched.retry_soon,
    )
    sources = {**note_dropped(page.found, enriched.dropped), **enriched.notes}
    return entry, Fetched(result, page.extracted, sources)


async def fetch_page(
    fetcher: Fetcher,
    url: str,
    *,
    accept_language: str | None,
    oembed: bool,
    image_probe: bool,
    cache: CacheSettings,
    extracted: Callable[[Page], None] = lambda page: None,
) -> tuple[Entry, Fetched | None]:
    """Fetch, extract and enrich ``url``'s card; a failure is an error entry (never
    raised). ``extracted`` hears of the page before an enrichment that fetches."""
    try:
        result = await fetcher.fetch(url, accept_language=accept_language)
        card, found = explain_result(result)
        page = Page(result, card, found)
        if fetches_for(card, result, oembed=oembed, image_probe=image_probe):
            extracted(page)
        enriched = await enrich_card(card, result, fetcher, oembed=oembed, image_probe=image_probe)
    except PreviewError as error:
        return error_entry(error, cache, time.time()), None
    return entry_of(page, enriched, cache)
