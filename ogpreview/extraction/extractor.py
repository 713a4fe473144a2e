"""``extract``: a page's HTML in, a preview card out. Pure: no network, no settings, no state.

Bytes that are no page (an image or another file, told by the Content-Type given or by a
file's signature under a page type: :func:`~ogpreview.fetch.response.served_type`) give the
card that file previews as (:mod:`ogpreview.extraction.content`), never their bytes read as text.
"""

from __future__ import annotations

import dataclasses
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from ogpreview.card import Card
from ogpreview.errors import InvalidURL
from ogpreview.extraction.content import file_fields
from ogpreview.extraction.document import parse_page
from ogpreview.extraction.rules import Context, first_value_and_source, foreign_og_url
from ogpreview.extraction.rules.addresses import OG_URL
from ogpreview.fetch.response import FetchResult, parse_content_type, served_type
from ogpreview.urls import absolutize, is_plain_absolute, plain_url_parts

__all__ = ["FIELDS", "explain", "explain_page", "explain_result", "extract"]


def _page_url(url: str) -> str:
    plain = plain_url_parts(url)
    if plain is not None and is_plain_absolute(url):  # most page URLs: no urllib round trip
        scheme, host, port, path = plain
        return f"{scheme}://{host.lower()}{':' + port if port else ''}{path or '/'}"
    page = absolutize(url, url)
    if page is None:
        raise InvalidURL(f"not an absolute http(s) URL: {url[:200]!r}", url=url)
    parts = urlsplit(page)
    return urlunsplit(
        (parts.scheme.lower(), parts.netloc.lower(), parts.path or "/", parts.query, "")
    )


def extract(html: bytes | str, url: str, *, content_type: str | None = None) -> Card:
    """Build a preview card from a page.

    ``html`` is the page's bytes (decoded by BOM, ``content_type``'s charset, the page's
    own declaration, then detection) or already-decoded text. ``url`` is the page's final
    URL, after redirects; relative links resolve against it (or the page's ``<base>``).
    ``content_type`` is the response's Content-Type header: an image type gives the card
    of the image itself, any other type that is not HTML a plain card titled with the
    file name; bytes that begin with a file's signature (PNG, PDF, ZIP, ...) are that
    file whatever the header says. Never raises on any page content; raises
    :class:`~ogpreview.InvalidURL` only when ``url`` is not an absolute http(s) URL.
    """
    return explain(html, url, content_type=content_type)[0]


def explain(
    html: bytes | str, url: str, *, content_type: str | None = None
) -> tuple[Card, dict[str, str | None]]:
    """:func:`extract`, plus where each field came from: field name -> the rule that gave
    its value (``meta:og:title``, ``meta:twitter:title``, ``jsonld:headline``,
    ``html_title``, ``og_images``, ``host_name``, ...) or None when the field is empty;
    and ``og_url_ignored``, the og:url the page declares on another site (never trusted).
    Link checkers use it to tell declared values from inferred ones."""
    card, sources, _ = explain_page(html, url, content_type=content_type)
    return card, sources


def explain_page(
    html: bytes | str, url: str, *, content_type: str | None = None
) -> tuple[Card, dict[str, str | None], Context]:
    """:func:`explain`, plus the parsed page the rules read (for showing what it declares)."""
    page_url = _page_url(url)
    mime = served_type(html, content_type)
    # A file has no markup: its card is that of an empty page there, plus the file's own.
    page = parse_page(html if mime is None else b"", page_url, parse_content_type(content_type)[1])
    base = absolutize(page_url, page.base_href) if page.base_href else None
    ctx = Context(page=page, url=page_url, base=base or page_url)
    values: dict[str, Any] = {}
    sources: dict[str, str | None] = {}
    for name in FIELDS:
        values[name], sources[name] = first_value_and_source(ctx, name)
    values["url"] = values["url"] or page_url
    if mime is not None:
        for name, (value, source) in file_fields(page_url, mime, html).items():
            values[name], sources[name] = value, source
    if sources["url"] != OG_URL.id and (ignored := foreign_og_url(ctx)) is not None:
        sources["og_url_ignored"] = ignored
    return Card(**values), sources, ctx


def explain_result(result: FetchResult) -> tuple[Card, dict[str, str | None]]:
    """:func:`explain` of what a fetch returned: its bytes, final URL and Content-Type."""
    return explain(result.body, result.url, content_type=result.headers.get("Content-Type"))


#: The card fields, in the order they are extracted (the Card's own field order).
FIELDS = tuple(field.name for field in dataclasses.fields(Card))
