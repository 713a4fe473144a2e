"""The preview card: what a chat host needs to draw a rich link preview; and how a
lookup served it (:class:`PreviewResult`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from ogpreview.fetch.response import FetchResult

__all__ = ["MAX_IMAGE_SIDE", "TEXT_FIELDS", "CacheStatus", "Card", "Image", "PreviewResult"]

CacheStatus = Literal["hit", "miss", "stale"]
#: The largest image side (pixels) believed, whoever states it (an image header, a page's
#: markup, an oEmbed answer); anything bigger is a corrupt or hostile value.
MAX_IMAGE_SIDE = 100_000

#: The card's fields that hold text (or a URL as text), besides ``url`` and ``image``.
TEXT_FIELDS = (
    "site_name",
    "title",
    "description",
    "type",
    "locale",
    "favicon",
    "author",
    "published_time",
    "oembed_url",
    "theme_color",
    "twitter_card",
)


def _opt_str(data: Mapping[str, Any], key: str) -> str | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise ValueError(f"card field {key!r} must be a non-empty string or null")
    return value


def _opt_int(data: Mapping[str, Any], key: str) -> int | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"card field {key!r} must be a positive integer or null")
    return value


@dataclass(frozen=True, slots=True, kw_only=True)
class Image:
    """A card's image: an absolute http(s) URL and what the page says about it."""

    url: str
    width: int | None = None
    height: int | None = None
    alt: str | None = None
    type: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "width": self.width,
            "height": self.height,
            "alt": self.alt,
            "type": self.type,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Image:
        """Rebuild an image from :meth:`to_dict`; raises ``ValueError`` on a wrong shape."""
        if not isinstance(data, Mapping):
            raise ValueError("card image must be an object or null")
        url = _opt_str(data, "url")
        if url is None:
            raise ValueError("card image needs a url")
        return cls(
            url=url,
            width=_opt_int(data, "width"),
            height=_opt_int(data, "height"),
            alt=_opt_str(data, "alt"),
            type=_opt_str(data, "type"),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class Card:
    """A link preview card.

    ``url`` is always set (the canonical URL, else the page's final URL); every other
    field is ``None`` when the page does not provide it, never an empty string. Every
    URL in a card is absolute http(s).
    """

    url: str
    site_name: str | None = None
    title: str | None = None
    description: str | None = None
    image: Image | None = None
    type: str | None = None
    locale: str | None = None
    favicon: str | None = None
    author: str | None = None
    published_time: str | None = None
    oembed_url: str | None = None
    theme_color: str | None = None
    #: The page's ``twitter:card`` (``summary``, ``summary_large_image``, ...): the layout
    #: it asks for. Cards cached before this field existed read it as None.
    twitter_card: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The card's JSON shape (see README); ``Card.from_dict`` reverses it exactly."""
        return {
            "url": self.url,
            "site_name": self.site_name,
            "title": self.title,
            "description": self.description,
            "image": None if self.image is None else self.image.to_dict(),
            "type": self.type,
            "locale": self.locale,
            "favicon": self.favicon,
            "author": self.author,
            "published_time": self.published_time,
            "oembed_url": self.oembed_url,
            "theme_color": self.theme_color,
            "twitter_card": self.twitter_card,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Card:
        """Rebuild a card from :meth:`to_dict` output; raises ``ValueError`` on a wrong shape."""
        if not isinstance(data, Mapping):
            raise ValueError("a card must be a JSON object")
        url = _opt_str(data, "url")
        if url is None:
            raise ValueError("a card needs a url")
        image = data.get("image")
        return cls(
            url=url,
            image=None if image is None else Image.from_dict(image),
            **{key: _opt_str(data, key) for key in TEXT_FIELDS},
        )


@dataclass(frozen=True, slots=True)
class PreviewResult:
    """A card and how it was served: from the cache (``hit``, ``stale``) or fetched."""

    card: Card
    cache: CacheStatus
    #: When the card was fetched (Unix time).
    fetched_at: float
    #: The URL asked for, as checked and normalised (the one a fetch starts from).
    requested_url: str
    #: Where the fetch that made the card ended, after redirects; kept with the card in
    #: the cache. (For a card cached from another spelling of the same page, say with
    #: tracking parameters, that fetch's end. None only for a card an older version cached.)
    final_url: str | None
    #: The fetch made to answer this call, if one was.
    fetch: FetchResult | None = None
    #: With ``fetch``, for an HTML page: the card as extracted, before oEmbed and the image
    #: probe changed it, and the extractor rule each field came from (see ``explain``); a
    #: URL field the previewer dropped names the rule and why it went ("og_images,
    #: dropped: blocked_address: ..."); ``image_dropped`` says why the image went, and
    #: ``image_unsized`` why it was kept unsized (a failure that may pass).
    extracted: Card | None = None
    sources: Mapping[str, str | None] | None = None
    #: ``pending``: answered after the page alone (``enrich="background"``), while oEmbed
    #: and the image probe complete the card into the cache; else ``complete``.
    enrichment: Literal["complete", "pending"] = "complete"
