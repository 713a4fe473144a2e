"""``extract``: a page's HTML in, a preview card out. Pure: no network, no settings, no state."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from ogpreview.absurl import absolutize
from ogpreview.card import Card
from ogpreview.document import parse_page
from ogpreview.errors import InvalidURL
from ogpreview.response import parse_content_type
from ogpreview.rules import Context, first_value

__all__ = ["extract"]


def _page_url(url: str) -> str:
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
    Never raises on any page content; raises :class:`~ogpreview.InvalidURL` only when
    ``url`` is not an absolute http(s) URL.
    """
    page_url = _page_url(url)
    page = parse_page(html, page_url, parse_content_type(content_type)[1])
    base = absolutize(page_url, page.base_href) if page.base_href else None
    ctx = Context(page=page, url=page_url, base=base or page_url)
    return Card(
        url=first_value(ctx, "url") or page_url,
        site_name=first_value(ctx, "site_name"),
        title=first_value(ctx, "title"),
        description=first_value(ctx, "description"),
        image=first_value(ctx, "image"),
        type=first_value(ctx, "type"),
        locale=first_value(ctx, "locale"),
        favicon=first_value(ctx, "favicon"),
        author=first_value(ctx, "author"),
        published_time=first_value(ctx, "published_time"),
        oembed_url=first_value(ctx, "oembed_url"),
        theme_color=first_value(ctx, "theme_color"),
    )
