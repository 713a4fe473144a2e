"""Small asyncio helpers the package's task owners share."""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from typing import Any, Generic, ParamSpec, TypeVar

from ogpreview.urls import host_key

__all__ = ["OFFLOAD_SIZE", "HostLimiter", "SingleFlight", "cancel_and_wait", "offload"]

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


class _Slot:
    __slots__ = ("held", "waiters")

    def __init__(self) -> None:
        self.held = 0
        self.waiters: deque[asyncio.Future[None]] = deque()


class HostLimiter:
    """At most ``per_host`` holders at once per host, served first come, first served.

    A host is keyed by :func:`ogpreview.urls.host_key` (``host`` or ``host:port``); its
    slot is forgotten as soon as nobody holds or waits on it, so memory follows the hosts
    in flight, not every host ever seen (runs over millions of URLs, long-lived services).
    :meth:`hold` waits for a slot; :meth:`try_acquire` takes one only if it is free now
    (schedulers that keep their own queue), and :meth:`release` gives it back.
    """

    def __init__(self, per_host: int) -> None:
        if per_host < 1:
            raise ValueError("per_host must be at least 1")
        self.per_host = per_host
        self._slots: dict[str, _Slot] = {}

    def __len__(self) -> int:
        """How many hosts are held or waited on now."""
        return len(self._slots)

    def in_use(self, host: str) -> int:
        """How many holders ``host`` has now."""
        slot = self._slots.get(host)
        return 0 if slot is None else slot.held

    def try_acquire(self, host: str) -> bool:
        """Take a slot of ``host`` if one is free and nobody waits for it; True if taken."""
        slot = self._slots.get(host)
        if slot is None:
            slot = self._slots[host] = _Slot()
        if slot.held < self.per_host and not slot.waiters:
            slot.held += 1
            return True
        if not slot.held:
            del self._slots[host]
        return False

    async def acquire(self, host: str) -> None:
        """Wait for a slot of ``host`` and take it."""
        if self.try_acquire(host):
            return
        slot = self._slots[host]
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        slot.waiters.append(waiter)
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self.release(host)  # handed a slot just as it was cancelled: pass it on
            else:
                with contextlib.suppress(ValueError):
                    slot.waiters.remove(waiter)
                if not slot.held and not slot.waiters:
                    self._slots.pop(host, None)
            raise

    def release(self, host: str) -> None:
        """Give a slot of ``host`` back: to its first waiter, else free (and the host
        forgotten when that was its last holder)."""
        slot = self._slots[host]
        while slot.waiters:
            waiter = slot.waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)  # the slot passes on: ``held`` is unchanged
                return
        slot.held -= 1
        if not slot.held:
            del self._slots[host]

    @contextlib.asynccontextmanager
    async def hold(self, url: str) -> AsyncIterator[None]:
        """Hold a slot of ``url``'s host (:func:`~ogpreview.urls.host_key`) for the block."""
        host = host_key(url)
        await self.acquire(host)
        try:
            yield
        finally:
            self.release(host)


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
