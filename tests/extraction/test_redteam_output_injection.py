"""Red team: page values built to inject into whatever shows the card.

A theme colour is pasted into CSS by clients (and into the HTML card's style): it must be
a colour and nothing more. Text fields sit next to each other in a chat client: bidi
controls in one (an unclosed RIGHT-TO-LEFT OVERRIDE in a site name) must not reorder the
next.
"""

from __future__ import annotations

import pytest

from ogpreview import Card, extract
from ogpreview.text import clean_text
from ogpreview.web.render import card_fragment

PAGE_URL = "https://news.example/a"
LRE, RLE, PDF, LRO, RLO = "\u202a", "\u202b", "\u202c", "\u202d", "\u202e"
LRI, RLI, FSI, PDI = "\u2066", "\u2067", "\u2068", "\u2069"
LRM, RLM, ALM = "\u200e", "\u200f", "\u061c"


def _theme_color(*metas: str) -> str | None:
    tags = "".join(metas)
    return extract(f"<html><head><title>T</title>{tags}</head></html>", PAGE_URL).theme_color


def _meta(content: str, media: str | None = None) -> str:
    media_attr = f' media="{media}"' if media else ""
    return f'<meta name="theme-color" content="{content}"{media_attr}>'


@pytest.mark.parametrize(
    "value",
    [
        "red;background:url(https://evil.example/x)",
        "#fff;background-image:url(//evil.example)",
        "red/**/",
        "expression(alert(1))",
        "url(https://evil.example/x)",
        "var(--x)",
        "currentColor",
        "#12345",
        "#ggg",
        "rgb(999, 0, 0)",
        "rgb(-1, 0, 0)",
        "hsl(120, 150%, 50%)",
        "rgb(none 0 0)",
        "rgb(1, 2)",
        "color(srgb 1 0 0)",
        "lab(50 20 30)",
        "notacolour",
        "red blue",
        "#" + "f" * 200,
    ],
)
def test_theme_color_that_is_no_plain_colour_is_left_out(value: str) -> None:
    """CSS beyond one colour (declarations, comments, url(), functions outside hex,
    names, rgb() and hsl(), out-of-range arguments) gives no theme colour."""
    assert _theme_color(_meta(value)) is None


@pytest.mark.parametrize(
    ("value", "color"),
    [
        ("#1A73E8", "#1a73e8"),
        ("#abc", "#aabbcc"),
        ("#abcd", "#aabbccdd"),
        ("#11223380", "#11223380"),
        ("RebeccaPurple", "#663399"),
        ("rgb(255, 0, 0)", "#ff0000"),
        ("rgba(0,0,255,0.5)", "#0000ff80"),
        ("rgb(10% 20% 30% / 1)", "#1a334c"),
        ("hsl(120, 100%, 25%)", "#008000"),
        ("hsla(120deg 100% 25% / 50%)", "#00800080"),
        ("  white ", "#ffffff"),
    ],
)
def test_theme_color_is_given_as_hex(value: str, color: str) -> None:
    """A valid colour in any of those notations comes out as #rrggbb (#rrggbbaa when
    translucent): a spelling that carries nothing else."""
    assert _theme_color(_meta(value)) == color


def test_an_invalid_theme_color_gives_way_to_the_next() -> None:
    """The first valid theme-color wins: a bad one without media, then one with media."""
    tags = (_meta("red;x:y"), _meta("#000", media="(prefers-color-scheme: dark)"))
    assert _theme_color(*tags) == "#000000"


def test_card_style_takes_only_a_colour() -> None:
    """Even a card built by hand with CSS in its theme colour renders no such CSS."""
    html = card_fragment(Card(url=PAGE_URL, theme_color="red;background:url(x)"), image_src=None)
    assert "style=" not in html
    # A dark colour: it stands out on the light card (the dark card keeps its own accent).
    styled = card_fragment(Card(url=PAGE_URL, theme_color="#123"), image_src=None)
    assert ' style="--ogp-accent:#112233"' in styled


def test_a_site_name_cannot_reorder_the_title_after_it() -> None:
    """An override or isolate a field leaves open is closed by the field's own end."""
    page = (
        "<html><head>"
        f'<meta property="og:site_name" content="Evil {RLO}news">'
        f'<meta property="og:title" content="{RLI}Title">'
        f'<meta property="og:description" content="{LRE}a{RLE}b">'
        "</head></html>"
    )
    card = extract(page, PAGE_URL)
    assert (card.site_name, card.title, card.description) == (
        f"Evil {RLO}news{PDF}",
        f"{RLI}Title{PDI}",
        f"{LRE}a{RLE}b{PDF}{PDF}",
    )


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        (f"a{PDF}b{PDI}c", "abc"),  # closers that close nothing
        (f"{LRI}a{RLE}b{PDI}c", f"{LRI}a{RLE}b{PDI}c"),  # a PDI closes embeddings inside
        (f"{LRI}a{PDF}b{PDI}", f"{LRI}ab{PDI}"),  # a PDF never closes an isolate
        (f"{RLO}{LRI}x{PDF}{PDI}", f"{RLO}{LRI}x{PDI}{PDF}"),
        (f"{FSI}{LRO}x", f"{FSI}{LRO}x{PDF}{PDI}"),
        (RLE * 20 + "x" + PDF * 20, RLE * 16 + "x" + PDF * 16),  # deeper than 16: dropped
        (f"{RLM}Site{LRM} ", "Site"),  # marks at the ends steer only the neighbours
        (f"{ALM}a{RLM}b", f"a{RLM}b"),  # inside, they steer the text's own order
    ],
)
def test_bidi_controls_are_balanced(raw: str, clean: str) -> None:
    """Embeddings, overrides and isolates are closed as UAX #9 closes them; stray
    closers, nesting past 16 and marks at either end go."""
    assert clean_text(raw) == clean


def test_a_cut_text_still_closes_what_it_opened() -> None:
    """A title cut at its limit closes the isolate it opened before the cut."""
    assert clean_text(RLI + "word " * 100 + PDI, limit=20) == f"{RLI}word word word…{PDI}"
