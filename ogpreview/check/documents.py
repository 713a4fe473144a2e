"""The links in a whole input document, each with the line it is on where that is known.

:mod:`ogpreview.check.inputs` reads the inputs and streams URL lists itself; every other
kind of input is read whole and handed here (see that module's doc for the kinds).

Lines are 1-based, counted as editors do (``\\n``, ``\\r\\n`` or a lone ``\\r`` ends a line):

- text and Markdown: the line the link is on;
- JSON: the line of the string the link is in (JSON strings are one line each);
- YAML: the line where the string the link is in starts (for a ``|`` block, the link's own
  line; folded and multi-line plain strings give their first line);
- sitemaps: the line of the ``<loc>`` element;
- gzip-compressed documents are not located (an editor shows no lines in them).
"""

from __future__ import annotations

import io
import re
import zlib
from collections.abc import Callable, Iterator
from typing import Any

import lxml.etree
import orjson
import yaml

from ogpreview.extraction.links import links_in

__all__ = [
    "BOM",
    "MAX_DOCUMENT_BYTES",
    "InputError",
    "is_url_list",
    "list_lines",
    "located_urls_in_document",
]

#: A document (JSON, YAML, XML, text) larger than this, once decompressed, is refused (the
#: sitemap protocol's own limit); URL lists stream, whatever their length.
MAX_DOCUMENT_BYTES = 50 * 1024 * 1024
#: URLs taken from one sitemap (the protocol's limit); the rest are noted, not checked.
MAX_SITEMAP_URLS = 50_000
#: JSON/YAML nesting deeper than this is not walked.
MAX_DEPTH = 64
BOM = b"\xef\xbb\xbf"
_YAML_SUFFIXES = (".yaml", ".yml")
_YAML_STARTS = (b"openapi:", b"swagger:", b"---", b"%YAML")
#: Keys whose values are never pages: JSON Schema references, OpenAPI API servers.
_SKIP_KEYS = frozenset({"$schema", "$id", "$ref"})
#: A JSON string literal (unrolled: no backtracking), as it appears in a valid document.
_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.S)

#: A URL and its 1-based line (None when not known).
Located = tuple[str, int | None]


class InputError(ValueError):
    """An input that cannot be read or understood; the message names it."""


def _links(text: str) -> Iterator[str]:
    if "://" in text:
        yield from links_in(text)


# --- JSON and YAML -------------------------------------------------------------------


def _walk(
    value: Any, *, skip: frozenset[str], seen: set[int], skipped: bool = False, depth: int = 0
) -> Iterator[tuple[str, bool]]:
    """The strings that may hold links in a parsed JSON/YAML value, in document order, each
    with whether it sits under a key that holds no pages. Each container is walked once
    (YAML aliases can make a small document an exponentially large tree)."""
    if isinstance(value, str):
        if "://" in value:
            yield value, skipped
        return
    if depth > MAX_DEPTH or not isinstance(value, dict | list):
        return
    if id(value) in seen:
        return
    seen.add(id(value))
    if isinstance(value, dict):
        for key, item in value.items():
            under = skipped or key in skip
            yield from _walk(item, skip=skip, seen=seen, skipped=under, depth=depth + 1)
    else:
        for item in value:
            yield from _walk(item, skip=skip, seen=seen, skipped=skipped, depth=depth + 1)


def _structured_strings(data: Any) -> Iterator[tuple[str, bool]]:
    """The strings of a plugin response, an ai-plugin manifest or an OpenAPI document, with
    whether they are left out (they are still walked, so that JSON strings keep in step
    with their place in the file)."""
    seen: set[int] = set()
    if isinstance(data, dict) and ("openapi" in data or "swagger" in data):
        # Servers are API base URLs, not pages a user is shown.
        yield from _walk(data, skip=_SKIP_KEYS | {"servers"}, seen=seen)
    elif isinstance(data, dict) and "schema_version" in data and isinstance(data.get("api"), dict):
        # An ai-plugin manifest: api.url is the OpenAPI document, not a page.
        for key, value in data.items():
            if key == "api" and id(value) not in seen:
                seen.add(id(value))
                for api_key, item in value.items():
                    yield from _walk(
                        item, skip=_SKIP_KEYS, seen=seen, skipped=api_key == "url", depth=2
                    )
            else:
                yield from _walk(value, skip=_SKIP_KEYS, seen=seen, depth=1)
    else:
        yield from _walk(data, skip=_SKIP_KEYS, seen=seen)


class _JsonLines:
    """The line of each string the walk yields, found by scanning the document's string
    literals in step with it (both go in document order; keys and strings without a link
    are passed over)."""

    def __init__(self, data: bytes) -> None:
        self._data = data
        self._literals = _JSON_STRING.finditer(data)
        self._pos = 0
        self._line = 1

    def line_of(self, text: str) -> int | None:
        for match in self._literals:
            raw = match.group()
            if b":" not in raw:
                continue
            try:
                decoded = orjson.loads(raw)
            except orjson.JSONDecodeError:
                continue
            if decoded == text:
                start = match.start()
                self._line += _line_breaks(self._data, self._pos, start)
                self._pos = start
                return self._line
        return None


def _line_breaks(data: bytes, start: int, end: int) -> int:
    """Line ends in ``data[start:end]``: ``\\n``, ``\\r\\n`` and lone ``\\r`` alike."""
    return (
        data.count(b"\n", start, end)
        + data.count(b"\r", start, end)
        - data.count(b"\r\n", start, end)
    )


def _json_urls(data: bytes, name: str, *, locate: bool) -> Iterator[Located]:
    try:
        parsed = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise InputError(f"{name}: not valid JSON: {exc}") from exc
    return _located_json(parsed, _JsonLines(data) if locate else None)


def _located_json(parsed: Any, lines: _JsonLines | None) -> Iterator[Located]:
    for text, skipped in _structured_strings(parsed):
        line = lines.line_of(text) if lines is not None else None
        if not skipped:
            for url in _links(text):
                yield url, line


class _LineStr(str):
    """A YAML string that knows the line it starts on."""

    line: int | None = None
    #: A ``|`` block keeps its line breaks, so a link's own line can be told.
    literal: bool = False


class _LocatingLoader(yaml.SafeLoader):
    """The safe loader, with each string marked with its line."""

    def construct_line_str(self, node: yaml.Node) -> str:
        value = _LineStr(self.construct_scalar(node))  # type: ignore[arg-type]
        value.line = node.start_mark.line + 1
        value.literal = getattr(node, "style", None) == "|"
        return value


_LocatingLoader.add_constructor("tag:yaml.org,2002:str", _LocatingLoader.construct_line_str)


def _yaml_urls(data: bytes, name: str) -> Iterator[Located]:
    loader = _LocatingLoader(data)
    try:
        parsed = loader.get_single_data()
    except yaml.YAMLError as exc:
        raise InputError(f"{name}: not valid YAML: {exc}") from exc
    except RecursionError as exc:
        raise InputError(f"{name}: YAML nested too deeply") from exc
    finally:
        loader.dispose()
    return _located_yaml(parsed)


def _located_yaml(parsed: Any) -> Iterator[Located]:
    for text, skipped in _structured_strings(parsed):
        if skipped:
            continue
        line = text.line if isinstance(text, _LineStr) else None
        literal = isinstance(text, _LineStr) and text.literal
        for url in _links(text):
            if literal and line is not None:
                # The block starts on the line after its "|" indicator.
                at = text.find(url)
                yield url, line + 1 + (text.count("\n", 0, at) if at >= 0 else 0)
            else:
                yield url, line


# --- sitemaps ------------------------------------------------------------------------


def _sitemap_urls(
    data: bytes, name: str, note: Callable[[str], None], *, locate: bool
) -> Iterator[Located]:
    events = lxml.etree.iterparse(
        io.BytesIO(data),
        events=("start", "end"),
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
    )
    kind: str | None = None
    nested = skipped = 0
    urls: list[Located] = []
    try:
        for event, element in events:
            local = lxml.etree.QName(element).localname
            if kind is None:
                if local not in ("urlset", "sitemapindex"):
                    raise InputError(f"{name}: an XML document but not a sitemap (<{local}>)")
                kind = local
            elif event == "end" and local == "loc":
                text = (element.text or "").strip()
                if kind == "sitemapindex":
                    nested += 1
                elif text:
                    if len(urls) >= MAX_SITEMAP_URLS:
                        skipped += 1
                    else:
                        urls.append((text, element.sourceline if locate else None))
                element.clear()
    except lxml.etree.XMLSyntaxError as exc:
        # How far lxml reads before it reports an error differs between its releases (6.2
        # fails before the root's start event), so a broken feed is told from a broken
        # sitemap by its root element, not by where the parser stopped.
        root = _root_name(data) if kind is None else kind
        if root is not None and root not in ("urlset", "sitemapindex"):
            raise InputError(f"{name}: an XML document but not a sitemap (<{root}>)") from exc
        raise InputError(f"{name}: not valid XML: {exc}") from exc
    if nested:
        note(f"{name}: a sitemap index: its {nested} sitemaps are not followed; check each one")
    if skipped:
        note(f"{name}: over {MAX_SITEMAP_URLS} URLs (the sitemap limit): {skipped} not checked")
    return iter(urls)


def _root_name(data: bytes) -> str | None:
    """The root element's local name of a possibly broken XML document (None if none)."""
    parser = lxml.etree.XMLParser(
        recover=True, resolve_entities=False, no_network=True, load_dtd=False
    )
    try:
        root = lxml.etree.fromstring(data, parser)
    except lxml.etree.XMLSyntaxError:
        return None
    return None if root is None else str(lxml.etree.QName(root).localname)


# --- text and lists ------------------------------------------------------------------


def _text_urls(data: bytes, *, locate: bool) -> Iterator[Located]:
    # Split before decoding: no UTF-8 sequence holds a CR or LF byte, and str.splitlines
    # would also break at form feeds and U+2028, which editors do not count as lines.
    for number, raw in enumerate(data.splitlines(), 1):
        for url in _links(raw.decode("utf-8", "replace")):
            yield url, number if locate else None


def list_lines(data: bytes, first_line: int = 1) -> Iterator[tuple[str, int]]:
    """The URLs of a URL list (blank lines and ``#`` comments skipped) with their lines;
    ``first_line`` is the number of ``data``'s first line."""
    for number, raw in enumerate(data.splitlines(), first_line):
        line = raw.strip()
        if line and not line.startswith(b"#"):
            yield line.decode("utf-8", "replace"), number


def _decompress(data: bytes, name: str) -> bytes:
    """Every member of a gzip stream, at most MAX_DOCUMENT_BYTES of output in all."""
    parts: list[bytes] = []
    size = 0
    try:
        while data:
            inflater = zlib.decompressobj(wbits=31)
            out = inflater.decompress(data, MAX_DOCUMENT_BYTES + 1 - size)
            size += len(out)
            parts.append(out)
            if size > MAX_DOCUMENT_BYTES:
                raise InputError(f"{name}: more than {MAX_DOCUMENT_BYTES} bytes once decompressed")
            if not inflater.eof:
                raise InputError(f"{name}: truncated gzip data")
            data = inflater.unused_data.lstrip(b"\x00")  # the next member, if any
    except zlib.error as exc:
        raise InputError(f"{name}: broken gzip data: {exc}") from exc
    return b"".join(parts)


def located_urls_in_document(
    data: bytes, name: str = "input", *, note: Callable[[str], None] | None = None
) -> Iterator[Located]:
    """The URLs in a whole document of any supported kind, each with its line (see the
    module doc for what is located)."""
    locate = True
    if data.startswith(b"\x1f\x8b"):
        data = _decompress(data, name)
        name = name.removesuffix(".gz")
        locate = False
    kind = _kind(name, data.removeprefix(BOM).lstrip())
    return _document_urls(kind, data.removeprefix(BOM), name, note or (lambda _: None), locate)


def is_url_list(name: str, lead: bytes) -> bool:
    """Whether an input starting with ``lead`` (BOM and leading space removed) is a plain
    list of URLs, which is streamed rather than read whole."""
    return _kind(name, lead) == "lines"


def _kind(name: str, lead: bytes) -> str:
    lowered = name.lower().removesuffix(".gz")
    if lead[:1] in (b"{", b"["):
        return "json"
    if lead[:1] == b"<":
        return "xml"
    if lowered.endswith(_YAML_SUFFIXES) or lead.startswith(_YAML_STARTS):
        return "yaml"
    for raw in lead.splitlines():
        line = raw.strip()
        if line and not line.startswith(b"#"):
            # One URL-like token per line is a list ("example.com/a" included, so that
            # a missing scheme is reported); a heading or prose is text to find links in.
            single = len(line.split()) == 1
            return "lines" if single and (b"://" in line or b"." in line) else "text"
    return "lines"


def _document_urls(
    kind: str, data: bytes, name: str, note: Callable[[str], None], locate: bool
) -> Iterator[Located]:
    if kind in ("json", "xml"):
        try:
            if kind == "json":
                return _json_urls(data, name, locate=locate)
            return _sitemap_urls(data, name, note, locate=locate)
        except InputError as exc:
            # Markdown starting with a "[" badge or a "<https://...>" autolink: text.
            note(f"{exc}; reading it as text")
            return _text_urls(data, locate=locate)
    if kind == "yaml":
        urls = _yaml_urls(data, name)
        return urls if locate else ((url, None) for url, _ in urls)
    if kind == "text":
        return _text_urls(data, locate=locate)
    return ((url, number if locate else None) for url, number in list_lines(data))
