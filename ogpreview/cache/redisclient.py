"""The one place a Redis client is built: for one server, a Redis Cluster or a master
behind Sentinel, from the settings' ``redis_url`` and ``redis_mode``.

The card cache and the check jobs both connect through :func:`connect`, run their Lua
scripts through :class:`LuaScript` and track an outage with :class:`Health`. This module
imports redis-py, so it is imported only where a Redis URL is set.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import time
from collections.abc import Sequence
from typing import Any

import redis.asyncio as aioredis
from redis.asyncio.cluster import ClusterNode, RedisCluster
from redis.asyncio.connection import SSLConnection, parse_url
from redis.asyncio.retry import Retry
from redis.asyncio.sentinel import Sentinel, SentinelConnectionPool
from redis.exceptions import ConnectionError, NoScriptError, RedisClusterException, RedisError
from redis.typing import EncodableT, KeyT

from ogpreview.cache.redisurl import RedisTarget, parse_redis_target

__all__ = ["REDIS_ERRORS", "Health", "LuaScript", "MasterMoved", "RedisConnection", "connect"]

log = logging.getLogger(__name__)

#: What a Redis call raises when Redis cannot answer it. (redis-py's cluster errors that
#: say no node could be reached are not RedisErrors.)
REDIS_ERRORS: tuple[type[Exception], ...] = (RedisError, RedisClusterException, OSError)
#: Seconds without a failure before an outage is logged as over.
RECOVERY_QUIET = 5.0
#: How often a client of a Sentinel-watched master asks the sentinels where it is.
MASTER_CHECK_EVERY = 1.0


class MasterMoved(ConnectionError):
    """A failover moved the master while a write was made: it may be lost."""


#: Either client answers the same commands; each call is routed by its keys on a cluster.
Client = aioredis.Redis | RedisCluster


class RedisConnection:
    """A client for the configured Redis, and what else it needs to be closed."""

    def __init__(
        self,
        client: Client,
        target: RedisTarget,
        sentinel: Sentinel | None = None,
        master_pool: _FollowingPool | None = None,
    ) -> None:
        self.client = client
        self.target = target
        self._sentinel = sentinel
        self._master_pool = master_pool

    @property
    def mode(self) -> str:
        return self.target.mode

    def describe(self) -> str:
        return self.target.describe()

    def node_of(self, key: str) -> str:
        """The name of the node ``key`` is on, as far as the client knows ("" outside a
        cluster, where every key is on the one master)."""
        if not isinstance(self.client, RedisCluster):
            return ""
        try:
            node = self.client.get_node_from_key(key)
        except REDIS_ERRORS:
            node = None
        return "" if node is None else node.name  # None: it has not met the cluster yet

    def script(self, text: str) -> LuaScript:
        return LuaScript(self.client, text)

    async def ping(self) -> None:
        """Raise one of :data:`REDIS_ERRORS` unless every part of Redis answers (on a
        cluster, every primary: with one down, a share of the keys is unreachable)."""
        if isinstance(self.client, RedisCluster):
            await self.client.ping(target_nodes=RedisCluster.PRIMARIES)
        else:
            await self.client.ping()

    async def confirm_write(self) -> None:
        """After a write that must not be lost: raise :class:`MasterMoved` if, in sentinel
        mode, the master it went to is no longer the master (a failover demotes it and
        drops what it took meanwhile); the connections then follow the new master."""
        if self._master_pool is not None and await self._master_pool.follow():
            raise MasterMoved("the master changed during the write; it may be lost")

    async def aclose(self) -> None:
        if self._master_pool is not None:
            await self._master_pool.stop_following()
        await self.client.aclose()
        if self._sentinel is not None:
            await self._sentinel.aclose()


class _FollowingPool(SentinelConnectionPool):
    """Connections to a Sentinel-watched master that move to a new master within
    :data:`MASTER_CHECK_EVERY` of a failover.

    redis-py asks the sentinels only when it opens a connection, and an old master stays
    writable until the sentinels demote it (some ten seconds after a SENTINEL FAILOVER):
    what open connections write there until then is lost.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[no-untyped-call]
        self._next_check = 0.0
        self._check: asyncio.Task[bool] | None = None

    async def get_connection(self, *args: Any, **kwargs: Any) -> Any:
        now = time.monotonic()
        if now >= self._next_check and (self._check is None or self._check.done()):
            self._next_check = now + MASTER_CHECK_EVERY
            self._check = asyncio.ensure_future(self.follow())
        return await super().get_connection(*args, **kwargs)  # type: ignore[no-untyped-call]

    async def follow(self) -> bool:
        """Ask the sentinels for the master; if it moved, drop every connection to the
        old one (in use too: a blocked read there would never see new work) and say so."""
        try:
            address = await self.sentinel_manager.discover_master(self.service_name)
        except REDIS_ERRORS as exc:
            log.debug("cannot ask the sentinels for the master: %s", exc)
            return False
        if self.master_address is None or address == self.master_address:
            return False
        log.info("the Redis master moved from %s to %s", self.master_address, address)
        self.master_address = address
        await self.disconnect(inuse_connections=True)
        return True

    async def stop_following(self) -> None:
        if self._check is not None and not self._check.done():
            self._check.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._check


class LuaScript:
    """A Lua script run by its SHA, sent whole only when a server lacks it.

    redis-py's own fallback loads a missing script on every primary of a cluster at
    once, which fails while any one is down; EVAL loads it on the one node that runs it.
    On a cluster every key of one call must be in one slot (redis-py refuses otherwise).
    """

    def __init__(self, client: Client, text: str) -> None:
        self._client = client
        self._text = text
        self._sha = hashlib.sha1(text.encode()).hexdigest()  # noqa: S324 - Redis names scripts so

    async def __call__(self, keys: Sequence[KeyT], args: Sequence[EncodableT]) -> Any:
        try:
            return await self._client.evalsha(self._sha, len(keys), *keys, *args)
        except NoScriptError:
            return await self._client.eval(self._text, len(keys), *keys, *args)


class Health:
    """Whether Redis has been answering, logged when that changes, not on every call.

    The first failure is a warning; the recovery is logged once Redis has answered with
    no failure for ``quiet`` seconds. (With one cluster node down, calls to
    the others keep succeeding between the failures: without the quiet time every call
    would log the outage as starting or ending.)
    """

    def __init__(
        self, logger: logging.Logger, name: str, consequence: str, *, quiet: float = RECOVERY_QUIET
    ) -> None:
        self._log = logger
        self._name = name
        self._consequence = consequence
        self._quiet = quiet
        self.errors = 0
        self.down = False
        self._last_failure = 0.0

    def failed(self, action: str, exc: BaseException) -> None:
        self.errors += 1
        self._last_failure = time.monotonic()
        if not self.down:
            self.down = True
            self._log.warning(
                "%s unusable (%s: %s); %s", self._name, action, exc, self._consequence
            )

    def ok(self) -> None:
        if self.down and time.monotonic() - self._last_failure >= self._quiet:
            self.down = False
            self._log.info("%s is back", self._name)


def connect(
    url: str,
    *,
    mode: str = "standalone",
    sentinel_service: str | None = None,
    timeout: float,
    retry: Retry | None = None,
    health_check_interval: float = 0,
) -> RedisConnection:
    """A client for ``url`` read in ``mode`` (see :mod:`ogpreview.cache.redisurl`).

    ``timeout`` bounds connecting and each reply; ``retry`` is how often a failed call is
    tried again (redis-py's default when None). No connection is made until the first call.
    """
    target = parse_redis_target(url, mode)
    options: dict[str, Any] = {
        "socket_timeout": timeout,
        "socket_connect_timeout": timeout,
        "health_check_interval": health_check_interval,
    }
    if retry is not None:
        options["retry"] = retry
    if mode == "standalone":
        return RedisConnection(aioredis.from_url(target.first, **options), target)
    # Credentials, TLS and URL options of the first URL hold for every node.
    shared: dict[str, Any] = dict(parse_url(target.first))
    for name in ("host", "port"):
        shared.pop(name, None)
    tls = shared.pop("connection_class", None) is SSLConnection
    if tls:
        shared["ssl"] = True
    if mode == "cluster":
        shared.pop("db", None)  # only database 0 (the settings refuse any other)
        nodes = [ClusterNode(host, port) for host, port in target.nodes]
        # A cluster with a node down still serves the other nodes' slots.
        cluster = RedisCluster(
            startup_nodes=nodes, require_full_coverage=False, **shared, **options
        )
        return RedisConnection(cluster, target)
    if not sentinel_service:
        raise ValueError("sentinel mode needs the name of the master (redis_sentinel_service)")
    # The sentinels get the time limits and TLS, not the master's credentials
    # (redis-py's default: sentinels are usually run without a password).
    sentinel_options = {k: v for k, v in options.items() if k.startswith("socket_")}
    if tls:
        sentinel_options.update({k: v for k, v in shared.items() if k.startswith("ssl")})
    sentinel = Sentinel(list(target.nodes), sentinel_kwargs=sentinel_options)
    master = sentinel.master_for(
        sentinel_service, connection_pool_class=_FollowingPool, **shared, **options
    )
    return RedisConnection(master, target, sentinel, master.connection_pool)
