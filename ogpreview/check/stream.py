"""Checking a stream of links: concurrency, per-host politeness, duplicates skipped,
bounded memory (:func:`check_stream`, behind :meth:`Checker.check_many
<ogpreview.check.checker.Checker.check_many>` and the worker pool's runs)."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from collections import deque
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Iterable, Iterator
from typing import TypeVar

from ogpreview.tasks import HostLimiter, cancel_and_wait
from ogpreview.urls import host_key, normalize_url

__all__ = ["DEFAULT_CONCURRENCY", "DEFAULT_PER_HOST", "check_stream", "dedup_key"]

#: Checks run at once by :meth:`Checker.check_many`, overall and per host (politeness).
DEFAULT_CONCURRENCY = 32
DEFAULT_PER_HOST = 4

#: What :func:`check_stream` streams and what it gives back for each.
_Url = TypeVar("_Url", bound=str)
_Result = TypeVar("_Result")


def dedup_key(url: str) -> int:
    """What makes two links "the same link", checked once: equal keys. The key is that of
    the normalised URL (:func:`~ogpreview.urls.normalize_url`: case of scheme and host,
    default port, fragment and tracking parameters do not count; the stripped text when it
    does not parse). Both ``ogpreview check`` (:meth:`Checker.check_many`) and check jobs
    (:func:`ogpreview.check.jobs.base.dedupe_urls`) skip a URL whose key they have seen.

    It is small and fixed-size (8 bytes of a hash: the seen-set stays small for 100,000s of
    URLs; a collision needs ~4 billion URLs to be likely)."""
    try:
        text = normalize_url(url)
    except ValueError:
        text = url.strip()
    digest = hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(digest, "big")


async def check_stream(
    check: Callable[[_Url], Awaitable[_Result]],
    urls: Iterable[_Url] | AsyncIterable[_Url],
    *,
    concurrency: int = DEFAULT_CONCURRENCY,
    per_host: int = DEFAULT_PER_HOST,
    on_duplicate: Callable[[_Url], None] | None = None,
) -> AsyncIterator[_Result]:
    """Run ``check`` over a stream of URLs; results come out as they finish.

    ``check`` checks one URL and never raises for a bad one (:meth:`Checker.check`, or
    :meth:`~ogpreview.check.pool.CheckPool.check` in worker processes); it gets each URL
    as the stream gave it (a ``str`` subclass that knows where it was read, say) and may
    return anything. The input is read only as far as there is room: at most
    ``concurrency`` checks run at once, at most ``per_host`` of them on one host, and URLs
    waiting for a busy host are held up to a small multiple of ``concurrency`` before
    reading pauses. A URL seen before (the same normalised URL) is skipped, and handed to
    ``on_duplicate`` if given. Closing the iterator early cancels the checks in flight.
    """
    if concurrency < 1 or per_host < 1:
        raise ValueError("concurrency and per_host must be at least 1")
    if isinstance(urls, str | bytes):
        raise TypeError("check_many and check_stream take an iterable of URLs, not one URL")
    hold_limit = max(4 * concurrency, 64)
    async_source: AsyncIterator[_Url] | None = None
    sync_source: Iterator[_Url] | None = None
    if isinstance(urls, AsyncIterable):
        async_source = aiter(urls)
    else:
        sync_source = iter(urls)
    seen: set[int] = set()
    waiting: dict[str, deque[_Url]] = {}
    held = 0
    hosts = HostLimiter(per_host)
    tasks: dict[asyncio.Future[_Result], str] = {}
    # Finished checks are queued by their done callbacks: asyncio.wait() would walk every
    # running check (hundreds) each time one finishes.
    finished: deque[asyncio.Future[_Result]] = deque()
    wake = asyncio.Event()
    exhausted = False

    def on_done(task: asyncio.Future[_Result]) -> None:
        finished.append(task)
        wake.set()

    def start(url: _Url, host: str) -> None:
        task = asyncio.ensure_future(check(url))
        task.add_done_callback(on_done)
        tasks[task] = host

    try:
        while True:
            while not exhausted and len(tasks) < concurrency and held < hold_limit:
                if async_source is not None:
                    try:
                        url = await anext(async_source)
                    except StopAsyncIteration:
                        exhausted = True
                        break
                else:
                    assert sync_source is not None
                    try:
                        url = next(sync_source)
                    except StopIteration:
                        exhausted = True
                        break
                key = dedup_key(url)
                if key in seen:
                    if on_duplicate is not None:
                        on_duplicate(url)
                    continue
                seen.add(key)
                host = host_key(url)
                if hosts.try_acquire(host):
                    start(url, host)
                else:
                    waiting.setdefault(host, deque()).append(url)
                    held += 1
            if not tasks:  # nothing runs, so nothing waits for a host either
                return
            if not finished:
                wake.clear()
                await wake.wait()
            done = list(finished)
            finished.clear()
            for task in done:
                host = tasks.pop(task)
                hosts.release(host)
                queue = waiting.get(host)
                # Nobody else waits on the limiter: the slot just freed is this queue's.
                if queue and hosts.try_acquire(host):
                    held -= 1
                    start(queue.popleft(), host)
                    if not queue:
                        del waiting[host]
            for task in done:
                yield task.result()
    finally:
        with contextlib.suppress(Exception):
            await cancel_and_wait(tasks)
