"""The Redis client factory on real servers: each mode connects, scripts survive a server
that lost them, outages are logged on change, and a Sentinel master's clients follow it."""

from __future__ import annotations

import asyncio
import logging

import pytest

from ogpreview.cache.redisclient import Health, MasterMoved, connect
from tests.redis_topology import SERVICE, Cluster, SentinelSet

SCRIPT = "redis.call('set', KEYS[1], ARGV[1]); return redis.call('get', KEYS[1])"


async def test_each_mode_connects_and_runs_a_script(
    redis_url: str, cluster: Cluster, sentinel_set: SentinelSet, scaled_prefix: str
) -> None:
    """One server, a cluster and a Sentinel-watched master each answer a ping and run a
    script on their keys."""
    connections = [
        connect(redis_url, timeout=2),
        connect(cluster.url, mode="cluster", timeout=2),
        connect(sentinel_set.url, mode="sentinel", sentinel_service=SERVICE, timeout=2),
    ]
    answers = []
    try:
        for redis in connections:
            await redis.ping()
            answers.append(await redis.script(SCRIPT)([scaled_prefix + "k"], [redis.mode]))
    finally:
        for redis in connections:
            await redis.client.delete(scaled_prefix + "k")
            await redis.aclose()
    assert answers == [b"standalone", b"cluster", b"sentinel"]


async def test_a_script_runs_on_a_node_that_lost_it_while_another_is_down(
    cluster: Cluster, scaled_prefix: str
) -> None:
    """After the nodes forget their scripts (a restart, SCRIPT FLUSH), a script still runs
    on a node that is up while another node is down (loading it on every primary, as
    redis-py would, fails then)."""
    redis = connect(cluster.url, mode="cluster", timeout=2)
    script = redis.script(SCRIPT)
    up_key = next(
        f"{scaled_prefix}{i}"
        for i in range(100)
        if cluster.node_of(f"{scaled_prefix}{i}") is not cluster.nodes[0]
    )
    try:
        await script([up_key], ["before"])
        for node in cluster.nodes:
            node.ask("SCRIPT", "FLUSH")
        cluster.nodes[0].kill()
        try:
            answer = await script([up_key], ["after"])
        finally:
            cluster.nodes[0].start()
    finally:
        await redis.aclose()
    assert answer == b"after"


def test_an_outage_is_logged_when_it_starts_and_once_it_is_over(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Failures and successes in turn (a cluster with a node down) log one warning; the
    recovery is logged once no call has failed for the quiet time."""
    log = logging.getLogger("ogpreview.test.health")
    flapping = Health(log, "R", "going on", quiet=60.0)
    recovering = Health(log, "S", "going on", quiet=0.0)
    with caplog.at_level(logging.INFO, logger="ogpreview.test.health"):
        for _ in range(3):
            flapping.failed("get", OSError("refused"))
            flapping.ok()
        recovering.failed("get", OSError("refused"))
        recovering.ok()
        recovering.ok()
    assert [r.getMessage() for r in caplog.records] == [
        "R unusable (get: refused); going on",
        "S unusable (get: refused); going on",
        "S is back",
    ]
    assert (flapping.errors, flapping.down, recovering.down) == (3, True, False)


async def test_a_sentinel_client_follows_the_master_through_a_failover(
    sentinel_set: SentinelSet, scaled_prefix: str
) -> None:
    """After a failover, confirming a write made through connections to the old master
    says the master moved; what is written afterwards is on the new master and survives
    the old one's demotion."""
    redis = connect(sentinel_set.url, mode="sentinel", sentinel_service=SERVICE, timeout=2)
    try:
        await redis.client.set(scaled_prefix + "before", 1)
        await asyncio.to_thread(sentinel_set.fail_over)
        with pytest.raises(MasterMoved):
            await redis.confirm_write()
        await redis.client.set(scaled_prefix + "after", 1)
        await redis.confirm_write()
        await asyncio.to_thread(sentinel_set.settle)
        with sentinel_set.master().client() as direct:
            kept = direct.get(scaled_prefix + "after")
    finally:
        await redis.aclose()
    assert kept == b"1"
