"""Batch check jobs on Redis: every instance of the service works on every job.

A job's URLs are entries on one Redis Stream read through one consumer group; each
instance's worker takes entries, checks them, and records each result with a Lua script
that writes it only if that URL of that job has no result yet, then acknowledges the
entry. An instance that dies leaves its entries pending in the group; once they have been
idle for ``Settings.check_claim_idle`` seconds another instance takes them over
(XAUTOCLAIM). So no URL is lost, and none is reported twice even when a slow instance and
the one that claimed its entry both finish.
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
from collections.abc import Callable, Sequence
from typing import Any, cast

import orjson
import redis.asyncio as aioredis
from redis.exceptions import RedisError, ResponseError
from redis.typing import EncodableT, FieldT, StreamIdT

from ogpreview.check.checker import Checker, CheckResult
from ogpreview.check.jobs.base import (
    VERDICTS,
    HostSlots,
    JobStoreError,
    JobView,
    busy_error,
    new_job_id,
    safe_check,
)
from ogpreview.settings import Settings
from ogpreview.tasks import cancel_and_wait

__all__ = ["GROUP", "RedisJobs"]

log = logging.getLogger(__name__)

#: The consumer group every instance's worker reads the stream through.
GROUP = "ogpreview-checkers"
#: How long one XREADGROUP waits for new entries before the worker looks around again.
READ_BLOCK_MS = 500
#: Socket timeout of the jobs' Redis connection; longer than a blocking read.
REDIS_SOCKET_TIMEOUT = 5.0
#: Pause before the worker retries after Redis failed.
REDIS_RETRY_DELAY = 1.0
#: Attempts to record one result before leaving the entry for another instance.
RECORD_ATTEMPTS = 5
#: Entries written per pipeline round trip when a job is submitted.
SUBMIT_CHUNK = 1000
#: Seconds a worker on shutdown lets its in-flight checks finish.
SHUTDOWN_GRACE = 10.0
# Record one result once: HSETNX on the entry's index is the exactly-once guard.
# KEYS: job hash, results list, seen hash, stream.
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


def _consumer_name() -> str:
    # The pid is in the name so an operator (and a test) can tell whose entries are pending.
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


class RedisJobs:
    """Jobs on Redis Streams, worked on by every instance sharing the Redis.

    Keys (all under ``settings.cache_prefix + "checks:"``): ``stream`` (the work entries,
    fields ``job``, ``i``, ``url``), ``job:<id>`` (a hash: total, done, per-verdict counts,
    created_at, finished_at), ``job:<id>:results`` (a list of result JSON) and
    ``job:<id>:seen`` (indexes already reported). Job keys expire after
    ``settings.check_job_ttl`` seconds.
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
        self._prefix = settings.cache_prefix + "checks:"
        self._stream = self._prefix + "stream"
        self.consumer = _consumer_name()
        self._client = aioredis.from_url(
            redis_url,
            socket_timeout=REDIS_SOCKET_TIMEOUT,
            socket_connect_timeout=REDIS_SOCKET_TIMEOUT,
        )
        self._record = self._client.register_script(_RECORD)
        self._worker: asyncio.Task[None] | None = None
        self._heartbeat: asyncio.Task[None] | None = None
        self._inflight: set[asyncio.Task[None]] = set()
        self._inflight_ids: set[bytes] = set()
        self._hosts = HostSlots(settings.per_host_connections)
        self._stopping = False
        self._down = False
        self._group_ready = False

    def _key(self, job_id: str, part: str = "") -> str:
        return f"{self._prefix}job:{job_id}{part}"

    def _failed(self, action: str, exc: BaseException) -> None:
        if not self._down:
            self._down = True
            log.warning("check jobs: Redis unusable (%s: %s); retrying", action, exc)

    def _ok(self) -> None:
        if self._down:
            self._down = False
            log.info("check jobs: Redis is back")

    async def _ensure_group(self) -> None:
        if self._group_ready:
            return
        try:
            await self._client.xgroup_create(self._stream, GROUP, id="0", mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise
        self._group_ready = True

    async def start(self) -> None:
        self._worker = asyncio.create_task(self._work(), name="ogpreview-check-worker")
        self._heartbeat = asyncio.create_task(self._keep_claims(), name="ogpreview-check-claims")

    async def _keep_claims(self) -> None:
        """Reset the idle time of the entries this instance holds (checking, or waiting for
        a host slot), so no other instance takes over work that is alive; only a dead
        instance's entries grow idle."""
        while True:
            await asyncio.sleep(self._settings.check_claim_idle / 3)
            held: list[StreamIdT] = list(self._inflight_ids)
            if not held:
                continue
            try:
                await self._client.xclaim(self._stream, GROUP, self.consumer, 0, held, justid=True)
            except (RedisError, OSError) as exc:
                self._failed("keep claims", exc)

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
        await self._client.aclose()

    # --- submitting and reading -------------------------------------------------------

    async def submit(self, urls: Sequence[str]) -> JobView:
        now = self._clock()
        job_id = new_job_id()
        ttl = math.ceil(self._settings.check_job_ttl)
        key = self._key(job_id)
        try:
            await self._ensure_group()
            # Entries stay on the stream until checked (then they are deleted).
            queued = int(await self._client.xlen(self._stream))
            if queued + len(urls) > self._settings.check_max_queued:
                raise busy_error(queued, len(urls), self._settings.check_max_queued)
            # The job hash first: a worker that sees an entry of a job without a hash
            # drops the entry, so the hash must exist before any entry does.
            meta: dict[FieldT, EncodableT] = {
                "total": len(urls),
                "done": 0,
                "created_at": repr(now),
            }
            meta.update(dict.fromkeys(VERDICTS, 0))
            async with self._client.pipeline(transaction=True) as pipe:
                pipe.hset(key, mapping=meta)
                pipe.expire(key, ttl)
                await pipe.execute()
            for start in range(0, len(urls), SUBMIT_CHUNK):
                async with self._client.pipeline(transaction=False) as pipe:
                    for i, url in enumerate(urls[start : start + SUBMIT_CHUNK], start):
                        pipe.xadd(self._stream, {"job": job_id, "i": i, "url": url})
                    await pipe.execute()
        except (RedisError, OSError) as exc:
            raise JobStoreError(f"cannot queue the job: {exc}") from exc
        return JobView(
            id=job_id,
            total=len(urls),
            done=0,
            counts=dict.fromkeys(VERDICTS, 0),
            created_at=now,
        )

    async def view(self, job_id: str) -> JobView | None:
        try:
            raw = cast("dict[bytes, bytes]", await self._client.hgetall(self._key(job_id)))
        except (RedisError, OSError) as exc:
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
                    self._key(job_id, ":results"), offset, offset + limit - 1
                ),
            )
        except (RedisError, OSError) as exc:
            raise JobStoreError(f"cannot read the results: {exc}") from exc
        return items

    # --- the worker -----------------------------------------------------------------------

    async def _work(self) -> None:
        concurrency = self._settings.check_concurrency
        claim_every = max(self._settings.check_claim_idle / 2, 0.1)
        next_claim = 0.0
        while not self._stopping:
            free = concurrency - len(self._inflight)
            if free <= 0:
                await asyncio.wait(self._inflight, return_when=asyncio.FIRST_COMPLETED)
                continue
            try:
                await self._ensure_group()
                entries: list[tuple[bytes, dict[bytes, bytes]]] = []
                if time.monotonic() >= next_claim:
                    entries = await self._claim(free)
                    next_claim = time.monotonic() + claim_every
                if not entries:
                    entries = await self._read(free)
                self._ok()
            except (RedisError, OSError) as exc:
                self._group_ready = False
                self._failed("read", exc)
                await asyncio.sleep(REDIS_RETRY_DELAY)
                continue
            for entry_id, fields in entries:
                if entry_id in self._inflight_ids:
                    continue  # our own slow check, claimed back from ourselves
                self._inflight_ids.add(entry_id)
                task = asyncio.create_task(self._handle(entry_id, fields))
                self._inflight.add(task)
                task.add_done_callback(self._inflight.discard)

    async def _claim(self, count: int) -> list[tuple[bytes, dict[bytes, bytes]]]:
        """Entries other consumers took and left idle too long (they died, probably)."""
        idle_ms = int(self._settings.check_claim_idle * 1000)
        reply = await self._client.xautoclaim(
            self._stream, GROUP, self.consumer, idle_ms, start_id="0-0", count=count
        )
        # [next start id, [(id, fields), ...], [deleted ids]]; deleted entries come as None.
        claimed = [(eid, fields) for eid, fields in reply[1] if fields]
        if claimed:
            log.info("check jobs: took over %d idle entries", len(claimed))
        return claimed

    async def _read(self, count: int) -> list[tuple[bytes, dict[bytes, bytes]]]:
        reply: Any = await self._client.xreadgroup(
            GROUP, self.consumer, {self._stream: ">"}, count=count, block=READ_BLOCK_MS
        )
        entries: list[tuple[bytes, dict[bytes, bytes]]] = []
        for _stream, items in reply or ():
            entries.extend(items)
        return entries

    async def _handle(self, entry_id: bytes, fields: dict[bytes, bytes]) -> None:
        try:
            job_id = fields[b"job"].decode()
            index = int(fields[b"i"])
            url = fields[b"url"].decode()
        except (KeyError, ValueError, UnicodeDecodeError):
            log.warning("check jobs: dropping malformed entry %r", entry_id)
            self._inflight_ids.discard(entry_id)
            await self._drop(entry_id)
            return
        try:
            async with self._hosts.hold(url):
                result = await safe_check(self._checker, url)
            await self._save(job_id, index, entry_id, result)
        finally:
            self._inflight_ids.discard(entry_id)

    async def _drop(self, entry_id: bytes) -> None:
        with contextlib.suppress(RedisError, OSError):
            await self._client.xack(self._stream, GROUP, entry_id)
            await self._client.xdel(self._stream, entry_id)

    async def _save(self, job_id: str, index: int, entry_id: bytes, result: CheckResult) -> None:
        keys = [
            self._key(job_id),
            self._key(job_id, ":results"),
            self._key(job_id, ":seen"),
            self._stream,
        ]
        args: list[bytes | str | int] = [
            index,
            orjson.dumps(result.to_dict()),
            result.verdict,
            GROUP,
            entry_id,
            math.ceil(self._settings.check_job_ttl),
            repr(self._clock()),
        ]
        for attempt in range(RECORD_ATTEMPTS):
            try:
                await self._record(keys=keys, args=args)
                self._ok()
                return
            except (RedisError, OSError) as exc:
                self._failed("record", exc)
                await asyncio.sleep(REDIS_RETRY_DELAY * (attempt + 1))
        # Left pending: another instance (or this one) claims and checks it again later.
        log.warning("check jobs: could not record %s of job %s; left for a retry", index, job_id)
