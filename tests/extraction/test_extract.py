"""extract(): behaviours beyond the fixture pages (inputs, isolation of rules, limits)."""

from __future__ import annotations

import logging

import pytest

import ogpreview.extraction.rules as rules
from ogpreview import Card, Image, InvalidURL, explain, extract
from tests.servers import PNG_1X1

PAGE = "https://www.example.com/a/page.html"


def test_text_input_is_used_as_is() -> None:
    """A str page is not re-decoded."""
    card = extract("<title>Café ☕</title>", PAGE)
    assert card.title == "Café ☕"


def test_minimal_page_gets_host_fallbacks() -> None:
    """An empty page still yields a card: page URL, host as site name, default favicon."""
    assert extract(b"", PAGE) == Card(
        url=PAGE,
        site_name="example.com",
        favicon="https://www.example.com/favicon.ico",
    )


@pytest.mark.parametrize("url", ["", "/relative", "ftp://example.com/x", "javascript:alert(1)"])
def test_a_non_http_page_url_is_invalid(url: str) -> None:
    """The page URL must be absolute http(s): InvalidURL otherwise."""
    with pytest.raises(InvalidURL):
        extract(b"<title>x</title>", url)


def test_fragment_is_dropped_from_the_page_url() -> None:
    """A fragment is not part of the page's identity."""
    assert extract(b"", PAGE + "#section").url == PAGE


def test_a_raising_rule_is_skipped(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A rule that raises is logged and the next rule supplies the value."""

    def broken(ctx: rules.Context) -> list[str]:
        raise RuntimeError("boom")

    title = rules.PRECEDENCE["title"]
    monkeypatch.setitem(
        rules.PRECEDENCE,
        "title",
        rules.Field((rules.Rule("broken", broken), *title.rules), title.accept),
    )
    with caplog.at_level(logging.WARNING, logger="ogpreview.extraction.rules"):
        card = extract(b"<title>Still here</title>", PAGE)
    assert (card.title, [r.getMessage() for r in caplog.records]) == (
        "Still here",
        [f"extraction rule broken failed on {PAGE}"],
    )


def test_og_image_dimensions_belong_to_their_image() -> None:
    """The second og:image's width does not leak onto the first."""
    html = b"""<meta property="og:image" content="/a.jpg">
    <meta property="og:image" content="/b.jpg">
    <meta property="og:image:width" content="640">"""
    assert extract(html, PAGE).image == Image(url="https://www.example.com/a.jpg")


def test_cross_site_canonical_is_not_trusted() -> None:
    """rel=canonical naming another site falls back to the page URL."""
    html = b'<link rel="canonical" href="https://evil.example.net/x">'
    assert extract(html, PAGE).url == PAGE


def test_same_site_canonical_is_used() -> None:
    """rel=canonical on a sibling subdomain is trusted."""
    html = b'<link rel="canonical" href="https://m.example.com/a">'
    assert extract(html, PAGE).url == "https://m.example.com/a"


def test_body_text_is_the_last_resort_description() -> None:
    """With no paragraph of substance, the visible body text (boilerplate skipped) is used."""
    html = b"<body><nav>Menu Home</nav>Some text.<script>var x;</script><footer>(c)</footer></body>"
    assert extract(html, PAGE).description == "Some text."


def test_a_huge_title_is_capped() -> None:
    """A 1 MB title is cut to the title limit, on a word boundary, with an ellipsis."""
    card = extract(b"<title>" + b"word " * 200_000 + b"</title>", PAGE)
    assert card.title is not None
    assert (len(card.title) <= rules.TITLE_LIMIT + 1, card.title.endswith("word…")) == (
        True,
        True,
    )


def test_deep_nesting_does_not_crash() -> None:
    """100,000 nested divs with a paragraph inside still give a card."""
    html = b"<title>Deep</title><body>" + b"<div>" * 100_000 + b"<p>Inside</p></body>"
    assert extract(html, PAGE).title == "Deep"


def test_ten_thousand_meta_tags_are_bounded() -> None:
    """A page of 10,000 meta tags is read (first wins) without blowing up."""
    html = b'<meta property="og:title" content="First">' + (
        b'<meta property="og:title" content="Later">' * 10_000
    )
    assert extract(html, PAGE).title == "First"


def test_unterminated_tags_do_not_stall_the_scanner() -> None:
    """A page ending in thousands of "<meta" that never close still gives its card (the
    scanner stops at the last ">" instead of retrying from every "<")."""
    html = b"<title>t</title>" + b"<meta a " * 20_000
    assert extract(html, PAGE).title == "t"


def test_jsonld_with_raw_control_characters_is_still_read() -> None:
    """A JSON-LD string holding a raw newline (not strict JSON) is read by the tolerant
    parser, as browsers and search engines read it."""
    html = (
        b'<script type="application/ld+json">{"@type": "Article", "headline": "Two\nlines",'
        b' "image": "/lead.jpg"}</script>'
    )
    card = extract(html, PAGE)
    assert (card.title, card.image) == (
        "Two lines",
        Image(url="https://www.example.com/lead.jpg"),
    )


def test_jsonld_and_meta_tags_late_in_a_long_body_are_read() -> None:
    """Tags a card reads are found anywhere in the body, past the part the body fallbacks
    parse: here behind 300 KB of markup, scripts and comments."""
    filler = b"<div><p>text</p><script>var a = '<b>';</script><!-- x --></div>" * 5_000
    html = (
        b"<html><head><title>Long</title></head><body>"
        + filler
        + b'<meta property="og:description" content="Late description">'
        + b'<script type="application/ld+json">{"@type": "NewsArticle", "author": '
        + b'{"@type": "Person", "name": "Ann Lee"}}</script></body></html>'
    )
    card = extract(html, PAGE)
    assert (len(filler) > 300_000, card.description, card.author) == (
        True,
        "Late description",
        "Ann Lee",
    )


def test_body_meta_tags_with_non_utf8_bytes_are_read() -> None:
    """A windows-1252 page's og:title in the body, holding a byte that is not UTF-8, is
    read and decoded (the body scan treats bytes as bytes, whatever the encoding)."""
    html = (
        b"<html><head><title>Head title</title></head>"
        b'<body><meta property="og:title" content="Caf\xe9"></body></html>'
    )
    card = extract(html, PAGE, content_type="text/html; charset=windows-1252")
    assert card.title == "Café"


def test_a_page_that_starts_with_its_body_tag_has_its_body_read() -> None:
    """A fragment that opens with <body> still has the meta tags inside it read."""
    html = b'<body><meta property="og:title" content="Body title"><p>x</p></body>'
    assert extract(html, PAGE).title == "Body title"


def test_content_between_head_and_body_tag_counts_as_body() -> None:
    """A heading a CMS left between </head> and <body> is body content, as in a browser."""
    html = b"<html><head><title></title></head><h1>The heading</h1><body><p>short</p></body></html>"
    assert extract(html, PAGE).title == "The heading"


def test_itemprop_image_spelled_with_an_entity_is_found() -> None:
    """itemprop=" image" written with an entity is the same itemprop=image: the cheap
    check that spares pages a tree does not miss it."""
    html = (
        b"<!doctype html><meta property=og:title content=T>"
        b"<meta property=og:description content=D><body>"
        b'<img itemprop="&#32;image" src="/item.jpg" width=40 height=40>'
        b'<img src="/big.jpg" width=600 height=400></body>'
    )
    image = extract(html, PAGE).image
    assert image == Image(url="https://www.example.com/item.jpg", width=40, height=40)


def test_an_unreadable_jsonld_block_does_not_cost_the_others() -> None:
    """A JSON-LD block holding a character no parser takes is skipped alone: the page's
    other block still gives the headline."""
    html = (
        b'<script type="application/ld+json">{"@type":"Article","headline":"Good headline"}'
        b'</script><script type="application/ld+json">{"@type":"Thing","name":"bad\x01"}</script>'
    )
    assert extract(html, PAGE).title == "Good headline"


def test_unclosed_jsonld_scripts_in_the_body_cost_one_pass() -> None:
    """A megabyte of unclosed JSON-LD script tags in the body gives its card (each used to
    search the rest of the page for its end: 14 s a megabyte)."""
    html = b"<title>t</title><body>" + b"<script type=application/ld+json>" * 30_000
    assert extract(html, PAGE).title == "t"


def test_noncharacters_are_dropped_from_text() -> None:
    """U+FFFF in a JSON-LD headline is not text: the title keeps only the real words."""
    html = '<script type="application/ld+json">{"headline": "News\\uffff today"}</script>'
    assert extract(html.encode(), PAGE).title == "News today"


IMAGE_URL = "https://www.example.com/img/photo.png"


def test_png_bytes_are_the_image_not_a_page() -> None:
    """A PNG (no Content-Type given) previews as itself, sized from its header: its
    bytes are never read as a page's text."""
    assert extract(PNG_1X1, IMAGE_URL) == Card(
        url=IMAGE_URL,
        site_name="example.com",
        title="photo.png",
        image=Image(url=IMAGE_URL, width=1, height=1, type="image/png"),
        type="image",
        favicon="https://www.example.com/favicon.ico",
    )


def test_png_labelled_html_is_still_the_image() -> None:
    """A PNG under an HTML Content-Type is sniffed: the signature wins over the label."""
    card = extract(PNG_1X1, IMAGE_URL, content_type="text/html; charset=utf-8")
    assert (card.type, card.description, card.image) == (
        "image",
        None,
        Image(url=IMAGE_URL, width=1, height=1, type="image/png"),
    )


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj <</Title (Not a page)>>", "document"),
        (b"PK\x03\x04\x14\x00\x00\x00\x08\x00<title>zipped</title>", "file"),
        (b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff<title>gzipped</title>", "file"),
        (b"GIF89a\x02\x00\x03\x00<title>not a title</title>", "image"),
    ],
    ids=["pdf", "zip", "gzip", "gif"],
)
def test_a_file_gets_the_plain_card_of_its_kind(data: bytes, kind: str) -> None:
    """A PDF, an archive or an image gives a plain card named after the file, with
    nothing read from its bytes as markup."""
    url = "https://example.com/files/thing"
    card = extract(data, url)
    assert (card.title, card.type, card.description, card.site_name) == (
        "thing",
        kind,
        None,
        "example.com",
    )


def test_a_declared_file_type_is_believed() -> None:
    """Markup served as application/pdf previews as the PDF link it is, as the service
    would show it."""
    url = "https://example.com/r/report.pdf"
    assert extract(b"<title>Markup</title>", url, content_type="application/pdf") == Card(
        url=url,
        site_name="example.com",
        title="report.pdf",
        type="document",
        favicon="https://example.com/favicon.ico",
    )


def test_a_file_card_names_its_sources() -> None:
    """explain() says where a file card's fields came from."""
    _, sources = explain(PNG_1X1, IMAGE_URL)
    assert {k: v for k, v in sources.items() if v is not None} == {
        "url": "page_url",
        "site_name": "host_name",
        "title": "file_name",
        "image": "file_itself",
        "type": "file_type",
        "favicon": "favicon_default",
    }
