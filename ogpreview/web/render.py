"""A card as a chat host would show it: a self-contained HTML card, or Markdown.

Pure functions. Every value of a card comes from a page and is untrusted, so all of it
is escaped; the HTML loads nothing but the image source the caller passes (the API's
signed image proxy), and its CSS keeps the layout fixed whatever the text is.
"""

from __future__ import annotations

import html
import re
from urllib.parse import urlsplit

from ogpreview.card import Card
from ogpreview.extraction.csscolor import css_color

__all__ = [
    "CARD_CSP",
    "CARD_CSS",
    "card_fragment",
    "card_to_html",
    "card_to_markdown",
]

#: Longest description shown; the rest is cut with an ellipsis (CSS clamps it as well).
MAX_DESCRIPTION_CHARS = 300
#: Longest title in Markdown; HTML clamps visually to two lines instead.
MAX_MARKDOWN_TITLE_CHARS = 200
#: The policy the card page is served with: its own inline style, images from ``img-src``.
CARD_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors *"
)

CARD_CSS = """
.ogp-card{box-sizing:border-box;display:flex;gap:12px;width:100%;max-width:520px;
  padding:12px;border:1px solid #d0d7de;border-left:4px solid var(--ogp-accent,#8c959f);
  border-radius:8px;background:#fff;color:#1f2328;overflow:hidden;
  font:14px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans","Noto Sans Arabic",
  "Noto Sans Hebrew",sans-serif;text-decoration:none}
.ogp-card *{box-sizing:border-box}
.ogp-text{flex:1 1 auto;min-width:0;overflow:hidden}
.ogp-site{margin:0 0 2px;font-size:12px;color:#59636e;white-space:nowrap;overflow:hidden;
  text-overflow:ellipsis}
.ogp-title{margin:0 0 4px;font-size:15px;font-weight:600;line-height:20px;max-height:40px;
  display:-webkit-box;-webkit-box-orient:vertical;-webkit-line-clamp:2;line-clamp:2;
  overflow:hidden;overflow-wrap:anywhere;color:#0969da}
.ogp-desc{margin:0;font-size:13px;line-height:18px;max-height:54px;color:#1f2328;
  display:-webkit-box;-webkit-box-orient:vertical;-webkit-line-clamp:3;line-clamp:3;
  overflow:hidden;overflow-wrap:anywhere}
.ogp-image{flex:0 0 96px;width:96px;height:96px;border-radius:6px;overflow:hidden;
  background:#f6f8fa}
.ogp-image img{display:block;width:96px;height:96px;object-fit:cover}
"""


def _text(value: str | None) -> str:
    return "" if value is None else html.escape(value, quote=True)


def _site(card: Card) -> str:
    return card.site_name or urlsplit(card.url).hostname or card.url


def _short(value: str, limit: int) -> str:
    return value if len(value) <= limit else value[: limit - 1].rstrip() + "…"


def card_fragment(card: Card, *, image_src: str | None) -> str:
    """The card as one ``<a class="ogp-card">`` element (needs :data:`CARD_CSS`).

    ``image_src`` is where the image is loaded from (the signed proxy URL); ``None``
    shows no image even when the card has one.
    """
    # (A card built by a library caller, or cached before colours were checked, may hold
    # anything here: only a colour reaches the style attribute.)
    accent = css_color(card.theme_color) if card.theme_color else None
    style = f' style="--ogp-accent:{accent}"' if accent else ""
    title = card.title or card.url
    parts = [
        f'<a class="ogp-card" href="{_text(card.url)}" target="_blank" '
        f'rel="noopener noreferrer nofollow"{style}>',
        '<div class="ogp-text">',
        f'<p class="ogp-site" dir="auto">{_text(_site(card))}</p>',
        f'<p class="ogp-title" dir="auto" title="{_text(_short(title, 500))}">{_text(title)}</p>',
    ]
    if card.description:
        desc = _short(card.description, MAX_DESCRIPTION_CHARS)
        parts.append(f'<p class="ogp-desc" dir="auto">{_text(desc)}</p>')
    parts.append("</div>")
    if image_src is not None and card.image is not None:
        alt = card.image.alt or ""
        parts.append(
            f'<div class="ogp-image"><img src="{_text(image_src)}" alt="{_text(alt)}" '
            'width="96" height="96" loading="lazy" referrerpolicy="no-referrer"></div>'
        )
    parts.append("</a>")
    return "".join(parts)


def card_to_html(card: Card, *, image_src: str | None) -> str:
    """A whole HTML document showing the card; serve it with :data:`CARD_CSP`."""
    lang = card.locale.replace("_", "-") if card.locale else ""
    lang_attr = f' lang="{_text(lang)}"' if lang else ""
    return (
        f'<!doctype html><html{lang_attr}><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        '<meta name="referrer" content="no-referrer">'
        f"<title>{_text(_short(card.title or card.url, 200))}</title>"
        f"<style>body{{margin:8px;background:transparent}}{CARD_CSS}</style></head>"
        f"<body>{card_fragment(card, image_src=image_src)}</body></html>"
    )


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~])")


def _md(value: str) -> str:
    """Markdown-escaped, on one line: untrusted text must not add links, images or HTML."""
    flat = " ".join(value.split())
    return _MD_SPECIAL.sub(r"\\\1", flat)


def _md_url(url: str) -> str:
    # Inside <...> a URL may hold parentheses; only < > and spaces must be encoded.
    return "<" + url.replace(" ", "%20").replace("<", "%3C").replace(">", "%3E") + ">"


def card_to_markdown(card: Card) -> str:
    """The card as a Markdown block quote: site, linked title, description."""
    title = _md(_short(card.title or card.url, MAX_MARKDOWN_TITLE_CHARS))
    lines = [f"> **{_md(_site(card))}**", f"> [{title}]({_md_url(card.url)})"]
    if card.description:
        lines.append(f"> {_md(_short(card.description, MAX_DESCRIPTION_CHARS))}")
    return "\n".join(lines) + "\n"
