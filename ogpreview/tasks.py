"""Small asyncio helpers the package's task owners share."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, Generic, ParamSpec, TypeVar

__all__ = ["OFFLOAD_SIZE", "SingleFlight", "cancel_and_wait", "offload"]

P = ParamSpec("P")
T = TypeVar("T")

#: Inputs this large (bytes or characters) or larger are worked on in a worker thread by
#: :func:`offload`. Below it the work takes well under a millisecond: a thread costs more.
OFFLOAD_SIZE = 64 * 1024


async def cancel_and_wait(tasks: Iterable[asyncio.Future[Any]]) -> None:
    """Cancel ``tasks`` and wait until each has finished, whatever it ended with; nothing
    they raised propagates (only this caller's own cancellation does)."""
    tasks = list(tasks)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


async def offload(size: int, func: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
    """``func(*args, **kwargs)``, in a worker thread when its input (``size`` bytes or
    characters) is :data:`OFFLOAD_SIZE` or more, so that the CPU work one request's body
    costs (parsing it, finding its links) never holds up the event loop and every other
    request on it; inline when the input is small."""
    if size < OFFLOAD_SIZE:
        return func(*args, **kwargs)
    return await asyncio.to_thread(func, *args, **kwargs)


class SingleFlight(Generic[T]):
    """One running task per key, shared by every caller of that key.

    A task :meth:`join` started is cancelled when the last caller waiting on it gives up
    (nobody wants its result then); one :meth:`start` started runs to its end, whoever
    joins it later.
    """

    def __init__(self) -> None:
        self._running: dict[str, asyncio.Future[T]] = {}
        #: Callers waiting on each task a join started.
        self._waiters: dict[asyncio.Future[T], int] = {}

    def __contains__(self, key: str) -> bool:
        return key in self._running

    def start(self, key: str, work: Callable[[], Awaitable[T]]) -> asyncio.Future[T]:
        """Run ``work()`` as ``key``'s task (the caller makes sure none runs)."""
        future = asyncio.ensure_future(work())
        self._running[key] = future

        def finished(_: asyncio.Future[T]) -> None:
            if self._running.get(key) is future:
                del self._running[key]

        future.add_done_callback(finished)
        return future

    async def join(self, key: str, work: Callable[[], Awaitable[T]]) -> T:
        """The result of ``key``'s running task, or of ``work()`` started as it."""
        future = self._running.get(key)
        if future is None:
            future = self.start(key, work)
            self._waiters[future] = 0
        counted = future in self._waiters
        if counted:
            self._waiters[future] += 1
        try:
            # Shielded: one caller giving up must not cancel the task the others wait for.
            return await asyncio.shield(future)
        finally:
            if counted and future in self._waiters:
                self._waiters[future] -= 1
                if self._waiters[future] == 0:
                    del self._waiters[future]
                    future.cancel()  # a no-op when it is done
