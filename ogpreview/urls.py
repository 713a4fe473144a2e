"""Resolving the URLs a page mentions into absolute http(s) URLs."""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import urljoin, urlsplit

from ogpreview.text import has_surrogates

__all__ = ["MAX_URL_LENGTH", "absolutize", "host_of", "is_plain_absolute", "same_site"]

#: Longer URLs are not previewable links; they are junk or attacks.
MAX_URL_LENGTH = 4096
MAX_PORT = 65535

# The WHATWG URL parser drops tabs and newlines anywhere in a URL.
_TAB_NEWLINE = re.compile(r"[\t\n\r]")
_C0_OR_SPACE = "".join(map(chr, range(0x21)))


# The common shapes, answered without urllib (it costs more than the rest of a rule):
# an absolute http(s) URL with a plain host name or IPv4 address, and a root-relative
# path without dot segments.
_PLAIN_ABSOLUTE = re.compile(
    r"(?i)https?://[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?(?::(\d{1,5}))?(?:[/?#][^\s\\]*)?"
)
_PLAIN_ROOT_PATH = re.compile(r"/(?!/)[^\s\\]*")
_DOT_SEGMENT = re.compile(r"(?:^|/)\.\.?(?:[/?#]|$)")


def is_plain_absolute(url: str) -> bool:
    """Whether ``url`` is an absolute http(s) URL with a plain host name or IPv4 address
    and a valid port, in the shapes the fast paths handle."""
    match = _PLAIN_ABSOLUTE.fullmatch(url)
    return match is not None and (match.group(1) is None or int(match.group(1)) <= MAX_PORT)


@lru_cache(maxsize=64)
def _origin(base: str) -> str | None:
    """``scheme://netloc`` of a plain absolute http(s) base URL, else None."""
    if not is_plain_absolute(base):
        return None
    end = base.find("/", base.index("//") + 2)
    for stop in ("?", "#"):
        cut = base.find(stop, base.index("//") + 2)
        if cut >= 0 and (end < 0 or cut < end):
            end = cut
    return base if end < 0 else base[:end]


def _fast(base: str, href: str) -> str | None:
    """The resolved URL for the common shapes, or None to take the general path."""
    if href[0] == "/":
        if _PLAIN_ROOT_PATH.fullmatch(href) is None or _DOT_SEGMENT.search(href):
            return None
        origin = _origin(base)
        return None if origin is None else origin + href
    return href if is_plain_absolute(href) else None


def absolutize(base: str, href: str | None) -> str | None:
    """``href`` resolved against ``base``; None unless the result is an absolute http(s) URL."""
    if not href:
        return None
    href = _TAB_NEWLINE.sub("", href).strip(_C0_OR_SPACE)
    if not href or len(href) > MAX_URL_LENGTH or has_surrogates(href):
        return None
    fast = _fast(base, href)
    if fast is not None:
        return fast
    try:
        url = urljoin(base, href) if not href.lower().startswith(("http://", "https://")) else href
        parts = urlsplit(url)
        if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
            return None
        _ = parts.port  # raises ValueError for a malformed port
    except ValueError:
        return None
    return url.replace(" ", "%20")


def host_of(url: str) -> str:
    """The URL's host, lower-cased, without a leading ``www.``."""
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return ""
    return host[4:] if host.startswith("www.") else host


def same_site(a: str, b: str) -> bool:
    """Whether two URLs belong to one site: equal hosts, or one a subdomain of the other."""
    ha, hb = host_of(a), host_of(b)
    if not ha or not hb:
        return False
    return ha == hb or ha.endswith("." + hb) or hb.endswith("." + ha)
