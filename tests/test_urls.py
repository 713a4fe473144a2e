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
