"""sniff(): files told by their signatures (WHATWG MIME Sniffing), and text never taken
for a file."""

from __future__ import annotations

import bz2
import gzip
import lzma

import pytest

from ogpreview.extraction.sniff import sniff
from tests.conftest import FIXTURES
from tests.servers import PNG_1X1

SITE = FIXTURES / "site"


def _ftyp(major: bytes, *compatible: bytes) -> bytes:
    body = b"ftyp" + major + b"\0\0\0\0" + b"".join(compatible)
    return (len(body) + 4).to_bytes(4, "big") + body + b"\0\0\0\x08free"


def _bmp() -> bytes:
    # File header (size, reserved zeros, pixel offset), then a 40-byte info header.
    return (
        b"BM"
        + (58).to_bytes(4, "little")
        + b"\0" * 4
        + (54).to_bytes(4, "little")
        + ((40).to_bytes(4, "little") + (1).to_bytes(4, "little") * 2 + b"\0" * 28)
    )


SIGNED = [
    (PNG_1X1, "image/png"),
    ((SITE / "wide.png").read_bytes(), "image/png"),
    (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01", "image/jpeg"),
    (b"GIF87a\x01\x00\x01\x00\x80\x00\x00", "image/gif"),
    (b"GIF89a\x01\x00\x01\x00\x80\x00\x00", "image/gif"),
    (b"RIFF\x1a\x00\x00\x00WEBPVP8L\x0d\x00\x00\x00", "image/webp"),
    (_bmp(), "image/bmp"),
    (b"\x00\x00\x01\x00\x01\x00\x10\x10\x00\x00", "image/x-icon"),
    (b"\x00\x00\x02\x00\x01\x00\x20\x20\x00\x00", "image/x-icon"),
    (b"II*\x00\x08\x00\x00\x00", "image/tiff"),
    (b"MM\x00*\x00\x00\x00\x08", "image/tiff"),
    (b"\xff\x0a\xfa\x7f\x01\x90\x08", "image/jxl"),
    (b"\x00\x00\x00\x0cJXL \r\n\x87\n\x00\x00\x00\x14ftypjxl ", "image/jxl"),
    (_ftyp(b"avif", b"mif1", b"miaf"), "image/avif"),
    (_ftyp(b"mif1", b"avif", b"miaf"), "image/avif"),
    (_ftyp(b"heic", b"mif1", b"heic"), "image/heic"),
    (_ftyp(b"mif1", b"mif1"), "image/heif"),
    (_ftyp(b"isom", b"isom", b"iso2", b"mp41"), "video/mp4"),
    (_ftyp(b"mp42", b"isom"), "video/mp4"),
    (_ftyp(b"qt  ", b"qt  "), "video/quicktime"),
    (b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x84webm\x42\x87", "video/webm"),
    (b"\x1a\x45\xdf\xa3\xa3\x42\x86\x81\x01\x42\x82\x88matroska", "video/x-matroska"),
    (b"OggS\x00\x02\x00\x00\x00\x00", "application/ogg"),
    (b"RIFF\x24\x00\x00\x00WAVEfmt ", "audio/wave"),
    (b"RIFF\x24\x00\x00\x00AVI LIST", "video/avi"),
    (b"FORM\x00\x00\x00\x2eAIFFCOMM", "audio/aiff"),
    (b"MThd\x00\x00\x00\x06\x00\x01\x00\x02", "audio/midi"),
    (b"ID3\x04\x00\x00\x00\x00\x00\x23TSSE", "audio/mpeg"),
    (b"\x00\x01\x00\x00\x00\x10\x01\x00\x00\x04", "font/ttf"),
    (b"OTTO\x00\x0b\x00\x80\x00\x03", "font/otf"),
    (b"ttcf\x00\x01\x00\x00\x00\x02", "font/collection"),
    (b"wOFF\x00\x01\x00\x00\x00\x00", "font/woff"),
    (b"wOF2\x00\x01\x00\x00\x00\x00", "font/woff2"),
    (gzip.compress(b"a gzipped page"), "application/gzip"),
    ((SITE / "archive.zip").read_bytes(), "application/zip"),
    (b"Rar!\x1a\x07\x01\x00\x33\x92", "application/vnd.rar"),
    (b"Rar \x1a\x07\x00\xcf\x90", "application/vnd.rar"),
    (b"7z\xbc\xaf\x27\x1c\x00\x04", "application/x-7z-compressed"),
    (lzma.compress(b"x"), "application/x-xz"),
    (bz2.compress(b"x"), "application/x-bzip2"),
    (b"\x28\xb5\x2f\xfd\x24\x01\x09\x00\x00x", "application/zstd"),
    ((SITE / "report.pdf").read_bytes(), "application/pdf"),
    (b"%!PS-Adobe-3.0\n%%Title: x\n", "application/postscript"),
]


@pytest.mark.parametrize(("data", "mime"), SIGNED, ids=[m for _, m in SIGNED])
def test_signature_names_the_file(data: bytes, mime: str) -> None:
    """Each signature gives its file's MIME type."""
    assert sniff(data) == mime


TEXT = [
    b"",
    b"<",
    b"<!doctype html><title>A page</title>",
    b"\xef\xbb\xbf<html><head><title>BOM</title>",
    "\ufeff<html>".encode("utf-16-le"),
    "\ufeff<html>".encode("utf-16-be"),
    b"  %PDF-1.4 is how a PDF begins",  # a page about PDFs, not one
    b"BMW drives the last page of the year",
    b"ID3 tags explained: a page",
    b"BZh is how bzip2 begins",
    b"GIF is pronounced with a hard g",
    b"Rar! said the lion",
    b"\x00\x00\x00\x20ftypavif",  # an ftyp box cut short
    "<p>Ünïcödé</p>".encode(),
]


@pytest.mark.parametrize("data", TEXT)
def test_text_and_markup_are_no_file(data: bytes) -> None:
    """Pages, text, and signatures' look-alikes are not taken for a file."""
    assert sniff(data) is None
