"""Small asyncio helpers the package's task owners share."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from typing import Any, ParamSpec, TypeVar

__all__ = ["OFFLOAD_SIZE", "cancel_and_wait", "offload"]

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
