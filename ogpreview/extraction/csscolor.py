"""A page's theme colour: a valid CSS colour or nothing, given back as hex.

``theme-color`` goes into the card's JSON, where clients put it into their own CSS, and
into the HTML card's inline style: it must be one colour and nothing else (not
``red;background:url(...)``). It is read with tinycss2 (the CSS Color grammar, as browsers
read it), in the notations theme colours are written in (hex, named colours, ``rgb()``/
``rgba()``, ``hsl()``/``hsla()``) with arguments in range, and written back as lower-case
``#rrggbb`` (``#rrggbbaa`` when translucent): a spelling every client reads and that can
carry nothing but a colour.
"""

from __future__ import annotations

import re

import tinycss2.color4

__all__ = ["css_color"]

#: Longer values are no colour a page means.
MAX_COLOR_CHARS = 64
# The notations accepted, before tinycss2 reads them (it also knows lab(), color(),
# comments, ...): a hex colour, a name, or rgb()/rgba()/hsl()/hsla() of numbers.
_NOTATION = re.compile(r"#[0-9a-f]+|[a-z]+|(?:rgba?|hsla?)\([0-9a-z.%+\-/, ]*\)")
_TOLERANCE = 1e-9


def _in_range(values: tuple[float | None, ...], low: float, high: float) -> bool:
    return all(v is not None and low - _TOLERANCE <= v <= high + _TOLERANCE for v in values)


def css_color(value: str) -> str | None:
    """``value`` as ``#rrggbb`` / ``#rrggbbaa`` if it is a valid CSS colour in a notation
    theme colours use (hex, named, ``rgb()``, ``rgba()``, ``hsl()``, ``hsla()``) with
    sane arguments; else None (``currentcolor`` included: it names no colour)."""
    text = value.strip().lower()
    if len(text) > MAX_COLOR_CHARS or not _NOTATION.fullmatch(text):
        return None
    color = tinycss2.color4.parse_color(text)
    if not isinstance(color, tinycss2.color4.Color):
        return None
    if color.space == "hsl":
        hue, saturation, lightness = color.coordinates
        if hue is None or not _in_range((saturation, lightness), 0.0, 100.0):
            return None
    elif color.space != "srgb" or not _in_range(color.coordinates, 0.0, 1.0):
        return None
    red, green, blue = (min(max(c or 0.0, 0.0), 1.0) for c in color.to("srgb").coordinates)
    channels = [red, green, blue] + ([color.alpha] if color.alpha < 1.0 else [])
    return "#" + "".join(f"{round(channel * 255):02x}" for channel in channels)
