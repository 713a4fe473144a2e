"""absolutize's fast path for common URL shapes agrees with the general (urllib) path."""

from __future__ import annotations

import itertools

import pytest

import ogpreview.urls as absurl

BASES = [
    "https://example.com/a/b.html",
    "http://Example.COM:8080/x?y=1#f",
    "https://example.com",
    "https://ex.com?q",
    "https://ex.com#f",
    "http://127.0.0.1/p/",
    "https://x.y:99999/",
    "https://ex.com/a/../b",
    "https://münchen.de/a",
]
HREFS = [
    "/favicon.ico", "/a/./b", "/a/../b", "/..", "/.", "/a?x=/../", "/a#..", "//cdn.x/y",
    "https://Ex.com/a b", "http://a.b:65535/", "http://a.b:65536/", "https://a.b",
    "https://a.b?x", "https://-a.b/", "http://a..b/", "HTTPS://A.B/C", "https://a.b/\\x",
    "/a b", "/a\\b", "https://a.b:/", "/%2e%2e/x", "/a/.", "/a/..", "/a/..b", "/a%20b",
    "https://a_b.c/", "https://a.b.", "relative/path", "?q=1", "#top",
]  # fmt: skip


def _general(base: str, href: str, monkeypatch: pytest.MonkeyPatch) -> str | None:
    with monkeypatch.context() as patch:
        patch.setattr(absurl, "_fast", lambda base, href: None)
        return absurl.absolutize(base, href)


@pytest.mark.parametrize(("base", "href"), list(itertools.product(BASES, HREFS)))
def test_fast_path_agrees_with_urllib(
    base: str, href: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every shape resolves to exactly what urljoin and the checks would give."""
    assert absurl.absolutize(base, href) == _general(base, href, monkeypatch)


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("https://www.example.com/a", "https://example.com/b", True),
        ("https://m.example.com/a", "https://www.example.com/a", True),
        ("https://amp.example.com/a", "https://news.example.com/a", True),
        ("http://example.com:8080/a", "https://EXAMPLE.com./b", True),
        ("https://www.bbc.co.uk/a", "https://m.bbc.co.uk/a", True),
        ("https://shop.example.co.uk/", "https://other.co.uk/", False),
        ("https://alice.github.io/", "https://bob.github.io/", False),
        ("https://alice.github.io/", "https://github.io/", False),
        ("https://www.alice.github.io/", "https://alice.github.io/", True),
        ("https://example.com/", "https://example.com.evil.net/", False),
        ("https://münchen.de/a", "https://www.xn--mnchen-3ya.de/b", True),
        ("http://127.0.0.1:8080/", "http://127.0.0.1/", True),
        ("http://127.0.0.1/", "http://127.0.0.2/", False),
        ("http://[::1]/", "http://[::1]:81/", True),
        ("https://example.com/", "/relative", False),
    ],
)  # fmt: skip
def test_same_site_is_the_registrable_domain(a: str, b: str, same: bool) -> None:
    """Two URLs are one site when their hosts share a registrable domain by the Public
    Suffix List (or are the same address); scheme and port do not matter."""
    assert (absurl.same_site(a, b), absurl.same_site(b, a)) == (same, same)
