"""An image's format and size from its first bytes, for every format browsers show (pure:
``ogpreview.fetch.imageprobe`` fetches those bytes).

PNG, GIF, JPEG, WebP, AVIF, HEIC/HEIF, BMP and TIFF are read by ``imagesize`` (the field's
maintained header reader), always from the bytes in memory: never give it a ``str``, which
it opens as a path or fetches as a URL. It has no ICO or JPEG XL reader, and its SVG one
is wrong for previews (it needs the file to start with ``<?xml`` or ``<svg``, takes the
first ``width=`` anywhere, even a child's, ignores ``viewBox``, fails on ``100%`` and on a
multi-byte character cut at its 1 KB window), so those three are read here, each from a
bounded prefix.
"""

from __future__ import annotations

import io
import re
import struct
from collections.abc import Callable
from dataclasses import dataclass

import imagesize

from ogpreview.card import MAX_IMAGE_SIDE

__all__ = [
    "BROWSER_FORMATS",
    "ImageReading",
    "image_format",
    "image_size",
    "read_image",
]

#: The formats a browser shows in ``<img>`` (HEIC, TIFF and JPEG XL in Safari).
BROWSER_FORMATS = frozenset(
    {"png", "gif", "jpeg", "webp", "avif", "heic", "svg", "ico", "bmp", "tiff", "jxl"}
)
#: Bytes of an SVG searched for its root element: prolog, comments and doctype come first.
SVG_SCAN_BYTES = 16 * 1024
_AVIF_BRANDS = frozenset({b"avif", b"avis"})
_HEIF_BRANDS = frozenset({b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"})
_JXL_CONTAINER = b"\x00\x00\x00\x0cJXL \r\n\x87\n"
_PNG = b"\x89PNG\r\n\x1a\n"

Size = tuple[int, int]


@dataclass(frozen=True, slots=True)
class ImageReading:
    """What an image's first bytes tell: its format (None when it is no format a browser
    shows), its size when the bytes hold it, and ``problem`` when the bytes cannot be an
    image a browser shows (the image is broken: a definitive answer, not a lack of bytes)."""

    format: str | None
    size: Size | None
    problem: str | None = None


def _valid(width: float, height: float) -> Size | None:
    w, h = round(width), round(height)
    return (w, h) if 0 < w <= MAX_IMAGE_SIDE and 0 < h <= MAX_IMAGE_SIDE else None


# --- formats -----------------------------------------------------------------------------


def _iso_format(data: bytes) -> str | None:
    """avif or heic for an ISO-BMFF file whose ftyp names an image brand (not MP4 video)."""
    (size,) = struct.unpack(">I", data[:4])
    end = min(len(data), size if size >= 16 else 16)
    brands = {data[8:12]} | {data[i : i + 4] for i in range(16, end - 3, 4)}
    if brands & _AVIF_BRANDS:
        return "avif"
    return "heic" if brands & _HEIF_BRANDS else None


def _is_ico(data: bytes) -> bool:
    # 0 reserved, 1 (icon) or 2 (cursor), a count; the first entry's reserved byte is 0.
    return (
        data[:4] in (b"\0\0\1\0", b"\0\0\2\0")
        and len(data) >= 6
        and struct.unpack("<H", data[4:6])[0] > 0
        and (len(data) < 10 or data[9] == 0)
    )


def image_format(data: bytes) -> str | None:
    """The browser image format the bytes' signature names, or None."""
    if data.startswith(_PNG):
        return "png"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith(b"RIFF") and data[8:12] == b"WEBP":
        return "webp"
    if data[4:8] == b"ftyp" and len(data) >= 12:
        return _iso_format(data)
    if data.startswith((b"\xff\x0a", _JXL_CONTAINER)):
        return "jxl"
    if data[:4] in (b"II*\0", b"MM\0*", b"II+\0"):
        return "tiff"
    if data.startswith(b"BM") and len(data) >= 14:
        return "bmp"
    if _is_ico(data):
        return "ico"
    if _svg_root(data) is not None:
        return "svg"
    return None


# --- readers imagesize lacks ------------------------------------------------------------------


def _ico(data: bytes) -> Size | None:
    """The largest icon of an ICO/CUR directory (a 0 side means 256, or the embedded
    PNG's own size when it is in the bytes read)."""
    (count,) = struct.unpack("<H", data[4:6])
    best: Size | None = None
    for i in range(count):
        entry = data[6 + 16 * i : 22 + 16 * i]
        if len(entry) < 16:
            break
        size = _valid(entry[0] or 256, entry[1] or 256)
        (offset,) = struct.unpack("<I", entry[12:16])
        embedded = data[offset : offset + 24]
        if embedded.startswith(_PNG) and embedded[12:16] == b"IHDR":
            size = _valid(*struct.unpack(">II", embedded[16:24])) or size
        if size is not None and (best is None or size[0] * size[1] > best[0] * best[1]):
            best = size
    return best


class _Bits:
    """JPEG XL's bit reader: least significant bit first."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def u(self, n: int) -> int:
        value = 0
        for i in range(n):
            byte = self.pos >> 3
            if byte >= len(self.data):
                raise ValueError("JPEG XL header cut short")
            value |= ((self.data[byte] >> (self.pos & 7)) & 1) << i
            self.pos += 1
        return value

    def size_side(self) -> int:
        # U32(BitsOffset(9, 1), BitsOffset(13, 1), BitsOffset(18, 1), BitsOffset(30, 1))
        return 1 + self.u((9, 13, 18, 30)[self.u(2)])


_JXL_RATIOS = {1: (1, 1), 2: (12, 10), 3: (4, 3), 4: (3, 2), 5: (16, 9), 6: (5, 4), 7: (2, 1)}


def _jxl_size_header(bits: _Bits) -> Size:
    small = bits.u(1)
    height = (bits.u(5) + 1) * 8 if small else bits.size_side()
    ratio = bits.u(3)
    if ratio:
        num, den = _JXL_RATIOS[ratio]
        return height * num // den, height
    width = (bits.u(5) + 1) * 8 if small else bits.size_side()
    return width, height


def _jxl_codestream(data: bytes) -> bytes | None:
    if data.startswith(b"\xff\x0a"):
        return data
    pos = 0
    while pos + 8 <= len(data):  # the container's boxes: jxlc holds it, jxlp a part
        size, kind = struct.unpack(">I4s", data[pos : pos + 8])
        head = 8
        if size == 1:
            if pos + 16 > len(data):
                return None
            (size,) = struct.unpack(">Q", data[pos + 8 : pos + 16])
            head = 16
        if kind == b"jxlc":
            return data[pos + head :]
        if kind == b"jxlp":
            return data[pos + head + 4 :]
        if size < head:  # 0 (to the end) or malformed: no codestream box after it
            return None
        pos += size
    return None


def _jxl(data: bytes) -> Size | None:
    """The SizeHeader (and the display size and orientation of ImageMetadata, when set)
    at the start of a JPEG XL codestream, bare or in its container."""
    stream = _jxl_codestream(data)
    if stream is None or not stream.startswith(b"\xff\x0a"):
        return None
    bits = _Bits(stream[2:])
    try:
        width, height = _jxl_size_header(bits)
        if not bits.u(1) and bits.u(1):  # not all_default, extra_fields
            orientation = 1 + bits.u(3)
            if bits.u(1):  # have_intrinsic_size: the size to display it at
                width, height = _jxl_size_header(bits)
            if orientation > 4:  # a transposing orientation shows it on its side
                width, height = height, width
    except ValueError:
        return None
    return _valid(width, height)


_XML_NAME = re.compile(r"[A-Za-z_][\w.\-]*(?::[A-Za-z_][\w.\-]*)?")
_ATTRIBUTE = re.compile(r"""\s+([^\s=/>]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_TAG_END = re.compile(r"\s*/?>")
_DOCTYPE_END = re.compile(r"\[.*?\]\s*>|>", re.DOTALL)
_LENGTH = re.compile(r"\s*(\+?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)\s*(px|pt|pc|mm|cm|in|q)?\s*")
_PX_PER_UNIT = {"px": 1.0, "pt": 96 / 72, "pc": 16.0, "mm": 96 / 25.4, "cm": 96 / 2.54,
                "in": 96.0, "q": 96 / 101.6}  # fmt: skip
_VIEWBOX = re.compile(r"[\s,]+")


def _svg_root(data: bytes) -> dict[str, str] | None:
    """The root element's attributes when the bytes are an SVG document, else None: the
    XML declaration, comments, processing instructions and a doctype may come first."""
    text = data[:SVG_SCAN_BYTES].decode("utf-8", errors="replace").lstrip("\ufeff")
    pos = 0
    while True:
        while pos < len(text) and text[pos].isspace():
            pos += 1
        if text.startswith("<?", pos):
            end = text.find("?>", pos)
            pos = -1 if end < 0 else end + 2
        elif text.startswith("<!--", pos):
            end = text.find("-->", pos)
            pos = -1 if end < 0 else end + 3
        elif text[pos : pos + 9].upper() == "<!DOCTYPE":
            match = _DOCTYPE_END.search(text, pos)
            pos = -1 if match is None else match.end()
        else:
            break
        if pos < 0:
            return None
    name = _XML_NAME.match(text, pos + 1) if text.startswith("<", pos) else None
    if name is None or name.group().rpartition(":")[2] != "svg":
        return None
    attributes: dict[str, str] = {}
    pos = name.end()
    while (attribute := _ATTRIBUTE.match(text, pos)) is not None:
        attributes[attribute.group(1)] = attribute.group(2) or attribute.group(3) or ""
        pos = attribute.end()
    return attributes if _TAG_END.match(text, pos) else None


def _svg_length(value: str | None) -> float | None:
    """An absolute length in CSS pixels; None for a missing, relative (%, em) or bad one."""
    match = _LENGTH.fullmatch(value) if value is not None else None
    if match is None:
        return None
    number = float(match.group(1)) * _PX_PER_UNIT[(match.group(2) or "px").lower()]
    return number if number > 0 else None


def _svg(data: bytes) -> Size | None:
    """width and height when both are absolute; else the one given and viewBox's ratio,
    or viewBox's own size: what a browser draws the image at."""
    attributes = _svg_root(data)
    if attributes is None:
        return None
    width, height = _svg_length(attributes.get("width")), _svg_length(attributes.get("height"))
    if width is not None and height is not None:
        return _valid(width, height)
    try:
        box = [float(n) for n in _VIEWBOX.split(attributes.get("viewBox", "").strip())]
    except ValueError:
        return None
    if len(box) != 4 or box[2] <= 0 or box[3] <= 0:
        return None
    ratio = box[2] / box[3]
    if width is not None:
        return _valid(width, width / ratio)
    if height is not None:
        return _valid(height * ratio, height)
    return _valid(box[2], box[3])


def _by_imagesize(data: bytes) -> Size | None:
    # A seekable stream over the bytes we have: imagesize seeks, and any read past them
    # finds the end (it then answers (-1, -1)). exif_rotation: the size as displayed.
    width, height = imagesize.get(io.BytesIO(data), exif_rotation=True)
    return _valid(width, height)


_READERS: dict[str, Callable[[bytes], Size | None]] = {"ico": _ico, "jxl": _jxl, "svg": _svg}


# --- the answer ---------------------------------------------------------------------------------


def read_image(data: bytes, *, complete: bool = True) -> ImageReading:
    """The format and size in an image's first bytes. ``complete`` says whether ``data``
    is the whole file: when it is only a prefix and the size is not in it (a JPEG or a TIFF
    can keep it past the metadata), the image is not called broken."""
    kind = image_format(data)
    if kind is None:
        return ImageReading(None, None, "it is not an image format browsers show")
    size = _READERS.get(kind, _by_imagesize)(data)
    if size is not None or not complete or kind == "svg":  # an SVG may have no size at all
        return ImageReading(kind, size)
    return ImageReading(kind, None, f"its {kind.upper()} header does not decode")


def image_size(data: bytes) -> Size | None:
    """``(width, height)`` read from an image's first bytes, or None if unknown/broken."""
    return read_image(data).size
