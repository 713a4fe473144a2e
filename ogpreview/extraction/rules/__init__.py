"""The extraction rules: per card field, an ordered list of small rules, most specific first.

Each rule (:class:`Rule`) has a public, stable ``id`` (what :func:`~ogpreview.explain`
reports as a field's source: ``meta:og:title``, ``og_images``, ``host_name``, ...), the
``label`` findings name it by, and a ``read`` function, a generator of raw candidates read
from a :class:`~ogpreview.extraction.document.Page`. The field's validator turns a raw
candidate into a value or rejects it, and the first value accepted wins. A rule that
raises is logged and skipped; it never fails the card. :data:`PRECEDENCE` below is the
one place where source precedence is stated.

The rules live by group of fields: ``common`` (what they share), ``text`` (title, site
name, author, dates...), ``images``, ``addresses`` (url, favicon, oEmbed) and ``body``
(the fallbacks read from the body's content).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from ogpreview.extraction.rules import addresses, body, images, text
from ogpreview.extraction.rules.addresses import ICON_RELS, foreign_og_url
from ogpreview.extraction.rules.common import (
    AUTHOR_LIMIT,
    DESCRIPTION_LIMIT,
    SHORT_LIMIT,
    SITE_NAME_LIMIT,
    TITLE_LIMIT,
    Context,
    Rule,
    Validator,
    accept_text,
    accept_url,
    jsonld,
    metas,
)
from ogpreview.extraction.rules.text import TITLE_SEPARATORS

__all__ = [
    "ICON_RELS",
    "OPENGRAPH_RULES",
    "PRECEDENCE",
    "RULE_LABELS",
    "TITLE_LIMIT",
    "TITLE_SEPARATORS",
    "Context",
    "Field",
    "Rule",
    "first_value",
    "first_value_and_source",
    "foreign_og_url",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Field:
    rules: tuple[Rule, ...]
    accept: Validator


# The rules of the OpenGraph tags the checker tells declared values by.
OG_TITLE = metas("og:title")
OG_DESCRIPTION = metas("og:description")
OG_SITE_NAME = metas("og:site_name")
OG_TYPE = metas("og:type")
OG_LOCALE = metas("og:locale")

#: Source precedence, once: for each card field its rules in order, and its validator.
PRECEDENCE: dict[str, Field] = {
    "title": Field(
        (
            OG_TITLE,
            metas("twitter:title", label="twitter:title"),
            jsonld("headline", label="JSON-LD headline"),
            jsonld("name", content_only=True, label="JSON-LD name"),
            text.HTML_TITLE,
            body.FIRST_H1,
        ),
        accept_text(TITLE_LIMIT),
    ),
    "description": Field(
        (
            OG_DESCRIPTION,
            metas("twitter:description", label="twitter:description"),
            metas("description", label="the meta description"),
            jsonld("description", content_only=True, label="JSON-LD description"),
            body.FIRST_PARAGRAPH,
            body.BODY_TEXT,
        ),
        accept_text(DESCRIPTION_LIMIT),
    ),
    "image": Field(
        (
            images.OG_IMAGES,
            images.TWITTER_IMAGES,
            images.JSONLD_IMAGES,
            images.LINK_IMAGE_SRC,
            images.ITEMPROP_IMAGES,
            images.LARGEST_IMG,
            images.VIDEO_POSTER,
            images.FIRST_IMG,
        ),
        images.accept_image,
    ),
    "site_name": Field(
        (
            OG_SITE_NAME,
            metas("application-name", label="application-name"),
            text.JSONLD_PUBLISHER,
            text.PUBLISHER,
            text.APP_NAMES,
            text.TITLE_SEGMENT_NAMING_HOST,
            text.TWITTER_SITE,
            text.HOST_NAME,
        ),
        accept_text(SITE_NAME_LIMIT),
    ),
    "url": Field((addresses.OG_URL, addresses.CANONICAL_LINK, addresses.PAGE_URL), accept_url),
    "type": Field((OG_TYPE,), text.accept_lower_text),
    "locale": Field((OG_LOCALE, text.HTML_LANG), accept_text(SHORT_LIMIT)),
    "author": Field(
        (metas("author"), text.JSONLD_AUTHOR, text.ARTICLE_AUTHOR, text.TWITTER_CREATOR),
        accept_text(AUTHOR_LIMIT),
    ),
    "published_time": Field(
        (
            metas("article:published_time"),
            jsonld("datePublished", label="JSON-LD datePublished"),
            metas("datepublished"),
            metas("date", "pubdate", "publishdate", "dc.date", "dcterms.created"),
            text.TIME_PUBLISHED,
        ),
        accept_text(SHORT_LIMIT),
    ),
    "theme_color": Field((text.THEME_COLOR,), text.accept_color),
    "twitter_card": Field((metas("twitter:card"),), text.accept_lower_text),
    "favicon": Field((addresses.FAVICONS, addresses.FAVICON_DEFAULT), addresses.accept_favicon),
    "oembed_url": Field((addresses.OEMBED_LINKS,), accept_url),
}

#: For each field the OpenGraph tag declares, the id of the rule that reads that tag: a
#: source other than it means the value was inferred from something else.
OPENGRAPH_RULES: Mapping[str, str] = MappingProxyType(
    {
        "title": OG_TITLE.id,
        "description": OG_DESCRIPTION.id,
        "image": images.OG_IMAGES.id,
        "site_name": OG_SITE_NAME.id,
        "url": addresses.OG_URL.id,
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
