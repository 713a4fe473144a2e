"""MemoryCache bounds and the entry envelope."""

from __future__ import annotations

import time

import pytest

from ogpreview import Card, HTTPStatusError, MemoryCache
from ogpreview.cache import Entry


def _entry(title: str = "t", *, stale_in: float = 3600) -> Entry:
    # Whole seconds, so every entry encodes to the same length: the byte-bound test sizes by one.
    now = float(int(time.time()))
    return Entry(Card(url="https://e.com/", title=title), None, now, now + 60, now + stale_in)


async def test_get_returns_what_was_set() -> None:
    """A stored entry comes back equal."""
    cache = MemoryCache()
    entry = _entry()
    await cache.set("k", entry)
    assert await cache.get("k") == entry


async def test_entries_past_their_stale_time_are_gone() -> None:
    """An entry whose stale time has passed is a miss and is dropped."""
    cache = MemoryCache()
    await cache.set("k", _entry(stale_in=-1))
    assert (await cache.get("k"), len(cache)) == (None, 0)


async def test_entry_count_bound_evicts_least_recently_used() -> None:
    """Over max_entries, the least recently used entry goes first."""
    cache = MemoryCache(max_entries=2)
    await cache.set("a", _entry("a"))
    await cache.set("b", _entry("b"))
    await cache.get("a")
    await cache.set("c", _entry("c"))
    assert [k for k in ("a", "b", "c") if await cache.get(k)] == ["a", "c"]


async def test_byte_bound_evicts_until_it_fits() -> None:
    """Over max_bytes, old entries are evicted until the total fits."""
    size = len(_entry("x" * 100).encode()) + 1
    cache = MemoryCache(max_bytes=size * 2 + 10)
    for key in "abc":
        await cache.set(key, _entry("x" * 100))
    assert [k for k in "abc" if await cache.get(k)] == ["b", "c"]


def test_entry_round_trips_through_its_encoding() -> None:
    """encode/decode keep a card entry and an error entry (with its status) intact."""
    card = _entry()
    error = Entry(None, HTTPStatusError("gone", status=410), 1.0, 2.0, 2.0)
    back = Entry.decode(error.encode())
    assert (Entry.decode(card.encode()), type(back.error), back.error.to_dict()) == (  # type: ignore[union-attr]
        card,
        HTTPStatusError,
        {"code": "http_status", "message": "gone", "status": 410},
    )


_TIMES = b'"fetched_at": 1, "fresh_until": 1, "stale_until": 1'
FOREIGN = [
    b"",
    b"garbage",
    b"[]",
    b'{"v": 2}',
    b'{"v": 1, "card": null, "error": null}',
    b'{"v": 1, "card": {"url": 5}, "error": null, ' + _TIMES + b"}",
    b'{"v": 1, "card": {"url": "https://e/"}, "error": null, "fetched_at": "x"}',
]


@pytest.mark.parametrize("data", FOREIGN)
def test_foreign_values_are_rejected(data: bytes) -> None:
    """Anything but an entry's own encoding is a ValueError (a miss for the cache)."""
    with pytest.raises(ValueError):
        Entry.decode(data)


def test_entry_keeps_where_its_fetch_ended() -> None:
    """An entry's final URL survives its encoding (the form Redis stores); one written
    before final URLs were recorded still decodes, without one."""
    entry = Entry(Card(url="https://e.com/"), None, 1.0, 2.0, 3.0, final_url="https://e.com/after")
    older = b'{"v": 1, "card": {"url": "https://e.com/"}, "error": null, ' + _TIMES + b"}"
    assert (Entry.decode(entry.encode()).final_url, Entry.decode(older).final_url) == (
        "https://e.com/after",
        None,
    )
