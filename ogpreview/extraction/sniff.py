"""What a body is, by the signature its first bytes carry: a pure table, no I/O.

The patterns are the binary signatures of the WHATWG MIME Sniffing standard (image,
audio/video, font and archive patterns, PDF and PostScript), plus a few formats a link
may lead to that it predates (TIFF, JPEG XL, AVIF and HEIF, 7z, xz, bzip2, zstd). Each
begins with bytes no text document begins with (a NUL, a byte UTF-8 text never starts
with, or ASCII such as ``%PDF-`` or ``GIF89a``); the two- and three-letter ones (``BM``,
``ID3``, ``BZh``) must show more of their header, so a page is never taken for a file.
"""

from __future__ import annotations

__all__ = ["sniff"]

#: ``(pattern, mask, MIME type)``: the bytes under a 0xFF mask byte must equal the
#: pattern's; those under 0x00 are anything (the standard's pattern/mask pairs).
_Pattern = tuple[bytes, bytes, str]


def _exact(pattern: bytes, mime: str) -> _Pattern:
    return pattern, b"\xff" * len(pattern), mime


def _riff(form: bytes, mime: str) -> _Pattern:
    return b"RIFF\0\0\0\0" + form, b"\xff\xff\xff\xff\0\0\0\0" + b"\xff" * len(form), mime


_PATTERNS: tuple[_Pattern, ...] = (
    # Images (the standard's image type pattern table, BMP checked apart).
    _exact(b"\x00\x00\x01\x00", "image/x-icon"),
    _exact(b"\x00\x00\x02\x00", "image/x-icon"),  # a cursor
    _exact(b"GIF87a", "image/gif"),
    _exact(b"GIF89a", "image/gif"),
    _riff(b"WEBPVP", "image/webp"),
    _exact(b"\x89PNG\r\n\x1a\n", "image/png"),
    _exact(b"\xff\xd8\xff", "image/jpeg"),
    _exact(b"II*\x00", "image/tiff"),
    _exact(b"MM\x00*", "image/tiff"),
    _exact(b"\xff\x0a", "image/jxl"),  # a bare JPEG XL codestream
    _exact(b"\x00\x00\x00\x0cJXL \r\n\x87\n", "image/jxl"),
    # Audio and video (MP4 and its image cousins are boxes: see _iso_media).
    _exact(b"\x1a\x45\xdf\xa3", "video/webm"),  # EBML: WebM, or Matroska (_ebml)
    (b"FORM\0\0\0\0AIFF", b"\xff\xff\xff\xff\0\0\0\0\xff\xff\xff\xff", "audio/aiff"),
    _exact(b"OggS\x00", "application/ogg"),
    _exact(b"MThd\x00\x00\x00\x06", "audio/midi"),
    _riff(b"AVI ", "video/avi"),
    _riff(b"WAVE", "audio/wave"),
    # Fonts.
    _exact(b"\x00\x01\x00\x00", "font/ttf"),
    _exact(b"OTTO", "font/otf"),
    _exact(b"ttcf", "font/collection"),
    _exact(b"wOFF", "font/woff"),
    _exact(b"wOF2", "font/woff2"),
    # Archives.
    _exact(b"\x1f\x8b\x08", "application/gzip"),
    _exact(b"PK\x03\x04", "application/zip"),
    _exact(b"Rar \x1a\x07\x00", "application/vnd.rar"),
    _exact(b"Rar!\x1a\x07", "application/vnd.rar"),
    _exact(b"7z\xbc\xaf\x27\x1c", "application/x-7z-compressed"),
    _exact(b"\xfd7zXZ\x00", "application/x-xz"),
    _exact(b"\x28\xb5\x2f\xfd", "application/zstd"),
    # Documents.
    _exact(b"%PDF-", "application/pdf"),
    _exact(b"%!PS-Adobe-", "application/postscript"),
)

#: ISO base media file brands (the ``ftyp`` box) and what they make a file.
_AVIF_BRANDS = frozenset({b"avif", b"avis"})
_HEIC_BRANDS = frozenset({b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx"})
_HEIF_BRANDS = frozenset({b"mif1", b"msf1"})
_OTHER_BRANDS = {b"qt  ": "video/quicktime", b"M4A ": "audio/mp4", b"M4V ": "video/mp4"}
#: Sizes of a BMP's info header (BITMAPCOREHEADER .. BITMAPV5HEADER).
_BMP_HEADER_SIZES = frozenset({12, 16, 40, 52, 56, 64, 108, 124})


def _matches(data: bytes, pattern: bytes, mask: bytes) -> bool:
    if len(data) < len(pattern):
        return False
    return all(d & m == p & m for d, p, m in zip(data, pattern, mask, strict=False))


def _iso_media(data: bytes) -> str | None:
    """The standard's "matches the signature for MP4", extended to AVIF and HEIF images."""
    if len(data) < 12 or data[4:8] != b"ftyp":
        return None
    box_size = int.from_bytes(data[:4], "big")
    if box_size < 12 or box_size % 4 or len(data) < box_size:
        return None
    major = data[8:12]
    brands = [major, *(data[i : i + 4] for i in range(16, box_size - 3, 4))]
    if major in _AVIF_BRANDS or (major in _HEIF_BRANDS and _AVIF_BRANDS.intersection(brands)):
        return "image/avif"
    if major in _HEIC_BRANDS or (major in _HEIF_BRANDS and _HEIC_BRANDS.intersection(brands)):
        return "image/heic"
    if major in _HEIF_BRANDS:
        return "image/heif"
    if any(brand.startswith(b"mp4") for brand in brands):
        return "video/mp4"
    return _OTHER_BRANDS.get(major, "application/octet-stream")


def _bmp(data: bytes) -> bool:
    # "BM" alone begins words too ("BMW ..."): a BMP also has zeroed reserved bytes and
    # one of the known info header sizes.
    return (
        len(data) >= 18
        and data[6:10] == b"\0\0\0\0"
        and int.from_bytes(data[14:18], "little") in _BMP_HEADER_SIZES
    )


def _id3(data: bytes) -> bool:
    # An MP3's ID3v2 tag: "ID3", then a major version 2..4 (a control byte: not text).
    return len(data) >= 4 and data[3] in (2, 3, 4)


def sniff(data: bytes) -> str | None:
    """The MIME type of the file whose signature ``data`` begins with, or None when it
    begins with none of them (text, markup, or a format this table does not know)."""
    if len(data) < 2:
        return None
    for pattern, mask, mime in _PATTERNS:
        if data[0] == pattern[0] and _matches(data, pattern, mask):
            if mime == "video/webm" and b"webm" not in data[:64]:
                return "video/x-matroska"
            return mime
    if data.startswith(b"BM") and _bmp(data):
        return "image/bmp"
    if data.startswith(b"ID3") and _id3(data):
        return "audio/mpeg"
    if data.startswith(b"BZh") and data[4:10] == b"1AY&SY":
        return "application/x-bzip2"
    return _iso_media(data)
