"""read_image: the format and size in an image's first bytes, for the readers written here
(SVG, ICO, JPEG XL) and for what counts as broken."""

from __future__ import annotations

import struct

import pytest

from ogpreview.extraction.imagesize import ImageReading, read_image
from tests.image_host import IMAGES, pillow_image

SVG_NS = 'xmlns="http://www.w3.org/2000/svg"'


@pytest.mark.parametrize(
    ("svg", "size"),
    [
        (f'<svg {SVG_NS} width="320" height="168"/>', (320, 168)),
        (f'<svg {SVG_NS} width="3in" height="72pt">', (288, 96)),
        (f'<svg {SVG_NS} viewBox="0 0 1200 630"><rect width="5" height="5"/></svg>', (1200, 630)),
        (f'<svg {SVG_NS} width="600" viewBox="0,0,1200,630">', (600, 315)),
        (f'<svg {SVG_NS} height="63" viewBox="0 0 1200 630">', (120, 63)),
        (f'<svg {SVG_NS} width="100%" height="100%" viewBox="0 0 40 30">', (40, 30)),
        (
            '\ufeff<?xml version="1.0" encoding="UTF-8"?>\n<!-- café ' + "é" * 600 + " -->\n"
            '<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "x.dtd" [ <!ENTITY a "<b>"> ]>\n'
            f'<svg {SVG_NS}\n  width="64" height="48">',
            (64, 48),
        ),
        ('<svg:svg xmlns:svg="http://www.w3.org/2000/svg" width="10" height="20">', (10, 20)),
    ],
)  # fmt: skip
def test_svg_size_is_what_a_browser_draws(svg: str, size: tuple[int, int]) -> None:
    """Absolute width and height, else viewBox with the side given, else viewBox itself;
    past a BOM, declaration, comments (non-ASCII ones too) and a doctype; a child
    element's width never counts."""
    assert read_image(svg.encode()) == ImageReading("svg", size)


def test_svg_without_a_size_is_an_svg_of_unknown_size() -> None:
    """An SVG declaring neither sizes nor viewBox has no size, and is not broken."""
    data = f'<svg {SVG_NS} width="50%"><circle r="4"/></svg>'.encode()
    assert read_image(data) == ImageReading("svg", None)


def test_html_is_not_an_svg() -> None:
    """Markup whose root element is not svg is no image format browsers show."""
    data = b"<!doctype html><html><svg width='10' height='10'></svg></html>"
    assert read_image(data) == ImageReading(None, None, "it is not an image format browsers show")


def _ico(entries: list[tuple[int, int, bytes]]) -> bytes:
    head = struct.pack("<HHH", 0, 1, len(entries))
    offset = 6 + 16 * len(entries)
    table, blobs = b"", b""
    for width, height, blob in entries:
        table += struct.pack("<BBBBHHII", width, height, 0, 0, 1, 32, len(blob), offset)
        offset += len(blob)
        blobs += blob
    return head + table + blobs


def test_ico_gives_its_largest_icon() -> None:
    """Of 16x16, 48x48 and a 0x0 entry (256, or its embedded PNG's own 512x512), the
    largest is the size."""
    png = pillow_image("PNG", (512, 512))
    data = _ico([(16, 16, b"\0" * 40), (48, 48, b"\0" * 40), (0, 0, png)])
    assert read_image(data) == ImageReading("ico", (512, 512))


def test_jpeg_xl_in_its_container_is_sized() -> None:
    """A JPEG XL codestream inside the ISO container (a jxlp box) is read like a bare one."""
    stream = (IMAGES / "banner-333x77.jxl").read_bytes()
    signature = b"\x00\x00\x00\x0cJXL \r\n\x87\n"
    ftyp = b"\x00\x00\x00\x14ftypjxl \x00\x00\x00\x00jxl "
    part = struct.pack(">I4sI", 12 + len(stream), b"jxlp", 0x80000000) + stream
    assert read_image(signature + ftyp + part) == ImageReading("jxl", (333, 77))


def test_a_cut_jpeg_xl_header_has_no_size() -> None:
    """Two bytes of JPEG XL: the format, no size (more bytes might hold it)."""
    assert read_image(b"\xff\x0a", complete=False) == ImageReading("jxl", None)


def test_a_complete_file_whose_header_does_not_decode_is_broken() -> None:
    """A whole PNG-signed file without a valid header is broken; the same bytes as a cut
    prefix are only of unknown size."""
    data = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40
    assert (read_image(data), read_image(data, complete=False)) == (
        ImageReading("png", None, "its PNG header does not decode"),
        ImageReading("png", None),
    )


def test_video_in_an_iso_file_is_not_an_image() -> None:
    """An MP4 (an ISO file without an image brand) is no image format browsers show."""
    data = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + b"\x00" * 32
    assert read_image(data).format is None
