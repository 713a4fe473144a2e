"""URLs, in one place: resolving the URLs a page mentions into absolute http(s) URLs,
hosts and sites (the Public Suffix List's registrable domains), and the cache key of a
page: one per page, whatever spelling and tracking parameters a link carries.

Tracking parameters are removed from the URL before it is fetched (:func:`strip_tracking`),
not only from its key: a key must stand for exactly the request made, or a page that
reflects a parameter the key ignores would give every later caller an attacker's card.
Every other query pair is kept as written, for the same reason.
"""

from __future__ import annotations

import contextlib
import hashlib
import ipaddress
import re
from functools import cache, lru_cache
from urllib.parse import unquote_plus, urljoin, urlsplit, urlunsplit

from publicsuffixlist import PublicSuffixList

from ogpreview.text import has_surrogates

__all__ = [
    "MAX_URL_LENGTH",
    "TRACKING_PARAMS",
    "TRACKING_PREFIXES",
    "absolutize",
    "cache_key",
    "host_key",
    "host_of",
    "is_plain_absolute",
    "language_key",
    "normalize_url",
    "page_of",
    "plain_url_parts",
    "same_site",
    "site_of",
    "strip_tracking",
]

#: Longer URLs are not previewable links; they are junk or attacks: refused outright by the
#: fetch policy and never read from a page. (``Settings.max_url_length``, the service's own
#: limit on the URLs it is asked for, is lower.)
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


# scheme, host (no user info, IPv6 literal, "%" or port), optional port, optional path.
# (urllib leaves a host's text after "%" in its case, and an empty host makes the path the
# authority: both are the general path's to handle.)
_PLAIN_URL = re.compile(r"(https?)://([^/?#@\[\]\\%:\s]+)(?::([0-9]*))?(/[^?#]*)?")


def plain_url_parts(url: str) -> tuple[str, str, str, str] | None:
    """``(scheme, host, port, path)`` of a plain ``http(s)://host[:port][/path]`` URL with
    no query, fragment, user info or IPv6 literal, in printable ASCII ("" for a missing
    port or path); None otherwise (the general path then parses it). Most links have this
    shape, and urlsplit costs several times more."""
    if not (url.isascii() and url.isprintable()):
        return None
    match = _PLAIN_URL.fullmatch(url)
    if match is None:
        return None
    scheme, host, port, path = match.groups()
    if not host.rstrip(".") or (port and int(port) > MAX_PORT):
        return None
    return scheme, host, port or "", path or ""


def host_key(url: str) -> str:
    """``host`` or ``host:port`` of a URL, lower-cased ('' when it has none): the host
    that politeness limits count per (:class:`~ogpreview.tasks.HostLimiter`) and reports
    group by."""
    url = url.strip()
    plain = plain_url_parts(url)
    if plain is not None:
        _, plain_host, plain_port, _ = plain
        plain_host = plain_host.lower().rstrip(".")
        return f"{plain_host}:{int(plain_port)}" if plain_port else plain_host
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").rstrip(".")
        port = parts.port
    except ValueError:
        return ""
    return f"{host}:{port}" if port is not None else host


def host_of(url: str) -> str:
    """The URL's host, lower-cased, without a leading ``www.``."""
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return ""
    return host[4:] if host.startswith("www.") else host


@cache
def _public_suffixes() -> PublicSuffixList:
    # The list ships inside the package (read from disk once, never fetched); parsing it
    # costs ~30 ms, so it is done on the first same-site question, not at import.
    return PublicSuffixList()


@lru_cache(maxsize=4096)
def _site_of_host(host: str) -> str:
    host = host.rstrip(".").lower()
    try:
        return str(ipaddress.ip_address(host))  # an address is a site of its own
    except ValueError:
        pass
    with contextlib.suppress(UnicodeError):  # one spelling for IDNs: punycode
        host = host.encode("idna").decode("ascii")
    # A host that is itself a public suffix ("github.io", "co.uk", "localhost") has no
    # registrable part: it is a site of its own and shares it with nothing below it.
    return _public_suffixes().privatesuffix(host) or host


def site_of(url: str) -> str | None:
    """The site of ``url``: its host's registrable domain by the Public Suffix List
    (``www.example.co.uk`` -> ``example.co.uk``; ``alice.github.io`` is its own site,
    ``github.io`` being a public suffix), an IP address as itself; None without a host.
    Scheme and port do not matter, as in the browsers' same-site test."""
    try:
        host = urlsplit(url).hostname
    except ValueError:
        return None
    return _site_of_host(host) if host else None


def same_site(a: str, b: str) -> bool:
    """Whether two URLs belong to one site (see :func:`site_of`): ``www.example.com`` and
    ``m.example.com`` do; ``alice.github.io`` and ``bob.github.io`` do not."""
    site = site_of(a)
    return site is not None and site == site_of(b)


# --- cache keys ---------------------------------------------------------------------


#: Query parameters that only track clicks; they never change the page.
TRACKING_PARAMS = frozenset(
    {"fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "mc_cid", "mc_eid", "igshid",
     "yclid", "_ga", "_gl", "ref_src", "twclid", "li_fat_id", "mkt_tok", "_hsenc", "_hsmi",
     "oly_anon_id", "oly_enc_id", "vero_id", "spm"}
)  # fmt: skip
TRACKING_PREFIXES = ("utm_",)
_DEFAULT_PORTS = {"http": 80, "https": 443}


def _is_tracking(pair: str) -> bool:
    name = unquote_plus(pair.partition("=")[0]).lower()
    return name in TRACKING_PARAMS or name.startswith(TRACKING_PREFIXES)


def _kept_query(query: str) -> str:
    """``query`` without its tracking pairs; every other pair as written, in its place."""
    if not query:
        return query
    return "&".join(pair for pair in query.split("&") if not _is_tracking(pair))


def strip_tracking(url: str) -> str:
    """``url`` without its tracking parameters (:data:`TRACKING_PARAMS`, ``utm_*``, named
    in any case or percent-encoding); the rest of it exactly as written. This is the URL
    a preview fetches: the one its cache key stands for."""
    head, hash_, fragment = url.partition("#")
    base, mark, query = head.partition("?")
    if not mark:
        return url
    kept = _kept_query(query)
    if kept == query:
        return url
    return f"{base}?{kept}{hash_}{fragment}" if kept else f"{base}{hash_}{fragment}"


def normalize_url(url: str) -> str:
    """The URL with scheme and host lower-cased, the default port and fragment dropped and
    tracking parameters removed. The rest of the query is kept as written: ``q=a+b`` and
    ``q=a%20b`` reach a page differently, so they are different pages here too."""
    url = url.strip()
    plain = plain_url_parts(url)
    if plain is not None:
        plain_scheme, plain_host, plain_port, plain_path = plain
        authority = plain_host.lower().rstrip(".")
        if plain_port and int(plain_port) != _DEFAULT_PORTS[plain_scheme]:
            authority = f"{authority}:{int(plain_port)}"
        return f"{plain_scheme}://{authority}{plain_path or '/'}"
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").rstrip(".")
    if ":" in host:
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        port = None
    netloc = host if port in (None, _DEFAULT_PORTS.get(scheme)) else f"{host}:{port}"
    return urlunsplit((scheme, netloc, parts.path or "/", _kept_query(parts.query), ""))


def cache_key(url: str) -> str:
    """A fixed-size key for the page at ``url``: hostile URLs cannot shape the key."""
    return hashlib.sha256(normalize_url(url).encode("utf-8", "surrogatepass")).hexdigest()


#: Separates a page's key from the language part of a language variant's key; caches
#: find a page's variants by it (to purge them with the page).
VARIANT_SEPARATOR = "."


def language_key(key: str, accept_language: str) -> str:
    """The key of the card of page ``key`` as fetched with ``accept_language``, for a
    site that answers by language (see :mod:`ogpreview.locale`)."""
    digest = hashlib.sha256(accept_language.encode("utf-8", "surrogatepass")).hexdigest()
    return f"{key}{VARIANT_SEPARATOR}{digest[:32]}"


def page_of(key: str) -> str:
    """The page key a (possibly language variant) key belongs to."""
    return key.partition(VARIANT_SEPARATOR)[0]
