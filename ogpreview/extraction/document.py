"""A page, read only as far as extraction needs.

Most of a card is in ``<meta>``, ``<link>``, ``<title>`` and JSON-LD tags, which can stand
anywhere in a page. They are found by one pass of a tag scanner over the page's *bytes*,
and only the values kept are decoded: on a median page that is several times cheaper than
decoding the page and building a tree. Up to ``<body>`` the scanner steps over comments,
scripts, styles and SVG whole; the body, most of a page's bytes and few of the tags wanted,
is searched by RE2, whose DFA crosses it three times as fast as ``re``. The scan is safe
on bytes for every ASCII-compatible encoding (the trail bytes of Shift_JIS, GBK and Big5
never take the values of ``< > " '``); other encodings are transcoded to UTF-8 first.

An lxml tree is built lazily, only when a rule needs body content (a heading, a paragraph,
an ``<img>``), and only over the top of the body, where those sit. BeautifulSoup is not used:
its tree building costs about 30 ms on a median page, ten times lxml's, and lxml's HTML
parser recovers from the same broken markup.
"""

from __future__ import annotations

import codecs
import html
import logging
import re
from collections.abc import Iterable, Iterator
from functools import cache, cached_property
from typing import Any

import lxml.etree
import re2

from ogpreview.extraction.charset import REPLACEMENT, sniff_encoding
from ogpreview.extraction.jsonld import read_jsonld
from ogpreview.text import unescape_attribute

__all__ = ["Page", "parse_page"]

log = logging.getLogger(__name__)

#: Input beyond this many bytes is ignored (the fetcher keeps far less anyway).
MAX_HTML_BYTES = 4_000_000
#: Body fallbacks (first heading, paragraph, image) read only this much past the head.
BODY_FALLBACK_BYTES = 64_000
#: At most this many meta/link tags are collected; a page with more is abusive or broken.
MAX_TAGS = 5_000
#: At most this many JSON-LD blocks, each at most this long, are parsed.
MAX_JSONLD_BLOCKS = 32
MAX_JSONLD_BYTES = 1_000_000
#: Longest ``<title>`` element read (the card caps titles far below this).
MAX_TITLE_BYTES = 16_384

#: RE2 options for patterns over a page's bytes: Latin-1, so that a byte that is not
#: UTF-8 (any cp1252, Shift_JIS or GBK page) is a character like any other; RE2's default,
#: UTF-8, would let no character class match it.
BYTES_RE2 = re2.Options()
BYTES_RE2.encoding = re2.Options.Encoding.LATIN1

# A tag's attributes, up to the ">" that ends it: as in browsers, a ">" inside a quoted
# value (content="Home > News") does not end the tag; a quote opens a value only after "=".
# Possessive throughout, so a tag that never ends costs one pass, not a backtracking search.
_ATTRS = rb"""((?:[^>=]++|=\s*+(?:"[^"]*+"|'[^']*+')?+)*+)"""
# A tag name ends at white space, "/" or ">" (so <svg-icon> and <meta-item> are other tags).
_NAME_END = rb"(?=[\t\n\f\r />])"
# The tag scanner: a literal "<" first, so the regex engine jumps between tags.
_TAG = re.compile(
    rb"<(?:(!--)|(script|style|svg|title|textarea)" + _NAME_END + rb"([^>]*)>"
    rb"|(meta|link|base|html|body|time)" + _NAME_END + _ATTRS + rb">)",
    re.IGNORECASE,
)
# The body is read by one lighter pattern: only the tags extraction takes from a body. It
# does not step over comments and scripts one by one (that costs more than it saves there).
_BODY_TAG = re.compile(
    rb"<(?:(meta|link|time)" + _NAME_END + _ATTRS + rb">"
    rb"|(script)" + _NAME_END + rb"([^>]*ld\+json[^>]*)>|(title)" + _NAME_END + rb"[^>]*>"
    rb"|(svg)" + _NAME_END + rb"([^>]*)>)",
    re.IGNORECASE,
)
# The same tags, for RE2 to find: its DFA crosses a body's bytes (most of a page) three
# times as fast as `re`, but reports groups slowly, so it only finds where each tag is
# and `_BODY_TAG` reads the groups there. (RE2 has no possessive quantifiers; it needs
# none, being linear-time, nor lookahead: the character ending a tag name is matched.)
# Once the page has a title, a finder without <title> is used; until then <svg> is found
# too, to step over it (an icon's <title> is not the page's).
_BODY_TAG_FINDERS = {
    with_title: re2.compile(
        rb"<(?i:(?:meta|link|time)[\t\n\f\r /]"
        rb"""(?:[^>=]|=\s*(?:"[^"]*"|'[^']*')?)*"""
        rb">|script[\t\n\f\r /][^>]*ld\+json[^>]*>"
        + (rb"|title(?:[\t\n\f\r /][^>]*)?>|svg[\t\n\f\r />])" if with_title else rb")"),
        BYTES_RE2,
    )
    for with_title in (True, False)
}
# Where a block ends: "</script" and a character that ends a tag name, in any case (an end
# tag's attributes, as in "</script foo>", are ignored, as browsers ignore them).
_BLOCK_END = {
    name: re.compile(rb"</" + name + rb"[\t\n\f\r />]", re.IGNORECASE)
    for name in (b"script", b"style", b"svg", b"title", b"textarea")
}
# A comment ends at "-->" or "--!>"; "<!-->" and "<!--->" are whole (empty) comments.
_COMMENT_END = re.compile(rb"--!?>")
_ATTR = re.compile(r"""([^\s"'=<>/]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+)))?""")
# The <link> tags a rule reads; stylesheets, preloads and preconnects (most links) are not.
# (Tested with `in` on the lower-cased attributes: a case-insensitive alternation costs
# three times as much, and a head holds dozens of stylesheet links.)
_USEFUL_LINK_WORDS = (b"canonical", b"icon", b"image_src", b"oembed", b"itemprop")
_LDJSON_TYPE = re.compile(rb"""(?<![\w-])type\s*=\s*["']?\s*application/ld\+json""", re.IGNORECASE)
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*>", re.IGNORECASE)
_META_KEY_ATTRS = ("property", "name", "itemprop")


def _html_parser() -> lxml.etree.HTMLParser:
    return lxml.etree.HTMLParser(
        remove_comments=True, remove_pis=True, no_network=True, recover=True, huge_tree=True
    )


def _parse_tree(text: str) -> Any:
    text = _XML_DECL.sub("", text, count=1)
    if not text.strip():
        return None
    try:
        # A fresh parser per call: lxml parsers must not be shared across threads, and a
        # previewer may run extraction in a thread pool.
        return lxml.etree.fromstring(text, _html_parser())
    except (lxml.etree.LxmlError, ValueError) as exc:
        log.debug("unparseable HTML: %s", exc)
        return None


class Page:
    """What extraction reads from a page: its tags in document order, lazily its body."""

    def __init__(self, raw: bytes, encoding: str, url: str) -> None:
        self.url = url
        self.encoding = encoding
        self.raw = raw[:MAX_HTML_BYTES]
        #: ``(key, value, attrs)`` for each meta tag key, in document order; keys lower-cased.
        self.metas: list[tuple[str, str, dict[str, str]]] = []
        #: attribute dicts of ``<link>`` tags, in document order.
        self.links: list[dict[str, str]] = []
        #: How many of :attr:`links` stand before ``<body>`` (all, on a page without one).
        self.head_links = 0
        self.title: str | None = None
        self.lang: str | None = None
        self.base_href: str | None = None
        self.jsonld_texts: list[str] = []
        #: ``datetime`` of the first ``<time itemprop="datePublished">``.
        self.time_published: str | None = None
        self._meta_index: dict[str, list[int]] | None = None
        self._tag_count = 0
        #: Where ``<body`` opens (None: the page has no body tag; the head scan read it all).
        self._body_start: int | None = None
        #: Where the body tree's markup starts: the end of the last element the head scan
        #: read before ``<body`` (a page may put content between ``</head>`` and ``<body>``).
        self._tree_start = 0
        # No tag ends after the last ">": scanning stops there, so a page whose tail is
        # thousands of unterminated "<meta" costs one pass instead of one pass per "<".
        self._scan_end = self.raw.rfind(b">") + 1
        self._scan()

    def decode(self, data: bytes) -> str:
        return data.decode(self.encoding, "replace")

    def _attrs(self, raw: bytes) -> dict[str, str]:
        text = self.decode(raw)
        out: dict[str, str] = {}
        for name, dq, sq, bare in _ATTR.findall(text):
            key = name.lower()
            if key not in out:
                out[key] = dq or sq or bare
        if "&" in text:
            return {k: unescape_attribute(v) for k, v in out.items()}
        return out

    # --- reading ---------------------------------------------------------------------

    def _scan(self) -> None:
        self._scan_head()
        if self._body_start is None:
            self.head_links = len(self.links)
        else:
            self._scan_body(self._body_start)

    def _scan_body(self, pos: int) -> None:
        raw = self.raw
        end = self._scan_end
        read = _BODY_TAG.match
        no_svg_end = False
        while pos < end:
            finder = _BODY_TAG_FINDERS[self.title is None]
            for found in finder.finditer(raw, pos, end):
                m = read(raw, found.start(), end)
                if m is None:  # only if the two patterns ever disagree on broken markup
                    continue
                tag, tag_attrs, script, script_attrs, _, svg, svg_attrs = m.groups()
                if tag is not None:
                    self._take_tag(tag.lower(), tag_attrs)
                    if self._tag_count > MAX_TAGS and len(self.jsonld_texts) >= MAX_JSONLD_BLOCKS:
                        return
                    continue
                if svg is not None:
                    # Step over an inline SVG (an icon's <title> is not the page's), but
                    # not past the page's end when it is never closed: HTML in it breaks
                    # out of an SVG that is left open.
                    if no_svg_end or svg_attrs.rstrip().endswith(b"/"):
                        continue
                    close = _BLOCK_END[b"svg"].search(raw, m.end())
                    if close is None:  # nor after any later <svg>: never search again
                        no_svg_end = True
                        continue
                    pos = close.end()
                    break
                # A JSON-LD script or a title: read it, then go on after its end tag (a
                # page of unclosed scripts costs one pass, not one pass per script).
                kind = b"script" if script is not None else b"title"
                pos = self._take_block(kind, script_attrs or b"", m.end())
                break
            else:
                return

    def _take_tag(self, name: bytes, tag_attrs: bytes) -> None:
        if name in (b"meta", b"link"):
            self._tag_count += 1
            if self._tag_count <= MAX_TAGS and (name == b"meta" or _useful_link(tag_attrs)):
                self._add_tag(name, self._attrs(tag_attrs))
        elif name == b"time":
            if self.time_published is None and b"datePublished" in tag_attrs:
                attrs = self._attrs(tag_attrs)
                if attrs.get("itemprop", "").strip() == "datePublished":
                    self.time_published = attrs.get("datetime") or None
        elif name == b"base":
            if self.base_href is None:
                self.base_href = self._attrs(tag_attrs).get("href") or None
        elif name == b"html" and self.lang is None:
            attrs = self._attrs(tag_attrs)
            self.lang = attrs.get("lang") or attrs.get("xml:lang") or None

    def _take_block(self, kind: bytes, attrs: bytes, pos: int) -> int:
        """Read a script/style/svg/title/textarea element opened before ``pos``; returns
        where it ends."""
        raw = self.raw
        close = _BLOCK_END[kind].search(raw, pos)
        content_end = len(raw) if close is None else close.start()
        if kind == b"script":
            # Most scripts are not JSON-LD: a substring test spares them the regex.
            if b"ld+json" in attrs.lower() and _LDJSON_TYPE.search(attrs):
                self._add_jsonld(raw[pos : min(content_end, pos + MAX_JSONLD_BYTES)])
        elif kind == b"title" and self.title is None:
            text = self.decode(raw[pos : min(content_end, pos + MAX_TITLE_BYTES)])
            self.title = html.unescape(text) if "&" in text else text
        if close is None:
            return len(raw)
        tag_end = raw.find(b">", close.end() - 1)
        return len(raw) if tag_end < 0 else tag_end + 1

    def _scan_head(self) -> None:
        """Everything before ``<body>``, stepping over comments, scripts, styles and SVG."""
        raw = self.raw
        search = _TAG.search
        pos = 0
        stop = self._scan_end
        while (m := search(raw, pos, stop)) is not None:
            comment, block, block_attrs, tag, tag_attrs = m.groups()
            if tag is not None and tag.lower() == b"body":
                self._body_start = m.start()
                self._tree_start = pos
                self.head_links = len(self.links)
                return
            pos = m.end()
            if tag is not None:
                name = tag.lower()
                self._take_tag(name, tag_attrs)
            elif comment is not None:
                if raw.startswith(b">", pos) or raw.startswith(b"->", pos):
                    pos = raw.index(b">", pos) + 1
                else:
                    end = _COMMENT_END.search(raw, pos)
                    pos = len(raw) if end is None else end.end()
            elif block.lower() == b"svg" and block_attrs.rstrip().endswith(b"/"):
                continue  # <svg ... /> is whole: SVG elements may close themselves
            else:
                pos = self._take_block(block.lower(), block_attrs, pos)
            if self._tag_count > MAX_TAGS and len(self.jsonld_texts) >= MAX_JSONLD_BLOCKS:
                break

    def _add_tag(self, tag: bytes, attrs: dict[str, str]) -> None:
        if tag == b"link":
            self.links.append(attrs)
            return
        value = attrs.get("content")
        if value is None:
            value = attrs.get("value")
        if value is None:
            return
        for key_attr in _META_KEY_ATTRS:
            key = attrs.get(key_attr)
            if key:
                # property="og:title twitter:title" (RDFa lists) counts for each name.
                for name in key.lower().split():
                    self.metas.append((name, value, attrs))

    def _add_jsonld(self, data: bytes) -> None:
        if len(self.jsonld_texts) < MAX_JSONLD_BLOCKS:
            self.jsonld_texts.append(self.decode(data))

    # --- queries -----------------------------------------------------------------------

    def _index(self) -> dict[str, list[int]]:
        index = self._meta_index
        if index is None:
            index = {}
            for i, (name, _, _) in enumerate(self.metas):
                index.setdefault(name, []).append(i)
            self._meta_index = index
        return index

    def meta(self, key: str) -> Iterator[str]:
        """The values of meta tags named ``key`` (lower-case), in document order."""
        metas = self.metas
        for i in self._index().get(key, ()):
            yield metas[i][1]

    def metas_named(self, keys: Iterable[str]) -> Iterator[tuple[str, str]]:
        """``(key, value)`` of the meta tags named any of ``keys``, in document order."""
        index = self._index()
        metas = self.metas
        for i in sorted(i for key in keys for i in index.get(key, ())):
            yield metas[i][0], metas[i][1]

    def links_with_rel(
        self, *rels: str, start: int = 0, stop: int | None = None
    ) -> Iterator[dict[str, str]]:
        """``<link>`` attribute dicts whose rel has any of ``rels`` (lower-case), of
        ``links[start:stop]``."""
        wanted = set(rels)
        for attrs in self.links[start:stop]:
            if wanted.intersection((attrs.get("rel") or "").lower().split()):
                yield attrs

    @cached_property
    def jsonld(self) -> list[dict[str, Any]]:
        """The page's JSON-LD objects (top-level and ``@graph`` members), in order (see
        :func:`~ogpreview.extraction.jsonld.read_jsonld`)."""
        return read_jsonld(self.jsonld_texts)

    @cached_property
    def jsonld_ids(self) -> dict[str, dict[str, Any]]:
        """The page's JSON-LD objects by ``@id`` (the first of each), for resolving node
        references such as ``"image": {"@id": "https://example.com/a#primaryimage"}``."""
        index: dict[str, dict[str, Any]] = {}
        for obj in self.jsonld:
            node_id = obj.get("@id")
            if isinstance(node_id, str) and len(obj) > 1:
                index.setdefault(node_id, obj)
        return index

    def body_may_match(self, pattern: Any) -> bool:
        """Whether ``pattern`` (a compiled ``re`` or ``re2`` pattern over bytes) occurs in the
        bytes :attr:`body` is built from: a cheap test a rule makes before it pays for the
        tree. True without a search once the tree is built."""
        if "body" in self.__dict__:
            return True
        start = self._tree_start
        return pattern.search(self.raw, start, self._tree_end) is not None

    @property
    def _tree_end(self) -> int:
        return (self._body_start or 0) + BODY_FALLBACK_BYTES

    @cached_property
    def body(self) -> Any:
        """The lxml element of the body's top (built on first use; None if nothing parses).

        Built from the end of the head on: the head (often most of a page's bytes, in
        inline scripts and styles) holds nothing a body rule reads."""
        tree = _parse_tree(self.decode(self.raw[self._tree_start : self._tree_end]))
        if tree is None:
            return None
        body = tree.find("body")
        return body if body is not None else tree


def _useful_link(attrs: bytes) -> bool:
    """Whether a ``<link>`` may be one a rule reads (canonical, icons, image_src, oEmbed,
    itemprop); stylesheets, preloads and preconnects are not."""
    low = attrs.lower()
    for word in _USEFUL_LINK_WORDS:  # noqa: SIM110 (a loop, not any(): no generator per link)
        if word in low:
            return True
    return False


@cache
def _scans_as_bytes(encoding: str) -> bool:
    """Whether markup in this encoding is plain ASCII bytes (so the byte scanner can read it)."""
    probe = "<meta content='x' charset=\"y\"></a>"
    try:
        name = codecs.lookup(encoding).name
        # Stateful encodings pass the probe, but their escaped runs hold '"' and '>' bytes.
        if name.startswith(("iso2022", "hz", "utf-7")):
            return False
        return probe.encode(encoding) == probe.encode("ascii")
    except (LookupError, UnicodeError):
        return False


def parse_page(data: bytes | str, url: str, content_type_charset: str | None = None) -> Page:
    """A :class:`Page` from a page's bytes (decoded per ``extraction.charset``) or text."""
    if isinstance(data, str):
        return Page(data.encode("utf-8", "surrogatepass"), "utf-8", url)
    data = data[:MAX_HTML_BYTES]
    encoding = sniff_encoding(data, content_type_charset)
    if encoding == REPLACEMENT:  # browsers show such a page as one U+FFFD: nothing to read
        return Page(b"", "utf-8", url)
    if encoding == "utf-8-sig":
        return Page(data[3:], "utf-8", url)
    if not _scans_as_bytes(encoding):  # UTF-16/32 and the like: transcode once
        text = data.decode(encoding, "replace")
        return Page(text.encode("utf-8", "surrogatepass"), "utf-8", url)
    return Page(data, encoding, url)
