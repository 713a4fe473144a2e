"""Charset sniffing: BOM, then header, then the page's declaration, then detection."""

from __future__ import annotations

import codecs

import pytest

from ogpreview import extract
from ogpreview.extraction.charset import decode_html, normalize_label, sniff_encoding

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
        ("iso-8859-8-i", "iso8859-8"),
        ("windows-874", "cp874"),
        ("koi", "koi8-r"),
        ("x-cp1251", "cp1251"),
        ("iso-2022-kr", "replacement"),
        ("utf-7", None),
        ("base64", None),
        ("cp037", None),
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


HEBREW = "חדשות היום: תחזית מזג האוויר בתל אביב"
PAGE_URL = "https://example.com/"


@pytest.mark.parametrize("label", ["base64", "rot13", "hex", "zlib", "idna", "undefined", "cp037"])
def test_codec_names_that_are_not_web_encodings_are_ignored(label: str) -> None:
    """A label naming a Python codec that is no web encoding (base64, EBCDIC...) is
    ignored, in a meta as in the header: the page still extracts, never raises."""
    page = f'<meta charset="{label}"><title>Café</title>'.encode("cp1252")
    titles = (
        extract(page, PAGE_URL).title,
        extract(page, PAGE_URL, content_type=f"text/html; charset={label}").title,
    )
    assert titles == ("Café", "Café")


def test_a_header_utf16_label_decodes_a_page_without_bom() -> None:
    """UTF-16LE bytes with no BOM, labelled UTF-16LE by the header, decode as UTF-16LE
    (only a label inside the page itself is taken for UTF-8)."""
    page = f"<title>{RUSSIAN.strip()}</title>".encode("utf-16-le")
    card = extract(page, PAGE_URL, content_type="text/html; charset=utf-16le")
    assert card.title == RUSSIAN.strip()


def test_a_header_utf16_label_over_ascii_compatible_bytes_is_ignored() -> None:
    """A header saying UTF-16 over bytes with no NUL at all is wrong about them: the
    page's own declaration decides."""
    page = f'<meta charset="windows-1251"><title>{RUSSIAN.strip()}</title>'.encode("cp1251")
    card = extract(page, PAGE_URL, content_type="text/html; charset=utf-16")
    assert card.title == RUSSIAN.strip()


def test_a_whatwg_only_label_is_understood() -> None:
    """iso-8859-8-i (a label Python does not know) decodes Hebrew as browsers do."""
    page = f'<meta charset="iso-8859-8-i"><title>{HEBREW}</title>'.encode("iso8859-8")
    assert extract(page, PAGE_URL).title == HEBREW


@pytest.mark.parametrize(
    "before",
    [
        '<!-- <meta charset="utf-8"> -->',
        '<meta name="description" content="How to set charset=utf-8 in PHP">',
        "<div data-note='<meta charset=\"utf-8\">'></div>",
        '<meta data-charset="utf-8">',
        '<meta charset="x-unknown">',
        '<link href="/s.css"">',
        "<img alt=Today's>",
    ],
)
def test_the_prescan_reads_only_real_metas_with_known_labels(before: str) -> None:
    """Comments, attribute values, other attributes, unknown labels and stray quotes
    before the real <meta charset> neither decide the encoding nor hide that meta. (The
    title is too short for detection to find the encoding on its own.)"""
    page = f'{before}<meta charset="windows-1251"><title>Привет</title>'.encode("cp1251")
    assert sniff_encoding(page) == "cp1251"


def test_a_replacement_label_yields_an_empty_page() -> None:
    """A page labelled ISO-2022-KR is not decoded as such (browsers show one U+FFFD):
    its card has no title and no description."""
    page = b'<meta charset="iso-2022-kr"><title>\x1b$)C\x0e!!\x0f</title><p>text</p>'
    card = extract(page, PAGE_URL)
    assert (card.title, card.description, decode_html(page)) == (None, None, "\ufffd")


def test_a_header_label_with_undecodable_bytes_is_ignored() -> None:
    """A Content-Type charset holding bytes that were not ASCII (they arrive as lone
    surrogates) is no label: the page still extracts."""
    card = extract(b"<title>Plain</title>", PAGE_URL, content_type="text/html; charset=\udcff")
    assert card.title == "Plain"


ARABIC = "الأخبار اليومية: توقعات الطقس في القاهرة والإسكندرية وحركة المرور في المدينة. " * 3


def test_undeclared_arabic_is_detected() -> None:
    """An undeclared ISO-8859-6 page is read as Arabic, not in a look-alike code page."""
    page = f"<p>{ARABIC}</p>".encode("iso8859-6")
    assert ARABIC in decode_html(page)
