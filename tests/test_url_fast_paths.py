"""The fast paths for plain URLs (normalize_url, host_of, extract's page URL) agree with
the general (urllib) path on every shape."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ogpreview.cachekey as cachekey
import ogpreview.checker as checker
import ogpreview.extractor as extractor

PIECES = [
    "http://", "https://", "HTTP://", "Example.COM", "example.com.", "a.b", ":80", ":443",
    ":8080", ":0", ":65535", ":65536", ":x", ":", ":080", "/", "/a", "/A/b/", "//x", "/a b",
    "%20", "é", "\t", " ", "..", "/./", "\\", "@", "u:p@", "[::1]", "?", "?q=1", "#f", "..:",
]  # fmt: skip
URLS = st.lists(st.sampled_from(PIECES), min_size=1, max_size=7).map("".join)


def _outcome(fn: object, url: str) -> str:
    try:
        return str(fn(url))  # type: ignore[operator]
    except Exception as exc:  # the same refusal either way counts as agreement
        return type(exc).__name__


@settings(max_examples=1000)
@given(URLS)
def test_normalize_url_fast_path_agrees_with_urllib(url: str) -> None:
    """A URL normalises to the same text whether or not it takes the fast path."""
    fast = _outcome(cachekey.normalize_url, url)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(cachekey, "plain_url_parts", lambda url: None)
        general = _outcome(cachekey.normalize_url, url)
    assert fast == general


@settings(max_examples=1000)
@given(URLS)
def test_host_of_fast_path_agrees_with_urllib(url: str) -> None:
    """A URL's host (and port) is the same whether or not it takes the fast path."""
    fast = _outcome(checker.host_of, url)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(checker, "plain_url_parts", lambda url: None)
        general = _outcome(checker.host_of, url)
    assert fast == general


@settings(max_examples=1000)
@given(URLS)
def test_page_url_fast_path_agrees_with_urllib(url: str) -> None:
    """extract() files a page under the same URL whether or not it takes the fast path."""
    fast = _outcome(extractor._page_url, url)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(extractor, "plain_url_parts", lambda url: None)
        general = _outcome(extractor._page_url, url)
    assert fast == general
