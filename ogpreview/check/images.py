"""The checker's image probes: one probe per image URL at a time, and the latest
outcomes remembered (sites reuse one image on many pages)."""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from typing import TYPE_CHECKING

from ogpreview.fetch.imageprobe import probe_image

if TYPE_CHECKING:
    from ogpreview.fetch.fetcher import Fetcher

__all__ = ["IMAGE_MEMO_SIZE", "ImageProbes", "Probed"]

#: Image URLs whose probe outcome is remembered (sites reuse one image on many pages).
IMAGE_MEMO_SIZE = 1024

#: An image probe's outcome: ``(size, None)`` or ``(None, why not)``.
Probed = tuple[tuple[int, int] | None, str | None]


class ImageProbes:
    """Probes images through ``fetcher``, remembering the last :data:`IMAGE_MEMO_SIZE`
    outcomes that are the image's (not our being too busy to look)."""

    def __init__(self, fetcher: Fetcher) -> None:
        self.fetcher = fetcher
        self._memo: OrderedDict[str, Probed] = OrderedDict()
        self._inflight: dict[str, asyncio.Future[tuple[Probed, bool]]] = {}

    async def error(self, url: str) -> str:
        """Why the image at ``url`` is broken (as a probe finds it now)."""
        _, error = await self.probe(url)
        return error or "it was dropped"

    async def probe(self, url: str) -> Probed:
        """``(size, None)`` or ``(None, why not)``; one probe per image URL at a time, and
        the latest outcomes remembered."""
        memo = self._memo.get(url)
        if memo is not None:
            self._memo.move_to_end(url)
            return memo
        future = self._inflight.get(url)
        if future is None:
            future = asyncio.ensure_future(self._now(url))
            self._inflight[url] = future
            future.add_done_callback(lambda _: self._inflight.pop(url, None))
        outcome, keep = await asyncio.shield(future)
        if keep:
            self._memo[url] = outcome
            while len(self._memo) > IMAGE_MEMO_SIZE:
                self._memo.popitem(last=False)
        return outcome

    async def _now(self, url: str) -> tuple[Probed, bool]:
        """The outcome, and whether it is the image's (not our being too busy to look)."""
        probe = await probe_image(self.fetcher, url)
        if probe.unchecked is not None:
            return (None, probe.unchecked), False
        return (probe.size, probe.broken or probe.transient), True
