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

Documents (all but URL lists) are read whole, up to :data:`MAX_DOCUMENT_BYTES`, and parsed
by :mod:`ogpreview.check.documents`. Each URL comes out as an :class:`InputUrl`: the URL
text, with its place in the input (its index, the input's name and the line it is on).
Duplicates are left in: the checker skips them.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import stat
import sys
import threading
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from typing import TextIO

from ogpreview.check.documents import (
    BOM,
    MAX_DOCUMENT_BYTES,
    InputError,
    is_url_list,
    list_lines,
    located_urls_in_document,
)

__all__ = [
    "MAX_DOCUMENT_BYTES",
    "STDIN",
    "InputError",
    "InputUrl",
    "UrlSource",
    "urls_in_document",
]

#: The name that means standard input.
STDIN = "-"
#: Bytes read at a time.
READ_CHUNK = 64 * 1024
#: A line of a URL list longer than this is no URL: it is skipped (and noted).
MAX_LINE_BYTES = 64 * 1024
#: Chunks a reader thread may read ahead of the checker.
READ_AHEAD_CHUNKS = 4


class InputUrl(str):
    """A URL as read from an input: the text itself, and where it was found.

    A ``str``, so anything that takes URLs takes these; ``str(url)`` is the plain text.
    """

    #: 0-based position among all the URLs read, duplicates included (reports call it the
    #: link's index; ``str.index`` keeps its meaning).
    position: int
    #: The input's name as given (``-`` for standard input).
    source: str
    #: The 1-based line it is on (None when not known: see ogpreview.check.documents).
    line: int | None

    def __new__(cls, text: str, position: int, source: str, line: int | None) -> InputUrl:
        url = super().__new__(cls, text)
        url.position, url.source, url.line = position, source, line
        return url

    def __reduce__(self) -> tuple[type[str], tuple[str]]:
        # Pickled (to a worker process) as the plain text: where it came from stays here.
        return str, (str(self),)


def urls_in_document(
    data: bytes, name: str = "input", *, note: Callable[[str], None] | None = None
) -> Iterator[str]:
    """The URLs in a whole document of any supported kind (see the module doc)."""
    return (url for url, _ in located_urls_in_document(data, name, note=note))


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


# --- the source ----------------------------------------------------------------------


class UrlSource:
    """The URLs of several inputs in order, as an async iterator of :class:`InputUrl`.

    Files are opened at once (so a missing file is an :class:`InputError` before any
    check runs); ``-`` is ``stdin`` (default ``sys.stdin``). ``count`` is the number of
    URLs handed out so far, ``exhausted`` whether every input is done, and ``total`` the
    number there will be in all, once that is known. ``note`` receives remarks about the
    input (a sitemap index not followed).
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
        self._inputs: list[tuple[str, str, _Reader]] = []
        #: URLs of the last input still to hand out, once it is a document read whole.
        self._last_left: int | None = None
        try:
            for name in names or [STDIN]:
                if name == STDIN:
                    self._inputs.append((STDIN, "stdin", _stdin_reader(stdin or sys.stdin)))
                    continue
                try:
                    fd = os.open(name, os.O_RDONLY)
                except OSError as exc:
                    raise InputError(f"cannot read {name}: {exc.strerror}") from exc
                try:
                    if stat.S_ISDIR(os.fstat(fd).st_mode):
                        raise InputError(f"cannot read {name}: it is a directory")
                    self._inputs.append((name, name, _fd_reader(fd, owned=True)))
                except BaseException:
                    os.close(fd)
                    raise
        except BaseException:
            self.close()
            raise

    @property
    def total(self) -> int | None:
        """How many URLs there are in all (duplicates included), or None while unknown."""
        if self.exhausted:
            return self.count
        if self._last_left is not None:
            return self.count + self._last_left
        return None

    def close(self) -> None:
        for _, _, reader in self._inputs:
            reader.close()

    def __aiter__(self) -> AsyncIterator[InputUrl]:
        return self._urls()

    async def _urls(self) -> AsyncIterator[InputUrl]:
        try:
            last = len(self._inputs) - 1
            for position, (source, name, reader) in enumerate(self._inputs):
                async for url, line in self._from(name, reader, last=position == last):
                    located = InputUrl(url, self.count, source, line)
                    self.count += 1
                    if self._last_left is not None:
                        self._last_left -= 1
                    yield located
                reader.close()
            self.exhausted = True
        finally:
            self.close()

    async def _from(
        self, name: str, reader: _Reader, *, last: bool
    ) -> AsyncIterator[tuple[str, int | None]]:
        try:
            head = await self._head(reader)
            lead = head.removeprefix(BOM).lstrip()
            if head.startswith(b"\x1f\x8b") or not is_url_list(name, lead):
                data = head + await self._rest(reader, name, len(head))
                urls = list(located_urls_in_document(data, name, note=self._note))
                if last:
                    self._last_left = len(urls)
                for located in urls:
                    yield located
                return
            # A URL list: line by line, as the checker takes them. Only the unfinished
            # last line is carried over, and never more than MAX_LINE_BYTES of it.
            pending = head.removeprefix(BOM)
            line = 1  # the number of pending's first line
            skipping = False
            while True:
                # A CR that ends what was read may be the first half of a CRLF: it waits.
                cut = max(pending.rfind(b"\n"), pending.rfind(b"\r", 0, len(pending) - 1))
                if cut >= 0:
                    for url, number in list_lines(pending[:cut], line):
                        yield url, number
                    line += _breaks(pending[: cut + 1])
                    pending = pending[cut + 1 :]
                if len(pending) > MAX_LINE_BYTES:
                    self._note(f"{name}: a line over {MAX_LINE_BYTES} bytes is no URL: skipped")
                    pending, skipping = b"", True
                chunk = await reader.read()
                if not chunk:
                    break
                if skipping:  # the rest of an over-long line, up to (not over) its end
                    end = _first_break(chunk)
                    if end < 0:
                        continue
                    chunk, skipping = chunk[end:], False
                pending += chunk
            if not skipping:
                for url, number in list_lines(pending, line):
                    yield url, number
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
            body = head.removeprefix(BOM).lstrip()
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


def _breaks(data: bytes) -> int:
    """Line ends in ``data``: ``\\n``, ``\\r\\n`` and a lone ``\\r`` alike."""
    return data.count(b"\n") + data.count(b"\r") - data.count(b"\r\n")


def _first_break(data: bytes) -> int:
    ends = [i for i in (data.find(b"\n"), data.find(b"\r")) if i >= 0]
    return min(ends) if ends else -1
