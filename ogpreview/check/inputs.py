"""The URLs ``ogpreview check`` is given: from files or stdin, in whatever shape they come.

Each input is recognised by its first bytes (and its name):

- a list of URLs, one per line (blank lines and ``#`` comments skipped): **streamed**, so
  a list of any length is read only as fast as it is checked;
- JSON: a plugin's API response, an ``ai-plugin.json`` manifest or an OpenAPI document;
  every http(s) link in its strings (API servers, ``$ref``/``$schema`` and the manifest's
  ``api.url`` are not pages, and are left out);
- YAML (``.yaml``/``.yml``, or starting ``openapi:``/``swagger:``/``---``): the same;
- XML: a sitemap's ``<loc>`` URLs (gzip-compressed too); a sitemap index is reported,
  not followed;
- any other text (Markdown, prose): the links in it.

Documents (all but URL lists) are read whole, up to :data:`MAX_DOCUMENT_BYTES`.
Duplicates are left in: the checker skips them.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import stat
import sys
import threading
import zlib
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from typing import Any, TextIO

import lxml.etree
import orjson
import yaml

from ogpreview.extraction.links import links_in

__all__ = ["MAX_DOCUMENT_BYTES", "STDIN", "InputError", "UrlSource", "urls_in_document"]

#: The name that means standard input.
STDIN = "-"
#: Bytes read at a time.
READ_CHUNK = 64 * 1024
#: A document (JSON, YAML, XML, text) larger than this, once decompressed, is refused (the
#: sitemap protocol's own limit); URL lists stream, whatever their length.
MAX_DOCUMENT_BYTES = 50 * 1024 * 1024
#: URLs taken from one sitemap (the protocol's limit); the rest are noted, not checked.
MAX_SITEMAP_URLS = 50_000
#: A line of a URL list longer than this is no URL: it is skipped (and noted).
MAX_LINE_BYTES = 64 * 1024
#: Chunks a reader thread may read ahead of the checker.
READ_AHEAD_CHUNKS = 4
#: JSON/YAML nesting deeper than this is not walked.
MAX_DEPTH = 64
_YAML_SUFFIXES = (".yaml", ".yml")
_YAML_STARTS = (b"openapi:", b"swagger:", b"---", b"%YAML")
#: Keys whose values are never pages: JSON Schema references, OpenAPI API servers.
_SKIP_KEYS = frozenset({"$schema", "$id", "$ref"})
_BOM = b"\xef\xbb\xbf"


class InputError(ValueError):
    """An input that cannot be read or understood; the message names it."""


# --- readers: bytes from a file, a pipe, a terminal or a text stream ------------------


class _Reader:
    """Chunks of one input; ``b""`` at the end."""

    async def read(self) -> bytes:
        raise NotImplementedError

    def close(self) -> None:
        return None


class _FileReader(_Reader):
    """A regular file: reads never block for long, so they run inline."""

    def __init__(self, fd: int, *, owned: bool) -> None:
        self._fd = fd
        self._owned = owned

    async def read(self) -> bytes:
        return os.read(self._fd, READ_CHUNK)

    def close(self) -> None:
        if self._owned and self._fd >= 0:
            with contextlib.suppress(OSError):
                os.close(self._fd)
            self._fd = -1


class _ThreadReader(_Reader):
    """A pipe or terminal: a daemon thread waits on it (never the event loop), reading at
    most a few chunks ahead. Being a daemon, a thread still waiting on a silent pipe
    does not keep the process from exiting (after Ctrl-C, say)."""

    def __init__(self, fd: int, *, owned: bool) -> None:
        self._fd = fd
        self._owned = owned
        self._queue: asyncio.Queue[bytes | OSError] | None = None
        self._room = threading.Semaphore(READ_AHEAD_CHUNKS)
        self._done = False

    async def read(self) -> bytes:
        if self._done:
            return b""
        if self._queue is None:
            self._queue = asyncio.Queue()
            loop = asyncio.get_running_loop()
            threading.Thread(
                target=self._run, args=(loop, self._queue), name="ogpreview-input", daemon=True
            ).start()
        item = await self._queue.get()
        self._room.release()
        if isinstance(item, OSError):
            self._done = True
            raise item
        if not item:
            self._done = True
        return item

    def _run(self, loop: asyncio.AbstractEventLoop, queue: asyncio.Queue[bytes | OSError]) -> None:
        while True:
            self._room.acquire()
            item: bytes | OSError
            try:
                item = os.read(self._fd, READ_CHUNK)
            except OSError as exc:
                item = exc
            try:
                loop.call_soon_threadsafe(queue.put_nowait, item)
            except RuntimeError:  # the loop is gone: nobody reads any more
                return
            if not isinstance(item, bytes) or not item:
                return

    def close(self) -> None:
        if self._owned and self._queue is None and self._fd >= 0:
            # (once its thread runs, the fd stays open until exit: the thread may read it)
            with contextlib.suppress(OSError):
                os.close(self._fd)
            self._fd = -1


class _TextReader(_Reader):
    """A text stream without a file descriptor (an in-memory stdin)."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    async def read(self) -> bytes:
        return self._stream.read(READ_CHUNK).encode("utf-8", "surrogateescape")


def _fd_reader(fd: int, *, owned: bool) -> _Reader:
    if stat.S_ISREG(os.fstat(fd).st_mode):
        return _FileReader(fd, owned=owned)
    return _ThreadReader(fd, owned=owned)


def _stdin_reader(stream: TextIO) -> _Reader:
    try:
        fd = stream.fileno()
    except (AttributeError, OSError, ValueError):
        return _TextReader(stream)
    return _fd_reader(fd, owned=False)


# --- documents -----------------------------------------------------------------------


def _links(text: str) -> Iterator[str]:
    if "://" in text:
        yield from links_in(text)


def _walk(value: Any, *, skip: frozenset[str], seen: set[int], depth: int = 0) -> Iterator[str]:
    """The links in a parsed JSON/YAML value's strings; each container walked once (YAML
    aliases can make a small document an exponentially large tree)."""
    if isinstance(value, str):
        yield from _links(value)
        return
    if depth > MAX_DEPTH or not isinstance(value, dict | list):
        return
    if id(value) in seen:
        return
    seen.add(id(value))
    if isinstance(value, dict):
        for key, item in value.items():
            if key not in skip:
                yield from _walk(item, skip=skip, seen=seen, depth=depth + 1)
    else:
        for item in value:
            yield from _walk(item, skip=skip, seen=seen, depth=depth + 1)


def _structured_urls(data: Any) -> Iterator[str]:
    """Links in a plugin response, an ai-plugin manifest or an OpenAPI document."""
    seen: set[int] = set()
    if isinstance(data, dict) and ("openapi" in data or "swagger" in data):
        # Servers are API base URLs, not pages a user is shown.
        yield from _walk(data, skip=_SKIP_KEYS | {"servers"}, seen=seen)
    elif isinstance(data, dict) and "schema_version" in data and isinstance(data.get("api"), dict):
        # An ai-plugin manifest: api.url is the OpenAPI document, not a page.
        for key, value in data.items():
            if key == "api":
                api = {k: v for k, v in value.items() if k != "url"}
                yield from _walk(api, skip=_SKIP_KEYS, seen=seen)
            else:
                yield from _walk(value, skip=_SKIP_KEYS, seen=seen)
    else:
        yield from _walk(data, skip=_SKIP_KEYS, seen=seen)


def _json_urls(data: bytes, name: str) -> Iterator[str]:
    try:
        parsed = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise InputError(f"{name}: not valid JSON: {exc}") from exc
    return _structured_urls(parsed)


def _yaml_urls(data: bytes, name: str) -> Iterator[str]:
    try:
        parsed = yaml.safe_load(data)
    except yaml.YAMLError as exc:
        raise InputError(f"{name}: not valid YAML: {exc}") from exc
    except RecursionError as exc:
        raise InputError(f"{name}: YAML nested too deeply") from exc
    return _structured_urls(parsed)


def _sitemap_urls(data: bytes, name: str, note: Callable[[str], None]) -> Iterator[str]:
    events = lxml.etree.iterparse(
        io.BytesIO(data),
        events=("start", "end"),
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
    )
    kind: str | None = None
    nested = skipped = 0
    urls: list[str] = []
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
                        urls.append(text)
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


def _text_urls(data: bytes) -> Iterator[str]:
    for line in data.decode("utf-8", "replace").splitlines():
        yield from _links(line)


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


def urls_in_document(
    data: bytes, name: str = "input", *, note: Callable[[str], None] | None = None
) -> Iterator[str]:
    """The URLs in a whole document of any supported kind (see the module doc)."""
    if data.startswith(b"\x1f\x8b"):
        data = _decompress(data, name)
        name = name.removesuffix(".gz")
    kind = _kind(name, data.removeprefix(_BOM).lstrip())
    return _document_urls(kind, data.removeprefix(_BOM), name, note or (lambda _: None))


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


def _document_urls(kind: str, data: bytes, name: str, note: Callable[[str], None]) -> Iterator[str]:
    if kind in ("json", "xml"):
        try:
            return _json_urls(data, name) if kind == "json" else _sitemap_urls(data, name, note)
        except InputError as exc:
            # Markdown starting with a "[" badge or a "<https://...>" autolink: text.
            note(f"{exc}; reading it as text")
            return _text_urls(data)
    if kind == "yaml":
        return _yaml_urls(data, name)
    if kind == "text":
        return _text_urls(data)
    return _lines(data)


def _lines(data: bytes) -> Iterator[str]:
    for raw in data.splitlines():
        line = raw.strip()
        if line and not line.startswith(b"#"):
            yield line.decode("utf-8", "replace")


# --- the source ----------------------------------------------------------------------


class UrlSource:
    """The URLs of several inputs in order, as an async iterator.

    Files are opened at once (so a missing file is an :class:`InputError` before any
    check runs); ``-`` is ``stdin`` (default ``sys.stdin``). ``count`` is the number of
    URLs handed out so far, ``exhausted`` whether every input is done. ``note`` receives
    remarks about the input (a sitemap index not followed).
    """

    def __init__(
        self,
        names: Sequence[str],
        *,
        stdin: TextIO | None = None,
        note: Callable[[str], None] | None = None,
    ) -> None:
        self.count = 0
        self.exhausted = False
        self._note = note or (lambda _: None)
        self._inputs: list[tuple[str, _Reader]] = []
        try:
            for name in names or [STDIN]:
                if name == STDIN:
                    self._inputs.append(("stdin", _stdin_reader(stdin or sys.stdin)))
                    continue
                try:
                    fd = os.open(name, os.O_RDONLY)
                except OSError as exc:
                    raise InputError(f"cannot read {name}: {exc.strerror}") from exc
                try:
                    if stat.S_ISDIR(os.fstat(fd).st_mode):
                        raise InputError(f"cannot read {name}: it is a directory")
                    self._inputs.append((name, _fd_reader(fd, owned=True)))
                except BaseException:
                    os.close(fd)
                    raise
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        for _, reader in self._inputs:
            reader.close()

    def __aiter__(self) -> AsyncIterator[str]:
        return self._urls()

    async def _urls(self) -> AsyncIterator[str]:
        try:
            for name, reader in self._inputs:
                async for url in self._from(name, reader):
                    self.count += 1
                    yield url
                reader.close()
            self.exhausted = True
        finally:
            self.close()

    async def _from(self, name: str, reader: _Reader) -> AsyncIterator[str]:
        try:
            head = await self._head(reader)
            lead = head.removeprefix(_BOM).lstrip()
            if head.startswith(b"\x1f\x8b") or _kind(name, lead) != "lines":
                data = head + await self._rest(reader, name, len(head))
                for url in urls_in_document(data, name, note=self._note):
                    yield url
                return
            # A URL list: line by line, as the checker takes them. Only the unfinished
            # last line is carried over, and never more than MAX_LINE_BYTES of it.
            pending = head.removeprefix(_BOM).replace(b"\r", b"\n")
            skipping = False
            while True:
                cut = pending.rfind(b"\n")
                if cut >= 0:
                    for url in _lines(pending[:cut]):
                        yield url
                    pending = pending[cut + 1 :]
                if len(pending) > MAX_LINE_BYTES:
                    self._note(f"{name}: a line over {MAX_LINE_BYTES} bytes is no URL: skipped")
                    pending, skipping = b"", True
                chunk = (await reader.read()).replace(b"\r", b"\n")
                if not chunk:
                    break
                if skipping:  # the rest of an over-long line
                    end = chunk.find(b"\n")
                    if end < 0:
                        continue
                    chunk, skipping = chunk[end + 1 :], False
                pending += chunk
            if not skipping:
                for url in _lines(pending):
                    yield url
        except OSError as exc:
            raise InputError(f"cannot read {name}: {exc.strerror or exc}") from exc

    @staticmethod
    async def _head(reader: _Reader) -> bytes:
        """The first bytes: enough to hold the first line that is not blank or a comment
        (or the whole input when it is shorter)."""
        head = b""
        while True:
            chunk = await reader.read()
            head += chunk
            # A list's first line is short; a document's kind shows in its first bytes.
            if not chunk or len(head) > MAX_LINE_BYTES:
                return head
            body = head.removeprefix(_BOM).lstrip()
            if body[:1] in (b"{", b"[", b"<", b"\x1f") or head.startswith(b"\x1f\x8b"):
                return head
            for line in body.split(b"\n")[:-1]:
                stripped = line.strip()
                if stripped and not stripped.startswith(b"#"):
                    return head

    @staticmethod
    async def _rest(reader: _Reader, name: str, have: int) -> bytes:
        parts: list[bytes] = []
        size = have
        while chunk := await reader.read():
            size += len(chunk)
            if size > MAX_DOCUMENT_BYTES:
                raise InputError(f"{name}: larger than {MAX_DOCUMENT_BYTES} bytes")
            parts.append(chunk)
        return b"".join(parts)
