"""Checking links in worker processes: ``ogpreview check --processes N``.

A check costs 0.3 to 1 ms of CPU by the machine (the HTTP exchange, extraction, the
findings), so one process tops out at one to three thousand links a second however fast
the sites answer.
:class:`CheckPool` runs the checks in worker processes, one per CPU at most, while the
scheduling stays in the caller's process: :func:`~ogpreview.check.checker.check_stream` is the
one place for duplicates, concurrency and per-host politeness, whatever runs the checks.
A host's checks go to one worker while any of them runs there (its connections are kept
alive there); a new host goes to the least busy worker. The per-host limit is the links'
own hosts': a host that links share for images or redirects is limited per worker (each
worker's connection pool), so it may see that many connections from each worker.

The protocol is one JSON document per line on each worker's standard streams. The parent
sends ``{"settings": ..., "slow_ms": ...}``, then ``[id, url]`` per check and
``[id, null]`` for a check it no longer wants; the worker answers ``"ready"`` once, then
``[id, result]`` per check as it finishes (:meth:`~ogpreview.check.checker.CheckResult.to_dict`).
A worker stops when its standard input closes, cancelling what it still runs. Workers run
in their own session (a terminal's Ctrl-C reaches only the command, which closes their
input) and without the current folder on ``sys.path``. A worker that dies turns the
checks it was running into ``internal_error`` results and gets no more; the other workers
carry on.

Run as ``python -m ogpreview.check.pool``, this module is a worker.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import functools
import itertools
import json
import logging
import os
import signal
import sys
import sysconfig
import time
from pathlib import Path
from types import TracebackType
from typing import Any

import orjson

from ogpreview.check.checker import (
    SLOW_MS,
    Checker,
    CheckResult,
    error_result,
    failed_result,
    previewer_for_checks,
)
from ogpreview.errors import PreviewError
from ogpreview.fetch.policy import MAX_URL_LENGTH, validate_url
from ogpreview.settings import Settings
from ogpreview.tasks import cancel_and_wait
from ogpreview.text import scrub_surrogates
from ogpreview.urls import host_key

__all__ = [
    "CheckPool",
    "CheckPoolError",
    "decode_config",
    "encode_config",
]

log = logging.getLogger(__name__)

#: Seconds a worker may take to start (import, connect to Redis) before the pool gives up.
WORKER_START_TIMEOUT = 60.0
#: Seconds a worker may take to stop once its input is closed before it is killed.
WORKER_STOP_TIMEOUT = 5.0
#: Longest protocol line either side accepts (a result holds a card and its findings).
MAX_LINE_BYTES = 8 * 1024 * 1024
_READY = b'"ready"'
_DIED = "the check itself failed: its worker process died"
_NO_WORKER = "the check itself failed: no check worker is left"


class CheckPoolError(RuntimeError):
    """The worker processes could not be started."""


def _worker_env() -> dict[str, str] | None:
    """The workers' environment: ours, plus this ogpreview's folder on PYTHONPATH when it
    is not installed in the interpreter's site-packages (a checkout run in place), so
    each worker imports this very ogpreview. (Site-packages itself is never prepended:
    it would shadow the standard library.)"""
    root = Path(__file__).resolve().parent.parent
    installed = {Path(sysconfig.get_path(name)).resolve() for name in ("purelib", "platlib")}
    if root in installed:
        return None
    path = os.environ.get("PYTHONPATH")
    return {**os.environ, "PYTHONPATH": str(root) + (os.pathsep + path if path else "")}


def encode_config(settings: Settings, slow_ms: float) -> bytes:
    """A worker's first input line. (The standard json module, not orjson: a setting may
    be ``inf``, which JSON proper cannot say and orjson would turn into null.)"""
    fields = dataclasses.asdict(settings)
    if fields["allowed_ports"] is not None:  # a frozenset; the constructor takes any iterable
        fields["allowed_ports"] = sorted(fields["allowed_ports"])
    config = {"settings": fields, "slow_ms": slow_ms}
    return json.dumps(config, allow_nan=True, separators=(",", ":")).encode()


def decode_config(line: bytes) -> tuple[Settings, float]:
    """What :func:`encode_config` encoded."""
    config = json.loads(line)
    return Settings(**config["settings"]), float(config["slow_ms"])


@dataclasses.dataclass(eq=False, slots=True)
class _Worker:
    index: int
    process: asyncio.subprocess.Process
    #: check id -> (url, when it was sent, the future its result resolves)
    pending: dict[int, tuple[str, float, asyncio.Future[CheckResult]]] = dataclasses.field(
        default_factory=dict
    )
    reader: asyncio.Task[None] | None = None
    alive: bool = True
    #: Lines not yet written: what one turn of the event loop sends goes in one write.
    outbox: list[bytes] = dataclasses.field(default_factory=list)

    def send(self, line: bytes) -> None:
        if not self.alive:
            return
        if not self.outbox:
            asyncio.get_running_loop().call_soon(self._flush)
        self.outbox.append(line)

    def _flush(self) -> None:
        stdin = self.process.stdin
        if self.outbox and self.alive and stdin is not None and not stdin.is_closing():
            # Unbounded by design: the caller bounds the checks in flight (concurrency).
            stdin.write(b"\n".join(self.outbox) + b"\n")
        self.outbox.clear()


class CheckPool:
    """Link checks in ``processes`` worker processes, each with its own previewer built
    from ``settings`` (a Redis cache when ``settings.redis_url`` is set, none otherwise,
    as ``ogpreview check`` does). Use as an async context manager; :meth:`check` works
    like :meth:`Checker.check <ogpreview.check.checker.Checker.check>`, and
    :func:`~ogpreview.check.checker.check_stream` runs it over many URLs."""

    def __init__(self, settings: Settings, processes: int, *, slow_ms: float = SLOW_MS) -> None:
        if processes < 1:
            raise ValueError("processes must be at least 1")
        self.settings = settings
        self.processes = processes
        self.slow_ms = slow_ms
        self._workers: list[_Worker] = []
        #: host -> [its worker, checks of it running there]
        self._hosts: dict[str, list[Any]] = {}
        self._ids = itertools.count()
        self._closing = False

    async def __aenter__(self) -> CheckPool:
        try:
            await self.start()
        except BaseException:
            await self.aclose()
            raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    @property
    def pids(self) -> list[int]:
        """The worker processes' ids."""
        return [worker.process.pid for worker in self._workers]

    async def start(self) -> None:
        """Start the workers and wait until each is ready to check."""
        config = encode_config(self.settings, self.slow_ms)
        env = _worker_env()
        for index in range(self.processes):
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-P",  # not the current folder first on sys.path: it may hold anything
                "-m",
                "ogpreview.check.pool",
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                env=env,
                limit=MAX_LINE_BYTES,
                # Out of the terminal's process group: Ctrl-C is ours to handle (we then
                # close the workers' input), even while a worker is still importing.
                start_new_session=True,
            )
            assert process.stdin is not None
            process.stdin.write(config + b"\n")
            self._workers.append(_Worker(index, process))
        for worker in self._workers:
            assert worker.process.stdout is not None
            try:
                async with asyncio.timeout(WORKER_START_TIMEOUT):
                    line = await worker.process.stdout.readline()
            except TimeoutError:
                line = b""
            if line.strip() != _READY:
                detail = ""
                if not line:  # it closed its output: it is exiting
                    detail = f" (exit code {await worker.process.wait()})"
                raise CheckPoolError(f"check worker {worker.index} did not start{detail}")
            worker.reader = asyncio.create_task(self._read(worker))

    async def aclose(self) -> None:
        """Stop the workers (what they still run is cancelled) and wait for them."""
        self._closing = True
        for worker in self._workers:
            stdin = worker.process.stdin
            if stdin is not None and not stdin.is_closing():
                stdin.close()
        for worker in self._workers:
            try:
                async with asyncio.timeout(WORKER_STOP_TIMEOUT):
                    await worker.process.wait()
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    worker.process.kill()
                await worker.process.wait()
            if worker.reader is not None:
                with contextlib.suppress(asyncio.CancelledError):
                    await worker.reader
        self._workers.clear()

    # --- checks --------------------------------------------------------------------------

    def _worker_for(self, host: str) -> _Worker | None:
        entry = self._hosts.get(host)
        if entry is not None and entry[0].alive:
            worker: _Worker = entry[0]
            return worker
        live = [worker for worker in self._workers if worker.alive]
        return min(live, key=lambda worker: len(worker.pending)) if live else None

    def check(self, url: str) -> asyncio.Future[CheckResult]:
        """Check one link in a worker: awaited, like :meth:`Checker.check
        <ogpreview.check.checker.Checker.check>`, it gives the result (a bad URL or site is a
        result, never an exception); cancelling it stops the check in the worker. (A
        future rather than a coroutine: no task per link in the command.)"""
        future: asyncio.Future[CheckResult] = asyncio.get_running_loop().create_future()
        started = time.perf_counter()
        url = url.strip()
        if not url.isascii():
            url = scrub_surrogates(url)
        if len(url) > MAX_URL_LENGTH:  # refused as a worker would, without a huge line
            try:
                validate_url(url, self.settings.policy)
            except PreviewError as error:
                future.set_result(error_result(url, error, started=started))
                return future
        host = host_key(url)
        worker = self._worker_for(host)
        if worker is None:
            future.set_result(failed_result(url, _NO_WORKER, started=started))
            return future
        entry = self._hosts.get(host)
        if entry is None or entry[0] is not worker:
            entry = self._hosts[host] = [worker, 0]
        entry[1] += 1
        ident = next(self._ids)
        worker.pending[ident] = (url, started, future)
        worker.send(orjson.dumps([ident, url]))
        future.add_done_callback(functools.partial(self._settled, worker, ident, host, entry))
        return future

    def _settled(
        self,
        worker: _Worker,
        ident: int,
        host: str,
        entry: list[Any],
        future: asyncio.Future[CheckResult],
    ) -> None:
        worker.pending.pop(ident, None)
        entry[1] -= 1
        if entry[1] == 0 and self._hosts.get(host) is entry:
            del self._hosts[host]
        if future.cancelled():  # the worker stops it too: running checks are what we count
            worker.send(orjson.dumps([ident, None]))

    async def _read(self, worker: _Worker) -> None:
        stdout = worker.process.stdout
        assert stdout is not None
        try:
            while line := await stdout.readline():
                ident, data = orjson.loads(line)
                waiting = worker.pending.pop(ident, None)
                if waiting is not None and not waiting[2].done():
                    waiting[2].set_result(CheckResult.from_dict(data))
        except (ValueError, TypeError, KeyError) as exc:  # a broken line: the worker is broken
            log.error("check worker %d sent a malformed answer: %s", worker.index, exc)
            with contextlib.suppress(ProcessLookupError):
                worker.process.kill()
        finally:
            worker.alive = False
            lost = list(worker.pending.values())
            worker.pending.clear()
            if lost or not self._closing:
                code = await worker.process.wait()
                if not self._closing:
                    log.error(
                        "check worker %d exited (code %s); %d check(s) it was running are "
                        "reported as internal errors",
                        worker.index,
                        code,
                        len(lost),
                    )
            for url, started, future in lost:
                if not future.done():
                    future.set_result(failed_result(url, _DIED, started=started))


# --- the worker --------------------------------------------------------------------------


async def _work() -> None:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=MAX_LINE_BYTES)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    # The protocol gets a copy of stdout; fd 1 itself then goes to stderr, so nothing a
    # library prints can corrupt the answers.
    answers = os.fdopen(os.dup(sys.stdout.fileno()), "wb", buffering=0)
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    transport, _ = await loop.connect_write_pipe(asyncio.Protocol, answers)

    first = await reader.readline()
    if not first:
        return
    settings, slow_ms = decode_config(first)
    async with previewer_for_checks(settings) as previewer:
        checker = Checker(previewer, slow_ms=slow_ms)
        transport.write(_READY + b"\n")
        running: dict[int, asyncio.Task[CheckResult]] = {}

        def answer(
            task: asyncio.Task[CheckResult], *, ident: int, url: str, started: float
        ) -> None:
            running.pop(ident, None)
            if task.cancelled() or transport.is_closing():
                return
            try:
                line = orjson.dumps([ident, task.result().to_dict()])
            except Exception as exc:  # the parent must get an answer, whatever went wrong
                log.exception("answering the check of %s failed", url)
                failed = failed_result(url, f"the check itself failed: {exc!r}", started=started)
                line = orjson.dumps([ident, failed.to_dict()])
            transport.write(line + b"\n")

        while line := await reader.readline():
            ident, url = orjson.loads(line)
            if url is None:  # the parent no longer wants this one
                task = running.pop(ident, None)
                if task is not None:
                    task.cancel()
                continue
            task = asyncio.ensure_future(checker.check(url))
            running[ident] = task
            answered = functools.partial(answer, ident=ident, url=url, started=time.perf_counter())
            task.add_done_callback(answered)
        await cancel_and_wait(running.values())
    transport.close()


def _worker_main() -> int:
    # Ctrl-C is the parent's to handle (it then closes our input); a worker runs in its own
    # session, and ignores SIGINT too should one reach it anyway.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        asyncio.run(_work())
    except ConnectionError:  # the parent went away: nobody is left to answer
        return 1
    except Exception as exc:  # one readable line, never a traceback
        print(f"error: check worker: {exc!r}", file=sys.stderr, flush=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(_worker_main())
