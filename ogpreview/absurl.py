"""Resolving the URLs a page mentions into absolute http(s) URLs."""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

__all__ = ["MAX_URL_LENGTH", "absolutize", "host_of", "same_site"]

#: Longer URLs are not previewable links; they are junk or attacks.
MAX_URL_LENGTH = 4096

# The WHATWG URL parser drops tabs and newlines anywhere in a URL.
_TAB_NEWLINE = re.compile(r"[\t\n\r]")
_C0_OR_SPACE = "".join(map(chr, range(0x21)))


def absolutize(base: str, href: str | None) -> str | None:
    """``href`` resolved against ``base``; None unless the result is an absolute http(s) URL."""
    if not href:
        return None
    href = _TAB_NEWLINE.sub("", href).strip(_C0_OR_SPACE)
    if not href or len(href) > MAX_URL_LENGTH:
        return None
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
