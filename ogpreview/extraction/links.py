"""Finding the links in a plugin's API response: JSON, Markdown or plain text.

Responses come from strangers, so finding links is linear in their length whatever they
hold. It is a scanner rather than one pattern: a Markdown-link pattern retried from every
"[" took seconds on a megabyte of them, and hours on a megabyte of unclosed links. Its
patterns are possessive (a failed attempt never backtracks), and no two attempts read the
same characters: autolinks and bare links stop at the next "<" or space; a link text is
looked for from the last "[" before a "](" (that run stops at the next "["); and after a
Markdown link fails, every "[" whose link would run into the same unclosed target is
skipped at once (a thousand ``[x](http://...`` in a row, never closed, fail as one).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import orjson

from ogpreview.urls import MAX_URL_LENGTH, cache_key

__all__ = ["MAX_LINKS", "links_in"]

#: At most this many links are taken from one response.
MAX_LINKS = 1000
#: JSON nesting deeper than this is not walked.
MAX_DEPTH = 64
#: Longest Markdown link text (``[text](url)``) read; a bare link is read up to the
#: longest URL there is (:data:`~ogpreview.urls.MAX_URL_LENGTH`).
MAX_LABEL = 500

# An autolink ``<url>`` or a bare link (possessive: a failed attempt never backtracks).
_URL = re.compile(
    r"<(?P<auto>https?://[^\s<>]++)>"
    rf"|(?P<bare>https?://[^\s<>\"'`{{}}|\\^\[\]]{{1,{MAX_URL_LENGTH}}}+)",
    re.IGNORECASE,
)
# The last "[" before a "](" with no "[", "]" or newline between, and a scheme after it:
# where a Markdown link may close its text (the text may hold more "[": its start is
# looked for from here).
_LINK_TEXT_END = re.compile(r"\[[^\[\]\n]*+\]\(\s*+<?https?://", re.IGNORECASE)
# A Markdown link's target, from its "(": ``(<url> "title")`` (possessive all through: where
# the pattern gives a part back, what follows could not have matched anyway).
_TARGET = re.compile(r'\(\s*+<?+(https?://[^\s)>]++)>?+(?:\s++"[^"]*+")?+\s*+\)', re.IGNORECASE)
# The same up to the end of its URL: where an unclosed target ends.
_TARGET_URL = re.compile(r"\(\s*+<?+https?://[^\s)>]++", re.IGNORECASE)
_TRAILING = ".,;:!?*_~'\""
_PAIRS = {")": "(", "]": "["}


def _trim(url: str) -> str:
    """Drop the punctuation that ends a sentence, and closing brackets that are not the
    URL's own (Wikipedia-style "Foo_(bar)" keeps its parenthesis)."""
    # Counted once, then kept up to date: recounting per character is quadratic.
    unmatched = {close: url.count(close) - url.count(open_) for close, open_ in _PAIRS.items()}
    end = len(url)
    while end:
        last = url[end - 1]
        if last in _TRAILING:
            end -= 1
        elif last in unmatched and unmatched[last] > 0:
            unmatched[last] -= 1
            end -= 1
        else:
            break
    return url[:end]


class _Scanner:
    """The links of one text, in order: ``[text](url "title")``, ``<url>`` and bare links
    (trimmed of trailing punctuation), each read where it starts as the regular expression
    ``\\[[^\\]\\n]{0,500}\\]\\(\\s*<?(url)>?(?:\\s+"[^"]*")?\\s*\\)|<(url)>|(url)`` would.

    The next Markdown link and the next other link are each looked for once, and kept
    until the scan passes where they start."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def links(self) -> Iterator[str]:
        text = self.text
        pos = 0
        markdown: tuple[int, str, int] | None = None
        other: re.Match[str] | None = None
        no_markdown = no_other = False  # none at all from where the last search began
        while True:
            if markdown is None and not no_markdown:
                markdown = self._next_markdown(pos)
                no_markdown = markdown is None
            if other is None and not no_other:
                other = _URL.search(text, pos)
                no_other = other is None
            if markdown is not None and (other is None or markdown[0] < other.start()):
                _, url, pos = markdown
                yield url
            elif other is not None:
                auto = other.group("auto")
                yield auto if auto else _trim(other.group("bare"))
                pos = other.end()
            else:
                return
            # What starts inside what was just taken is no link any more.
            if markdown is not None and markdown[0] < pos:
                markdown = None
            if other is not None and other.start() < pos:
                other = None

    def _next_markdown(self, pos: int) -> tuple[int, str, int] | None:
        """``(start, url, end)`` of the first Markdown link starting at ``pos`` or after."""
        text = self.text
        search_from = pos
        while (found := _LINK_TEXT_END.search(text, search_from)) is not None:
            last_open = found.start()
            close = text.index("](", last_open)
            # The link's start: the first "[" after the last "]" or newline before it, at
            # most MAX_LABEL characters from its "]".
            low = max(pos, close - MAX_LABEL - 1)
            bracket = text.rfind("]", low, last_open)
            newline = text.rfind("\n", max(low, bracket + 1), last_open)
            start = text.find("[", max(low, bracket + 1, newline + 1), last_open + 1)
            if start >= 0:
                target = _TARGET.match(text, close + 1)
                if target is not None:
                    return start, target.group(1), target.end()
                # The rest depends only on what follows "]": every "[" before it fails
                # alike. So does every "[" whose link would run into the same target.
                unclosed = _TARGET_URL.match(text, close + 1)
                dead_end = -1 if unclosed is None else self._dead_end(start, unclosed.end())
                search_from = max(close + 1, dead_end)
            else:
                search_from = close + 1  # its text is too long
        return None

    def _dead_end(self, start: int, target_end: int) -> int:
        """After the link at ``start`` failed past the end of its target's URL: the
        position before which every "[" fails alike. A "[" whose text closes at least
        three characters before that end has its "(", scheme and URL inside the same run
        of URL characters, so its URL ends there too, before the same characters."""
        text = self.text
        last = max(text.rfind("]", start, target_end - 2), text.rfind("\n", start, target_end - 2))
        return last + 1


def _strings(value: Any, depth: int = 0) -> Iterator[str]:
    if depth > MAX_DEPTH:
        return
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item, depth + 1)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item, depth + 1)


def links_in(response: str | bytes | dict[str, Any] | list[Any]) -> list[str]:
    """The http(s) links in a plugin's response, deduplicated, in order of appearance.

    A ``str``/``bytes`` that parses as JSON is walked as JSON (links inside its strings);
    otherwise it is read as Markdown or plain text: ``[text](url)``, ``<url>`` and bare
    links, with trailing punctuation trimmed. Two spellings of one page count once.
    Linear in the response's length, whatever it holds.
    """
    if isinstance(response, bytes):
        response = response.decode("utf-8", "replace")
    texts: Iterator[str]
    if isinstance(response, str):
        try:
            parsed = orjson.loads(response)
        except orjson.JSONDecodeError:
            parsed = response
        texts = _strings(parsed)
    else:
        texts = _strings(response)
    seen: set[str] = set()
    spellings: set[str] = set()  # a repeat of the very same text skips its key
    links: list[str] = []
    for text in texts:
        for url in _Scanner(text).links():
            if not url or url in spellings:
                continue
            spellings.add(url)
            try:
                key = cache_key(url)
            except ValueError:  # "http://[x": no URL urllib can split; its text is its key
                key = url
            if key not in seen:
                seen.add(key)
                links.append(url)
                if len(links) >= MAX_LINKS:
                    return links
    return links
