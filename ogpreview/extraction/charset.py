"""Turning a page's bytes into text: BOM, then the header, then the page's own declaration,
then detection; the order browsers use (WHATWG "encoding sniffing")."""

from __future__ import annotations

import codecs
import re

import charset_normalizer
import webencodings
from charset_normalizer import CharsetMatch, CharsetMatches

__all__ = ["REPLACEMENT", "decode_html", "decode_text", "normalize_label", "sniff_encoding"]

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

#: What :func:`sniff_encoding` returns for the Encoding Standard's "replacement" labels
#: (ISO-2022-KR, HZ-GB-2312, ...): browsers refuse to decode such a page, and show one
#: U+FFFD instead; :func:`decode_html` does the same.
REPLACEMENT = "replacement"
# Its labels, listed here: webencodings before 0.6 still maps them to their old codecs.
_REPLACEMENT_LABELS = frozenset(
    {"csiso2022kr", "hz-gb-2312", "iso-2022-cn", "iso-2022-cn-ext", "iso-2022-kr", "replacement"}
)

# The Encoding Standard's decoders for these are wider than the Python codecs of the same
# name (its GBK decoder is its gb18030 decoder; Shift_JIS, EUC-KR and Big5 take the
# Windows and HKSCS extensions): the narrow codec would turn valid characters into U+FFFD.
# Keyed by the standard's names, whatever codec webencodings' version pairs them with.
_WIDER = {"gbk": "gb18030", "shift_jis": "cp932", "euc-kr": "cp949", "big5": "big5hkscs"}
_UTF8 = frozenset({"utf-8", "utf-8-sig"})


def normalize_label(label: str | bytes | None) -> str | None:
    """The Python codec for an Encoding Standard label (the names browsers accept, each
    mapped to the decoder browsers use: latin1 and ascii are windows-1252, shift_jis is
    cp932, ...); :data:`REPLACEMENT` for the labels browsers refuse; None for anything
    else (unknown names, and codecs that are not web encodings: utf-7, base64, cp037)."""
    if isinstance(label, bytes):
        label = label.decode("ascii", "ignore")
    if not label:
        return None
    label = label.strip().strip("'\"")
    if not label.isascii():  # no label is (a header's stray bytes arrive as surrogates)
        return None
    if label.lower() in _REPLACEMENT_LABELS:
        return REPLACEMENT
    encoding = webencodings.lookup(label)
    if encoding is None:
        return None
    if encoding.name == "x-user-defined":  # its decoder maps bytes to private-use code points
        return FALLBACK_ENCODING
    codec: str = encoding.codec_info.name
    return _WIDER.get(encoding.name, codec)


def _from_meta(label: bytes) -> str | None:
    name = normalize_label(label)
    # Bytes a label was read from are ASCII-compatible, so a UTF-16 label there is a lie;
    # the Encoding Standard reads it as UTF-8. (A header's UTF-16 label is believed.)
    return "utf-8" if name is not None and name.startswith("utf-16") else name


# The prescan (the Encoding Standard's "prescan a byte stream to determine its encoding",
# as browsers run it over a page's first bytes): what starts at a "<".
# A tag's attributes as the standard reads them: a name, then optionally "=" and a value
# (quoted, or unquoted up to white space or ">").
_ATTRS_SRC = (
    rb"""(?:[\t\n\f\r /]++|[^\t\n\f\r />][^\t\n\f\r /=>]*+"""
    rb"""(?:[\t\n\f\r ]*+=[\t\n\f\r ]*+(?:"[^"]*+"|'[^']*+'|(?!["'])[^\t\n\f\r >]*+)"""
    rb"""|(?![\t\n\f\r ]*=)))*+"""
)
_PRESCAN_ATTRS = re.compile(rb"(" + _ATTRS_SRC + rb")>")
# Everything the prescan steps over, up to the next <meta (or to what it cannot finish).
_PRESCAN_SKIP = re.compile(
    rb"(?:[^<]++|<!(?=--)(?s:.*?)-->|<(?!meta[\t\n\f\r /])/?[A-Za-z][^\t\n\f\r >]*+"
    + _ATTRS_SRC
    + rb">|<(?!!--)(?:!|\?|/(?![A-Za-z]))[^>]*+>|<(?![!/?A-Za-z]))*+",
    re.IGNORECASE,
)
_PRESCAN_META = re.compile(rb"<meta[\t\n\f\r /]", re.IGNORECASE)
_PRESCAN_ATTR = re.compile(
    rb"""([^\t\n\f\r />][^\t\n\f\r /=>]*)(?:[\t\n\f\r ]*=[\t\n\f\r ]*"""
    rb"""(?:"([^"]*)"|'([^']*)'|([^\t\n\f\r >]*)))?"""
)
_CONTENT_CHARSET = re.compile(rb"charset[\t\n\f\r ]*=", re.IGNORECASE)


def _charset_in_content(content: bytes) -> bytes | None:
    """The label in a ``content="text/html; charset=..."`` value, as the Encoding
    Standard's "extracting a character encoding from a meta element" reads it."""
    for match in _CONTENT_CHARSET.finditer(content):
        rest = content[match.end() :].lstrip(b"\t\n\f\r ")
        if rest[:1] in (b'"', b"'"):
            end = rest.find(rest[:1], 1)
            return rest[1:end] if end > 0 else None
        value = re.match(rb"[^\t\n\f\r ;]*", rest)
        return value.group(0) if value and value.group(0) else None
    return None


def _meta_label(attributes: bytes) -> bytes | None:
    attrs: dict[bytes, bytes] = {}
    for name, dq, sq, bare in _PRESCAN_ATTR.findall(attributes):
        attrs.setdefault(name.lower(), dq or sq or bare)
    if b"charset" in attrs:
        return attrs[b"charset"]
    if attrs.get(b"http-equiv", b"").strip().lower() == b"content-type" and b"content" in attrs:
        return _charset_in_content(attrs[b"content"])
    return None


def _prescan(data: bytes) -> str | None:
    """The encoding the first ``<meta>`` declaring a known label names, reading the first
    :data:`PRESCAN_BYTES` as a browser does: comments, other tags (and ``<meta`` text in
    their attribute values) are stepped over; a meta whose label is unknown is skipped.
    As in the standard, a quote opens a value only after "=": a stray quote in a tag
    (``href="/s.css""``) does not swallow the markup after it."""
    end = min(len(data), PRESCAN_BYTES)
    pos = 0
    while True:
        skipped = _PRESCAN_SKIP.match(data, pos, end)
        assert skipped is not None  # it matches the empty string too
        pos = skipped.end()
        meta = _PRESCAN_META.match(data, pos, end)
        if meta is None:
            return None
        attrs = _PRESCAN_ATTRS.match(data, meta.end(), end)
        if attrs is None:
            return None
        pos = attrs.end()
        if (label := _meta_label(attrs.group(1))) and (name := _from_meta(label)) is not None:
            return name


def _is_utf8(sample: bytes) -> bool:
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    try:
        decoder.decode(sample, final=len(sample) < DETECT_SAMPLE_BYTES)
    except UnicodeDecodeError:
        return False
    return True


#: What detection may answer (Python codec names): the legacy encodings pages still use,
#: each one the Encoding Standard has, so no page is read in a code page no browser knows
#: (cp1125, iso8859-10, euc_jis_2004 are the detector's look-alikes of real ones).
DETECTABLE = (
    "cp1250", "cp1251", "cp1252", "cp1253", "cp1254", "cp1255", "cp1256", "cp1257",
    "cp1258", "iso8859_2", "iso8859_5", "iso8859_6", "iso8859_7", "iso8859_15", "koi8_r",
    "koi8_u", "cp866", "cp874", "cp932", "euc_jp", "gb18030", "big5", "cp949", "mac_roman",
)  # fmt: skip
# Detector answers widened to the decoder browsers use for them.
_DETECTED_WIDER = {
    "shift_jis": "cp932",
    "euc_kr": "cp949",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "big5": "big5hkscs",
    "iso8859-1": "cp1252",
    "ascii": "cp1252",
}


def _from_detector(name: str | None) -> str | None:
    try:
        canonical = codecs.lookup(name or "").name
    except LookupError:
        return None
    return _DETECTED_WIDER.get(canonical, canonical)


def _detect(data: bytes) -> str:
    sample = data[:DETECT_SAMPLE_BYTES]
    if sample.isascii() or _is_utf8(sample):
        return "utf-8"
    evidence = sum(1 for b in sample if b >= 0x80)
    if evidence >= MIN_DETECT_EVIDENCE:
        matches = charset_normalizer.from_bytes(sample, cp_isolation=list(DETECTABLE))
        best = matches.best()
        if best is not None and best.encoding:
            name = _from_detector(best.encoding)
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
        _from_detector(match.encoding) == FALLBACK_ENCODING
        and match.chaos <= best.chaos
        and match.coherence >= best.coherence
        for match in matches
    )


def _bom_encoding(data: bytes) -> str | None:
    """The codec a byte order mark at the start of ``data`` names (it consumes the mark)."""
    for bom, name in _BOMS:
        if data.startswith(bom):
            return name
    return None


def sniff_encoding(data: bytes, content_type_charset: str | None = None) -> str:
    """The Python codec name to decode ``data`` with (see the module docstring for the order)."""
    if (bom := _bom_encoding(data)) is not None:
        return bom
    declared = normalize_label(content_type_charset)
    if declared is not None and declared.startswith("utf-16") and b"\x00" not in data[:1024]:
        # UTF-16 markup is half NUL bytes; without any, the header is wrong about the
        # body (browsers would show it garbled): read the page's own declaration instead.
        declared = None
    declared = declared or _prescan(data)
    if declared == REPLACEMENT:
        return REPLACEMENT
    if declared and declared not in _UTF8 and not declared.startswith("utf-16"):
        # A legacy label over bytes that are valid, non-ASCII UTF-8 is a stale label (pages
        # re-encoded by a CMS or a proxy keep their old meta): real cp1251 or Shift_JIS
        # text is practically never valid UTF-8 by accident.
        sample = data[:DETECT_SAMPLE_BYTES]
        if not sample.isascii() and _is_utf8(sample):
            return "utf-8"
    return declared or _detect(data)


def decode_text(data: bytes, label: str | None = None) -> str:
    """Decode text that is not a page (a request body) as the Encoding Standard's
    "decode" does: a BOM wins, then the label's encoding; a label that names no web
    encoding (idna, punycode, rot13, base64, an unknown name) or none at all reads as
    UTF-8, and a "replacement" label (ISO-2022-KR) as one U+FFFD. Never raises."""
    return _decode(data, _bom_encoding(data) or normalize_label(label) or "utf-8")


def decode_html(data: bytes, content_type_charset: str | None = None) -> str:
    """Decode a page's bytes to text; never raises (undecodable bytes become U+FFFD)."""
    return _decode(data, sniff_encoding(data, content_type_charset))


def _decode(data: bytes, encoding: str) -> str:
    if encoding == REPLACEMENT:
        return "\ufffd" if data else ""
    return data.decode(encoding, "replace")
