"""oEmbed: where a page's oEmbed document lives, and what it adds to a card."""

from __future__ import annotations

import dataclasses
import re
from typing import Any
from urllib.parse import urlencode

import orjson

from ogpreview.card import MAX_IMAGE_SIDE, Card, Image
from ogpreview.text import ascii_int, clean_text
from ogpreview.urls import absolutize

__all__ = ["PROVIDERS", "endpoint_for", "merge_oembed", "parse_oembed"]

#: Well-known providers that do not always advertise their endpoint in the page:
#: (URL pattern, JSON endpoint).
PROVIDERS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE), endpoint)
    for pattern, endpoint in (
        (r"^https?://(?:www\.|m\.)?youtube\.com/(?:watch|shorts/|live/)", "https://www.youtube.com/oembed"),
        (r"^https?://youtu\.be/", "https://www.youtube.com/oembed"),
        (r"^https?://(?:www\.|player\.)?vimeo\.com/", "https://vimeo.com/api/oembed.json"),
        (r"^https?://(?:www\.|mobile\.)?(?:twitter|x)\.com/\w+/status/", "https://publish.twitter.com/oembed"),
        (r"^https?://(?:www\.|m\.)?soundcloud\.com/", "https://soundcloud.com/oembed"),
        (r"^https?://open\.spotify\.com/", "https://open.spotify.com/oembed"),
        (r"^https?://(?:www\.)?flickr\.com/photos/", "https://www.flickr.com/services/oembed/"),
    )
)  # fmt: skip
#: oEmbed types whose thumbnail is a fair preview image.
_TEXT_LIMIT = 300


def endpoint_for(page_url: str, advertised: str | None) -> str | None:
    """The oEmbed JSON URL for a page: the one it advertises, else a known provider's."""
    if advertised:
        return advertised
    for pattern, endpoint in PROVIDERS:
        if pattern.search(page_url):
            return f"{endpoint}?{urlencode({'url': page_url, 'format': 'json'})}"
    return None


def parse_oembed(body: bytes) -> dict[str, Any]:
    """The oEmbed document as a dict; ``ValueError`` when it is not one."""
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise ValueError(f"oEmbed response is not JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise ValueError("oEmbed response is not a JSON object")
    return data


def _text(data: dict[str, Any], key: str) -> str | None:
    value = data.get(key)
    return clean_text(value, limit=_TEXT_LIMIT) if isinstance(value, str) else None


def _size(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float) and 0 < value <= MAX_IMAGE_SIDE:
        return int(value)
    number = ascii_int(value) if isinstance(value, str) else None
    return number if number is not None and 0 < number <= MAX_IMAGE_SIDE else None


def merge_oembed(card: Card, data: dict[str, Any], endpoint: str) -> Card:
    """The card with what oEmbed adds; the page's own values take precedence."""
    image = card.image
    thumb = absolutize(
        endpoint, data.get("thumbnail_url") if isinstance(data.get("thumbnail_url"), str) else None
    )
    if image is None and thumb is not None:
        image = Image(
            url=thumb,
            width=_size(data.get("thumbnail_width")),
            height=_size(data.get("thumbnail_height")),
        )
    elif image is not None and image.width is None and data.get("type") == "photo":
        image = dataclasses.replace(
            image, width=_size(data.get("width")), height=_size(data.get("height"))
        )
    return dataclasses.replace(
        card,
        title=card.title or _text(data, "title"),
        author=card.author or _text(data, "author_name"),
        site_name=card.site_name or _text(data, "provider_name"),
        image=image,
        oembed_url=card.oembed_url or endpoint,
    )
