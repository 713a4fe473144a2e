"""One image side limit, whoever states the size: an image's header, a page's markup
and an oEmbed answer believe MAX_IMAGE_SIDE pixels and not one more."""

from __future__ import annotations

import struct
import zlib

import pytest

from ogpreview.card import MAX_IMAGE_SIDE
from ogpreview.extraction import extract
from ogpreview.extraction.imagesize import image_size
from ogpreview.extraction.oembed import merge_oembed

PAGE = "https://example.test/page"


def _png_header(width: int, height: int) -> bytes:
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = b"IHDR" + ihdr
    return (
        b"\x89PNG\r\n\x1a\n"
        + struct.pack(">I", len(ihdr))
        + chunk
        + struct.pack(">I", zlib.crc32(chunk))
    )


def _markup_width(side: int) -> int | None:
    html = (
        '<html><head><title>t</title><meta property="og:image" content="/i.png">'
        f'<meta property="og:image:width" content="{side}">'
        '<meta property="og:image:height" content="10"></head></html>'
    )
    image = extract(html, PAGE).image
    assert image is not None
    return image.width


def _oembed_width(side: int) -> int | None:
    card = extract("<html><head><title>t</title></head></html>", PAGE)
    data = {"thumbnail_url": "/t.png", "thumbnail_width": side, "thumbnail_height": 10}
    image = merge_oembed(card, data, "https://example.test/oembed").image
    assert image is not None
    return image.width


@pytest.mark.parametrize(
    ("side", "believed"), [(MAX_IMAGE_SIDE, True), (MAX_IMAGE_SIDE + 1, False)]
)
def test_every_reader_of_an_image_side_keeps_to_the_one_limit(side: int, believed: bool) -> None:
    """The header, the markup and oEmbed readers agree at the limit and one past it."""
    expected = side if believed else None
    header = image_size(_png_header(side, 10))
    assert (header[0] if header else None, _markup_width(side), _oembed_width(side)) == (
        expected,
        expected,
        expected,
    )
