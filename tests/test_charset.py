"""Charset sniffing: BOM, then header, then the page's declaration, then detection."""

from __future__ import annotations

import codecs

import pytest

from ogpreview.charset import decode_html, normalize_label, sniff_encoding

RUSSIAN = "Привет, мир! Это страница о погоде и новостях. " * 4


def test_bom_beats_the_header() -> None:
    """A UTF-8 BOM wins over a Content-Type charset that says otherwise."""
    assert sniff_encoding(codecs.BOM_UTF8 + b"<p>x</p>", "windows-1251") == "utf-8-sig"


def test_header_beats_meta() -> None:
    """The Content-Type charset wins over the page's own <meta charset>."""
    page = f'<meta charset="utf-8"><p>{RUSSIAN}</p>'.encode("cp1251")
    assert sniff_encoding(page, "windows-1251") == "cp1251"


def test_meta_charset_is_read() -> None:
    """Without a header, <meta charset> decides."""
    page = f'<meta charset="windows-1251"><p>{RUSSIAN}</p>'.encode("cp1251")
    assert decode_html(page) == f'<meta charset="windows-1251"><p>{RUSSIAN}</p>'


def test_http_equiv_charset_is_read() -> None:
    """The http-equiv Content-Type form of the declaration counts too."""
    page = b'<meta http-equiv="Content-Type" content="text/html; charset=Shift_JIS">'
    assert sniff_encoding(page) == "cp932"


def test_stale_legacy_label_over_utf8_bytes_is_utf8() -> None:
    """A legacy label over valid non-ASCII UTF-8 bytes is a stale label: UTF-8 wins."""
    page = f'<meta charset="windows-1251"><p>{RUSSIAN}</p>'.encode()
    assert sniff_encoding(page) == "utf-8"


def test_undeclared_cyrillic_is_detected() -> None:
    """An undeclared cp1251 page is detected as a Cyrillic encoding and decodes right."""
    page = f"<p>{RUSSIAN}</p>".encode("cp1251")
    assert RUSSIAN in decode_html(page)


def test_little_evidence_falls_back_to_windows_1252() -> None:
    """A handful of non-ASCII bytes is decoded the way browsers do: windows-1252."""
    assert decode_html(b"<title>\xf3</title>") == "<title>ó</title>"


def test_unknown_declared_charset_is_ignored() -> None:
    """An unknown label does not stop decoding; UTF-8 content still comes out right."""
    assert decode_html('<meta charset="x-bogus"><p>é</p>'.encode()) == (
        '<meta charset="x-bogus"><p>é</p>'
    )


@pytest.mark.parametrize(
    ("label", "codec"),
    [
        ("ISO-8859-1", "cp1252"),
        ("latin1", "cp1252"),
        ("us-ascii", "cp1252"),
        ("Shift_JIS", "cp932"),
        ("x-sjis", "cp932"),
        ("GB2312", "gb18030"),
        ("gbk", "gb18030"),
        ("euc-kr", "cp949"),
        ("utf8", "utf-8"),
        ("nonsense", None),
        ("", None),
    ],
)
def test_labels_map_to_what_browsers_decode(label: str, codec: str | None) -> None:
    """Labels widen to the WHATWG superset encodings browsers really use."""
    assert normalize_label(label) == codec


def test_a_utf16_declaration_in_the_page_means_utf8() -> None:
    """A page cannot declare UTF-16 in ASCII bytes; browsers read it as UTF-8."""
    assert sniff_encoding(b'<meta charset="utf-16"><p>x</p>') == "utf-8"
