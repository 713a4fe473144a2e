"""OGPREVIEW_REDIS_URL read in each OGPREVIEW_REDIS_MODE, and what the settings refuse."""

from __future__ import annotations

import pytest

from ogpreview import Settings
from ogpreview.cache.redisurl import RedisTarget, parse_redis_target


def test_standalone_is_the_default_and_keeps_the_url_whole() -> None:
    """Without a mode, the URL is one server's, options and all."""
    s = Settings(redis_url="redis://:pw@10.0.0.5:6380/3?ssl_cert_reqs=none")
    assert (s.redis_mode, parse_redis_target(s.redis_url or "", s.redis_mode)) == (
        "standalone",
        RedisTarget("standalone", "redis://:pw@10.0.0.5:6380/3?ssl_cert_reqs=none"),
    )


def test_cluster_nodes_are_urls_or_host_port() -> None:
    """A cluster's seed nodes: the first a URL, the others URLs or host:port (IPv6 in
    brackets), a missing port being Redis's own."""
    target = parse_redis_target(
        "rediss://user:pw@a.example:7000, redis://b.example:7001,[fd00::1]:7002,c.example",
        "cluster",
    )
    assert target.nodes == (
        ("a.example", 7000),
        ("b.example", 7001),
        ("fd00::1", 7002),
        ("c.example", 6379),
    )


def test_sentinels_default_to_the_sentinel_port() -> None:
    """Sentinels without a port are on 26379."""
    target = parse_redis_target("redis://s1,s2:26380", "sentinel")
    assert target.nodes == (("s1", 26379), ("s2", 26380))


def test_a_described_target_shows_no_password() -> None:
    """Log lines name the mode and the nodes, never the credentials."""
    cluster = parse_redis_target("redis://u:secret@a:7000,b:7001", "cluster")
    standalone = parse_redis_target("redis://u:secret@a:6380/2", "standalone")
    assert (cluster.describe(), standalone.describe()) == (
        "cluster a:7000,b:7001",
        "redis://a:6380",
    )


def test_mode_and_sentinel_service_come_from_the_environment() -> None:
    """OGPREVIEW_REDIS_MODE (any case) and OGPREVIEW_REDIS_SENTINEL_SERVICE are read."""
    s = Settings.from_env(
        {
            "OGPREVIEW_REDIS_URL": "redis://127.0.0.1:26379,127.0.0.1:26380",
            "OGPREVIEW_REDIS_MODE": " Sentinel ",
            "OGPREVIEW_REDIS_SENTINEL_SERVICE": "cards",
        }
    )
    assert (s.redis_mode, s.redis_sentinel_service) == ("sentinel", "cards")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"redis_mode": "sharded"}, "redis_mode must be one of standalone, cluster, sentinel"),
        (
            {"redis_url": "redis://a:1,redis://b:2"},
            "a standalone Redis is one URL",
        ),
        (
            {"redis_url": "redis://a:1", "redis_mode": "sentinel"},
            "redis_sentinel_service must name the master",
        ),
        ({"redis_url": "redis://a:1/2", "redis_mode": "cluster"}, "only database 0"),
        ({"redis_url": "unix:///tmp/r.sock", "redis_mode": "cluster"}, "redis:// or rediss://"),
        ({"redis_url": "redis://a:1,,b:2", "redis_mode": "cluster"}, "an empty item"),
        ({"redis_url": "redis://a:1,b:port", "redis_mode": "cluster"}, "'b:port' is not host:port"),
        ({"redis_url": "redis://a:1,http://b:2", "redis_mode": "cluster"}, "'http://b:2' is not"),
        (
            {"redis_url": "redis://a:1", "redis_mode": "cluster", "cache_prefix": "app{1}:"},
            "cache_prefix must not contain { or }",
        ),
    ],
)
def test_bad_redis_settings_are_refused_at_once(changes: dict[str, str], message: str) -> None:
    """A Redis configuration that cannot work is a ValueError saying why, before any
    connection is tried."""
    with pytest.raises(ValueError) as caught:
        Settings(**changes)  # type: ignore[arg-type]
    assert message in str(caught.value)


def test_a_mode_without_a_url_needs_nothing_else() -> None:
    """Sentinel mode without a Redis URL uses no Redis, so it needs no service name."""
    assert Settings(redis_mode="sentinel").redis_url is None
