"""Where check jobs live in Redis, and how a worker takes their entries.

The work is split over :data:`SHARDS` streams, each with its own hash tag (``{0}`` to
``{15}``): a job belongs to one shard, chosen by its id, and its hash, results and
reported-index set carry that shard's tag, so on a Redis Cluster a job and the stream
holding its URLs are in one slot, and the script recording a result touches one slot only.
Shards spread jobs over the cluster's nodes; a node that is down stops only its shards.

A worker cannot block on streams of several slots at once, so it reads the shards in
turn without blocking, and waits on the *bell*, a small stream every submission rings,
when none has work.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import time
import zlib
from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple, cast

from redis.exceptions import ResponseError
from redis.typing import StreamIdT

from ogpreview.cache.redisclient import REDIS_ERRORS, Health, RedisConnection

__all__ = ["GROUP", "SHARDS", "JobKeys", "ShardReader", "StreamEntry", "shard_of"]

log = logging.getLogger(__name__)

#: The consumer group every instance's worker reads the streams through.
GROUP = "ogpreview-checkers"
#: Streams the work is spread over (a fixed number: jobs find their keys by it).
SHARDS = 16
#: How long a worker with nothing to do waits on the bell before looking around again.
READ_BLOCK_MS = 500
#: Every so often a worker looks at every shard, rung or not (a ring can be lost with
#: the node holding the bell), and new jobs join the round of a busy worker.
FULL_SWEEP_EVERY = 2.0
#: Pause after Redis failed before trying again.
REDIS_RETRY_DELAY = 1.0
#: Rings kept on the bell (approximately): only the newest one matters.
BELL_LENGTH = 64


def shard_of(job_id: str) -> int:
    return zlib.crc32(job_id.encode()) % SHARDS


class JobKeys:
    """The key names, all under ``prefix + "checks:"``: ``{n}:stream`` (shard ``n``'s
    entries, fields ``job``, ``i``, ``url``), ``{n}:job:<id>`` (a hash: total, done,
    per-verdict counts, created_at, finished_at), ``{n}:job:<id>:results`` (a list of
    result JSON), ``{n}:job:<id>:seen`` (indexes already reported) and ``bell``."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix + "checks:"
        self.bell = self.prefix + "bell"

    def stream(self, shard: int) -> str:
        return f"{self.prefix}{{{shard}}}:stream"

    def stream_of(self, job_id: str) -> str:
        return self.stream(shard_of(job_id))

    def job(self, job_id: str, part: str = "") -> str:
        return f"{self.prefix}{{{shard_of(job_id)}}}:job:{job_id}{part}"


class StreamEntry(NamedTuple):
    shard: int
    id: bytes
    fields: dict[bytes, bytes]


class ShardReader:
    """One worker's view of the shards: what it takes, claims back and keeps claimed.

    Never raises for Redis: a shard that fails is skipped (reported to ``health``) and
    tried again on a later round, so a cluster node that is down holds up its own shards
    only.
    """

    def __init__(
        self,
        redis: RedisConnection,
        keys: JobKeys,
        consumer: str,
        *,
        claim_idle: float,
        health: Health,
    ) -> None:
        self._client = redis.client
        self._keys = keys
        self.consumer = consumer
        self._claim_idle_ms = int(claim_idle * 1000)
        self._claim_every = max(claim_idle / 2, 0.1)
        self._health = health
        self._groups: set[int] = set()
        #: Shards that may hold unread entries, in the order they are read next.
        self._candidates: collections.deque[int] = collections.deque()
        self._next_sweep = 0.0
        self._next_claim = 0.0
        self._claim_from: dict[int, str] = {}
        self._bell_seen: str | None = None

    async def ensure_group(self, shard: int) -> None:
        """Create the shard's stream and group unless they exist (raises for Redis)."""
        if shard in self._groups:
            return
        try:
            await self._client.xgroup_create(self._keys.stream(shard), GROUP, id="0", mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise
        self._groups.add(shard)

    def _failed(self, shard: int, action: str, exc: BaseException) -> None:
        if isinstance(exc, ResponseError) and "NOGROUP" in str(exc):
            self._groups.discard(shard)  # the stream was lost (a Redis without persistence)
        self._health.failed(action, exc)

    async def take(self, count: int) -> list[StreamEntry]:
        """Up to ``count`` entries: idle ones of dead consumers when it is time to look,
        else new ones from the shards in turn; [] when there are none right now."""
        taken: list[StreamEntry] = []
        now = time.monotonic()
        if now >= self._next_claim:
            self._next_claim = now + self._claim_every
            taken = await self._claim(count)
        if now >= self._next_sweep:
            self._sweep_all(now)
        for _ in range(len(self._candidates)):
            if len(taken) >= count:
                break
            shard = self._candidates.popleft()
            wanted = count - len(taken)
            entries = await self._read(shard, wanted)
            if entries is None:
                continue  # failed: tried again at the next full sweep
            if len(entries) == wanted:
                self._candidates.append(shard)  # more may be waiting
            taken.extend(entries)
        return taken

    def _sweep_all(self, now: float) -> None:
        self._next_sweep = now + FULL_SWEEP_EVERY
        waiting = set(self._candidates)
        self._candidates.extend(s for s in range(SHARDS) if s not in waiting)

    async def _read(self, shard: int, count: int) -> list[StreamEntry] | None:
        stream = self._keys.stream(shard)
        try:
            await self.ensure_group(shard)
            reply: Any = await self._client.xreadgroup(
                GROUP, self.consumer, {stream: ">"}, count=count
            )
        except REDIS_ERRORS as exc:
            self._failed(shard, "read", exc)
            return None
        self._health.ok()
        return [
            StreamEntry(shard, eid, fields) for _, items in reply or () for eid, fields in items
        ]

    async def _claim(self, count: int) -> list[StreamEntry]:
        """Entries other consumers took and left idle too long (they died, probably)."""
        claimed: list[StreamEntry] = []
        for shard in range(SHARDS):
            if len(claimed) >= count:
                break
            try:
                await self.ensure_group(shard)
                reply = await self._client.xautoclaim(
                    self._keys.stream(shard),
                    GROUP,
                    self.consumer,
                    self._claim_idle_ms,
                    start_id=self._claim_from.get(shard, "0-0"),
                    count=count - len(claimed),
                )
            except REDIS_ERRORS as exc:
                self._failed(shard, "claim", exc)
                continue
            # [next start id, [(id, fields), ...], [deleted ids]]; deleted ones come as None.
            # Going on from the next start id reaches idle entries past many live ones.
            next_id = reply[0]
            self._claim_from[shard] = next_id.decode() if isinstance(next_id, bytes) else next_id
            claimed.extend(StreamEntry(shard, eid, fields) for eid, fields in reply[1] if fields)
        if claimed:
            log.info("check jobs: took over %d idle entries", len(claimed))
        return claimed

    async def keep(self, held: Mapping[int, Iterable[bytes]]) -> None:
        """Reset the idle time of the entries this worker holds, per shard."""
        for shard, ids in held.items():
            entry_ids: list[StreamIdT] = list(ids)
            if not entry_ids:
                continue
            try:
                await self._client.xclaim(
                    self._keys.stream(shard), GROUP, self.consumer, 0, entry_ids, justid=True
                )
            except REDIS_ERRORS as exc:
                self._failed(shard, "keep claims", exc)

    async def done(self, entry: StreamEntry) -> None:
        """Drop an entry without a result (it was malformed)."""
        stream = self._keys.stream(entry.shard)
        try:
            await self._client.xack(stream, GROUP, entry.id)
            await self._client.xdel(stream, entry.id)
        except REDIS_ERRORS as exc:
            self._failed(entry.shard, "drop", exc)

    async def ring(self) -> None:
        """Tell idle workers there is new work (if this fails, they find it a little later)."""
        try:
            await self._client.xadd(
                self._keys.bell, {"ring": 1}, maxlen=BELL_LENGTH, approximate=True
            )
        except REDIS_ERRORS as exc:
            log.debug("check jobs: could not ring the bell: %s", exc)

    async def wait(self) -> None:
        """Wait for a ring (then every shard is looked at again), at most a moment."""
        try:
            if self._bell_seen is None:
                newest = cast(
                    "list[tuple[bytes, Any]]",
                    await self._client.xrevrange(self._keys.bell, count=1),
                )
                self._bell_seen = newest[0][0].decode() if newest else "0-0"
            reply: Any = await self._client.xread(
                {self._keys.bell: self._bell_seen}, block=READ_BLOCK_MS
            )
        except REDIS_ERRORS as exc:
            self._health.failed("wait", exc)
            await asyncio.sleep(REDIS_RETRY_DELAY)
            return
        self._health.ok()
        rings = [eid for _, items in reply or () for eid, _ in items]
        if rings:
            self._bell_seen = rings[-1].decode()
            self._sweep_all(time.monotonic())
