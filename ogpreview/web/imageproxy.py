"""Signed image-proxy URLs: the proxy fetches only card images this service handed out lately.

A page chooses its own ``og:image``, so whoever makes a page can have any URL signed by
previewing it: a signature alone would make the proxy a fetcher of anything for anyone,
for ever. So each signature is bound to a purpose and an expiry: ``sig`` is the hex
HMAC-SHA256 under ``Settings.secret`` of ``image|<exp>|<url>``, where ``exp`` (a query
parameter too) is the Unix time after which the URL is refused. ``exp`` is rounded up to
the hour, so the cards of one hour name one URL per image (cacheable by browsers and
proxies). Signatures are checked in constant time, before any fetch.

The same mechanism signs the links that let a browser load ``/v1/card`` and ``/oembed``
(an iframe's source) without an API key: purpose ``card`` or ``oembed`` in place of
``image``, so a signature made for one purpose is worth nothing for another.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable
from typing import Literal
from urllib.parse import urlencode

from multidict import MultiMapping

from ogpreview.web.apierror import ApiError

__all__ = [
    "EMBED_PURPOSES",
    "IMAGE_PATH",
    "PURPOSE",
    "ImageSigner",
    "Verdict",
    "require_signature",
]

IMAGE_PATH = "/v1/image"
#: What image-proxy signatures are for: no other signed value can stand in for one.
PURPOSE = "image"
#: What a signed embed link is for, by the path it opens.
EMBED_PURPOSES = {"/v1/card": "card", "/oembed": "oembed"}
#: Expiries are rounded up to a multiple of this (seconds).
EXPIRY_STEP = 3600
#: Digits an expiry may have (Unix seconds for the next millennia).
MAX_EXPIRY_DIGITS = 12
Verdict = Literal["valid", "invalid", "expired"]


class ImageSigner:
    """Signs and verifies image URLs with one secret; signed URLs last ``ttl`` seconds (up
    to an hour more, from rounding). ``clock`` is the time seam (Unix seconds)."""

    def __init__(
        self, secret: str, *, ttl: float = 24 * 3600.0, clock: Callable[[], float] = time.time
    ) -> None:
        if not secret:
            raise ValueError("the image-proxy secret must not be empty")
        if ttl <= 0:
            raise ValueError("the image-URL lifetime must be positive")
        self._key = secret.encode("utf-8")
        self._ttl = ttl
        self._clock = clock

    def sign(self, url: str, expires: int, purpose: str = PURPOSE) -> str:
        """The signature of ``url`` for ``purpose`` (the image proxy unless said) until
        ``expires`` (Unix time)."""
        message = f"{purpose}|{expires}|{url}".encode("utf-8", "surrogatepass")
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()

    def verify(self, url: str, expires: str, sig: str, purpose: str = PURPOSE) -> Verdict:
        """``valid`` for a signature this signer made and that has not expired,
        ``expired`` for one it made whose time is up, ``invalid`` for anything else."""
        if not (expires.isascii() and expires.isdigit() and len(expires) <= MAX_EXPIRY_DIGITS):
            return "invalid"
        given = sig.encode("ascii", "replace")
        expected = self.sign(url, int(expires), purpose).encode("ascii")
        if not hmac.compare_digest(expected, given):
            return "invalid"
        return "valid" if self._clock() <= int(expires) else "expired"

    def expiry(self, ttl: float | None = None) -> int:
        """The expiry of a URL signed now: ``ttl`` (the signer's unless given) from now,
        rounded up to the hour."""
        at = self._clock() + (self._ttl if ttl is None else ttl)
        return int(-(-at // EXPIRY_STEP) * EXPIRY_STEP)

    def proxy_path(self, url: str) -> str:
        """The relative proxy URL (``/v1/image?url=...&exp=...&sig=...``) for an image."""
        expires = self.expiry()
        query = urlencode({"url": url, "exp": expires, "sig": self.sign(url, expires)})
        return f"{IMAGE_PATH}?{query}"

    def embed_path(self, path: str, url: str, *, ttl: float) -> tuple[str, int]:
        """The signed link to ``path`` (``/v1/card`` or ``/oembed``) for ``url``, lasting
        ``ttl`` seconds (rounded up to the hour), and its expiry."""
        expires = self.expiry(ttl)
        sig = self.sign(url, expires, EMBED_PURPOSES[path])
        return f"{path}?{urlencode({'url': url, 'exp': expires, 'sig': sig})}", expires


def require_signature(
    signer: ImageSigner, query: MultiMapping[str], purpose: str, *, fresh: str
) -> None:
    """Refuse (403) a request whose ``url``/``exp``/``sig`` this service did not sign for
    ``purpose``, or whose signature expired (``fresh`` says where a new one comes from)."""
    verdict = signer.verify(
        query.get("url", ""), query.get("exp", ""), query.get("sig", ""), purpose
    )
    if verdict == "invalid":
        raise ApiError("bad_signature", f"the {purpose} URL is not signed by this service")
    if verdict == "expired":
        raise ApiError("signature_expired", f"the {purpose} URL has expired: {fresh}")
