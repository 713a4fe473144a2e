"""A card for whatever a URL turned out to be: a page, an image, a document or media."""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import unquote, urlsplit

from ogpreview.absurl import host_of
from ogpreview.card import Card, Image
from ogpreview.errors import UnsupportedContent
from ogpreview.extractor import explain
from ogpreview.imageprobe import image_size
from ogpreview.response import FetchResult

__all__ = ["explain_result"]

#: Types worth a minimal card (the file name as title) though they have no markup.
_NAMED_TYPES = {
    "application/pdf": "document",
    "application/json": "data",
    "text/plain": "document",
    "text/csv": "data",
}
_NAMED_FAMILIES = ("video/", "audio/")


def _file_name(url: str) -> str | None:
    path = urlsplit(url).path
    name = unquote(path.rstrip("/").rsplit("/", 1)[-1]) if path else ""
    return name or None


def explain_result(result: FetchResult) -> tuple[Card, Mapping[str, str | None] | None]:
    """The card for a fetch result, and for an HTML page where each field came from (the
    extractor's rule names, as :func:`~ogpreview.explain` gives them; None otherwise).

    HTML is extracted; an image previews as itself; a PDF, video, audio or data file gets
    a minimal card titled with its file name; anything else is
    :class:`~ogpreview.UnsupportedContent`.
    """
    mime = result.content_type
    if result.is_html or (mime is None and result.body):
        content_type = result.headers.get("Content-Type")
        return explain(result.body, result.url, content_type=content_type)
    return _file_card(result, mime), None


def _file_card(result: FetchResult, mime: str | None) -> Card:
    favicon = f"{urlsplit(result.url).scheme}://{urlsplit(result.url).netloc}/favicon.ico"
    if result.is_image:
        size = image_size(result.body)
        return Card(
            url=result.url,
            site_name=host_of(result.url) or None,
            title=_file_name(result.url),
            image=Image(
                url=result.url,
                width=size[0] if size else None,
                height=size[1] if size else None,
                type=mime,
            ),
            type="image",
            favicon=favicon,
        )
    if mime is not None and (mime in _NAMED_TYPES or mime.startswith(_NAMED_FAMILIES)):
        return Card(
            url=result.url,
            site_name=host_of(result.url) or None,
            title=_file_name(result.url),
            type=_NAMED_TYPES.get(mime) or mime.split("/", 1)[0],
            favicon=favicon,
        )
    raise UnsupportedContent(f"cannot preview content of type {mime}", url=result.url)
