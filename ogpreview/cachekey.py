"""Cache keys: one per page, whatever spelling and tracking parameters a link carries."""

from __future__ import annotations

import hashlib
import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from ogpreview.urls import MAX_PORT

__all__ = [
    "TRACKING_PARAMS",
    "TRACKING_PREFIXES",
    "cache_key",
    "normalize_url",
    "plain_url_parts",
]

#: Query parameters that only track clicks; they never change the page.
TRACKING_PARAMS = frozenset(
    {"fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "mc_cid", "mc_eid", "igshid",
     "yclid", "_ga", "_gl", "ref_src", "twclid", "li_fat_id", "mkt_tok", "_hsenc", "_hsmi",
     "oly_anon_id", "oly_enc_id", "vero_id", "spm"}
)  # fmt: skip
TRACKING_PREFIXES = ("utm_",)
_DEFAULT_PORTS = {"http": 80, "https": 443}


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


def normalize_url(url: str) -> str:
    """The URL with scheme and host lower-cased, the default port and fragment dropped and
    tracking parameters removed (the rest of the query keeps its order)."""
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
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if k.lower() not in TRACKING_PARAMS and not k.lower().startswith(TRACKING_PREFIXES)
    ]
    return urlunsplit((scheme, netloc, parts.path or "/", urlencode(query, doseq=True), ""))


def cache_key(url: str) -> str:
    """A fixed-size key for the page at ``url``: hostile URLs cannot shape the key."""
    return hashlib.sha256(normalize_url(url).encode("utf-8", "surrogatepass")).hexdigest()
