"""render.py: the card as HTML and Markdown, with every page value escaped."""

from __future__ import annotations

import pytest

from ogpreview.card import Card, Image
from ogpreview.web.render import (
    card_fragment,
    card_height,
    card_to_html,
    card_to_markdown,
    plain_card,
)

HOSTILE = Card(
    url="https://example.com/a?b=1&c=2",
    site_name='<b>Evil</b> "site"',
    title="</title><script>alert(1)</script>",
    description="[click](javascript:alert(1)) <img src=x onerror=alert(2)>",
    image=Image(url="https://img.example.com/i.png", alt='" onload="alert(3)'),
    theme_color="red;background:url(https://evil)",
)
WIDE = Image(url="https://example.com/w.png", width=1200, height=630)
SQUARE = Image(url="https://example.com/s.png", width=300, height=300)


def test_markdown_of_plain_card() -> None:
    """A card renders as a quoted site line, a linked title and the description."""
    card = Card(
        url="https://example.com/post", site_name="Example", title="Hello", description="Hi"
    )
    assert card_to_markdown(card) == "> **Example**\n> [Hello](https://example.com/post)\n> Hi\n"


def test_markdown_leaves_ordinary_punctuation_alone() -> None:
    """Hyphens, dots, parentheses, '#1' and the like read as written: no backslashes that
    Slack would show."""
    card = Card(
        url="http://127.0.0.1:8000/x",
        title="A third-party tool (v2.0) is #1 at 100%!",
        description="Works with C++, snake_case names, 3 * 4 = 12 and 1.5 ~ 2 - fine.",
    )
    assert card_to_markdown(card) == (
        "> **127.0.0.1**\n"
        "> [A third-party tool (v2.0) is #1 at 100%!](http://127.0.0.1:8000/x)\n"
        "> Works with C++, snake_case names, 3 * 4 = 12 and 1.5 ~ 2 - fine.\n"
    )


def test_markdown_escapes_what_would_become_markup() -> None:
    """Page text cannot add links, images, HTML or emphasis to the Markdown."""
    assert card_to_markdown(HOSTILE) == (
        '> **\\<b>Evil\\</b> "site"**\n'
        "> [\\</title>\\<script>alert(1)\\</script>](https://example.com/a?b=1&c=2)\n"
        "> \\[click\\](javascript:alert(1)) \\<img src=x onerror=alert(2)>\n"
        '> ![" onload="alert(3)](https://img.example.com/i.png)\n'
    )


@pytest.mark.parametrize(
    ("description", "shown"),
    [
        ("# Heading", "\\# Heading"),
        ("- item", "\\- item"),
        ("+ item", "\\+ item"),
        ("* item", "\\* item"),
        ("---", "\\---"),
        ("> quote", "\\> quote"),
        ("1. first", "1\\. first"),
        ("2) second", "2\\) second"),
        ("[x]: https://e.com/", "\\[x\\]: https://e.com/"),
        (
            "*bold* and _it_ and `code` and ~~gone~~",
            "\\*bold\\* and \\_it\\_ and \\`code\\` and \\~\\~gone\\~\\~",
        ),
        ("ping @everyone and @here", "ping \\@everyone and \\@here"),
        ("<@123> <#456> <!channel>", "\\<@123> \\<#456> \\<!channel>"),
        ("a ||spoiler|| b", "a \\|\\|spoiler\\|\\| b"),
        ("&amp; and &#38; stay", "\\&amp; and \\&#38; stay"),
        ("a back\\slash\\*", "a back\\slash\\\\\\*"),
    ],
)
def test_markdown_escapes_only_markup(description: str, shown: str) -> None:
    """Each construct that would format, link, quote, list or mention is escaped once."""
    card = Card(url="https://e.com/", site_name="S", title="T", description=description)
    assert card_to_markdown(card).splitlines()[2] == f"> {shown}"


def test_markdown_link_destination_encoded() -> None:
    """Spaces, parentheses and angle brackets in a URL cannot end or break the link."""
    card = Card(url="https://e.com/a b(c)<d>", title="T", site_name="S")
    assert card_to_markdown(card).splitlines()[1] == "> [T](https://e.com/a%20b%28c%29%3Cd%3E)"


def test_markdown_brackets_in_title_cannot_end_the_link() -> None:
    """A title's brackets are escaped so the link text ends where it should."""
    card = Card(url="https://e.com/", title="[Video] a] b", site_name="S")
    assert card_to_markdown(card).splitlines()[1] == "> [\\[Video\\] a\\] b](https://e.com/)"


def test_markdown_shows_the_image() -> None:
    """A card with an image ends with the image, its alt text as the label."""
    card = Card(url="https://e.com/", title="T", image=Image(url="https://e.com/i.png", alt="A"))
    assert card_to_markdown(card).splitlines()[-1] == "> ![A](https://e.com/i.png)"


def test_markdown_without_title_uses_host() -> None:
    """With no site name or title, the host and the URL stand in."""
    assert card_to_markdown(Card(url="https://example.com/x")) == (
        "> **example.com**\n> [https://example.com/x](https://example.com/x)\n"
    )


def test_markdown_title_without_repeated_site_name() -> None:
    """The title's "| Site" suffix is dropped when the site line shows that name."""
    card = Card(url="https://e.com/", site_name="Example News", title="Tides | Example News")
    assert card_to_markdown(card).splitlines()[1] == "> [Tides](https://e.com/)"


def test_html_escapes_everything() -> None:
    """No page value reaches the HTML unescaped; a bad theme colour is dropped."""
    page = card_to_html(HOSTILE, image_src="/v1/image?url=u&sig=s")
    assert "<script>" not in page
    assert "<img src=x" not in page
    assert 'onload="alert' not in page
    assert "evil)" not in page and ' style="' not in page
    assert "&lt;/title&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert 'href="https://example.com/a?b=1&amp;c=2"' in page
    assert 'src="/v1/image?url=u&amp;sig=s"' in page


def test_html_without_image_src_has_no_img() -> None:
    """image_src=None shows no image even when the card has one."""
    fragment = card_fragment(HOSTILE, image_src=None)
    assert "<img" not in fragment and 'class="ogp-card ogp-text"' in fragment


def test_html_marks_text_dir_auto() -> None:
    """Site, title and description carry dir="auto" so RTL text lays out right-to-left."""
    fragment = card_fragment(
        Card(url="https://e.com/", title="שלום", description="d"), image_src=None
    )
    assert fragment.count('dir="auto"') == 3


def test_html_large_layout_puts_the_image_first() -> None:
    """A wide image is drawn large, above the text."""
    fragment = card_fragment(Card(url="https://e.com/", title="T", image=WIDE), image_src="/i")
    assert fragment.startswith('<a class="ogp-card ogp-large" dir="ltr"')
    assert fragment.index('class="ogp-image"') < fragment.index('class="ogp-text"')


def test_html_small_layout_puts_the_thumbnail_after_the_text() -> None:
    """A square image is a thumbnail at the text's end (the right, or the left in RTL)."""
    fragment = card_fragment(Card(url="https://e.com/", title="T", image=SQUARE), image_src="/i")
    assert fragment.startswith('<a class="ogp-card ogp-small"')
    assert fragment.index('class="ogp-text"') < fragment.index('class="ogp-image"')


def test_html_image_link_shows_the_image() -> None:
    """A link to an image previews as that image."""
    card = Card(
        url="https://e.com/p.png",
        title="p.png",
        type="image",
        image=Image(url="https://e.com/p.png"),
    )
    fragment = card_fragment(card, image_src="/i")
    assert fragment.startswith('<a class="ogp-card ogp-image-link"') and 'src="/i"' in fragment


def test_html_rtl_page_is_mirrored() -> None:
    """A right-to-left card is laid out with dir="rtl", the document too."""
    card = Card(url="https://e.com/", title="أضواء الميناء", locale="ar_AR")
    page = card_to_html(card, image_src=None)
    assert (
        '<html lang="ar-AR" dir="rtl">' in page and '<a class="ogp-card ogp-text" dir="rtl"' in page
    )


def test_html_accent_only_where_it_shows() -> None:
    """A white theme colour is not used on the white card, only on the dark one."""
    fragment = card_fragment(Card(url="https://e.com/", theme_color="#FFF"), image_src=None)
    assert ' style="--ogp-accent-dark:#ffffff"' in fragment and "--ogp-accent:" not in fragment


def test_html_favicon_and_domain_line() -> None:
    """The site line shows the favicon from the given source; the domain line the host."""
    card = Card(url="https://www.example.com/a", site_name="Example", favicon="https://x/f.ico")
    fragment = card_fragment(card, image_src=None, favicon_src="/v1/image?url=f")
    assert '<img class="ogp-icon" src="/v1/image?url=f" alt=""' in fragment
    assert '<p class="ogp-domain"><bdi>example.com</bdi></p>' in fragment


def test_html_title_without_repeated_site_name() -> None:
    """The title drops its "| Site" suffix under the site line naming that site."""
    card = Card(url="https://e.com/", site_name="Example News", title="Tides | Example News")
    assert ">Tides</p>" in card_fragment(card, image_src=None)


def test_plain_card_is_the_link_itself() -> None:
    """A failed page's card names the host and shows the URL as its title, nothing else."""
    fragment = card_fragment(plain_card("https://example.com/gone"), image_src=None)
    assert '<span dir="auto">example.com</span>' in fragment
    assert ">https://example.com/gone</p>" in fragment
    assert "ogp-desc" not in fragment and "ogp-domain" not in fragment


def test_card_heights_by_layout() -> None:
    """oEmbed heights: a large card is taller than a small one, which is as tall as text."""
    assert card_height("large") > card_height("image") > card_height("small")
    assert card_height("small") == card_height("text")
