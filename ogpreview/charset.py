"""Turning a page's bytes into text: BOM, then the header, then the page's own declaration,
then detection; the order browsers use (WHATWG "encoding sniffing")."""

from __future__ import annotations

import codecs
import re

import charset_normalizer
from charset_normalizer import CharsetMatch, CharsetMatches

__all__ = ["decode_html", "normalize_label", "sniff_encoding"]

#: How far into a page its own ``<meta charset>`` is looked for.
PRESCAN_BYTES = 4096
#: How much of an undeclared page the detector reads.
DETECT_SAMPLE_BYTES = 64 * 1024
#: Below this many non-ASCII bytes detection has too little evidence to beat the web's default.
MIN_DETECT_EVIDENCE = 24
#: What browsers assume for an undeclared, non-UTF-8 Western page.
FALLBACK_ENCODING = "cp1252"

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)

# Labels pages use, mapped to the superset browsers actually decode them with (WHATWG
# Encoding Standard): a page labelled latin-1 that uses cp1252 quotes must still come out right.
_SUPERSETS = {
    "latin_1": "cp1252",
    "iso8859_1": "cp1252",
    "ascii": "cp1252",
    "iso8859_9": "cp1254",
    "iso8859_11": "cp874",
    "tis_620": "cp874",
    "shift_jis": "cp932",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "euc_kr": "cp949",
    "big5": "big5hkscs",
}

# WHATWG labels Python's codec registry does not know.
_ALIASES = {
    "x-sjis": "cp932",
    "windows-31j": "cp932",
    "x-gbk": "gb18030",
    "x-cp1251": "cp1251",
    "x-cp1250": "cp1250",
    "x-euc-jp": "euc_jp",
    "x-mac-roman": "mac_roman",
    "x-mac-cyrillic": "mac_cyrillic",
    "unicode-1-1-utf-8": "utf-8",
}

_UTF8 = frozenset({"utf-8", "utf-8-sig"})

_META_CHARSET = re.compile(
    rb"""<meta[^>]{0,512}?charset\s*=\s*["']?\s*([A-Za-z0-9_.:\-]{1,40})""", re.IGNORECASE
)


def normalize_label(label: str | None) -> str | None:
    """The Python codec for a charset label, widened to what browsers use; None if unknown."""
    if not label:
        return None
    label = label.strip().strip("'\"").lower()
    try:
        name = codecs.lookup(_ALIASES.get(label, label)).name
    except (LookupError, ValueError):
        return None
    if name.replace("-", "_") == "utf_7":
        # The Encoding Standard has no UTF-7 and browsers ignore the label: honouring it
        # would let "+ADw-meta" spell tags a browser never sees.
        return None
    return _SUPERSETS.get(name.replace("-", "_"), name)


def _from_declaration(label: bytes | str | None) -> str | None:
    text = label.decode("ascii", "ignore") if isinstance(label, bytes) else label
    name = normalize_label(text)
    # Bytes we could read a label from are ASCII-compatible, so a UTF-16/32 label is a lie;
    # browsers take it as UTF-8.
    if name and name.startswith(("utf-16", "utf-32")):
        return "utf-8"
    return name


def _is_utf8(sample: bytes) -> bool:
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    try:
        decoder.decode(sample, final=len(sample) < DETECT_SAMPLE_BYTES)
    except UnicodeDecodeError:
        return False
    return True


def _detect(data: bytes) -> str:
    sample = data[:DETECT_SAMPLE_BYTES]
    if sample.isascii() or _is_utf8(sample):
        return "utf-8"
    evidence = sum(1 for b in sample if b >= 0x80)
    if evidence >= MIN_DETECT_EVIDENCE:
        matches = charset_normalizer.from_bytes(sample)
        best = matches.best()
        if best is not None and best.encoding:
            name = normalize_label(best.encoding)
            if name and name != FALLBACK_ENCODING and _ties_with_fallback(matches, best):
                # The detector ranks look-alikes (cp1250 for French text) equal to the
                # web's Western default; browsers would read windows-1252 there.
                return FALLBACK_ENCODING
            if name:
                return name
    return FALLBACK_ENCODING


def _ties_with_fallback(matches: CharsetMatches, best: CharsetMatch) -> bool:
    """Whether windows-1252 reads the bytes as well as the detector's best guess does."""
    return any(
        normalize_label(match.encoding) == FALLBACK_ENCODING
        and match.chaos <= best.chaos
        and match.coherence >= best.coherence
        for match in matches
    )


def sniff_encoding(data: bytes, content_type_charset: str | None = None) -> str:
    """The Python codec name to decode ``data`` with (see the module docstring for the order)."""
    for bom, name in _BOMS:
        if data.startswith(bom):
            return name
    declared = _from_declaration(content_type_charset)
    if not declared:
        match = _META_CHARSET.search(data, 0, PRESCAN_BYTES)
        declared = _from_declaration(match.group(1)) if match else None
    if declared and declared not in _UTF8:
        # A legacy label over bytes that are valid, non-ASCII UTF-8 is a stale label (pages
        # re-encoded by a CMS or a proxy keep their old meta): real cp1251 or Shift_JIS
        # text is practically never valid UTF-8 by accident.
        sample = data[:DETECT_SAMPLE_BYTES]
        if not sample.isascii() and _is_utf8(sample):
            return "utf-8"
    return declared or _detect(data)


def decode_html(data: bytes, content_type_charset: str | None = None) -> str:
    """Decode a page's bytes to text; never raises (undecodable bytes become U+FFFD)."""
    encoding = sniff_encoding(data, content_type_charset)
    try:
        return data.decode(encoding, "replace")
    except LookupError:  # a codec that exists but cannot decode (e.g. a pure encoder)
        return data.decode("utf-8", "replace")
