"""Properties of extract() on arbitrary and mutated input (hypothesis)."""

from __future__ import annotations

from urllib.parse import urlsplit

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ogpreview import Card, extract
from tests.conftest import FIXTURES

PAGE = "https://example.com/dir/page.html"
SEEDS = sorted((FIXTURES / "pages").glob("*.html"))
SEED_BYTES = [p.read_bytes()[:20_000] for p in SEEDS] or [
    b'<html><head><meta property="og:image" content="/i.png"><title>t</title></head>'
    b'<body><p>text</p><img src="a.png" width="100" height="100"></body></html>'
]
TAG_SOUP = st.lists(
    st.sampled_from(
        [
            "<meta property='og:image' content='",
            "<meta name=og:url content=",
            "<link rel=icon href=",
            "<link rel=canonical href=",
            "<base href=",
            "<img src=",
            "<script type=application/ld+json>",
            '{"image": {"url": ',
            "</script>",
            "<!--",
            "-->",
            "<title>",
            "<svg>",
            "javascript:alert(1)",
            "data:image/png;base64,AA",
            "//cdn.example.net/x.png",
            "../up.png",
            "http://[::1",
            "https://example.com:99999/x",
            "&amp;&#0;&#xD800;",
            "'",
            '"',
            ">",
            " ",
            "\x00",
        ]
    ),
    max_size=40,
).map("".join)


def _urls(card: Card) -> list[str]:
    urls = [card.url, card.favicon, card.oembed_url, card.image.url if card.image else None]
    return [u for u in urls if u is not None]


def _absolute_http(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.hostname)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=4000))
def test_arbitrary_bytes_never_raise(data: bytes) -> None:
    """Any bytes give a card whose URLs are all absolute http(s)."""
    assert all(_absolute_http(u) for u in _urls(extract(data, PAGE)))


@settings(max_examples=200, deadline=None)
@given(TAG_SOUP)
def test_tag_soup_yields_absolute_urls(html: str) -> None:
    """Hostile fragments of the tags extraction reads never yield a relative or odd URL."""
    assert all(_absolute_http(u) for u in _urls(extract(html, PAGE)))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(SEED_BYTES), st.data())
def test_mutated_fixtures_never_raise(seed: bytes, data: st.DataObject) -> None:
    """Fixture pages with bytes flipped, cut or spliced still give valid cards."""
    cut = data.draw(st.integers(0, len(seed)))
    splice = data.draw(st.binary(max_size=64))
    mutated = seed[:cut] + splice + seed[cut + data.draw(st.integers(0, 64)) :]
    assert all(_absolute_http(u) for u in _urls(extract(mutated, PAGE)))
