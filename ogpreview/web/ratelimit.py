"""Per-client rate limit: a token bucket per client address, in process memory."""

from __future__ import annotations

import math
import time
from collections import OrderedDict

__all__ = ["MAX_TRACKED_CLIENTS", "RateLimiter"]

#: Clients remembered at once; the least recently seen are forgotten first (a forgotten
#: client starts again with a full bucket, which only errs on the generous side).
MAX_TRACKED_CLIENTS = 100_000
SECONDS_PER_MINUTE = 60.0


class RateLimiter:
    """``per_minute`` requests per client, with bursts up to ``per_minute``; 0 is off."""

    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self._rate = per_minute / SECONDS_PER_MINUTE
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def check(self, client: str, now: float | None = None) -> float:
        """Take one token for ``client``: 0.0 if allowed, else seconds until the next one."""
        if self.per_minute <= 0:
            return 0.0
        now = time.monotonic() if now is None else now
        tokens, last = self._buckets.pop(client, (float(self.per_minute), now))
        tokens = min(float(self.per_minute), tokens + (now - last) * self._rate)
        if tokens >= 1.0:
            self._buckets[client] = (tokens - 1.0, now)
            allowed = 0.0
        else:
            self._buckets[client] = (tokens, now)
            allowed = (1.0 - tokens) / self._rate
        if len(self._buckets) > MAX_TRACKED_CLIENTS:
            self._buckets.popitem(last=False)
        return allowed

    @staticmethod
    def retry_after(wait: float) -> str:
        """The Retry-After header value (whole seconds, at least 1)."""
        return str(max(1, math.ceil(wait)))
