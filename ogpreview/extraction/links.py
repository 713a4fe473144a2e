"""Finding the links in a plugin's API response: JSON, Markdown or plain text."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import orjson

from ogpreview.cachekey import cache_key

__all__ = ["MAX_LINKS", "links_in"]

#: At most this many links are taken from one response.
MAX_LINKS = 1000
#: JSON nesting deeper than this is not walked.
MAX_DEPTH = 64

_LINK = re.compile(
    r"\[[^\]\n]{0,500}\]\(\s*<?(?P<md>https?://[^\s)>]+)>?(?:\s+\"[^\"]*\")?\s*\)"
    r"|<(?P<auto>https?://[^\s<>]+)>"
    r"|(?P<bare>https?://[^\s<>\"'`{}|\\^\[\]]{1,4096})",
    re.IGNORECASE,
)
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


def _links_in_text(text: str) -> Iterator[str]:
    for match in _LINK.finditer(text):
        url = match.group("md") or match.group("auto")
        yield url if url else _trim(match.group("bare"))


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
    links: list[str] = []
    for text in texts:
        for url in _links_in_text(text):
            key = cache_key(url)
            if url and key not in seen:
                seen.add(key)
                links.append(url)
                if len(links) >= MAX_LINKS:
                    return links
    return links
