"""Cleaning and bounding the text a page gives us."""

from __future__ import annotations

import html
import re
from html.entities import html5 as _NAMED_REFS

__all__ = [
    "ascii_int",
    "clean_text",
    "has_surrogates",
    "scrub_surrogates",
    "truncate",
    "unescape_attribute",
]

ELLIPSIS = "…"

# C0/C1 controls, invisible format characters and the noncharacters U+FFFE/U+FFFF: a
# title should never carry them.
_INVISIBLE = re.compile(
    r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b-\u200d\u2060\ufeff\ufffe\uffff]"
)
_SPACE = re.compile(r"\s+")
# Lone UTF-16 surrogates (JSON "\ud800" decodes to one) are not text: nothing can encode them.
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_ENTITY = re.compile(r"&(?:#\d{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
#: Longest raw input worth cleaning; anything beyond is cut first so a 1 MB title costs nothing.
RAW_TEXT_CAP = 20_000


def clean_text(value: str | None, *, limit: int | None = None) -> str | None:
    """Collapse white space, drop control characters, decode stray entities; None if empty.

    Parsers decode entities once; sites that escape twice ("It&amp;#39;s") still show a
    clean quote. ``limit`` cuts the result on a word boundary.
    """
    if not value:
        return None
    if len(value) > RAW_TEXT_CAP:
        value = value[:RAW_TEXT_CAP]
    if "&" in value and _ENTITY.search(value):
        value = html.unescape(value)
    if value.isascii() and value.isprintable():  # most values: no controls, tabs, newlines
        if "  " in value:
            value = _SPACE.sub(" ", value)
        value = value.strip()
    else:
        value = _SPACE.sub(" ", _INVISIBLE.sub("", value)).strip()
        if has_surrogates(value):
            value = scrub_surrogates(value)
    if not value:
        return None
    return truncate(value, limit) if limit is not None else value


def truncate(text: str, limit: int) -> str:
    """Cut ``text`` to at most ``limit`` characters plus an ellipsis, on a word boundary
    when one falls in the last third."""
    if len(text) <= limit:
        return text
    cut = text[:limit]
    space = cut.rfind(" ")
    if space > limit * 2 // 3:
        cut = cut[:space]
    return cut.rstrip(" ,;:-–—") + ELLIPSIS


def ascii_int(text: str, *, max_digits: int = 18) -> int | None:
    """``text`` as a non-negative decimal integer if it is 1 to ``max_digits`` ASCII digits,
    else None. ``str.isdigit`` is true for "²" and ``int`` reads "٣" and "１": neither is a
    number a header, a query or a protocol field may carry."""
    if not 0 < len(text) <= max_digits or not text.isascii() or not text.isdigit():
        return None
    return int(text)


def has_surrogates(value: str) -> bool:
    """Whether ``value`` holds a lone UTF-16 surrogate (it cannot be encoded as UTF-8)."""
    return _SURROGATE.search(value) is not None


def scrub_surrogates(value: str) -> str:
    """``value`` with every lone surrogate replaced by U+FFFD."""
    return _SURROGATE.sub("\ufffd", value)


# As html.unescape reads references (it follows the HTML standard, for text).
_CHARREF = re.compile(r"&(#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[^\t\n\f <&#;]{1,32};?)")


# The references that escape markup, "&amp;" last (see ``unescape_attribute``).
_MARKUP_REFS = {
    "&quot;": '"',
    "&#34;": '"',
    "&#39;": "'",
    "&#039;": "'",
    "&#x27;": "'",
    "&apos;": "'",
    "&lt;": "<",
    "&gt;": ">",
    "&amp;": "&",
}


def _attribute_charref(match: re.Match[str]) -> str:
    ref = match.group(1)
    if ref[0] == "#":
        return html.unescape(match.group(0))
    if ref in _NAMED_REFS:
        return _NAMED_REFS[ref]
    for end in range(len(ref) - 1, 1, -1):
        name = ref[:end]
        if name in _NAMED_REFS:  # a legacy name without ";" ("&copy", "&times")
            after = ref[end]
            if after == "=" or (after.isascii() and after.isalnum()):
                return match.group(0)
            return _NAMED_REFS[name] + ref[end:]
    return match.group(0)


def unescape_attribute(value: str) -> str:
    """Decode character references in an attribute value as a browser does.

    Unlike in text, a legacy reference without ";" followed by a letter, a digit or "="
    stays as written: ``?w=1200&timestamp=17&region=eu`` is a URL's query, not
    "×tamp" and "®ion" (what ``html.unescape`` makes of it).
    """
    if "&" not in value:
        return value
    # Most references in attributes are the markup-escaping five; when they are all there
    # is, plain replacements (``&amp;`` last, so "&amp;quot;" stays "&quot;") do the work
    # of the regex at a tenth of its cost: a JSON payload in a meta tag holds thousands.
    if value.count("&") == sum(value.count(ref) for ref in _MARKUP_REFS):
        for ref in _MARKUP_REFS:
            if ref in value:
                value = value.replace(ref, _MARKUP_REFS[ref])
        return value
    return _CHARREF.sub(_attribute_charref, value)
