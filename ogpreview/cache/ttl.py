"""How long a cached outcome is kept: a card by the page's own Cache-Control/Expires
(clamped to the configured bounds), a failure by whether it may pass. Pure."""

from __future__ import annotations

import email.utils
from collections.abc import Mapping

from ogpreview.errors import PreviewError, is_transient
from ogpreview.settings import CacheSettings
from ogpreview.text import ascii_int

__all__ = ["freshness", "negative_ttl"]


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
