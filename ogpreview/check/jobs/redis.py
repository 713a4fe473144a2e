"""Batch check jobs on Redis: every instance of the service works on every job.

A job's URLs are entries on one of a few Redis Streams (its shard, see
:mod:`ogpreview.check.jobs.shards`), read through one consumer group; each instance's
worker takes entries, checks them, and records each result with a Lua script that writes
it only if that URL of that job has no result yet and acknowledges the entry in the same
step. An instance that dies leaves its entries pending in the group; once they have been
idle for ``Settings.check_claim_idle`` seconds another instance takes them over
(XAUTOCLAIM). So no URL is lost, and none is reported twice even when a slow instance and
the one that claimed its entry both finish. A result and its acknowledgement are one
write, so a Redis that loses its latest writes (a failover, a restart) loses both, and
the entry is checked again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import os
import secrets
import socket
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import cast

import orjson
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.typing import EncodableT

from ogpreview.cache.redisclient import REDIS_ERRORS, Health, MasterMoved, connect
from ogpreview.check.checker import Checker, CheckResult
from ogpreview.check.jobs.base import (
    VERDICTS,
    JobStoreError,
    JobView,
    busy_error,
    new_job_id,
    safe_check,
)
from ogpreview.check.jobs.shards import (
    GROUP,
    REDIS_RETRY_DELAY,
    SHARDS,
    JobKeys,
    ShardReader,
    StreamEntry,
    shard_of,
)
from ogpreview.settings import Settings
from ogpreview.tasks import HostLimiter, cancel_and_wait

__all__ = ["GROUP", "RedisJobs"]

log = logging.getLogger(__name__)

#: Socket timeout of the jobs' Redis connection; longer than a wait on the bell.
REDIS_SOCKET_TIMEOUT = 5.0
#: Attempts to record one result before leaving the entry for another instance.
RECORD_ATTEMPTS = 5
#: Nodes a submission tries, one shard on each (a cluster node that is down holds some
#: of the shards).
SUBMIT_ATTEMPTS = 3
#: Job ids drawn to find one whose shard is on a node that has not failed.
ID_TRIES = 64
#: Seconds a worker on shutdown lets its in-flight checks finish.
SHUTDOWN_GRACE = 10.0
# Record one result once: HSETNX on the entry's index is the exactly-once guard.
# KEYS: job hash, results list, seen hash, stream (one hash tag: one slot).
# ARGV: index, result JSON, verdict, group, entry id, key TTL (s), now.
_RECORD = """
if redis.call('exists', KEYS[1]) == 1 and redis.call('hsetnx', KEYS[3], ARGV[1], 1) == 1 then
  redis.call('rpush', KEYS[2], ARGV[2])
  redis.call('hincrby', KEYS[1], ARGV[3], 1)
  local done = redis.call('hincrby', KEYS[1], 'done', 1)
  if done >= tonumber(redis.call('hget', KEYS[1], 'total')) then
    redis.call('hset', KEYS[1], 'finished_at', ARGV[7])
  end
  redis.call('expire', KEYS[2], ARGV[6])
  redis.call('expire', KEYS[3], ARGV[6])
end
redis.call('xack', KEYS[4], ARGV[4], ARGV[5])
redis.call('xdel', KEYS[4], ARGV[5])
return 1
"""


# Queue a job: its hash and all its entries in one step (one slot): a worker never sees an
# entry without its job, and a Redis that loses the write loses all of it.
# KEYS: job hash, stream. ARGV: job id, key TTL (s), n, n field/value pairs, the URLs.
_QUEUE = """
local n = tonumber(ARGV[3])
local meta = {}
for k = 4, 3 + 2 * n do meta[#meta + 1] = ARGV[k] end
redis.call('hset', KEYS[1], unpack(meta))
redis.call('expire', KEYS[1], ARGV[2])
local first = 4 + 2 * n
for k = first, #ARGV do
  redis.call('xadd', KEYS[2], '*', 'job', ARGV[1], 'i', k - first, 'url', ARGV[k])
end
return 1
"""


def _consumer_name() -> str:
    # The pid is in the name so an operator (and a test) can tell whose entries are pending.
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


class RedisJobs:
    """Jobs on Redis Streams, worked on by every instance sharing the Redis (one server,
    a Cluster or a Sentinel-watched master: ``settings.redis_mode``).

    Keys are under ``settings.cache_prefix + "checks:"`` (:class:`JobKeys`); a job's keys
    expire after ``settings.check_job_ttl`` seconds.
    """

    def __init__(
        self,
        settings: Settings,
        checker: Checker,
        *,
        url: str | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        redis_url = url or settings.redis_url
        if not redis_url:
            raise ValueError("RedisJobs needs a Redis URL")
        self._settings = settings
        self._checker = checker
        self._clock = clock
        self.keys = JobKeys(settings.cache_prefix)
        self.consumer = _consumer_name()
        self._redis = connect(
            redis_url,
            mode=settings.redis_mode,
            sentinel_service=settings.redis_sentinel_service,
            timeout=REDIS_SOCKET_TIMEOUT,
            # One quick second try (a connection the server closed); the worker has its own
            # pace for trying again, and a long retry on a cluster node that is down would
            # hold up the shards of the nodes that are up.
            retry=Retry(NoBackoff(), 1),
        )
        self._client = self._redis.client
        self._health = Health(log, "check jobs: Redis", "retrying")
        self._reader = ShardReader(
            self._redis,
            self.keys,
            self.consumer,
            claim_idle=settings.check_claim_idle,
            health=self._health,
        )
        self._record = self._redis.script(_RECORD)
        self._queue_script = self._redis.script(_QUEUE)
        self._worker: asyncio.Task[None] | None = None
        self._heartbeat: asyncio.Task[None] | None = None
        self._inflight: set[asyncio.Task[None]] = set()
        #: Entries being checked (not those whose result is being recorded: a cluster
        #: node that is down must not hold up the checks of other nodes' shards).
        self._checking = 0
        self._checked = asyncio.Event()
        self._held: defaultdict[int, set[bytes]] = defaultdict(set)
        self._hosts = HostLimiter(settings.per_host_connections)
        self._stopping = False

    async def start(self) -> None:
        self._worker = asyncio.create_task(self._work(), name="ogpreview-check-worker")
        self._heartbeat = asyncio.create_task(self._keep_claims(), name="ogpreview-check-claims")

    async def _keep_claims(self) -> None:
        """Reset the idle time of the entries this instance holds (checking, or waiting for
        a host slot), so no other instance takes over work that is alive; only a dead
        instance's entries grow idle."""
        while True:
            await asyncio.sleep(self._settings.check_claim_idle / 3)
            await self._reader.keep({shard: list(ids) for shard, ids in self._held.items()})

    async def aclose(self) -> None:
        """Stop taking entries, let in-flight checks finish for a while; what is left stays
        pending for another instance to claim."""
        self._stopping = True
        if self._worker is not None:
            self._worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._worker
        if self._inflight:
            _, pending = await asyncio.wait(self._inflight, timeout=SHUTDOWN_GRACE)
            await cancel_and_wait(pending)
        if self._heartbeat is not None:  # kept beating while in-flight checks finished
            self._heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._heartbeat
        await self._redis.aclose()

    # --- submitting and reading -------------------------------------------------------

    async def submit(self, urls: Sequence[str]) -> JobView:
        now = self._clock()
        queued = await self._queued()
        if queued + len(urls) > self._settings.check_max_queued:
            raise busy_error(queued, len(urls), self._settings.check_max_queued)
        failures: list[BaseException] = []
        down: set[str] = set()
        for _ in range(SUBMIT_ATTEMPTS):
            job_id = self._new_job_id(avoid=down)
            if job_id is None:
                break
            try:
                await self._queue(job_id, urls, now)
            except REDIS_ERRORS as exc:
                failures.append(exc)
                if not isinstance(exc, MasterMoved):  # then the next try goes to the new one
                    down.add(self._redis.node_of(self.keys.stream_of(job_id)))
                continue
            await self._reader.ring()
            return JobView(
                id=job_id,
                total=len(urls),
                done=0,
                counts=dict.fromkeys(VERDICTS, 0),
                created_at=now,
            )
        raise JobStoreError(f"cannot queue the job: {failures[-1]}") from failures[-1]

    def _new_job_id(self, *, avoid: set[str]) -> str | None:
        """A new job id whose shard is on none of the nodes in ``avoid`` (they just
        failed), or None when every shard is."""
        for _ in range(ID_TRIES):
            job_id = new_job_id()
            if self._redis.node_of(self.keys.stream_of(job_id)) not in avoid:
                return job_id
        return None

    async def _queued(self) -> int:
        """Entries on all shards (waiting or being checked; checked ones are deleted).
        Shards that cannot be reached count as empty; none reachable is an error."""
        streams = [self.keys.stream(shard) for shard in range(SHARDS)]
        try:
            async with self._client.pipeline(transaction=False) as pipe:
                for stream in streams:
                    pipe.xlen(stream)
                return sum(await pipe.execute())
        except REDIS_ERRORS as exc:
            if self._redis.mode != "cluster":
                raise JobStoreError(f"cannot queue the job: {exc}") from exc
            failure = exc  # a cluster pipeline fails whole when one node is down
        lengths: list[int] = []
        for stream in streams:
            with contextlib.suppress(*REDIS_ERRORS):
                lengths.append(await self._client.xlen(stream))
        if not lengths:
            raise JobStoreError(f"cannot queue the job: {failure}") from failure
        return sum(lengths)

    async def _queue(self, job_id: str, urls: Sequence[str], now: float) -> None:
        await self._reader.ensure_group(shard_of(job_id))
        meta: dict[str, EncodableT] = {"total": len(urls), "done": 0, "created_at": repr(now)}
        meta.update(dict.fromkeys(VERDICTS, 0))
        args: list[EncodableT] = [job_id, math.ceil(self._settings.check_job_ttl), len(meta)]
        for name, value in meta.items():
            args += [name, value]
        await self._queue_script(
            keys=[self.keys.job(job_id), self.keys.stream_of(job_id)], args=[*args, *urls]
        )
        await self._redis.confirm_write()  # a master demoted meanwhile would drop the job

    async def view(self, job_id: str) -> JobView | None:
        try:
            raw = cast("dict[bytes, bytes]", await self._client.hgetall(self.keys.job(job_id)))
        except REDIS_ERRORS as exc:
            raise JobStoreError(f"cannot read the job: {exc}") from exc
        if not raw:
            return None
        try:
            data = {k.decode(): v.decode() for k, v in raw.items()}
            finished = data.get("finished_at")
            return JobView(
                id=job_id,
                total=int(data["total"]),
                done=int(data["done"]),
                counts={v: int(data.get(v, 0)) for v in VERDICTS},
                created_at=float(data["created_at"]),
                finished_at=float(finished) if finished else None,
            )
        except (KeyError, ValueError, UnicodeDecodeError):
            log.warning("check jobs: unreadable job record %s; treated as missing", job_id)
            return None

    async def results(self, job_id: str, offset: int, limit: int) -> list[bytes]:
        if limit <= 0:
            return []
        try:
            items = cast(
                "list[bytes]",
                await self._client.lrange(
                    self.keys.job(job_id, ":results"), offset, offset + limit - 1
                ),
            )
        except REDIS_ERRORS as exc:
            raise JobStoreError(f"cannot read the results: {exc}") from exc
        return items

    # --- the worker -----------------------------------------------------------------------

    async def _work(self) -> None:
        concurrency = self._settings.check_concurrency
        while not self._stopping:
            free = concurrency - self._checking
            if free <= 0:
                self._checked.clear()
                await self._checked.wait()
                continue
            entries = await self._reader.take(free)
            if not entries:
                await self._reader.wait()
                continue
            for entry in entries:
                held = self._held[entry.shard]
                if entry.id in held:
                    continue  # our own slow check, claimed back from ourselves
                held.add(entry.id)
                self._checking += 1
                task = asyncio.create_task(self._handle(entry))
                self._inflight.add(task)
                task.add_done_callback(self._inflight.discard)

    def _release(self, entry: StreamEntry) -> None:
        held = self._held[entry.shard]
        held.discard(entry.id)
        if not held:
            del self._held[entry.shard]

    async def _handle(self, entry: StreamEntry) -> None:
        try:
            try:
                job_id = entry.fields[b"job"].decode()
                index = int(entry.fields[b"i"])
                url = entry.fields[b"url"].decode()
                if shard_of(job_id) != entry.shard:
                    raise ValueError("an entry of another shard's job")
            except (KeyError, ValueError, UnicodeDecodeError):
                log.warning("check jobs: dropping malformed entry %r", entry.id)
                self._checked_one()
                await self._reader.done(entry)
                return
            try:
                async with self._hosts.hold(url):
                    result = await safe_check(self._checker, url)
            finally:
                self._checked_one()
            await self._save(job_id, index, entry, result)
        finally:
            self._release(entry)

    def _checked_one(self) -> None:
        self._checking -= 1
        self._checked.set()

    async def _save(self, job_id: str, index: int, entry: StreamEntry, result: CheckResult) -> None:
        keys = [
            self.keys.job(job_id),
            self.keys.job(job_id, ":results"),
            self.keys.job(job_id, ":seen"),
            self.keys.stream(entry.shard),
        ]
        args: list[EncodableT] = [
            index,
            orjson.dumps(result.to_dict()),
            result.verdict,
            GROUP,
            entry.id,
            math.ceil(self._settings.check_job_ttl),
            repr(self._clock()),
        ]
        for attempt in range(RECORD_ATTEMPTS):
            try:
                await self._record(keys=keys, args=args)
                self._health.ok()
                return
            except REDIS_ERRORS as exc:
                self._health.failed("record", exc)
                await asyncio.sleep(REDIS_RETRY_DELAY * (attempt + 1))
        # Left pending: another instance (or this one) claims and checks it again later.
        log.warning("check jobs: could not record %s of job %s; left for a retry", index, job_id)
