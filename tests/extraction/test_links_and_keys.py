"""Pure helpers of the previewer: cache keys, links in responses, image sizes, oEmbed."""

from __future__ import annotations

import re
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ogpreview import Card, Image, links_in
from ogpreview.extraction.imagesize import image_size
from ogpreview.extraction.links import _Scanner, _trim
from ogpreview.extraction.oembed import endpoint_for, merge_oembed
from ogpreview.urls import cache_key, normalize_url


@pytest.mark.parametrize(
    ("url", "normal"),
    [
        ("HTTPS://Example.COM/a?b=1#frag", "https://example.com/a?b=1"),
        ("http://example.com:80/", "http://example.com/"),
        ("https://example.com:443", "https://example.com/"),
        ("https://example.com:8443/x", "https://example.com:8443/x"),
        ("https://e.com/p?utm_source=a&id=7&fbclid=x&gclid=y&UTM_Medium=z", "https://e.com/p?id=7"),
        ("https://e.com/p?b=2&a=1", "https://e.com/p?b=2&a=1"),
    ],
)
def test_urls_normalise_to_one_spelling(url: str, normal: str) -> None:
    """Case, default ports, fragments and tracking parameters do not change the page."""
    assert normalize_url(url) == normal


def test_keys_are_fixed_size_whatever_the_url() -> None:
    """A hostile URL cannot shape the key: keys are 64 hex characters."""
    keys = [cache_key("https://e.com/" + "\r\n*?" * 1000), cache_key("https://e.com/")]
    assert [len(k) for k in keys] + [all(c in "0123456789abcdef" for c in keys[0])] == [
        64,
        64,
        True,
    ]


JSON_RESPONSE = '{"items": [{"url": "https://a.com/1"}, {"text": "go to https://b.com/2"}]}'
WEBP_640X480 = (
    b"RIFF\0\0\0\0WEBPVP8X" + b"\0" * 8 + (639).to_bytes(3, "little") + (479).to_bytes(3, "little")
)


@pytest.mark.parametrize(
    ("response", "links"),
    [
        ("See https://a.com/x. And (https://b.com/y)!", ["https://a.com/x", "https://b.com/y"]),
        ("[Docs](https://a.com/docs \"title\") and <https://b.com/>", ["https://a.com/docs", "https://b.com/"]),
        ("https://en.wikipedia.org/wiki/Foo_(bar), done", ["https://en.wikipedia.org/wiki/Foo_(bar)"]),
        (JSON_RESPONSE, ["https://a.com/1", "https://b.com/2"]),
        ({"a": {"b": ["https://a.com/1", "https://A.com/1#x", "https://a.com/1?utm_source=q"]}}, ["https://a.com/1"]),
        ("ftp://a.com/x javascript:alert(1) mailto:x@y.z", []),
        (b"bytes https://a.com/z", ["https://a.com/z"]),
        ("", []),
    ],
)  # fmt: skip
def test_links_are_found_deduplicated_in_order(response: object, links: list[str]) -> None:
    """JSON strings, Markdown links, autolinks and bare links; one entry per page."""
    assert links_in(response) == links  # type: ignore[arg-type]


def _png(w: int, h: int) -> bytes:
    return b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + struct.pack(">II", w, h) + b"\x08\x02\0\0\0"


def _jpeg(w: int, h: int) -> bytes:
    app0 = b"\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    sof = b"\xff\xc0\x00\x11\x08" + struct.pack(">HH", h, w) + b"\x03" + b"\0" * 9
    return b"\xff\xd8" + app0 + sof


@pytest.mark.parametrize(
    ("data", "size"),
    [
        (_png(1200, 630), (1200, 630)),
        (b"GIF89a" + struct.pack("<HH", 40, 30), (40, 30)),
        (_jpeg(800, 600), (800, 600)),
        (WEBP_640X480, (640, 480)),
        (b"BM" + b"\0" * 16 + struct.pack("<ii", 64, -32), (64, 32)),
        (_png(1200, 630)[:20], None),
        (_jpeg(800, 600)[:10], None),
        (_png(0, 10), None),
        (b"<html>not an image", None),
    ],
)  # fmt: skip
def test_image_size_from_first_bytes(data: bytes, size: tuple[int, int] | None) -> None:
    """Dimensions come from the header; truncated, zero or unknown data give None."""
    assert image_size(data) == size


def test_known_provider_gets_its_endpoint() -> None:
    """A YouTube watch URL maps to YouTube's JSON oEmbed endpoint."""
    assert endpoint_for("https://www.youtube.com/watch?v=abc", None) == (
        "https://www.youtube.com/oembed?url=https%3A%2F%2Fwww.youtube.com%2Fwatch%3Fv%3Dabc"
        "&format=json"
    )


def test_advertised_endpoint_wins() -> None:
    """A page's own oEmbed link is used over the provider table."""
    assert endpoint_for("https://youtu.be/x", "https://e.com/o") == "https://e.com/o"


def test_unknown_page_has_no_endpoint() -> None:
    """Pages of unknown providers without an oEmbed link get none."""
    assert endpoint_for("https://example.com/a", None) is None


def test_oembed_fills_gaps_and_page_values_win() -> None:
    """oEmbed adds missing fields (thumbnail as image); the page's own values stay."""
    card = Card(url="https://e.com/v", title="Page title")
    data = {
        "title": "oEmbed title",
        "author_name": "Ann",
        "provider_name": "Tube",
        "thumbnail_url": "https://i.e.com/t.jpg",
        "thumbnail_width": 480,
        "thumbnail_height": "360",
    }
    assert merge_oembed(card, data, "https://e.com/oembed") == Card(
        url="https://e.com/v",
        title="Page title",
        author="Ann",
        site_name="Tube",
        image=Image(url="https://i.e.com/t.jpg", width=480, height=360),
        oembed_url="https://e.com/oembed",
    )


def test_many_closing_brackets_are_trimmed() -> None:
    """A URL followed by 40,000 ")" is found once, without them (linear trimming)."""
    assert links_in("http://127.0.0.1/" + ")" * 40_000) == ["http://127.0.0.1/"]


#: The pattern links were once found with (it backtracks: fine for a few dozen characters,
#: hours for a megabyte of unclosed links). The scanner must read links exactly as it did.
_REFERENCE = re.compile(
    r"\[[^\]\n]{0,500}\]\(\s*<?(?P<md>https?://[^\s)>]+)>?(?:\s+\"[^\"]*\")?\s*\)"
    r"|<(?P<auto>https?://[^\s<>]+)>"
    r"|(?P<bare>https?://[^\s<>\"'`{}|\\^\[\]]{1,4096})",
    re.IGNORECASE,
)
_PIECES = [
    "[", "]", "(", ")", "<", ">", "http://", "HTTPS://", "hTtP://", "a", "b.c", " ", "\n",
    "\t", '"', "'", "\u00a0", "\u3000", ".", "](", "[x](", "[a](http://q", ' "t"', "\\", "|",
]  # fmt: skip


def _reference_links(text: str) -> list[str]:
    found = []
    for match in _REFERENCE.finditer(text):
        url = match.group("md") or match.group("auto")
        found.append(url if url else _trim(match.group("bare")))
    return found


@settings(max_examples=3000)
@given(st.lists(st.sampled_from(_PIECES), max_size=40).map("".join))
def test_scanner_reads_links_as_the_reference_pattern(text: str) -> None:
    """Markdown links, autolinks and bare links start and end where the (backtracking)
    reference pattern says, in the same order."""
    assert list(_Scanner(text).links()) == _reference_links(text)


@pytest.mark.parametrize(
    ("length", "links"),
    [(499, ["http://a.test/{x}"]), (500, ["http://a.test/{x}"]), (501, ["http://a.test/"])],
)
def test_link_text_of_at_most_500_characters(length: int, links: list[str]) -> None:
    """A Markdown link text is read up to 500 characters; after a longer one the target is
    only a bare link (which ends at "{")."""
    assert links_in("[" + "y" * length + "](http://a.test/{x})") == links
