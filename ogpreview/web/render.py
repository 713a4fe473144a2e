"""A card as a chat host would show it: a self-contained HTML card, or Markdown.

Pure functions. Every value of a card comes from a page and is untrusted, so all of it
is escaped; the HTML loads nothing but the image sources the caller passes (the API's
signed image proxy), and its CSS keeps the layout fixed whatever the text is. The layout
decisions (large or small image, direction, title, accent) are :mod:`ogpreview.web.present`'s.
"""

from __future__ import annotations

import html
import math
import re

from ogpreview.card import Card
from ogpreview.text import truncate
from ogpreview.web.present import DARK_BACKGROUND, LIGHT_BACKGROUND, Layout, Look, look_of

__all__ = [
    "CARD_CSP",
    "CARD_CSS",
    "MAX_DESCRIPTION_CHARS",
    "card_fragment",
    "card_height",
    "card_to_html",
    "card_to_markdown",
    "plain_card",
]

#: Longest description shown; the rest is cut with an ellipsis (CSS clamps it as well).
MAX_DESCRIPTION_CHARS = 300
#: Longest title in Markdown; HTML clamps visually to two lines instead.
MAX_MARKDOWN_TITLE_CHARS = 200
#: The widest a card is drawn, and its large image's aspect ratio (1.91:1, as OpenGraph's
#: recommended 1200x630).
CARD_WIDTH = 520
LARGE_IMAGE_RATIO = 1.91
#: The policy the card page is served with: its own inline style, images from ``img-src``.
CARD_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors *"
)

# Fixed line heights and clamps: a card's height depends only on its layout and on which
# lines it has, never on how long a page's text is (card_height() relies on it).
CARD_CSS = f"""
.ogp-card{{box-sizing:border-box;display:flex;flex-direction:row;align-items:flex-start;
  gap:12px;width:100%;max-width:{CARD_WIDTH}px;margin:0;padding:12px;
  border:1px solid #d0d7de;border-inline-start:4px solid var(--ogp-accent,#8c959f);
  border-radius:8px;background:{LIGHT_BACKGROUND};color:#1f2328;overflow:hidden;
  font:14px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans","Noto Sans Arabic",
  "Noto Sans Hebrew",sans-serif;text-decoration:none;text-align:start}}
.ogp-card *{{box-sizing:border-box}}
.ogp-card.ogp-large,.ogp-card.ogp-image-link{{flex-direction:column;align-items:stretch;
  gap:0;padding:0}}
.ogp-text{{flex:1 1 auto;min-width:0;overflow:hidden}}
.ogp-large .ogp-text,.ogp-image-link .ogp-text{{padding:10px 12px 12px}}
.ogp-site{{display:flex;align-items:center;margin:0 0 2px;height:18px;
  font-size:12px;line-height:18px;color:#59636e;min-width:0}}
.ogp-site span{{min-width:0;overflow:hidden;white-space:nowrap;text-overflow:ellipsis}}
.ogp-icon{{flex:none;max-width:16px;max-height:16px;margin-inline-end:6px;border-radius:3px}}
.ogp-title{{margin:0 0 4px;font-size:15px;font-weight:600;line-height:20px;max-height:40px;
  display:-webkit-box;-webkit-box-orient:vertical;-webkit-line-clamp:2;line-clamp:2;
  overflow:hidden;overflow-wrap:anywhere;color:#0969da}}
.ogp-desc{{margin:0;font-size:13px;line-height:18px;max-height:54px;color:#1f2328;
  display:-webkit-box;-webkit-box-orient:vertical;-webkit-line-clamp:3;line-clamp:3;
  overflow:hidden;overflow-wrap:anywhere}}
.ogp-large .ogp-desc{{max-height:36px;-webkit-line-clamp:2;line-clamp:2}}
.ogp-domain{{margin:4px 0 0;height:16px;font-size:12px;line-height:16px;color:#59636e;
  white-space:nowrap;overflow:hidden;text-overflow:ellipsis}}
.ogp-image{{position:relative;flex:0 0 96px;width:96px;height:96px;min-height:0;
  border-radius:6px;overflow:hidden;background:#f6f8fa}}
.ogp-image img{{position:absolute;inset:0;display:block;width:100%;height:100%;
  object-fit:cover}}
.ogp-large .ogp-image,.ogp-image-link .ogp-image{{flex:none;width:100%;height:auto;
  aspect-ratio:{LARGE_IMAGE_RATIO}/1;border-radius:0}}
.ogp-image-link .ogp-image img{{object-fit:contain}}
@media (prefers-color-scheme:dark){{
  .ogp-card{{background:{DARK_BACKGROUND};color:#e6edf3;border-color:#3d444d;
    border-inline-start-color:var(--ogp-accent-dark,#656c76)}}
  .ogp-site,.ogp-domain{{color:#9198a1}}
  .ogp-title{{color:#4493f8}}
  .ogp-desc{{color:#d1d7e0}}
  .ogp-image{{background:#262c36}}
}}
"""

#: Sizes of the card's parts in CARD_CSS (px): borders (1 px, the accent 4), paddings
#: (12 around a small card, 10 and 12 under a large image), lines with their margins.
_BORDER = 1
_ACCENT = 4
_PAD = 12
_LARGE_PAD = 10 + 12
_SITE = 18 + 2
_TITLE = 2 * 20 + 4
_DESC = {"large": 2 * 18, "other": 3 * 18}
_DOMAIN = 4 + 16
_THUMB = 96


def card_height(layout: Layout) -> int:
    """The tallest a card of this layout is drawn at :data:`CARD_WIDTH` (for oEmbed)."""
    text = _SITE + _TITLE + _DOMAIN
    if layout in ("large", "image"):
        image = (CARD_WIDTH - _BORDER - _ACCENT) / LARGE_IMAGE_RATIO
        desc = _DESC["large"] if layout == "large" else 0
        return math.ceil(2 * _BORDER + image + _LARGE_PAD + text + desc)
    thumb = _THUMB if layout == "small" else 0
    return 2 * _BORDER + 2 * _PAD + max(text + _DESC["other"], thumb)


def _text(value: str | None) -> str:
    return "" if value is None else html.escape(value, quote=True)


def plain_card(url: str) -> Card:
    """The card of a link whose page could not be read: the link itself, nothing claimed."""
    return Card(url=url)


def _style(look: Look) -> str:
    props = []
    if look.accent_light:
        props.append(f"--ogp-accent:{look.accent_light}")
    if look.accent_dark:
        props.append(f"--ogp-accent-dark:{look.accent_dark}")
    return f' style="{";".join(props)}"' if props else ""


def card_fragment(card: Card, *, image_src: str | None, favicon_src: str | None = None) -> str:
    """The card as one ``<a class="ogp-card">`` element (needs :data:`CARD_CSS`).

    ``image_src`` and ``favicon_src`` are where the image and the site icon are loaded
    from (signed proxy URLs); ``None`` shows none even when the card has one.
    """
    # (A card built by a library caller, or cached before colours were checked, may hold
    # anything as its theme colour: look_of lets only a colour reach the style attribute.)
    look = look_of(card)
    layout = look.layout if image_src is not None or look.layout == "text" else "text"
    kind = "image-link" if layout == "image" else layout
    parts = [
        f'<a class="ogp-card ogp-{kind}" dir="{look.direction}" href="{_text(card.url)}" '
        f'target="_blank" rel="noopener noreferrer nofollow"{_style(look)}>'
    ]
    image = ""
    if image_src is not None and card.image is not None and layout != "text":
        image = (
            f'<div class="ogp-image"><img src="{_text(image_src)}" '
            f'alt="{_text(card.image.alt or "")}" loading="lazy" '
            'referrerpolicy="no-referrer"></div>'
        )
    if layout != "small":
        parts.append(image)
    parts.append('<div class="ogp-text"><p class="ogp-site">')
    if favicon_src is not None:
        # No width/height: a favicon that does not load (alt="") then takes no room.
        parts.append(
            f'<img class="ogp-icon" src="{_text(favicon_src)}" alt="" loading="lazy" '
            'referrerpolicy="no-referrer">'
        )
    parts.append(f'<span dir="auto">{_text(look.site)}</span></p>')
    parts.append(
        f'<p class="ogp-title" dir="auto" title="{_text(truncate(look.title, 500))}">'
        f"{_text(look.title)}</p>"
    )
    if card.description and layout != "image":
        desc = truncate(card.description, MAX_DESCRIPTION_CHARS)
        parts.append(f'<p class="ogp-desc" dir="auto">{_text(desc)}</p>')
    if look.domain != look.site:
        # <bdi>: the domain reads left to right but sits on the card's own side.
        parts.append(f'<p class="ogp-domain"><bdi>{_text(look.domain)}</bdi></p>')
    parts.append("</div>")
    if layout == "small":
        parts.append(image)
    parts.append("</a>")
    return "".join(parts)


def card_to_html(card: Card, *, image_src: str | None, favicon_src: str | None = None) -> str:
    """A whole HTML document showing the card; serve it with :data:`CARD_CSP`."""
    look = look_of(card)
    lang = card.locale.replace("_", "-") if card.locale else ""
    lang_attr = f' lang="{_text(lang)}"' if lang else ""
    return (
        f'<!doctype html><html{lang_attr} dir="{look.direction}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        '<meta name="color-scheme" content="light dark">'
        '<meta name="referrer" content="no-referrer">'
        f"<title>{_text(truncate(look.title, 200))}</title>"
        f"<style>body{{margin:8px;background:transparent}}{CARD_CSS}</style></head>"
        f"<body>{card_fragment(card, image_src=image_src, favicon_src=favicon_src)}"
        "</body></html>"
    )


# --- Markdown ----------------------------------------------------------------------------
#
# One text for Slack (its Markdown), Discord and CommonMark/GFM alike: a character is
# escaped only where it would start markup in one of them, so ordinary text (hyphens,
# dots, parentheses, "#1") reads as written everywhere, including where backslashes are
# shown as they are.

_ENTITY_AHEAD = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
_MENTION_AHEAD = re.compile(r"@(?:everyone|here)\b")
_LIST_START = re.compile(r"^([0-9]{1,9})([.)])(?=\s|$)")
_PUNCTUATION = frozenset("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")


def _escape_at(text: str, i: int, in_link: bool, line_start: bool) -> bool:
    ch = text[i]
    before = text[i - 1] if i else " "
    after = text[i + 1] if i + 1 < len(text) else " "
    spaced = before.isspace() and after.isspace()
    if line_start and i == 0 and ch in "#>=*+-":  # headings, quotes, lists, rules
        return ch in "#>=*" or after.isspace() or (ch == "-" and after in "-#")
    if ch == "\\":  # escapes what follows (or breaks the line at its end)
        return after in _PUNCTUATION or i + 1 == len(text)
    if ch == "`":
        return True
    if ch in "*~":  # emphasis, strike-through
        return not spaced
    if ch == "_":  # emphasis, but not inside a word (snake_case)
        return not spaced and not (before.isalnum() and after.isalnum())
    if ch in "[]":  # a link's text must not hold a bracket; elsewhere only "](" links
        return in_link or (ch == "]" and after in "([:") or (ch == "[" and line_start and i == 0)
    if ch == "<":  # HTML, autolinks, Discord and Slack mentions
        return not after.isspace()
    if ch == "|":  # Discord spoilers (||...||)
        return "|" in (before, after)
    if ch == "&":  # a character reference would be decoded
        return _ENTITY_AHEAD.match(text, i) is not None
    if ch == "@":
        return _MENTION_AHEAD.match(text, i) is not None
    return False


def _md(value: str, *, in_link: bool = False, line_start: bool = False) -> str:
    """Text for Markdown, on one line: untrusted text must not add links, images, HTML,
    mentions or formatting."""
    flat = " ".join(value.split())
    out = []
    for i, ch in enumerate(flat):
        if _escape_at(flat, i, in_link, line_start):
            out.append("\\")
        out.append(ch)
    text = "".join(out)
    # "1. " or "2) " opening a line would start a list.
    return _LIST_START.sub(r"\1\\\2", text) if line_start else text


def _md_url(url: str) -> str:
    # Encoded so that the destination ends where it should in every dialect.
    for char, code in ((" ", "%20"), ("(", "%28"), (")", "%29"), ("<", "%3C"), (">", "%3E")):
        url = url.replace(char, code)
    return url.replace("\\", "%5C")


def card_to_markdown(card: Card) -> str:
    """The card as a Markdown block quote: the site in bold, the linked title, the
    description and, when there is one, the image."""
    look = look_of(card)
    title = _md(truncate(look.title, MAX_MARKDOWN_TITLE_CHARS), in_link=True)
    lines = [f"> **{_md(look.site)}**", f"> [{title}]({_md_url(card.url)})"]
    if card.description:
        desc = truncate(card.description, MAX_DESCRIPTION_CHARS)
        lines.append(f"> {_md(desc, line_start=True)}")
    if card.image is not None:
        alt = _md(truncate(card.image.alt or "image", MAX_MARKDOWN_TITLE_CHARS), in_link=True)
        lines.append(f"> ![{alt}]({_md_url(card.image.url)})")
    return "\n".join(lines) + "\n"
