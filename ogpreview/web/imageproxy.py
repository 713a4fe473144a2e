"""Signed image-proxy URLs: the proxy fetches only URLs this service put in a card.

``sig`` is the hex HMAC-SHA256 of the image URL under ``Settings.secret``, checked in
constant time; without a valid one the proxy refuses before any fetch, so it is not an
open proxy.
"""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import urlencode

__all__ = ["IMAGE_PATH", "ImageSigner"]

IMAGE_PATH = "/v1/image"


class ImageSigner:
    """Signs and verifies image URLs with one secret."""

    def __init__(self, secret: str) -> None:
        if not secret:
            raise ValueError("the image-proxy secret must not be empty")
        self._key = secret.encode("utf-8")

    def sign(self, url: str) -> str:
        return hmac.new(self._key, url.encode("utf-8"), hashlib.sha256).hexdigest()

    def verify(self, url: str, sig: str) -> bool:
        return hmac.compare_digest(self.sign(url), sig.encode("ascii", "replace").decode())

    def proxy_path(self, url: str) -> str:
        """The relative proxy URL (``/v1/image?url=...&sig=...``) for an image URL."""
        return f"{IMAGE_PATH}?{urlencode({'url': url, 'sig': self.sign(url)})}"
