"""How long a cached outcome is kept: a card by the page's own Cache-Control/Expires
(clamped to the configured bounds), then served stale for ``cache_stale_ttl``; a failure
by whether it may pass. Pure."""

from __future__ import annotations

import email.utils
from collections.abc import Mapping

from ogpreview.cache.base import Entry
from ogpreview.cache.languages import varies_by_language
from ogpreview.card import Card
from ogpreview.errors import PreviewError, is_transient
from ogpreview.locale import content_languages
from ogpreview.settings import CacheSettings
from ogpreview.text import ascii_int

__all__ = ["card_entry", "error_entry", "freshness", "negative_ttl"]


def freshness(headers: Mapping[str, str], cache: CacheSettings, now: float) -> float:
    """Seconds a card stays fresh: the page's own Cache-Control/Expires, clamped."""
    ttl = cache.cache_ttl
    directives: dict[str, str] = {}
    for part in headers.get("Cache-Control", "").split(","):
        name, _, value = part.strip().partition("=")
        if name:
            directives[name.lower()] = value.strip().strip('"')
    if "no-store" in directives or "no-cache" in directives:
        ttl = cache.cache_min_ttl
    elif "s-maxage" in directives or "max-age" in directives:
        seconds = ascii_int(directives.get("s-maxage") or directives.get("max-age") or "")
        if seconds is not None:
            ttl = float(seconds)
    elif "Expires" in headers:
        try:
            expires = email.utils.parsedate_to_datetime(headers["Expires"]).timestamp()
            ttl = expires - now
        except (TypeError, ValueError, IndexError, OverflowError):
            ttl = cache.cache_min_ttl  # an invalid Expires means "already expired"
    return min(max(ttl, cache.cache_min_ttl), cache.cache_max_ttl)


def negative_ttl(error: PreviewError, cache: CacheSettings) -> float:
    """Seconds a failure is remembered: a failure that may pass (5xx, 408, 429, timeouts)
    for ``transient_negative_ttl``, a definitive one (404, a refused address) longer."""
    return cache.transient_negative_ttl if is_transient(error) else cache.negative_ttl


def error_entry(error: PreviewError, cache: CacheSettings, now: float) -> Entry:
    """The entry of a fetch that failed: fresh for its negative TTL, never stale."""
    until = now + negative_ttl(error, cache)
    return Entry(None, error, now, until, until)


def card_entry(
    card: Card,
    *,
    final_url: str,
    headers: Mapping[str, str],
    cache: CacheSettings,
    now: float,
    retry_soon: bool = False,
) -> Entry:
    """The entry of a card fetched at ``now`` from ``final_url`` with response ``headers``;
    with ``retry_soon`` (a part of it failed for now) fresh for at most the transient
    negative TTL, so that it is fetched again soon."""
    fresh = freshness(headers, cache, now)
    if retry_soon:
        fresh = min(fresh, cache.transient_negative_ttl)
    return Entry(
        card,
        None,
        now,
        now + fresh,
        now + fresh + cache.cache_stale_ttl,
        final_url=final_url,
        vary_language=varies_by_language(headers),
        languages=content_languages(headers.get("Content-Language")),
    )
