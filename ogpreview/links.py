"""Finding the links in a plugin's API response: JSON, Markdown or plain text.

Responses come from strangers, so finding links is linear in their length whatever they
hold. It is a scanner rather than one pattern: a Markdown-link pattern retried from every
"[" took seconds on a megabyte of them, and longer still on links that never close. Its
patterns cannot backtrack or overlap: autolinks and bare links (possessive runs that stop
at the next "<" or space), the last "[" before a "](" (a run that stops at the next "["),
and runs of one character class matched at a position. A run that many candidates share,
such as the target of a thousand unclosed ``[x](http://...`` in a row, is measured once.
"""

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
#: Longest Markdown link text (``[text](url)``) and longest bare link read.
MAX_LABEL = 500
MAX_BARE = 4096

# An autolink ``<url>`` or a bare link (possessive: a failed attempt never backtracks).
_URL = re.compile(
    r"<(?P<auto>https?://[^\s<>]++)>"
    rf"|(?P<bare>https?://[^\s<>\"'`{{}}|\\^\[\]]{{1,{MAX_BARE}}}+)",
    re.IGNORECASE,
)
# The last "[" before a "](" with no "[", "]" or newline between, and a scheme after it:
# where a Markdown link may close its text (the text may hold more "[": its start is
# looked for from here).
_LINK_TEXT_END = re.compile(r"\[[^\[\]\n]*+\]\(\s*+<?https?://", re.IGNORECASE)
_SCHEME = re.compile(r"https?://", re.IGNORECASE)
_SPACE_RUN = re.compile(r"\s*+")
_TARGET_RUN = re.compile(r"[^\s)>]*+")
_TITLE_RUN = re.compile(r'[^"]*+')
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


class _Run:
    """Where a run of one character class that starts at a position ends.

    The last run measured is remembered: any position inside it ends where it ends. Each
    run is asked about at positions that only grow as the scan goes on, so every
    character is measured once however many candidates share its run."""

    __slots__ = ("_end", "_pattern", "_start", "_text")

    def __init__(self, text: str, pattern: re.Pattern[str]) -> None:
        self._text = text
        self._pattern = pattern
        self._start = self._end = -1

    def end(self, pos: int) -> int:
        if self._start <= pos <= self._end:
            return self._end
        match = self._pattern.match(self._text, pos)
        assert match is not None  # a starred class matches everywhere
        self._start, self._end = pos, match.end()
        return self._end


class _Scanner:
    """The links of one text, in order: ``[text](url "title")``, ``<url>`` and bare links
    (trimmed of trailing punctuation), each read where it starts as the regular expression
    ``\\[[^\\]\\n]{0,500}\\]\\(\\s*<?(url)>?(?:\\s+"[^"]*")?\\s*\\)|<(url)>|(url)`` would.

    The next Markdown link and the next other link are each looked for once, and kept
    until the scan passes where they start."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.open_space = _Run(text, _SPACE_RUN)
        self.target = _Run(text, _TARGET_RUN)
        self.target_space = _Run(text, _SPACE_RUN)
        self.title = _Run(text, _TITLE_RUN)
        self.title_space = _Run(text, _SPACE_RUN)
        #: Where the target of the last link that failed after its target ended (-1: the
        #: last one failed before).
        self._dead_target_end = -1

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
                target = self._target(close + 1)
                if target is not None:
                    return start, *target
                # The rest depends only on what follows "]": every "[" before it fails
                # alike. So does every "[" whose link would run into the same target.
                search_from = max(close + 1, self._same_dead_end(start))
            else:
                search_from = close + 1  # its text is too long
        return None

    def _same_dead_end(self, start: int) -> int:
        """After a link whose target ran to the end of its run without closing: the
        position before which every "[" fails alike. A "[" whose text closes at least
        three characters before the run ends has "(", its scheme and its target inside
        the run, so its target ends where this one did, before the same characters."""
        end = self._dead_target_end
        if end < 0:
            return -1
        last = max(self.text.rfind("]", start, end - 2), self.text.rfind("\n", start, end - 2))
        return last + 1

    def _target(self, pos: int) -> tuple[str, int] | None:
        """``(url, end)`` of ``(<url> "title")`` at ``pos``, or None."""
        text, size = self.text, len(self.text)
        self._dead_target_end = -1
        if pos >= size or text[pos] != "(":
            return None
        begin = self.open_space.end(pos + 1)
        if begin < size and text[begin] == "<":
            begin += 1
        scheme = _SCHEME.match(text, begin)
        if scheme is None:
            return None
        end = self.target.end(scheme.end())
        if end == scheme.end():
            return None
        url_end = end  # (sliced only for a link: the run may be most of the text)
        if end < size and text[end] == ">":
            end += 1
        after = self.target_space.end(end)
        if after > end and after < size and text[after] == '"':
            quote = self.title.end(after + 1)
            if quote < size:
                closing = self.title_space.end(quote + 1)
                if closing < size and text[closing] == ")":
                    return text[begin:url_end], closing + 1
        if after < size and text[after] == ")":
            return text[begin:url_end], after + 1
        self._dead_target_end = url_end
        return None


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
