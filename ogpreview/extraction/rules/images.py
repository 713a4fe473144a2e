"""The image rules: og:image groups, Twitter cards, JSON-LD, ``link rel=image_src`` and
``itemprop=image``, then the body's ``<img>`` and ``<video>`` elements; and the validator
that refuses tracking pixels and links that are no image."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import re2

from ogpreview.card import Image
from ogpreview.extraction.document import BYTES_RE2
from ogpreview.extraction.rules.body import in_chrome
from ogpreview.extraction.rules.common import (
    MAX_IMAGE_SIDE,
    SHORT_LIMIT,
    TITLE_LIMIT,
    Context,
    Rule,
    jsonld_values,
)
from ogpreview.text import clean_text

__all__ = [
    "FIRST_IMG",
    "ITEMPROP_IMAGES",
    "JSONLD_IMAGES",
    "LARGEST_IMG",
    "LINK_IMAGE_SRC",
    "OG_IMAGES",
    "TWITTER_IMAGES",
    "VIDEO_POSTER",
    "RawImage",
    "accept_image",
]

#: An ``<img>`` smaller than this on either side is an icon, not a preview image.
MIN_IMG_SIDE = 50
#: Images considered by the largest-``<img>`` rule.
MAX_IMGS_SCANNED = 500
#: Pages whose body never says "itemprop" skip the tree for the itemprop=image rule. (Just
#: the attribute name: its value may be spelled with entities or odd white space.)
_ITEMPROP = re2.compile(rb"(?i)itemprop", BYTES_RE2)
_TRACKING_PATHS = ("/pixel.gif", "/spacer.gif", "/blank.gif", "/1x1.gif", "/transparent.gif", "/tr")
_NON_IMAGE_EXTENSIONS = frozenset(
    {".mp4", ".webm", ".mov", ".m3u8", ".mp3", ".ogg", ".wav", ".pdf", ".zip", ".html",
     ".htm", ".js", ".css", ".json", ".txt", ".m4a", ".avi", ".mkv", ".flv"}
)  # fmt: skip
_INT_PREFIX = re.compile(r"\s*(\d{1,9})(?:\.\d+)?\s*(?:px)?\s*$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class RawImage:
    url: str | None
    width: Any = None
    height: Any = None
    alt: str | None = None
    type: str | None = None


_OG_IMAGE_URL_KEYS = ("og:image", "og:image:url")
_OG_IMAGE_PROPS = {
    "og:image:secure_url": "secure_url",
    "og:image:width": "width",
    "og:image:height": "height",
    "og:image:alt": "alt",
    "og:image:type": "type",
}
_OG_IMAGE_KEYS = (*_OG_IMAGE_URL_KEYS, *_OG_IMAGE_PROPS)


def _og_images(ctx: Context) -> Iterator[RawImage]:
    """og:image groups: each og:image (or og:image:url) starts one; its structured
    properties follow it. Within a group secure_url is preferred."""
    groups: list[dict[str, str]] = []
    for key, value in ctx.page.metas_named(_OG_IMAGE_KEYS):
        if key in _OG_IMAGE_URL_KEYS:
            slot, other = ("url", "og_url") if key == "og:image" else ("og_url", "url")
            # og:image and og:image:url name the same image (ogp.me); a repeat starts a new one.
            current = groups[-1] if groups else None
            if current is None or slot in current or current.get(other, value) != value:
                groups.append({})
            groups[-1][slot] = value
        elif key in _OG_IMAGE_PROPS:
            if not groups:
                groups.append({})
            groups[-1].setdefault(_OG_IMAGE_PROPS[key], value)
    for group in groups:
        for url_key in ("secure_url", "og_url", "url"):
            if group.get(url_key):
                yield RawImage(
                    group[url_key],
                    group.get("width"),
                    group.get("height"),
                    group.get("alt"),
                    group.get("type"),
                )


def _twitter_images(ctx: Context) -> Iterator[RawImage]:
    alt = next(ctx.page.meta("twitter:image:alt"), None)
    width = next(ctx.page.meta("twitter:image:width"), None)
    height = next(ctx.page.meta("twitter:image:height"), None)
    for key in ("twitter:image", "twitter:image:src"):
        for value in ctx.page.meta(key):
            yield RawImage(value, width, height, alt)


def _deref(ctx: Context, value: Any) -> Any:
    """A JSON-LD node reference (``{"@id": ...}`` alone) replaced by the node it names,
    when the page has it (Yoast-style ``@graph`` pages point at their ImageObject this way)."""
    if isinstance(value, dict) and value.keys() <= {"@id", "@type"}:
        node_id = value.get("@id")
        if isinstance(node_id, str):
            return ctx.page.jsonld_ids.get(node_id, value)
    return value


def _jsonld_image_values(ctx: Context, value: Any, depth: int = 0) -> Iterator[RawImage]:
    if depth > 3:
        return
    value = _deref(ctx, value)
    if isinstance(value, str):
        yield RawImage(value)
    elif isinstance(value, dict):
        url = value.get("url") or value.get("contentUrl")
        if isinstance(url, list):
            url = url[0] if url else None
        if isinstance(url, str):
            caption = value.get("caption")
            yield RawImage(
                url,
                value.get("width"),
                value.get("height"),
                caption if isinstance(caption, str) else None,
            )
    elif isinstance(value, list):
        for item in value[:20]:
            yield from _jsonld_image_values(ctx, item, depth + 1)


def _jsonld_images(ctx: Context) -> Iterator[RawImage]:
    for key in ("image", "thumbnailUrl"):
        for value in jsonld_values(ctx, key, content_only=True):
            yield from _jsonld_image_values(ctx, value)


def _link_image_src(ctx: Context) -> Iterator[RawImage]:
    for attrs in ctx.page.links_with_rel("image_src"):
        yield RawImage(attrs.get("href"))


def _itemprop_images(ctx: Context) -> Iterator[RawImage]:
    for value in ctx.page.meta("image"):
        yield RawImage(value)
    for attrs in ctx.page.links:
        if (attrs.get("itemprop") or "").lower() == "image":
            yield RawImage(attrs.get("href"))
    if not ctx.page.body_may_match(_ITEMPROP):
        return
    body = ctx.page.body
    if body is None:
        return
    for el in body.iterfind(".//*[@itemprop]"):
        if el.get("itemprop", "").strip().lower() == "image":
            src = _img_src(el) if el.tag == "img" else (el.get("content") or el.get("href"))
            yield RawImage(src, el.get("width"), el.get("height"), el.get("alt"))


def _img_src(img: Any) -> str | None:
    # Lazy loaders keep the real image in data-*; ``src`` then holds a placeholder.
    for attr in ("data-src", "data-lazy-src", "data-original", "src"):
        value = img.get(attr)
        if value and value.strip():
            return str(value)
    return None


def _largest_img(ctx: Context) -> Iterator[RawImage]:
    """The largest ``<img>`` with declared dimensions, one outside the page's furniture if
    there is any."""
    body = ctx.page.body
    if body is None:
        return
    best: dict[bool, tuple[int, Any, int, int]] = {}
    for count, img in enumerate(body.iter("img")):
        if count >= MAX_IMGS_SCANNED:
            break
        width, height = _dimension(img.get("width")), _dimension(img.get("height"))
        if width is None or height is None or width < MIN_IMG_SIDE or height < MIN_IMG_SIDE:
            continue
        chrome = in_chrome(img)
        current = best.get(chrome)
        if current is None or width * height > current[0]:
            best[chrome] = (width * height, img, width, height)
    for chrome in (False, True):
        if chrome in best:
            _, img, width, height = best[chrome]
            yield RawImage(_img_src(img), width, height, img.get("alt"))


def _video_poster(ctx: Context) -> Iterator[RawImage]:
    body = ctx.page.body
    if body is None:
        return
    for video in body.iter("video"):
        yield RawImage(video.get("poster"))


def _first_img(ctx: Context) -> Iterator[RawImage]:
    """Any ``<img>`` not declared smaller than an icon: the last resort (as Synapse does).
    Images in the page's furniture (a header's menu icons, say) come after all others."""
    body = ctx.page.body
    if body is None:
        return
    furniture: list[RawImage] = []
    for count, img in enumerate(body.iter("img")):
        if count >= MAX_IMGS_SCANNED:
            break
        width, height = _dimension(img.get("width")), _dimension(img.get("height"))
        if (width is not None and width < MIN_IMG_SIDE) or (
            height is not None and height < MIN_IMG_SIDE
        ):
            continue
        image = RawImage(_img_src(img), img.get("width"), img.get("height"), img.get("alt"))
        if in_chrome(img):
            furniture.append(image)
        else:
            yield image
    yield from furniture


def _dimension(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        number = int(value)
    elif isinstance(value, str):
        match = _INT_PREFIX.match(value)
        if not match:
            return None
        number = int(match.group(1))
    elif isinstance(value, dict):  # schema.org QuantitativeValue
        return _dimension(value.get("value"))
    else:
        return None
    return number if 0 < number <= MAX_IMAGE_SIDE else None


def accept_image(ctx: Context, raw: Any) -> Image | None:
    if not isinstance(raw, RawImage) or not isinstance(raw.url, str):
        return None
    url = ctx.resolve(raw.url)
    if url is None:
        return None
    path = urlsplit(url).path.lower()
    if path.endswith(_TRACKING_PATHS):
        return None
    dot = path.rfind(".")
    if dot > path.rfind("/") and path[dot:] in _NON_IMAGE_EXTENSIONS:
        return None
    width, height = _dimension(raw.width), _dimension(raw.height)
    for declared in (raw.width, raw.height):
        # A declared 1 px side is a tracking pixel, whatever the other side says.
        if declared is not None and str(declared).strip() in ("0", "1", "1px"):
            return None
    mime = clean_text(raw.type, limit=SHORT_LIMIT) if isinstance(raw.type, str) else None
    return Image(
        url=url,
        width=width,
        height=height,
        alt=clean_text(raw.alt, limit=TITLE_LIMIT) if isinstance(raw.alt, str) else None,
        type=mime.lower() if mime else None,
    )


OG_IMAGES = Rule("og_images", _og_images, "og:image")
TWITTER_IMAGES = Rule("twitter_images", _twitter_images, "twitter:image")
JSONLD_IMAGES = Rule("jsonld_images", _jsonld_images, "a JSON-LD image")
LINK_IMAGE_SRC = Rule("link_image_src", _link_image_src, "link rel=image_src")
ITEMPROP_IMAGES = Rule("itemprop_images", _itemprop_images, "an itemprop=image")
LARGEST_IMG = Rule("largest_img", _largest_img, "the largest <img>")
VIDEO_POSTER = Rule("video_poster", _video_poster, "a <video> poster")
FIRST_IMG = Rule("first_img", _first_img, "the first <img>")
