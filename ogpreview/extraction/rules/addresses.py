"""Rules of the URL-valued fields: the card's ``url`` (og:url and the canonical link, on
the page's own site only), its favicon and its oEmbed endpoint."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

from ogpreview.extraction.rules.common import MAX_IMAGE_SIDE, Context, Rule, accept_url
from ogpreview.urls import absolutize, same_site

__all__ = [
    "CANONICAL_LINK",
    "FAVICONS",
    "FAVICON_DEFAULT",
    "ICON_RELS",
    "OEMBED_LINKS",
    "OG_URL",
    "PAGE_URL",
    "accept_favicon",
    "foreign_og_url",
]

_SIZES = re.compile(r"(\d+)\s*[xX×]\s*(\d+)")


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


ICON_RELS = ("icon", "apple-touch-icon", "apple-touch-icon-precomposed")


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
        page.links_with_rel(*ICON_RELS, stop=page.head_links),
        page.links_with_rel(*ICON_RELS, start=page.head_links),
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


def accept_favicon(ctx: Context, raw: Any) -> str | None:
    if raw == "/favicon.ico":  # the default lives at the site's root, whatever <base> says
        return absolutize(ctx.url, raw)
    return accept_url(ctx, raw)


OG_URL = Rule("og_url", _og_url, "og:url")
CANONICAL_LINK = Rule("canonical_link", _canonical_link, "link rel=canonical")
PAGE_URL = Rule("page_url", _page_url, "the page's URL")
FAVICONS = Rule("favicons", _favicons, "link rel=icon")
FAVICON_DEFAULT = Rule("favicon_default", _favicon_default, "/favicon.ico (the default)")
OEMBED_LINKS = Rule("oembed_links", _oembed_links, "the oEmbed link")
