"""What a fetch returns: the final response, the bytes kept, and how we got there."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache

from multidict import CIMultiDict, CIMultiDictProxy

from ogpreview.extraction.sniff import sniff

__all__ = ["HTML_TYPES", "FetchResult", "parse_content_type", "served_type"]

#: The types that are pages: extracted for their markup.
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})


@lru_cache(maxsize=256)
def parse_content_type(value: str | None) -> tuple[str | None, str | None]:
    """``(mime type, charset)`` from a Content-Type header, lower-cased; ``None`` when absent."""
    if not value:
        return None, None
    kind, _, params = value.partition(";")
    mime = kind.strip().lower()
    charset = None
    for param in params.split(";"):
        name, _, raw = param.partition("=")
        if name.strip().lower() == "charset":
            charset = raw.strip().strip("'\"").strip().lower() or None
            break
    return (mime if "/" in mime and " " not in mime else None), charset


def served_type(body: bytes | str, content_type: str | None) -> str | None:
    """The MIME type a response previews as, or None for an HTML page.

    The type its Content-Type header declares, except that a page type (or none) over
    bytes that begin with a file's signature (:func:`~ogpreview.extraction.sniff.sniff`) is that
    file's type: servers label images and downloads ``text/html``, and their bytes are
    no markup. Any other declared type is believed (a browser would not render it as a
    page either); already-decoded text is not sniffed.
    """
    mime = parse_content_type(content_type)[0]
    if mime is not None and mime not in HTML_TYPES:
        return mime
    return sniff(body) if isinstance(body, bytes) else None


def _empty_headers() -> CIMultiDictProxy[str]:
    return CIMultiDictProxy(CIMultiDict())


@dataclass(frozen=True, slots=True, kw_only=True)
class FetchResult:
    """The outcome of one successful fetch.

    ``body`` holds the bytes kept (decompressed). ``complete`` is False when the
    fetcher stopped reading on purpose: an HTML page past the point extraction needs,
    an image whose first bytes were enough, a type that is not read at all.
    """

    url: str
    status: int
    headers: CIMultiDictProxy[str] = field(default_factory=_empty_headers)
    body: bytes = b""
    complete: bool = True
    #: The URLs that answered with a redirect, in order; ``url`` is where it ended.
    redirects: tuple[str, ...] = ()
    #: The IP address actually dialled for the final hop (None when a pooled
    #: connection's peer is unknown).
    peer: str | None = None
    #: Seconds of the fetch: ``ttfb`` (final response's head) and ``total`` count from its
    #: start, leaving out ``queue``, the time spent waiting for connection slots.
    timings: Mapping[str, float] = field(default_factory=dict)

    @property
    def content_type(self) -> str | None:
        """The MIME type from the Content-Type header, lower-cased."""
        return parse_content_type(self.headers.get("Content-Type"))[0]

    @property
    def charset(self) -> str | None:
        """The charset parameter of the Content-Type header, lower-cased."""
        return parse_content_type(self.headers.get("Content-Type"))[1]

    @property
    def served_type(self) -> str | None:
        """What the body previews as (see :func:`served_type`); None for an HTML page."""
        return served_type(self.body, self.headers.get("Content-Type"))

    @property
    def is_html(self) -> bool:
        """An HTML page: declared as one, or not declared, and no file's bytes."""
        return self.served_type is None

    @property
    def is_image(self) -> bool:
        """An image: declared as one, or an image's bytes under a page type."""
        mime = self.served_type
        return mime is not None and mime.startswith("image/")
