"""The fast paths for plain URLs (normalize_url, host_key, extract's page URL) agree with
the general (urllib) path on every shape."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ogpreview.extraction.extractor as extractor
import ogpreview.urls as cachekey
import ogpreview.urls as urls

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


#: (module whose plain_url_parts the function calls, the function): normalize_url, the
#: per-host limits' host_key, and the page URL extract() files a card under.
FAST_PATHS = {
    "normalize_url": (cachekey, cachekey.normalize_url),
    "host_key": (urls, urls.host_key),
    "page_url": (extractor, extractor._page_url),
}


@pytest.mark.parametrize("name", sorted(FAST_PATHS))
@settings(max_examples=1000)
@given(url=URLS)
def test_fast_path_agrees_with_urllib(name: str, url: str) -> None:
    """Each function gives the same answer (or the same refusal) for a URL whether or
    not it takes its fast path."""
    module, function = FAST_PATHS[name]
    fast = _outcome(function, url)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(module, "plain_url_parts", lambda url: None)
        general = _outcome(function, url)
    assert fast == general
