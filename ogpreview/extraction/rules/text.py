"""Rules of the text fields beyond the meta tags named after them: the ``<title>`` tag,
the site's name (publisher, app names, the title's segment naming the host, the host),
the author, the publication time, the language and the theme colour."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from typing import Any

from ogpreview.extraction.csscolor import css_color
from ogpreview.extraction.rules.common import SHORT_LIMIT, Context, Rule, jsonld_values
from ogpreview.text import clean_text
from ogpreview.urls import host_of

__all__ = [
    "APP_NAMES",
    "ARTICLE_AUTHOR",
    "HOST_NAME",
    "HTML_LANG",
    "HTML_TITLE",
    "JSONLD_AUTHOR",
    "JSONLD_PUBLISHER",
    "PUBLISHER",
    "THEME_COLOR",
    "TIME_PUBLISHED",
    "TITLE_SEGMENT_NAMING_HOST",
    "TITLE_SEPARATORS",
    "TWITTER_CREATOR",
    "TWITTER_SITE",
    "accept_color",
    "accept_lower_text",
]

_HANDLE = re.compile(r"^@?([A-Za-z0-9_]{1,50})$")
_APP_NAME_KEYS = (
    "al:ios:app_name",
    "al:android:app_name",
    "al:ipad:app_name",
    "al:iphone:app_name",
    "twitter:app:name:iphone",
    "twitter:app:name:ipad",
    "twitter:app:name:googleplay",
)
TITLE_SEPARATORS = re.compile(r"\s+(?:[|\-–—·•:»«/]|::)\s+")
_NON_ALNUM = re.compile(r"[\W_]+")
#: A squashed name shorter than this matches too many hosts by accident.
MIN_HOST_MATCH = 4


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


def named_metas(*keys: str) -> Rule:
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
    segments = TITLE_SEPARATORS.split(title)
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


def jsonld_names(key: str) -> Rule:
    def read(ctx: Context) -> Iterator[str]:
        for value in jsonld_values(ctx, key):
            yield from _name_of(value)

    return Rule(f"jsonld:{key}.name", read, f"JSON-LD {key} name")


def handle(key: str) -> Rule:
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


def accept_color(ctx: Context, raw: Any) -> str | None:
    """A valid CSS colour, as ``#rrggbb`` (never other CSS: it reaches style attributes)."""
    return css_color(raw) if isinstance(raw, str) else None


def accept_lower_text(ctx: Context, raw: Any) -> str | None:
    value = clean_text(raw, limit=SHORT_LIMIT) if isinstance(raw, str) else None
    return value.lower() if value else None


HTML_TITLE = Rule("html_title", _html_title, "the <title> tag")
JSONLD_PUBLISHER = jsonld_names("publisher")
PUBLISHER = named_metas("publisher")
APP_NAMES = named_metas(*_APP_NAME_KEYS)
TITLE_SEGMENT_NAMING_HOST = Rule(
    "title_segment_naming_host", _title_segment_naming_host, "the <title> part naming the host"
)
TWITTER_SITE = handle("twitter:site")
HOST_NAME = Rule("host_name", _host_name, "the host name")
JSONLD_AUTHOR = jsonld_names("author")
ARTICLE_AUTHOR = Rule("article_author", _article_author, "article:author")
TWITTER_CREATOR = handle("twitter:creator")
TIME_PUBLISHED = Rule("time_published", _time_published, "<time itemprop=datePublished>")
HTML_LANG = Rule("html_lang", _html_lang, "<html lang>")
THEME_COLOR = Rule("theme_color", _theme_color, "meta theme-color")
