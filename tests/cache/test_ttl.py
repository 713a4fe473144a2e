"""How long cards and failures are kept: pure, from headers and the cache settings."""

from __future__ import annotations

import pytest

from ogpreview import Settings
from ogpreview.cache.ttl import freshness, negative_ttl
from ogpreview.errors import FetchTimeout, HTTPStatusError

CACHE = Settings(
    cache_ttl=3600,
    cache_min_ttl=60,
    cache_max_ttl=86400,
    negative_ttl=600,
    transient_negative_ttl=30,
).cache
NOW = 1_700_000_000.0


@pytest.mark.parametrize(
    ("headers", "seconds"),
    [
        ({}, 3600.0),
        ({"Cache-Control": "max-age=120"}, 120.0),
        ({"Cache-Control": "public, s-maxage=7200, max-age=120"}, 7200.0),
        ({"Cache-Control": "max-age=5"}, 60.0),
        ({"Cache-Control": "max-age=999999999"}, 86400.0),
        ({"Cache-Control": "no-store, max-age=7200"}, 60.0),
        ({"Expires": "Tue, 14 Nov 2023 22:23:20 GMT"}, 600.0),
        ({"Expires": "not a date"}, 60.0),
    ],
)
def test_freshness_follows_the_page_within_bounds(headers: dict[str, str], seconds: float) -> None:
    """A page's Cache-Control or Expires sets freshness, clamped to min and max TTL."""
    assert freshness(headers, CACHE, NOW) == seconds


def test_negative_ttl_is_shorter_for_a_failure_that_may_pass() -> None:
    """A 404 is kept for negative_ttl; a 503 and a timeout for transient_negative_ttl."""
    ttls = [
        negative_ttl(HTTPStatusError("gone", status=404), CACHE),
        negative_ttl(HTTPStatusError("down", status=503), CACHE),
        negative_ttl(FetchTimeout("slow"), CACHE),
    ]
    assert ttls == [600.0, 30.0, 30.0]
