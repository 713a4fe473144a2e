"""How a card is shown: its layout, the title as shown, its direction and accent colours.

Pure decisions shared by every surface that draws a card (the HTML card, oEmbed, and the
debugger, which receives them from the API), so that they all lay one card out alike.
"""

from __future__ import annotations

import contextlib
import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

from ogpreview.card import Card
from ogpreview.extraction.csscolor import css_color
from ogpreview.extraction.rules import TITLE_SEPARATORS
from ogpreview.urls import host_of

__all__ = [
    "DARK_BACKGROUND",
    "LIGHT_BACKGROUND",
    "Layout",
    "Look",
    "accent_for",
    "contrast_ratio",
    "direction_of",
    "domain_of",
    "layout_of",
    "look_of",
    "parse_color",
    "shown_title",
    "site_label",
]

Layout = Literal["large", "small", "text", "image"]
Direction = Literal["ltr", "rtl"]

#: An image at least this wide, and this much wider than tall, gets the large layout.
LARGE_MIN_WIDTH = 400
LARGE_MIN_RATIO = 1.3
#: The card's background in light and dark mode (render.CARD_CSS uses the same values).
LIGHT_BACKGROUND = "#ffffff"
DARK_BACKGROUND = "#1c2128"
#: WCAG 2.1 (1.4.11) contrast for non-text parts: an accent below it against the card's
#: background would not be seen (a white theme colour on a white card).
MIN_ACCENT_CONTRAST = 3.0
#: Languages written right to left (ISO 639 codes as found in og:locale and <html lang>).
RTL_LANGUAGES = frozenset(
    {"ar", "arc", "ckb", "dv", "fa", "ha", "he", "iw", "khw", "ks", "ku", "ps", "sd", "ur",
     "yi", "ug", "syr", "nqo"}
)  # fmt: skip

_NON_ALNUM = re.compile(r"[\W_]+")
RGBA = tuple[float, float, float, float]


def site_label(card: Card) -> str:
    """What a card's site line says: the site name, else the domain."""
    return card.site_name or domain_of(card)


def domain_of(card: Card) -> str:
    """The card's host without ``www.``, international names in their own script."""
    host = host_of(card.url)
    if "xn--" in host:
        with contextlib.suppress(UnicodeError):
            host = host.encode("ascii").decode("idna")
    return host or card.url


def _squash(text: str) -> str:
    return _NON_ALNUM.sub("", text.casefold())


def shown_title(card: Card) -> str:
    """The title as a card shows it: without a trailing "| Site Name" that repeats the site
    line above it ("Harbour lights | Example News" under "Example News"); the URL when
    the page has no title."""
    title = card.title
    if title is None:
        return card.url
    site = _squash(site_label(card))
    cuts = list(TITLE_SEPARATORS.finditer(title))
    if site and cuts and _squash(title[cuts[-1].end() :]) == site:
        rest = title[: cuts[-1].start()].rstrip()
        if rest:
            return rest
    return title


def layout_of(card: Card) -> Layout:
    """``image`` for a link to an image (it previews as itself), ``large`` for a wide image
    or a page asking for ``summary_large_image``, ``small`` (a thumbnail) for other images,
    ``text`` without an image. An explicit ``twitter:card=summary`` keeps the thumbnail."""
    image = card.image
    if image is None:
        return "text"
    if card.type == "image" and image.url == card.url:
        return "image"
    if card.twitter_card == "summary_large_image":
        return "large"
    if card.twitter_card == "summary":
        return "small"
    width, height = image.width, image.height
    if width and height and width >= LARGE_MIN_WIDTH and width >= LARGE_MIN_RATIO * height:
        return "large"
    return "small"


def _strong_direction(text: str) -> Direction | None:
    for char in text[:200]:
        kind = unicodedata.bidirectional(char)
        if kind in ("R", "AL"):
            return "rtl"
        if kind == "L":
            return "ltr"
    return None


def direction_of(card: Card) -> Direction:
    """``rtl`` for a card in a right-to-left language (by its locale, else by the first
    strongly directional letter of its title and description): the whole card is then
    mirrored, the image and accent on the other side."""
    if card.locale:
        language = card.locale.replace("_", "-").split("-", 1)[0].lower()
        if language:
            return "rtl" if language in RTL_LANGUAGES else "ltr"
    for text in (card.title, card.description, card.site_name):
        if text:
            found = _strong_direction(text)
            if found is not None:
                return found
    return "ltr"


def parse_color(value: str | None) -> RGBA | None:
    """A CSS colour (any notation :func:`~ogpreview.extraction.csscolor.css_color`
    accepts) as 0-255 channels and alpha 0-1; None for anything else."""
    hex_color = css_color(value) if value else None
    if hex_color is None:
        return None
    digits = hex_color[1:]  # "rrggbb" or "rrggbbaa"
    channels = [int(digits[i : i + 2], 16) for i in range(0, len(digits), 2)]
    alpha = channels[3] / 255 if len(channels) == 4 else 1.0
    return float(channels[0]), float(channels[1]), float(channels[2]), alpha


def _luminance(rgb: tuple[float, float, float]) -> float:
    def linear(c: float) -> float:
        c /= 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(a: tuple[float, float, float], b: tuple[float, float, float]) -> float:
    """WCAG contrast ratio of two opaque colours, 1 to 21."""
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def _opaque(color: RGBA, background: tuple[float, float, float]) -> tuple[float, float, float]:
    r, g, b, a = color
    return (
        r * a + background[0] * (1 - a),
        g * a + background[1] * (1 - a),
        b * a + background[2] * (1 - a),
    )


def accent_for(theme_color: str | None, background: str) -> str | None:
    """The page's theme colour as ``#rrggbb`` for a card on ``background``, or None when it
    does not parse or would not stand out from it (then the card keeps its own accent)."""
    color = parse_color(theme_color)
    back = parse_color(background)
    assert back is not None
    if color is None:
        return None
    shown = _opaque(color, back[:3])
    if contrast_ratio(shown, back[:3]) < MIN_ACCENT_CONTRAST:
        return None
    return "#" + "".join(f"{round(c):02x}" for c in shown)


@dataclass(frozen=True, slots=True)
class Look:
    """Every presentation decision about one card (see the functions above)."""

    layout: Layout
    direction: Direction
    site: str
    title: str
    domain: str
    accent_light: str | None
    accent_dark: str | None

    def to_dict(self) -> dict[str, str | None]:
        return {
            "layout": self.layout,
            "direction": self.direction,
            "site": self.site,
            "title": self.title,
            "domain": self.domain,
            "accent_light": self.accent_light,
            "accent_dark": self.accent_dark,
        }


def look_of(card: Card) -> Look:
    return Look(
        layout=layout_of(card),
        direction=direction_of(card),
        site=site_label(card),
        title=shown_title(card),
        domain=domain_of(card),
        accent_light=accent_for(card.theme_color, LIGHT_BACKGROUND),
        accent_dark=accent_for(card.theme_color, DARK_BACKGROUND),
    )
