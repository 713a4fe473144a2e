"""Rules over the body's content, the fallbacks for a page whose tags do not give its
title or description: the first heading, the first paragraph of substance, the visible
text. (The ``<img>`` fallbacks are with the other image rules.)"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from ogpreview.extraction.rules.common import Context, Rule
from ogpreview.text import clean_text

__all__ = ["BODY_TEXT", "FIRST_H1", "FIRST_PARAGRAPH", "in_chrome"]

#: A body paragraph shorter than this is not "substantial" (menus, captions, bylines).
MIN_PARAGRAPH_CHARS = 80
#: The body text summary reads at most this many characters of text nodes.
BODY_TEXT_BUDGET = 4_000
_NON_CONTENT = frozenset(
    {"nav", "header", "footer", "aside", "script", "style", "noscript", "template", "form",
     "svg", "button", "select", "option", "iframe", "object", "canvas", "head", "title"}
)  # fmt: skip
#: Text-level elements: their text runs on with the text around them (no space between).
_INLINE = frozenset(
    {"a", "abbr", "acronym", "b", "bdi", "bdo", "big", "cite", "code", "data", "del", "dfn",
     "em", "font", "i", "ins", "kbd", "mark", "nobr", "q", "s", "samp", "small", "span",
     "strike", "strong", "sub", "sup", "time", "tt", "u", "var", "wbr"}
)  # fmt: skip
#: Elements holding page furniture: the ``<img>`` fallbacks take an image inside them only
#: when the rest of the page has none.
_CHROME = frozenset({"nav", "header", "footer", "aside", "button", "form"})
#: Marks an inline element's edge in loose body text (NUL never survives HTML parsing).
_INLINE_EDGE = "\x00"
_GLUED_WORDS = re.compile(r"(?<=\w)\x00+(?=\w)")


def _first_h1(ctx: Context) -> Iterator[str]:
    body = ctx.page.body
    if body is None:
        return
    for h1 in body.iter("h1"):
        yield _visible_text(h1)
        return


def _in_content(el: Any) -> bool:
    return not any(anc.tag in _NON_CONTENT for anc in el.iterancestors())


def in_chrome(el: Any) -> bool:
    """Whether ``el`` sits in the page's furniture (menus, banners, footers, buttons), where
    images are logos and icons rather than what the page is about."""
    return any(anc.tag in _CHROME for anc in el.iterancestors())


def _first_paragraph(ctx: Context) -> Iterator[str]:
    body = ctx.page.body
    if body is None:
        return
    for p in body.iter("p"):
        text = clean_text(_visible_text(p))
        if text and len(text) >= MIN_PARAGRAPH_CHARS and _in_content(p):
            yield text
            return


def _body_text(ctx: Context) -> Iterator[str]:
    """The page's visible text, boilerplate skipped: the last resort for a description."""
    body = ctx.page.body
    if body is None:
        return
    yield _visible_text(body, BODY_TEXT_BUDGET, loose=True)


def _visible_text(root: Any, budget: int | None = None, *, loose: bool = False) -> str:
    """The text a reader sees in ``root``: boilerplate elements (nav, script...) skipped,
    block boundaries and ``<br>`` read as spaces, inline markup (``<a>``, ``<b>``...) joined
    without one. Stops after about ``budget`` characters.

    ``loose`` (for a whole body, where CSS often lays out links and spans as separate
    items): an inline boundary between two word characters reads as a space too."""
    inline_edge = _INLINE_EDGE if loose else ""
    parts: list[str] = []
    size = 0
    skip_depth: list[Any] = []
    for event, el in _walk(root):
        tag = el.tag if isinstance(el.tag, str) else None
        if event == "start":
            if tag in _NON_CONTENT:
                skip_depth.append(el)
            elif not skip_depth:
                parts.append(inline_edge if tag in _INLINE else " ")
                if el.text:
                    parts.append(el.text)
                    size += len(el.text)
        else:
            if skip_depth and skip_depth[-1] is el:
                skip_depth.pop()
                parts.append(" ")
            elif not skip_depth and tag is not None:
                parts.append(inline_edge if tag in _INLINE else " ")
            if not skip_depth and el.tail and el is not root:
                parts.append(el.tail)
                size += len(el.tail)
        if budget is not None and size > budget:
            break
    text = "".join(parts)
    return _GLUED_WORDS.sub(" ", text).replace(_INLINE_EDGE, "") if loose else text


def _walk(root: Any) -> Iterator[tuple[str, Any]]:
    """Start/end events over a tree without recursion (pages nest 100,000 deep)."""
    stack: list[tuple[Any, Iterator[Any]]] = [(root, iter(root))]
    yield "start", root
    while stack:
        el, children = stack[-1]
        child = next(children, None)
        if child is None:
            stack.pop()
            yield "end", el
        elif isinstance(child.tag, str):
            yield "start", child
            stack.append((child, iter(child)))
        elif child.tail:  # a comment or processing instruction: only its tail is text
            yield "end", child


FIRST_H1 = Rule("first_h1", _first_h1, "the first <h1>")
FIRST_PARAGRAPH = Rule("first_paragraph", _first_paragraph, "the first paragraph")
BODY_TEXT = Rule("body_text", _body_text, "the body text")
