"""The extraction rules: per card field, an ordered list of small rules, most specific first.

Each rule (:class:`Rule`) has a public, stable ``id`` (what :func:`~ogpreview.explain`
reports as a field's source: ``meta:og:title``, ``og_images``, ``host_name``, ...), the
``label`` findings name it by, and a ``read`` function, a generator of raw candidates read
from a :class:`~ogpreview.extraction.document.Page`. The field's validator turns a raw
candidate into a value or rejects it, and the first value accepted wins. A rule that
raises is logged and skipped; it never fails the card. :data:`PRECEDENCE` below is the
one place where source precedence is stated.
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any
from urllib.parse import urlsplit

import re2

from ogpreview.card import Image
from ogpreview.extraction.document import BYTES_RE2, Page
from ogpreview.text import clean_text
from ogpreview.urls import absolutize, host_of, same_site

__all__ = [
    "OPENGRAPH_RULES",
    "PRECEDENCE",
    "RULE_LABELS",
    "Context",
    "Field",
    "Rule",
    "first_value",
    "first_value_and_source",
    "foreign_og_url",
]

log = logging.getLogger(__name__)

TITLE_LIMIT = 300
DESCRIPTION_LIMIT = 300
SITE_NAME_LIMIT = 100
AUTHOR_LIMIT = 200
SHORT_LIMIT = 100
#: A body paragraph shorter than this is not "substantial" (menus, captions, bylines).
MIN_PARAGRAPH_CHARS = 80
#: An ``<img>`` smaller than this on either side is an icon, not a preview image.
MIN_IMG_SIDE = 50
MAX_IMAGE_SIDE = 100_000
#: The body text summary reads at most this many characters of text nodes.
BODY_TEXT_BUDGET = 4_000
#: Images considered by the largest-``<img>`` rule.
MAX_IMGS_SCANNED = 500

_NON_CONTENT = frozenset(
    {"nav", "header", "footer", "aside", "script", "style", "noscript", "template", "form",
     "svg", "button", "select", "option", "iframe", "object", "canvas", "head", "title"}
)  # fmt: skip
#: Text-level elements: their text runs on with the text around them (no space between).
_INLINE = frozenset(
    {"a", "abbr", "acronym", "b", "bdi", "bdo", "big", "cite", "code", "data", "del", "dfn",
     "em", "font", "i", "ins", "kbd", "mark", "nobr", "q", "s", "samp", "small", "span",
     "strike", "strong", "sub", "sup", "time", "tt", "u", "var", "wbr"}
)  # fmt: skip
#: Elements holding page furniture: the ``<img>`` fallbacks take an image inside them only
#: when the rest of the page has none.
_CHROME = frozenset({"nav", "header", "footer", "aside", "button", "form"})
#: Marks an inline element's edge in loose body text (NUL never survives HTML parsing).
_INLINE_EDGE = "\x00"
_GLUED_WORDS = re.compile(r"(?<=\w)\x00+(?=\w)")
#: Pages whose body never says "itemprop" skip the tree for the itemprop=image rule. (Just
#: the attribute name: its value may be spelled with entities or odd white space.)
_ITEMPROP = re2.compile(rb"(?i)itemprop", BYTES_RE2)
_TRACKING_PATHS = ("/pixel.gif", "/spacer.gif", "/blank.gif", "/1x1.gif", "/transparent.gif", "/tr")
_NON_IMAGE_EXTENSIONS = frozenset(
    {".mp4", ".webm", ".mov", ".m3u8", ".mp3", ".ogg", ".wav", ".pdf", ".zip", ".html",
     ".htm", ".js", ".css", ".json", ".txt", ".m4a", ".avi", ".mkv", ".flv"}
)  # fmt: skip
_NOT_CONTENT_TYPES = frozenset(
    {"organization", "corporation", "newsmediaorganization", "website", "person",
     "breadcrumblist", "listitem", "searchaction", "imageobject", "brand", "place",
     "postaladdress", "contactpoint", "sitenavigationelement", "wpheader", "wpfooter",
     "wpsidebar", "rating", "aggregaterating", "offer", "country", "entrypoint",
     "readaction", "localbusiness"}
)  # fmt: skip
_INT_PREFIX = re.compile(r"\s*(\d{1,9})(?:\.\d+)?\s*(?:px)?\s*$", re.IGNORECASE)
_SIZES = re.compile(r"(\d+)\s*[xX×]\s*(\d+)")
_HANDLE = re.compile(r"^@?([A-Za-z0-9_]{1,50})$")


@dataclass(slots=True)
class Context:
    """What the rules share for one page: the page and the URL relative links resolve against."""

    page: Page
    url: str
    base: str

    def resolve(self, href: str | None) -> str | None:
        return absolutize(self.base, href)


@dataclass(frozen=True, slots=True)
class RawImage:
    url: str | None
    width: Any = None
    height: Any = None
    alt: str | None = None
    type: str | None = None


Reader = Callable[[Context], Iterable[Any]]
Validator = Callable[[Context, Any], Any]


@dataclass(frozen=True, slots=True)
class Rule:
    """One source of a field's value.

    ``id`` is a contract (``explain()`` reports it, link checkers and users match on it):
    it is written out here, never derived from ``read``'s name, so renaming a function
    cannot change what a page's sources say. ``label`` is how a finding names the source
    ("the <title> tag"); it is the id itself where the id reads well enough."""

    id: str
    read: Reader
    label: str = ""

    def __post_init__(self) -> None:
        if not self.label:
            object.__setattr__(self, "label", self.id)

    def __call__(self, ctx: Context) -> Iterable[Any]:
        return self.read(ctx)


# --- small readers -------------------------------------------------------------------


def _metas(*keys: str, label: str = "") -> Rule:
    """The values of the meta tags named ``keys``; id ``meta:`` and the keys."""

    def read(ctx: Context) -> Iterator[str]:
        for key in keys:
            yield from ctx.page.meta(key)

    return Rule("meta:" + ",".join(keys), read, label)


def _types(obj: dict[str, Any]) -> set[str]:
    kind = obj.get("@type")
    kinds = kind if isinstance(kind, list) else [kind]
    return {str(k).lower() for k in kinds if isinstance(k, str)}


def _jsonld_values(ctx: Context, key: str, *, content_only: bool = False) -> Iterator[Any]:
    """``key``'s values in the page's JSON-LD objects (``content_only``: not in those
    describing the site, its publisher or navigation rather than the page's content)."""
    for obj in ctx.page.jsonld:
        if content_only and _types(obj) & _NOT_CONTENT_TYPES:
            continue
        if key in obj:
            yield obj[key]


def _jsonld(key: str, *, content_only: bool = False, label: str = "") -> Rule:
    def read(ctx: Context) -> Iterator[Any]:
        return _jsonld_values(ctx, key, content_only=content_only)

    return Rule(f"jsonld:{key}", read, label)


def _name_of(value: Any) -> Iterator[str]:
    """Names from a JSON-LD person/organisation: a string, an object with ``name``, a list."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        name = value.get("name")
        if isinstance(name, str):
            yield name
    elif isinstance(value, list):
        for item in value[:10]:
            yield from _name_of(item)


def _html_title(ctx: Context) -> Iterator[str | None]:
    yield ctx.page.title


def _first_h1(ctx: Context) -> Iterator[str]:
    body = ctx.page.body
    if body is None:
        return
    for h1 in body.iter("h1"):
        yield _visible_text(h1)
        return


def _in_content(el: Any) -> bool:
    return not any(anc.tag in _NON_CONTENT for anc in el.iterancestors())


def _in_chrome(el: Any) -> bool:
    """Whether ``el`` sits in the page's furniture (menus, banners, footers, buttons), where
    images are logos and icons rather than what the page is about."""
    return any(anc.tag in _CHROME for anc in el.iterancestors())


def _first_paragraph(ctx: Context) -> Iterator[str]:
    body = ctx.page.body
    if body is None:
        return
    for p in body.iter("p"):
        text = clean_text(_visible_text(p))
        if text and len(text) >= MIN_PARAGRAPH_CHARS and _in_content(p):
            yield text
            return


def _body_text(ctx: Context) -> Iterator[str]:
    """The page's visible text, boilerplate skipped: the last resort for a description."""
    body = ctx.page.body
    if body is None:
        return
    yield _visible_text(body, BODY_TEXT_BUDGET, loose=True)


def _visible_text(root: Any, budget: int | None = None, *, loose: bool = False) -> str:
    """The text a reader sees in ``root``: boilerplate elements (nav, script...) skipped,
    block boundaries and ``<br>`` read as spaces, inline markup (``<a>``, ``<b>``...) joined
    without one. Stops after about ``budget`` characters.

    ``loose`` (for a whole body, where CSS often lays out links and spans as separate
    items): an inline boundary between two word characters reads as a space too."""
    inline_edge = _INLINE_EDGE if loose else ""
    parts: list[str] = []
    size = 0
    skip_depth: list[Any] = []
    for event, el in _walk(root):
        tag = el.tag if isinstance(el.tag, str) else None
        if event == "start":
            if tag in _NON_CONTENT:
                skip_depth.append(el)
            elif not skip_depth:
                parts.append(inline_edge if tag in _INLINE else " ")
                if el.text:
                    parts.append(el.text)
                    size += len(el.text)
        else:
            if skip_depth and skip_depth[-1] is el:
                skip_depth.pop()
                parts.append(" ")
            elif not skip_depth and tag is not None:
                parts.append(inline_edge if tag in _INLINE else " ")
            if not skip_depth and el.tail and el is not root:
                parts.append(el.tail)
                size += len(el.tail)
        if budget is not None and size > budget:
            break
    text = "".join(parts)
    return _GLUED_WORDS.sub(" ", text).replace(_INLINE_EDGE, "") if loose else text


def _walk(root: Any) -> Iterator[tuple[str, Any]]:
    """Start/end events over a tree without recursion (pages nest 100,000 deep)."""
    stack: list[tuple[Any, Iterator[Any]]] = [(root, iter(root))]
    yield "start", root
    while stack:
        el, children = stack[-1]
        child = next(children, None)
        if child is None:
            stack.pop()
            yield "end", el
        elif isinstance(child.tag, str):
            yield "start", child
            stack.append((child, iter(child)))
        elif child.tail:  # a comment or processing instruction: only its tail is text
            yield "end", child


# --- images ----------------------------------------------------------------------------

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
        for value in _jsonld_values(ctx, key, content_only=True):
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
        chrome = _in_chrome(img)
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
        if _in_chrome(img):
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


def _accept_image(ctx: Context, raw: Any) -> Image | None:
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


# --- other fields ---------------------------------------------------------------------


def _link_hrefs(ctx: Context, *rels: str) -> Iterator[str | None]:
    for attrs in ctx.page.links_with_rel(*rels):
        yield attrs.get("href")


def _page_url(ctx: Context) -> Iterator[str]:
    yield ctx.url


def _on_own_site(ctx: Context, hrefs: Iterable[str | None]) -> Iterator[str]:
    """The URLs of ``hrefs`` on the page's own site. The card's ``url`` is where a click
    on the card goes: a page may name its own other spellings (www. and m. siblings,
    http and https), but one naming another site would let any page borrow that site's
    link (a phishing page its bank's), and syndicated or template-copied tags point
    elsewhere by mistake."""
    for href in hrefs:
        url = ctx.resolve(href)
        if url is not None and same_site(url, ctx.url):
            yield url


def _og_url(ctx: Context) -> Iterator[str]:
    yield from _on_own_site(ctx, ctx.page.meta("og:url"))


def foreign_og_url(ctx: Context) -> str | None:
    """The first og:url the page declares on another site (which :func:`_og_url` refuses),
    for reports; None when there is none."""
    for declared in ctx.page.meta("og:url"):
        url = ctx.resolve(declared)
        if url is not None and not same_site(url, ctx.url):
            return url
    return None


def _canonical_link(ctx: Context) -> Iterator[str]:
    yield from _on_own_site(ctx, _link_hrefs(ctx, "canonical"))


_APP_NAME_KEYS = (
    "al:ios:app_name",
    "al:android:app_name",
    "al:ipad:app_name",
    "al:iphone:app_name",
    "twitter:app:name:iphone",
    "twitter:app:name:ipad",
    "twitter:app:name:googleplay",
)
_TITLE_SEPARATORS = re.compile(r"\s+(?:[|\-–—·•:»«/]|::)\s+")
_NON_ALNUM = re.compile(r"[\W_]+")
#: A squashed name shorter than this matches too many hosts by accident.
MIN_HOST_MATCH = 4


def _named_metas(*keys: str) -> Rule:
    """Meta values that name something, not a URL or a bare domain."""

    def read(ctx: Context) -> Iterator[str]:
        for key in keys:
            for value in ctx.page.meta(key):
                if not _looks_like_address(value):
                    yield value

    return Rule("named:" + ",".join(keys), read)


def _looks_like_address(value: str) -> bool:
    text = value.strip().lower()
    return text.startswith(("http://", "https://", "//", "www.")) or bool(
        re.fullmatch(r"[a-z0-9-]+(?:\.[a-z0-9-]+)+", text)
    )


def _title_segment_naming_host(ctx: Context) -> Iterator[str]:
    """The part of ``<title>`` ("Article | Site") that names the page's host."""
    title = clean_text(ctx.page.title)
    if not title:
        return
    labels = [_NON_ALNUM.sub("", label) for label in host_of(ctx.url).split(".")[:-1]]
    labels = [label for label in labels if len(label) >= MIN_HOST_MATCH]
    segments = _TITLE_SEPARATORS.split(title)
    if len(segments) < 2 or not labels:
        return
    for segment in segments:
        squashed = _NON_ALNUM.sub("", segment.lower())
        if len(squashed) < MIN_HOST_MATCH:
            continue
        if any(squashed in label or label in squashed for label in labels):
            yield segment


def _host_name(ctx: Context) -> Iterator[str]:
    host = host_of(ctx.url)
    if host.startswith("xn--") or ".xn--" in host:
        with contextlib.suppress(UnicodeError):
            host = host.encode("ascii").decode("idna")
    yield host


def _jsonld_names(key: str) -> Rule:
    def read(ctx: Context) -> Iterator[str]:
        for value in _jsonld_values(ctx, key):
            yield from _name_of(value)

    return Rule(f"jsonld:{key}.name", read)


def _handle(key: str) -> Rule:
    def read(ctx: Context) -> Iterator[str]:
        for value in ctx.page.meta(key):
            match = _HANDLE.match(value.strip())
            if match:
                yield match.group(1)

    return Rule(f"handle:{key}", read)


def _article_author(ctx: Context) -> Iterator[str]:
    for value in ctx.page.meta("article:author"):
        if not value.strip().lower().startswith(("http://", "https://", "//", "www.")):
            yield value


def _time_published(ctx: Context) -> Iterator[str | None]:
    yield ctx.page.time_published


def _html_lang(ctx: Context) -> Iterator[str | None]:
    yield ctx.page.lang


def _theme_color(ctx: Context) -> Iterator[str]:
    tags = [(v, attrs) for k, v, attrs in ctx.page.metas if k == "theme-color"]
    for value, attrs in tags:
        if "media" not in attrs:
            yield value
    for value, _ in tags:
        yield value


_ICON_RELS = ("icon", "apple-touch-icon", "apple-touch-icon-precomposed")


def _icon_size(attrs: dict[str, str]) -> int:
    sizes = (attrs.get("sizes") or "").lower()
    if not sizes:
        return 0
    if "any" in sizes.split():
        return MAX_IMAGE_SIDE
    return max((int(w) for w, _ in _SIZES.findall(sizes)), default=0)


def _favicons(ctx: Context) -> Iterator[str | None]:
    page = ctx.page
    # The head's icons first (the body's may sit in an iframe's or a comment's markup);
    # within each, the largest declared size first (sorted() is stable: ties keep order).
    for icons in (
        page.links_with_rel(*_ICON_RELS, stop=page.head_links),
        page.links_with_rel(*_ICON_RELS, start=page.head_links),
    ):
        for attrs in sorted(icons, key=_icon_size, reverse=True):
            yield attrs.get("href")


def _favicon_default(ctx: Context) -> Iterator[str]:
    yield "/favicon.ico"


def _oembed_links(ctx: Context) -> Iterator[str | None]:
    for attrs in ctx.page.links_with_rel("alternate"):
        if (attrs.get("type") or "").strip().lower() in (
            "application/json+oembed",
            "text/json+oembed",
        ):
            yield attrs.get("href")


# --- validators -------------------------------------------------------------------------


def _text(limit: int) -> Validator:
    def accept(ctx: Context, raw: Any) -> str | None:
        return clean_text(raw, limit=limit) if isinstance(raw, str) else None

    return accept


def _absolute(ctx: Context, raw: Any) -> str | None:
    return ctx.resolve(raw) if isinstance(raw, str) else None


def _favicon(ctx: Context, raw: Any) -> str | None:
    if raw == "/favicon.ico":  # the default lives at the site's root, whatever <base> says
        return absolutize(ctx.url, raw)
    return _absolute(ctx, raw)


def _lower_text(ctx: Context, raw: Any) -> str | None:
    value = clean_text(raw, limit=SHORT_LIMIT) if isinstance(raw, str) else None
    return value.lower() if value else None


@dataclass(frozen=True, slots=True)
class Field:
    rules: tuple[Rule, ...]
    accept: Validator


# The rules the checker tells declared values by (``explain()`` names them as sources).
OG_TITLE = _metas("og:title")
OG_DESCRIPTION = _metas("og:description")
OG_IMAGES = Rule("og_images", _og_images)
OG_SITE_NAME = _metas("og:site_name")
OG_URL = Rule("og_url", _og_url)
OG_TYPE = _metas("og:type")
OG_LOCALE = _metas("og:locale")

#: Source precedence, once: for each card field its rules in order, and its validator.
PRECEDENCE: dict[str, Field] = {
    "title": Field(
        (
            OG_TITLE,
            _metas("twitter:title", label="twitter:title"),
            _jsonld("headline", label="JSON-LD headline"),
            _jsonld("name", content_only=True, label="JSON-LD name"),
            Rule("html_title", _html_title, "the <title> tag"),
            Rule("first_h1", _first_h1, "the first <h1>"),
        ),
        _text(TITLE_LIMIT),
    ),
    "description": Field(
        (
            OG_DESCRIPTION,
            _metas("twitter:description", label="twitter:description"),
            _metas("description", label="the meta description"),
            _jsonld("description", content_only=True, label="JSON-LD description"),
            Rule("first_paragraph", _first_paragraph, "the first paragraph"),
            Rule("body_text", _body_text, "the body text"),
        ),
        _text(DESCRIPTION_LIMIT),
    ),
    "image": Field(
        (
            OG_IMAGES,
            Rule("twitter_images", _twitter_images, "twitter:image"),
            Rule("jsonld_images", _jsonld_images, "a JSON-LD image"),
            Rule("link_image_src", _link_image_src, "link rel=image_src"),
            Rule("itemprop_images", _itemprop_images, "an itemprop=image"),
            Rule("largest_img", _largest_img, "the largest <img>"),
            Rule("video_poster", _video_poster, "a <video> poster"),
            Rule("first_img", _first_img, "the first <img>"),
        ),
        _accept_image,
    ),
    "site_name": Field(
        (
            OG_SITE_NAME,
            _metas("application-name", label="application-name"),
            _jsonld_names("publisher"),
            _named_metas("publisher"),
            _named_metas(*_APP_NAME_KEYS),
            Rule("title_segment_naming_host", _title_segment_naming_host),
            _handle("twitter:site"),
            Rule("host_name", _host_name, "the host name"),
        ),
        _text(SITE_NAME_LIMIT),
    ),
    "url": Field(
        (OG_URL, Rule("canonical_link", _canonical_link), Rule("page_url", _page_url)),
        _absolute,
    ),
    "type": Field((OG_TYPE,), _lower_text),
    "locale": Field((OG_LOCALE, Rule("html_lang", _html_lang)), _text(SHORT_LIMIT)),
    "author": Field(
        (
            _metas("author"),
            _jsonld_names("author"),
            Rule("article_author", _article_author),
            _handle("twitter:creator"),
        ),
        _text(AUTHOR_LIMIT),
    ),
    "published_time": Field(
        (
            _metas("article:published_time"),
            _jsonld("datePublished"),
            _metas("datepublished"),
            _metas("date", "pubdate", "publishdate", "dc.date", "dcterms.created"),
            Rule("time_published", _time_published),
        ),
        _text(SHORT_LIMIT),
    ),
    "theme_color": Field((Rule("theme_color", _theme_color),), _text(SHORT_LIMIT)),
    "favicon": Field(
        (Rule("favicons", _favicons), Rule("favicon_default", _favicon_default)), _favicon
    ),
    "oembed_url": Field((Rule("oembed_links", _oembed_links),), _absolute),
}

#: For each field the OpenGraph tag declares, the id of the rule that reads that tag: a
#: source other than it means the value was inferred from something else.
OPENGRAPH_RULES: Mapping[str, str] = MappingProxyType(
    {
        "title": OG_TITLE.id,
        "description": OG_DESCRIPTION.id,
        "image": OG_IMAGES.id,
        "site_name": OG_SITE_NAME.id,
        "url": OG_URL.id,
        "type": OG_TYPE.id,
        "locale": OG_LOCALE.id,
    }
)
#: Rule id -> how findings name that source.
RULE_LABELS: Mapping[str, str] = MappingProxyType(
    {rule.id: rule.label for field in PRECEDENCE.values() for rule in field.rules}
)


def first_value(ctx: Context, name: str) -> Any:
    """The first candidate of field ``name`` that its validator accepts, or None."""
    return first_value_and_source(ctx, name)[0]


def first_value_and_source(ctx: Context, name: str) -> tuple[Any, str | None]:
    """Like :func:`first_value`, with the id of the rule that gave the value
    (``meta:og:title``, ``jsonld:headline``, ``og_images``, ...), or None when none did."""
    field = PRECEDENCE[name]
    for rule in field.rules:
        try:
            for raw in rule.read(ctx):
                value = field.accept(ctx, raw)
                if value is not None:
                    return value, rule.id
        except Exception:  # a broken rule must never cost the card
            log.warning("extraction rule %s failed on %s", rule.id, ctx.url, exc_info=True)
    return None, None
