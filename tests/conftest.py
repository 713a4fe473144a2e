"""Shared test fixtures: the fixtures folder, a real Redis for the tests that need one, and
a real Redis Cluster and Sentinel set for the tests of scaling out."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings

from tests.redis_topology import Cluster, SentinelSet, Topology, binaries, running
from tests.servers import Site, site_server
from tests.web_origin import SiteOrigin, site_origin

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
#: The shared conformance corpus: OGPREVIEW_TEST_CORPUS names it, else ../shared/corpus.
CORPUS = Path(os.environ.get("OGPREVIEW_TEST_CORPUS") or ROOT.parent / "shared" / "corpus")
REDIS_URL = os.environ.get("OGPREVIEW_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
IN_CI = os.environ.get("CI", "").lower() == "true"

# Property tests assert what holds, never how fast: no per-example deadline (a loaded CI
# machine would turn one slow example into a failure).
hypothesis_settings.register_profile("ogpreview", deadline=None)
hypothesis_settings.load_profile("ogpreview")


@pytest.fixture
def fixtures_dir() -> Path:
    return FIXTURES


@pytest.fixture
async def site() -> AsyncIterator[Site]:
    """The pages under ``fixtures/site``, served on 127.0.0.1 for the test's duration."""
    async with site_server() as server:
        yield server


@pytest.fixture
async def origin() -> AsyncIterator[SiteOrigin]:
    """The API tests' page origin (tests/web_origin.py) on 127.0.0.1."""
    async with site_origin() as running:
        yield running


@pytest.fixture
async def redis_url() -> AsyncIterator[str]:
    """The test Redis URL; skips when Redis is absent, except under CI=true where it fails."""
    import redis.asyncio as aioredis

    client = aioredis.from_url(REDIS_URL)
    try:
        await client.ping()
    except Exception as exc:  # any connection failure means "no Redis here"
        await client.aclose()
        if IN_CI:
            pytest.fail(f"Redis is required under CI=true but {REDIS_URL} did not answer: {exc}")
        pytest.skip(f"no Redis at {REDIS_URL}")
    await client.aclose()
    yield REDIS_URL


@pytest.fixture
async def redis_prefix(redis_url: str) -> AsyncIterator[str]:
    """A key prefix unique to one test; every key under it is deleted afterwards."""
    import redis.asyncio as aioredis

    prefix = f"ogpreview-test:{uuid.uuid4().hex}:"
    yield prefix
    client = aioredis.from_url(redis_url)
    try:
        keys = [key async for key in client.scan_iter(match=prefix + "*", count=500)]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()


def _topology_binaries() -> tuple[str, str, str]:
    found = binaries()
    if found is None:
        if IN_CI:
            pytest.fail("redis-server, redis-cli and redis-sentinel are required under CI=true")
        pytest.skip("redis-server, redis-cli or redis-sentinel not installed")
    return found


@pytest.fixture(scope="session")
def redis_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """A three-node Redis Cluster on loopback, started once for the session."""
    server, cli, _ = _topology_binaries()
    with running(Cluster(server, cli, tmp_path_factory.mktemp("cluster"))) as cluster:
        yield cluster


@pytest.fixture(scope="session")
def redis_sentinel(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SentinelSet]:
    """A master, a replica and three sentinels on loopback, started once for the session."""
    server, _, sentinel = _topology_binaries()
    with running(SentinelSet(server, sentinel, tmp_path_factory.mktemp("sentinel"))) as sentinels:
        yield sentinels


def _healed(topology: Topology) -> Iterator[Topology]:
    """The session's topology whole again (a test before may have killed a node or failed
    the master over), and every key a test left under ``ogpreview-test:`` deleted after."""
    topology.heal()
    yield topology
    topology.heal()
    topology.delete("ogpreview-test:*")


@pytest.fixture
def cluster(redis_cluster: Cluster) -> Iterator[Cluster]:
    yield from _healed(redis_cluster)


@pytest.fixture
def sentinel_set(redis_sentinel: SentinelSet) -> Iterator[SentinelSet]:
    yield from _healed(redis_sentinel)


@pytest.fixture(params=["cluster", "sentinel"])
def scaled_redis(request: pytest.FixtureRequest) -> Cluster | SentinelSet:
    """Each shared Redis past one server, in turn: the cluster, then the sentinel set."""
    name = "cluster" if request.param == "cluster" else "sentinel_set"
    topology: Cluster | SentinelSet = request.getfixturevalue(name)
    return topology


@pytest.fixture
def scaled_prefix() -> str:
    """A key prefix of one test on a cluster or sentinel set (their fixtures delete
    every test's keys afterwards)."""
    return f"ogpreview-test:{uuid.uuid4().hex}:"
