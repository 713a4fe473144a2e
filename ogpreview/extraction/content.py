"""What a link that is no HTML page previews as: an image as itself, any other file (a
PDF, JSON, text, an archive, media) as a plain card titled with its file name. Pure.

The rest of such a card (its URL, site name and icon) is what the extractor gives a page
without markup at that URL, so a file's card names its site as a page's would.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote, urlsplit

from ogpreview.card import Image
from ogpreview.extraction.imagesize import image_size
from ogpreview.extraction.rules.common import TITLE_LIMIT
from ogpreview.text import clean_text

__all__ = ["file_fields", "file_kind"]

#: The card ``type`` of a file, by its MIME type; see :func:`file_kind` for the rest.
_KINDS = {
    "application/pdf": "document",
    "application/postscript": "document",
    "application/json": "data",
    "application/xml": "data",
    "text/xml": "data",
    "text/csv": "data",
    "text/tab-separated-values": "data",
}
_FAMILIES = ("image", "video", "audio")


def file_kind(mime: str) -> str:
    """The card ``type`` of a file: image, video, audio, document, data or file."""
    kind = _KINDS.get(mime)
    if kind is not None:
        return kind
    family, _, subtype = mime.partition("/")
    if family in _FAMILIES:
        return family
    if subtype.endswith(("+json", "+xml")):
        return "data"
    return "document" if family == "text" else "file"


def _file_name(url: str) -> str | None:
    path = urlsplit(url).path
    name = unquote(path.rstrip("/").rsplit("/", 1)[-1]) if path else ""
    return clean_text(name, limit=TITLE_LIMIT)


def file_fields(url: str, mime: str, body: bytes | str) -> dict[str, tuple[Any, str | None]]:
    """The fields a file of type ``mime`` at ``url`` adds to the card, each with the rule
    name it came from (``file_name``, ``file_type``, ``file_itself``): its file name as
    title, its kind, and for an image the image itself, sized from ``body``'s first bytes."""
    title = _file_name(url)
    fields: dict[str, tuple[Any, str | None]] = {
        "title": (title, None if title is None else "file_name"),
        "type": (file_kind(mime), "file_type"),
    }
    if mime.startswith("image/"):
        size = image_size(body) if isinstance(body, bytes) else None
        image = Image(
            url=url,
            width=size[0] if size else None,
            height=size[1] if size else None,
            type=mime,
        )
        fields["image"] = (image, "file_itself")
    return fields
