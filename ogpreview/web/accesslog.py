"""The access log: one JSON line per answered request on the ``ogpreview.access`` logger,
written off the request's path.

Logging each request through ``logging`` costs a ``LogRecord`` (a stack walk, a lock, a
formatter) and a blocking write: a quarter of a cached answer's time. ``ogpreview serve``
gives the logger an :class:`AccessLogWriter` (:func:`install_writer`), a handler that queues
lines and writes them in batches from its own thread. While that handler is the logger's
only consumer (no filters, no propagation), :func:`log_request` hands it the line's fields
without making a record, and the writer thread encodes them; otherwise (an app embedding
the API, tests capturing records) the line is a record logged at INFO as before. Either
way the line is the same JSON object.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections import deque
from typing import TextIO

import orjson

__all__ = ["ACCESS_LOGGER", "AccessLogWriter", "access_line", "install_writer", "log_request"]

ACCESS_LOGGER = "ogpreview.access"
access_log = logging.getLogger(ACCESS_LOGGER)

#: Seconds the writer waits after the first line of a batch for more to join it: under
#: load one write carries hundreds of lines; an idle server's line is written this late.
LINGER = 0.02
#: Lines queued at most; past it the request's own thread writes them (as a blocking
#: handler would), so a stalled stream slows requests rather than losing lines or memory.
MAX_PENDING = 50_000
#: Seconds ``close`` waits for the writer thread to write what is queued.
CLOSE_TIMEOUT = 10.0

#: (Unix time, client, method, path, route, status, seconds) of one answered request.
Fields = tuple[float, str, str, str | None, str, int, float]


def access_line(fields: Fields) -> bytes:
    """The access-log line of one request, without its line end. The path only: queries
    may hold signatures, headers may hold keys."""
    ts, client, method, path, route, status, seconds = fields
    return orjson.dumps(
        {
            "ts": round(ts, 3),
            "client": client,
            "method": method,
            "path": path,
            "route": route,
            "status": status,
            "ms": round(seconds * 1000, 2),
        }
    )


def _line_of(item: Fields | bytes) -> bytes:
    return item + b"\n" if isinstance(item, bytes) else access_line(item) + b"\n"


class AccessLogWriter(logging.Handler):
    """A handler writing lines to ``stream`` (stderr by default) in batches, from a thread
    of its own. Records are formatted when logged; :meth:`close` (``logging.shutdown``
    calls it at exit) writes everything queued before it returns."""

    def __init__(self, stream: TextIO | None = None, *, linger: float = LINGER) -> None:
        super().__init__()
        self.stream = stream if stream is not None else sys.stderr
        self.linger = linger
        self._pending: deque[Fields | bytes] = deque()
        self._wake = threading.Event()
        self._closing = threading.Event()
        #: Held while a batch is taken and written, so that batches keep their order.
        self._write_lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def put(self, item: Fields | bytes) -> None:
        """Queue one line: a request's fields, or a formatted line (bytes, no line end)."""
        pending = self._pending
        pending.append(item)
        if len(pending) >= MAX_PENDING or self._closing.is_set():
            self.flush()
        elif not self._wake.is_set():  # read after the append: see _run
            if self._thread is None:
                self._start()
            self._wake.set()

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.put(self.format(record).encode("utf-8", "backslashreplace"))
        except Exception:  # logging's contract: report, never raise
            self.handleError(record)

    def flush(self) -> None:
        """Write everything queued so far, from the calling thread."""
        with self._write_lock:
            count = len(self._pending)
            if count:
                self._write(b"".join(_line_of(self._pending.popleft()) for _ in range(count)))

    def close(self) -> None:
        self._closing.set()
        self._wake.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(CLOSE_TIMEOUT)
        if thread is None or not thread.is_alive():  # else it is stuck on a stalled stream
            self.flush()
        super().close()

    def _start(self) -> None:
        with self._write_lock:  # two threads logging their first line start one writer
            if self._thread is None:
                # A daemon: logging.shutdown closes the writer at exit, and a writer
                # nobody closed must not keep the process alive.
                thread = threading.Thread(target=self._run, name="ogpreview-access-log")
                thread.daemon = True
                thread.start()
                self._thread = thread

    def _run(self) -> None:
        # A producer sets the event only when it finds it clear after its append, and the
        # event is cleared here before the queue is taken: a line is either in this batch
        # or has set the event for the next one, never left waiting.
        while not self._closing.is_set():
            self._wake.wait()
            self._closing.wait(self.linger)  # returns at once when closing
            self._wake.clear()
            self.flush()

    def _write(self, data: bytes) -> None:
        stream = self.stream
        try:
            binary = getattr(stream, "buffer", None)
            if binary is None:
                stream.write(data.decode("utf-8"))
                stream.flush()
            else:
                stream.flush()  # anything written through the text layer goes first
                binary.write(data)
                binary.flush()
        except (OSError, ValueError):
            # The stream is gone (closed, a broken pipe): as logging does, the program
            # goes on; there is nowhere left to say so.
            pass


def install_writer(stream: TextIO | None = None) -> AccessLogWriter:
    """Make an :class:`AccessLogWriter` the access logger's one handler (its lines no
    longer propagate to the root logger's handlers) and return it."""
    writer = AccessLogWriter(stream)
    for handler in list(access_log.handlers):
        access_log.removeHandler(handler)
    access_log.addHandler(writer)
    access_log.propagate = False
    return writer


def _sole_writer() -> AccessLogWriter | None:
    """The writer, when a line handed to it is exactly what logging a record would do."""
    handlers = access_log.handlers
    if len(handlers) != 1 or access_log.propagate or access_log.filters:
        return None
    writer = handlers[0]
    if type(writer) is not AccessLogWriter or writer.filters or writer.level > logging.INFO:
        return None
    return writer if access_log.isEnabledFor(logging.INFO) else None


def log_request(
    client: str, method: str, path: str | None, route: str, status: int, seconds: float
) -> None:
    """Write the access-log line of one answered request (when INFO is on)."""
    fields = (time.time(), client, method, path, route, status, seconds)
    writer = _sole_writer()
    if writer is not None:
        writer.put(fields)
    elif access_log.isEnabledFor(logging.INFO):
        access_log.info(access_line(fields).decode())
