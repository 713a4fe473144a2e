"""render.py: the card as HTML and Markdown, with every page value escaped."""

from __future__ import annotations

from ogpreview.card import Card, Image
from ogpreview.web.render import card_fragment, card_to_html, card_to_markdown

HOSTILE = Card(
    url="https://example.com/a?b=1&c=2",
    site_name='<b>Evil</b> "site"',
    title="</title><script>alert(1)</script>",
    description="[click](javascript:alert(1)) <img src=x onerror=alert(2)>",
    image=Image(url="https://img.example.com/i.png", alt='" onload="alert(3)'),
    theme_color="red;background:url(https://evil)",
)


def test_markdown_of_plain_card() -> None:
    """A card renders as a quoted site line, a linked title and the description."""
    card = Card(
        url="https://example.com/post", site_name="Example", title="Hello", description="Hi"
    )
    assert card_to_markdown(card) == (
        "> **Example**\n> [Hello](<https://example.com/post>)\n> Hi\n"
    )


def test_markdown_escapes_page_text() -> None:
    """Page text cannot add links, images or HTML to the Markdown."""
    assert card_to_markdown(HOSTILE) == (
        '> **\\<b\\>Evil\\</b\\> "site"**\n'
        "> [\\</title\\>\\<script\\>alert\\(1\\)\\</script\\>](<https://example.com/a?b=1&c=2>)\n"
        "> \\[click\\]\\(javascript:alert\\(1\\)\\) \\<img src=x onerror=alert\\(2\\)\\>\n"
    )


def test_markdown_without_title_uses_host() -> None:
    """With no site name or title, the host and the URL stand in."""
    assert card_to_markdown(Card(url="https://example.com/x")) == (
        "> **example\\.com**\n> [https://example\\.com/x](<https://example.com/x>)\n"
    )


def test_html_escapes_everything() -> None:
    """No page value reaches the HTML unescaped; a bad theme colour is dropped."""
    page = card_to_html(HOSTILE, image_src="/v1/image?url=u&sig=s")
    assert "<script>" not in page
    assert "<img src=x" not in page
    assert 'onload="alert' not in page
    assert "evil)" not in page
    assert "&lt;/title&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert 'href="https://example.com/a?b=1&amp;c=2"' in page
    assert 'src="/v1/image?url=u&amp;sig=s"' in page


def test_html_without_image_src_has_no_img() -> None:
    """image_src=None shows no image even when the card has one."""
    assert "<img" not in card_fragment(HOSTILE, image_src=None)


def test_html_marks_text_dir_auto() -> None:
    """Site, title and description carry dir="auto" so RTL text lays out right-to-left."""
    fragment = card_fragment(
        Card(url="https://e.com/", title="שלום", description="d"), image_src=None
    )
    assert fragment.count('dir="auto"') == 3
