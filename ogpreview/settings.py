"""Every knob of ogpreview in one frozen object, readable from ``OGPREVIEW_*`` variables."""

from __future__ import annotations

import dataclasses
import ipaddress
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ogpreview.redisurl import redis_target_problem

__all__ = [
    "DEFAULT_ACCEPT_LANGUAGE",
    "DEFAULT_ALLOWED_PORTS",
    "DEFAULT_USER_AGENT",
    "Settings",
]

__version__ = "0.1.0"

KIB = 1024
MIB = 1024 * KIB

DEFAULT_ALLOWED_PORTS: frozenset[int] = frozenset({80, 443, 8080, 8443})
# Named first and honestly; the facebookexternalhit token is the compatibility marker that
# sites serving OpenGraph only to known preview bots (prerender set-ups, SPA hosts) look for.
DEFAULT_USER_AGENT = (
    f"Mozilla/5.0 (compatible; ogpreview/{__version__}; link preview bot; "
    "+https://github.com/ogpreview/ogpreview) facebookexternalhit/1.1"
)
DEFAULT_ACCEPT_LANGUAGE = "en-US,en;q=0.9,*;q=0.5"

ENV_PREFIX = "OGPREVIEW_"


def _networks(value: Iterable[str] | str, name: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    out: list[str] = []
    for item in value:
        text = str(item).strip()
        if not text:
            continue
        try:
            out.append(str(ipaddress.ip_network(text, strict=False)))
        except ValueError as exc:
            raise ValueError(f"{name}: {text!r} is not an IP network (CIDR)") from exc
    return tuple(out)


def _ports(value: Iterable[int | str] | None) -> frozenset[int] | None:
    if value is None:
        return None
    ports: set[int] = set()
    for item in value:
        if isinstance(item, str) and item.strip().lower() == "any":
            return None
        try:
            port = int(item)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"allowed_ports: {item!r} is not a port number") from exc
        if not 0 < port < 65536:
            raise ValueError(f"allowed_ports: {port} is out of range 1-65535")
        ports.add(port)
    return frozenset(ports)


#: The URL schemes redis-py connects with.
REDIS_SCHEMES = frozenset({"redis", "rediss", "unix"})
#: Job TTLs are whole seconds in Redis; a shorter one would expire a job at once.
MIN_JOB_TTL = 1.0


@dataclass(frozen=True, kw_only=True)
class Settings:
    """Configuration, immutable; build a variant with ``dataclasses.replace``.

    Network fields accept any iterable of CIDR strings and are stored as tuples;
    ``allowed_ports=None`` allows every port.
    """

    # --- fetch policy (SSRF guard) -------------------------------------------------
    allow_networks: tuple[str, ...] = ()
    block_networks: tuple[str, ...] = ()
    allowed_ports: frozenset[int] | None = DEFAULT_ALLOWED_PORTS
    # --- fetch limits ----------------------------------------------------------------
    max_redirects: int = 5
    connect_timeout: float = 5.0
    total_timeout: float = 10.0
    max_body_bytes: int = 2 * MIB
    #: An HTML body is read only this far (the head and enough body for the fallbacks).
    max_html_bytes: int = 512 * KIB
    max_header_bytes: int = 16 * KIB
    max_headers: int = 100
    per_host_connections: int = 8
    max_connections: int = 200
    user_agent: str = DEFAULT_USER_AGENT
    accept_language: str = DEFAULT_ACCEPT_LANGUAGE
    # --- cache ---------------------------------------------------------------------------
    redis_url: str | None = None
    #: How ``redis_url`` is read: ``standalone`` (one server), ``cluster`` (seed nodes of
    #: a Redis Cluster) or ``sentinel`` (the sentinels of a master); lists are
    #: comma-separated.
    redis_mode: str = "standalone"
    #: The master's name as the sentinels know it (with ``redis_mode="sentinel"``).
    redis_sentinel_service: str | None = None
    cache_prefix: str = "ogpreview:"
    cache_ttl: float = 24 * 3600.0
    cache_min_ttl: float = 5 * 60.0
    cache_max_ttl: float = 7 * 24 * 3600.0
    #: How long a stale card may still be served while one refresh runs.
    cache_stale_ttl: float = 7 * 24 * 3600.0
    negative_ttl: float = 10 * 60.0
    transient_negative_ttl: float = 60.0
    memory_cache_entries: int = 10_000
    memory_cache_bytes: int = 64 * MIB
    # --- previewer ---------------------------------------------------------------------
    concurrency: int = 32
    oembed: bool = True
    image_probe: bool = True
    # --- HTTP API ------------------------------------------------------------------------
    host: str = "127.0.0.1"
    port: int = 8080
    #: Server processes sharing the port (SO_REUSEPORT).
    workers: int = 1
    #: HMAC key for image-proxy URLs; None: a random per-process key (URLs die on restart).
    secret: str | None = None
    #: Bearer tokens accepted on /v1; empty: no authentication.
    api_keys: tuple[str, ...] = ()
    max_url_length: int = 2048
    max_batch_urls: int = 50
    max_request_bytes: int = 1 * MIB
    #: Upstream fetches the API runs at once across all requests.
    max_upstream_fetches: int = 64
    #: Requests per minute per client on /v1; 0 switches the limit off.
    rate_limit: int = 120
    #: Take the client address from X-Forwarded-For (only behind a trusted proxy).
    trust_forwarded_for: bool = False
    # --- batch check jobs ------------------------------------------------------------------
    #: URLs one job may hold.
    check_max_urls: int = 10_000
    #: Checks one instance runs at once for jobs.
    check_concurrency: int = 16
    #: Seconds a job entry may sit unacknowledged with a consumer before another instance
    #: takes it over (longer than any one check takes).
    check_claim_idle: float = 60.0
    #: Seconds a job and its results are kept.
    check_job_ttl: float = 24 * 3600.0
    #: URLs waiting to be checked (all jobs) above which new jobs are refused (503).
    check_max_queued: int = 100_000

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "allow_networks", _networks(self.allow_networks, "allow_networks"))
        set_(self, "block_networks", _networks(self.block_networks, "block_networks"))
        set_(self, "allowed_ports", _ports(self.allowed_ports))
        for name in (
            "max_redirects",
            "max_body_bytes",
            "max_html_bytes",
            "max_header_bytes",
            "rate_limit",
        ):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative")
        for name in ("connect_timeout", "total_timeout", "check_claim_idle", "check_job_ttl"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive")
        if self.check_job_ttl < MIN_JOB_TTL:
            raise ValueError(f"check_job_ttl must be at least {MIN_JOB_TTL:g} s")
        if not 0 <= self.port < 65536:
            raise ValueError("port must be in 0-65535")
        if self.redis_url is not None:
            scheme = self.redis_url.partition("://")[0].lower()
            if scheme not in REDIS_SCHEMES or "://" not in self.redis_url:
                raise ValueError(
                    f"redis_url must start with redis://, rediss:// or unix://: "
                    f"{self.redis_url[:100]!r}"
                )
        set_(self, "redis_mode", self.redis_mode.strip().lower())
        problem = redis_target_problem(
            self.redis_url, self.redis_mode, self.redis_sentinel_service, self.cache_prefix
        )
        if problem is not None:
            raise ValueError(problem)
        set_(self, "api_keys", tuple(k for k in self.api_keys if k))
        for name in (
            "per_host_connections",
            "max_connections",
            "concurrency",
            "max_headers",
            "workers",
            "max_url_length",
            "max_batch_urls",
            "max_request_bytes",
            "max_upstream_fetches",
            "check_max_urls",
            "check_concurrency",
            "check_max_queued",
        ):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1")

    def replace(self, **changes: Any) -> Settings:
        """A copy with some fields changed (validated like the constructor)."""
        return dataclasses.replace(self, **changes)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Settings from ``OGPREVIEW_<FIELD>`` variables, then ``overrides`` on top.

        Lists are comma-separated; ``OGPREVIEW_ALLOWED_PORTS=any`` allows every port;
        an empty ``OGPREVIEW_REDIS_URL`` means no Redis. A malformed value raises
        ``ValueError`` naming the variable.
        """
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            raw = env.get(ENV_PREFIX + f.name.upper())
            if raw is None:
                continue
            try:
                values[f.name] = _parse_env(f, raw)
            except ValueError as exc:
                raise ValueError(f"{ENV_PREFIX}{f.name.upper()}: {exc}") from exc
        values.update(overrides)
        try:
            return cls(**values)
        except ValueError as exc:
            raise ValueError(f"invalid settings: {exc}") from exc


def _parse_env(f: dataclasses.Field[Any], raw: str) -> Any:
    kind = str(f.type)
    text = raw.strip()
    if f.name == "allowed_ports":
        return _ports(p for p in text.split(",") if p.strip())
    if kind.startswith("tuple"):
        return tuple(p.strip() for p in text.split(",") if p.strip())
    if kind == "bool":
        lowered = text.lower()
        if lowered in {"1", "true", "yes", "on"}:
            return True
        if lowered in {"0", "false", "no", "off"}:
            return False
        raise ValueError(f"{raw!r} is not a boolean")
    if kind == "int":
        return int(text)
    if kind == "float":
        return float(text)
    if kind == "str | None":
        return text or None
    return raw
