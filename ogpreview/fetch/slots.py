"""Connection slots to upstream hosts: bounded, timed apart from fetches, fair to clients.

Each request a fetch makes holds one slot for its host while it talks to the site: at most
``per_host`` at once per host (the connector's own per-host limit) and ``total`` over all
hosts. A request that finds none free waits in a queue that is this service's, not the
site's: the wait has its own limit (``queue_timeout``) and ends, when that runs out, in
:class:`~ogpreview.UpstreamBusy` (never cached) rather than in a timeout blamed on the
site, and the fetch's own timeouts start once it has its slot. Waiters are served client
by client in turn (the HTTP API names each request's client; a library caller may, with
:func:`upstream_client`), so one client's hundreds of queued fetches of a site hold back
another client's fetch by one turn, not by the whole queue.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import math
from collections import deque
from collections.abc import AsyncIterator, Hashable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass

from ogpreview.errors import UpstreamBusy

__all__ = ["UpstreamSlots", "upstream_client"]

#: Whose fetches the current task makes (None: the anonymous client, for library use).
_CLIENT: ContextVar[Hashable] = ContextVar("ogpreview_upstream_client", default=None)


@contextlib.contextmanager
def upstream_client(name: Hashable) -> Iterator[None]:
    """Fetches made inside the block (and in tasks it creates) wait for upstream slots as
    ``name``'s: clients take turns for a busy host."""
    token = _CLIENT.set(name)
    try:
        yield
    finally:
        _CLIENT.reset(token)


@dataclass(eq=False, slots=True)
class _Waiter:
    host: str
    client: Hashable
    seq: int
    future: asyncio.Future[None]


class UpstreamSlots:
    """Slots per host and in all, granted to waiting clients in turn (see module doc)."""

    def __init__(self, *, per_host: int, total: int, queue_timeout: float) -> None:
        self.per_host = per_host
        self.total = total
        self.queue_timeout = queue_timeout
        self._active: dict[str, int] = {}
        self._in_use = 0
        #: client -> host -> its waiters in arrival order; clients in turn order.
        self._queues: dict[Hashable, dict[str, deque[_Waiter]]] = {}
        self._seq = itertools.count()
        self._waiting = 0

    @property
    def in_use(self) -> int:
        return self._in_use

    @property
    def waiting(self) -> int:
        return self._waiting

    @contextlib.asynccontextmanager
    async def slot(
        self, host: str, deadline: asyncio.Timeout | None = None
    ) -> AsyncIterator[float]:
        """Hold a slot to ``host`` for the block; the seconds waited for it. ``deadline``,
        the caller's own timeout, stands still while it waits: the wait is not its work."""
        loop = asyncio.get_running_loop()
        # One that has just run out is left alone: its cancellation is on its way.
        paused = deadline if deadline is not None and not deadline.expired() else None
        when = paused.when() if paused is not None else None
        started = loop.time()
        if paused is not None:
            paused.reschedule(None)
        try:
            waited = await self.acquire(host)
        finally:
            if paused is not None and when is not None:
                paused.reschedule(when + loop.time() - started)
        try:
            yield waited
        finally:
            self.release(host)

    async def acquire(self, host: str) -> float:
        """Wait for a slot to ``host`` (a ``scheme://name:port`` key); the seconds waited.

        Raises :class:`~ogpreview.UpstreamBusy` when none came within ``queue_timeout``.
        The caller must :meth:`release` the slot when done with the host.
        """
        # After every grant no waiter could use a free slot, so a free one is nobody's turn.
        if self._in_use < self.total and self._active.get(host, 0) < self.per_host:
            self._take(host)
            return 0.0
        loop = asyncio.get_running_loop()
        waiter = _Waiter(host, _CLIENT.get(), next(self._seq), loop.create_future())
        self._queues.setdefault(waiter.client, {}).setdefault(host, deque()).append(waiter)
        self._waiting += 1
        started = loop.time()
        try:
            async with asyncio.timeout(self.queue_timeout):
                await waiter.future
        except BaseException as exc:
            if waiter.future.done() and not waiter.future.cancelled():
                self.release(host)  # granted as the wait ended: pass it on
            else:
                self._dequeue(waiter)
            if isinstance(exc, TimeoutError):
                raise UpstreamBusy(
                    f"no connection to {host} came free within {self.queue_timeout:g} s: "
                    "this service is busy with that site",
                    retry_after=math.ceil(self.queue_timeout),
                ) from None
            raise
        return loop.time() - started

    def release(self, host: str) -> None:
        left = self._active[host] - 1
        if left:
            self._active[host] = left
        else:
            del self._active[host]
        self._in_use -= 1
        self._dispatch()

    def _take(self, host: str) -> None:
        self._active[host] = self._active.get(host, 0) + 1
        self._in_use += 1

    def _dispatch(self) -> None:
        """Grant free slots: to the client whose turn it is, its oldest waiter that fits."""
        while self._in_use < self.total and self._queues:
            for hosts in self._queues.values():
                waiter = self._first_that_fits(hosts)
                if waiter is not None:
                    break
            else:
                return
            self._dequeue(waiter)
            if waiter.future.done():  # cancelled, and not yet out of the queue
                continue
            waiter.future.set_result(None)
            self._take(waiter.host)
            if waiter.client in self._queues:  # its turn is over: to the back of the line
                self._queues[waiter.client] = self._queues.pop(waiter.client)

    def _first_that_fits(self, hosts: dict[str, deque[_Waiter]]) -> _Waiter | None:
        best: _Waiter | None = None
        for host, waiters in hosts.items():
            if self._active.get(host, 0) < self.per_host and (
                best is None or waiters[0].seq < best.seq
            ):
                best = waiters[0]
        return best

    def _dequeue(self, waiter: _Waiter) -> None:
        hosts = self._queues.get(waiter.client)
        waiters = hosts.get(waiter.host) if hosts is not None else None
        if hosts is None or waiters is None or waiter not in waiters:
            return
        waiters.remove(waiter)
        self._waiting -= 1
        if not waiters:
            del hosts[waiter.host]
        if not hosts:
            del self._queues[waiter.client]
