"""Cache keys: one per page, whatever spelling and tracking parameters a link carries.

Tracking parameters are removed from the URL before it is fetched (:func:`strip_tracking`),
not only from its key: a key must stand for exactly the request made, or a page that
reflects a parameter the key ignores would give every later caller an attacker's card.
Every other query pair is kept as written, for the same reason.
"""

from __future__ import annotations

import hashlib
from urllib.parse import unquote_plus, urlsplit, urlunsplit

from ogpreview.urls import plain_url_parts

__all__ = [
    "TRACKING_PARAMS",
    "TRACKING_PREFIXES",
    "cache_key",
    "language_key",
    "normalize_url",
    "page_of",
    "plain_url_parts",
    "strip_tracking",
]

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
