"""present.py: the layout, title, direction and accent colours a card is shown with."""

from __future__ import annotations

import pytest

from ogpreview.card import Card, Image
from ogpreview.web.present import (
    DARK_BACKGROUND,
    LIGHT_BACKGROUND,
    accent_for,
    contrast_ratio,
    direction_of,
    layout_of,
    look_of,
    parse_color,
    shown_title,
)

URL = "https://www.example.com/a"


def image(width: int | None, height: int | None) -> Image:
    return Image(url="https://www.example.com/i.png", width=width, height=height)


@pytest.mark.parametrize(
    ("card", "layout"),
    [
        (Card(url=URL), "text"),
        (Card(url=URL, image=image(1200, 630)), "large"),
        (Card(url=URL, image=image(400, 300)), "large"),
        (Card(url=URL, image=image(399, 200)), "small"),
        (Card(url=URL, image=image(600, 600)), "small"),
        (Card(url=URL, image=image(None, None)), "small"),
        (Card(url=URL, image=image(120, 80), twitter_card="summary_large_image"), "large"),
        (Card(url=URL, image=image(1200, 630), twitter_card="summary"), "small"),
        (Card(url=URL, image=image(1200, 630), twitter_card="player"), "large"),
        (
            Card(url=URL, type="image", image=Image(url=URL, width=16, height=16)),
            "image",
        ),
    ],
)
def test_layout(card: Card, layout: str) -> None:
    """Large for a wide image or summary_large_image; small otherwise; the image itself
    for an image link; text without an image."""
    assert layout_of(card) == layout


@pytest.mark.parametrize(
    ("site_name", "title", "shown"),
    [
        ("Example News", "Tides | Example News", "Tides"),
        ("Example News", "Tides – Example News", "Tides"),
        ("Example News", "Tides | Harbour | EXAMPLE NEWS", "Tides | Harbour"),
        ("Example News", "Example News", "Example News"),
        ("Example News", "Tides | Other Site", "Tides | Other Site"),
        ("Example News", "Example News | Tides", "Example News | Tides"),
        (None, "Tides - example.com", "Tides"),
        ("Example", "Tides|Example", "Tides|Example"),
    ],
)
def test_shown_title_drops_the_repeated_site_name(
    site_name: str | None, title: str, shown: str
) -> None:
    """A trailing separator and the site line's own name are dropped; nothing else."""
    assert shown_title(Card(url=URL, site_name=site_name, title=title)) == shown


def test_shown_title_of_a_page_without_one_is_its_url() -> None:
    """With no title, the URL is what a card shows."""
    assert shown_title(Card(url=URL)) == URL


@pytest.mark.parametrize(
    ("card", "direction"),
    [
        (Card(url=URL, locale="ar_AR", title="News"), "rtl"),
        (Card(url=URL, locale="he", title="News"), "rtl"),
        (Card(url=URL, locale="en_US", title="שלום"), "ltr"),
        (Card(url=URL, title="שלום עולם"), "rtl"),
        (Card(url=URL, title="123 — أخبار"), "rtl"),
        (Card(url=URL, title="Hello"), "ltr"),
        (Card(url=URL), "ltr"),
    ],
)
def test_direction(card: Card, direction: str) -> None:
    """The locale decides; without one, the first strongly directional letter does."""
    assert direction_of(card) == direction


@pytest.mark.parametrize(
    ("text", "rgba"),
    [
        ("#fff", (255.0, 255.0, 255.0, 1.0)),
        ("#FFFFFF80", (255.0, 255.0, 255.0, 128 / 255)),
        ("#0969da", (9.0, 105.0, 218.0, 1.0)),
        ("rgb(255, 0, 0)", (255.0, 0.0, 0.0, 1.0)),
        ("rgba(0 0 0 / 50%)", (0.0, 0.0, 0.0, 128 / 255)),  # alpha kept to 8 bits, as #rrggbbaa
        ("White", (255.0, 255.0, 255.0, 1.0)),
        ("nonsense", None),
        ("red;background:url(x)", None),
        ("#12", None),
        ("rgb(1, 2)", None),
        ("", None),
    ],
)
def test_parse_color(text: str, rgba: tuple[float, ...] | None) -> None:
    """Hex, rgb()/rgba() and basic names parse; anything else is None."""
    assert parse_color(text) == rgba


def test_contrast_ratio_bounds() -> None:
    """Black on white is 21:1, a colour on itself 1:1."""
    assert round(contrast_ratio((0, 0, 0), (255, 255, 255)), 2) == 21.0
    assert contrast_ratio((9, 105, 218), (9, 105, 218)) == 1.0


@pytest.mark.parametrize(
    ("theme", "light", "dark"),
    [
        ("#ffffff", None, "#ffffff"),
        ("#1c2128", "#1c2128", None),
        ("#0969da", "#0969da", "#0969da"),
        ("#ffff00", None, "#ffff00"),
        ("#00000010", None, None),
        ("rgb(230, 60, 60)", "#e63c3c", "#e63c3c"),
        ("#cc0000", "#cc0000", None),
        (None, None, None),
    ],
)
def test_accent_never_vanishes(theme: str | None, light: str | None, dark: str | None) -> None:
    """The theme colour is kept only where it stands 3:1 from the card's background."""
    assert (accent_for(theme, LIGHT_BACKGROUND), accent_for(theme, DARK_BACKGROUND)) == (
        light,
        dark,
    )


def test_look_of_a_card() -> None:
    """All decisions together, as the API hands them to the debugger."""
    card = Card(
        url="https://www.xn--bcher-kva.example/a",
        site_name="Bücher",
        title="Neu | Bücher",
        image=image(1200, 630),
        theme_color="#0969da",
    )
    assert look_of(card).to_dict() == {
        "layout": "large",
        "direction": "ltr",
        "site": "Bücher",
        "title": "Neu",
        "domain": "bücher.example",
        "accent_light": "#0969da",
        "accent_dark": "#0969da",
    }
