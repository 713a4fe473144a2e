"""What ``OGPREVIEW_REDIS_URL`` names in each ``OGPREVIEW_REDIS_MODE``: one server, the
seed nodes of a Redis Cluster, or the sentinels watching a master.

Pure parsing, without redis-py: the settings check a URL in every process, and most
processes never talk to Redis (:mod:`ogpreview.cache.redisclient` builds the clients).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

__all__ = ["REDIS_MODES", "RedisTarget", "parse_redis_target", "redis_target_problem"]

#: ``standalone``: one server (or a proxy in front of several); ``cluster``: a Redis
#: Cluster, reached through any of its nodes; ``sentinel``: the master that the given
#: sentinels name, followed through failovers.
REDIS_MODES = ("standalone", "cluster", "sentinel")
#: Where a node list has no port: the ports Redis and Sentinel listen on by default.
DEFAULT_PORTS = {"cluster": 6379, "sentinel": 26379}
_NODE_SCHEMES = ("redis", "rediss")


@dataclass(frozen=True, slots=True)
class RedisTarget:
    """A parsed Redis URL: ``first`` is the first URL of the list (its credentials,
    database, TLS and options apply to every node), ``nodes`` the ``(host, port)`` of every
    listed node (empty in standalone mode, where redis-py reads the URL whole)."""

    mode: str
    first: str
    nodes: tuple[tuple[str, int], ...] = ()

    def describe(self) -> str:
        """The target for a log line: modes and addresses, never credentials."""
        if self.mode == "standalone":
            parts = urlsplit(self.first)
            host = parts.hostname or parts.path or "?"
            port = f":{parts.port}" if parts.port else ""
            return f"{parts.scheme}://{host}{port}"
        addresses = ",".join(_address(host, port) for host, port in self.nodes)
        return f"{self.mode} {addresses}"


def _address(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def parse_redis_target(url: str, mode: str) -> RedisTarget:
    """The target ``url`` names in ``mode``; ``ValueError`` saying what is wrong.

    In cluster and sentinel mode ``url`` is a comma-separated list: the first item a
    ``redis://`` or ``rediss://`` URL, the others URLs or bare ``host:port`` (a comma in a
    password must be written ``%2C``).
    """
    if mode not in REDIS_MODES:
        raise ValueError(f"redis_mode must be one of {', '.join(REDIS_MODES)}, not {mode!r}")
    text = url.strip()
    if mode == "standalone":
        if any(f",{scheme}://" in text for scheme in _NODE_SCHEMES):
            raise ValueError(
                "redis_url lists several servers; a standalone Redis is one URL "
                "(set redis_mode to cluster or sentinel for a list of nodes)"
            )
        return RedisTarget(mode, text)
    items = [item.strip() for item in text.split(",")]
    if not all(items):
        raise ValueError("redis_url has an empty item in its comma-separated list")
    first = items[0]
    scheme = first.partition("://")[0].lower()
    if "://" not in first or scheme not in _NODE_SCHEMES:
        raise ValueError(
            f"redis_url: in {mode} mode the first node must be a redis:// or rediss:// URL, "
            f"not {first[:100]!r}"
        )
    parts = urlsplit(first)
    if mode == "cluster" and parts.path.strip("/") not in ("", "0"):
        raise ValueError("redis_url: a Redis Cluster has only database 0")
    nodes = tuple(_node(item, DEFAULT_PORTS[mode]) for item in items)
    return RedisTarget(mode, first, nodes)


def _node(item: str, default_port: int) -> tuple[str, int]:
    spelled = item if "://" in item else "//" + item
    try:
        parts = urlsplit(spelled)
        port = parts.port
    except ValueError as exc:
        raise ValueError(f"redis_url: {item[:100]!r} is not host:port ({exc})") from exc
    if "://" in item and parts.scheme.lower() not in _NODE_SCHEMES:
        raise ValueError(f"redis_url: {item[:100]!r} is not a redis:// or rediss:// URL")
    if not parts.hostname:
        raise ValueError(f"redis_url: {item[:100]!r} names no host")
    return parts.hostname, port or default_port


def redis_target_problem(
    url: str | None, mode: str, sentinel_service: str | None, key_prefix: str
) -> str | None:
    """What is wrong with this Redis configuration, or None (for the settings' check)."""
    if mode not in REDIS_MODES:
        return f"redis_mode must be one of {', '.join(REDIS_MODES)}, not {mode!r}"
    if url is None:
        return None
    try:
        parse_redis_target(url, mode)
    except ValueError as exc:
        return str(exc)
    if mode == "sentinel" and not sentinel_service:
        return "redis_sentinel_service must name the master when redis_mode is sentinel"
    if mode == "cluster" and ("{" in key_prefix or "}" in key_prefix):
        # The keys' own {hash tags} decide which keys share a slot; a brace in the prefix
        # would take that over.
        return "cache_prefix must not contain { or } when redis_mode is cluster"
    return None
