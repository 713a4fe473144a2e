"""Cleaning and bounding the text a page gives us."""

from __future__ import annotations

import html
import re
from html.entities import html5 as _NAMED_REFS

__all__ = [
    "ascii_int",
    "balance_bidi",
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
# Unicode bidi controls that open a level (embeddings and overrides, isolates) and close
# one. Unclosed, they reorder whatever a client shows after the text: a site name ending
# in U+202E (RIGHT-TO-LEFT OVERRIDE) reverses the title beside it.
_EMBEDDINGS = frozenset("\u202a\u202b\u202d\u202e")  # LRE, RLE, LRO, RLO
_POP_EMBEDDING = "\u202c"  # PDF
_ISOLATES = frozenset("\u2066\u2067\u2068")  # LRI, RLI, FSI
_POP_ISOLATE = "\u2069"  # PDI
_BIDI_CONTROL = re.compile("[\u202a-\u202e\u2066-\u2069]")
#: Marks (LRM, RLM, ALM) are invisible: inside a text they steer its own neutral
#: characters (kept), at its ends only the text around it (dropped there).
_EDGE_MARKS = "\u200e\u200f\u061c "
#: Deeper nesting than this is dropped (UAX #9 ignores past 125; real text nests once).
MAX_BIDI_DEPTH = 16


def clean_text(value: str | None, *, limit: int | None = None) -> str | None:
    """Collapse white space, drop control characters, decode stray entities; None if empty.

    Parsers decode entities once; sites that escape twice ("It&amp;#39;s") still show a
    clean quote. ``limit`` cuts the result on a word boundary. Bidi controls are balanced
    (:func:`balance_bidi`) and bidi marks dropped from the ends, so the text cannot
    reorder what a client shows next to it.
    """
    if not value:
        return None
    if len(value) > RAW_TEXT_CAP:
        value = value[:RAW_TEXT_CAP]
    if "&" in value and _ENTITY.search(value):
        value = html.unescape(value)
    plain = value.isascii() and value.isprintable()
    if plain:  # most values: no controls, tabs, newlines
        if "  " in value:
            value = _SPACE.sub(" ", value)
        value = value.strip()
    else:
        value = _SPACE.sub(" ", _INVISIBLE.sub("", value)).strip()
        if has_surrogates(value):
            value = scrub_surrogates(value)
        value = value.strip(_EDGE_MARKS)
    if not value:
        return None
    if limit is not None:
        value = truncate(value, limit)
    return value if plain else balance_bidi(value)


def balance_bidi(value: str) -> str:
    """``value`` with every bidi embedding, override and isolate it opens closed by its
    end, and closers that close nothing removed: whatever it does to its own order, it
    cannot reorder text shown after it. Closing follows UAX #9 (a PDI also closes the
    embeddings opened inside its isolate; a PDF never closes an isolate)."""
    if _BIDI_CONTROL.search(value) is None:
        return value
    # Open levels, innermost last: (is an isolate, kept in the text).
    stack: list[tuple[bool, bool]] = []
    depth = 0  # levels kept

    def balance(match: re.Match[str]) -> str:
        nonlocal depth
        control = match.group()
        if control in _EMBEDDINGS or control in _ISOLATES:
            kept = depth < MAX_BIDI_DEPTH
            stack.append((control in _ISOLATES, kept))
            depth += kept
            return control if kept else ""
        if control == _POP_EMBEDDING:
            if not stack or stack[-1][0]:
                return ""  # no embedding open inside the current isolate
            kept = stack.pop()[1]
            depth -= kept
            return control if kept else ""
        if not any(isolate for isolate, _ in stack):
            return ""  # a PDI with no isolate open
        while True:
            isolate, kept = stack.pop()
            depth -= kept
            if isolate:
                return control if kept else ""

    balanced = _BIDI_CONTROL.sub(balance, value)
    closers = "".join(
        _POP_ISOLATE if isolate else _POP_EMBEDDING for isolate, kept in reversed(stack) if kept
    )
    return balanced + closers


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
