"""Every knob of ogpreview in one frozen object, readable from ``OGPREVIEW_*`` variables,
and the small frozen parts of it that each layer takes (``settings.fetch``, ``.policy``,
``.cache``, ``.preview``, ``.api``, ``.plugin``, ``.jobs``)."""

from __future__ import annotations

import dataclasses
import ipaddress
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any, TypeVar

from ogpreview import validation

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

from ogpreview.cache.redisurl import redis_target_problem

__all__ = [
    "DEFAULT_ACCEPT_LANGUAGE",
    "DEFAULT_ALLOWED_PORTS",
    "DEFAULT_USER_AGENT",
    "PARTS",
    "ApiSettings",
    "CacheSettings",
    "FetchLimits",
    "FetchPolicy",
    "JobSettings",
    "PluginSettings",
    "PreviewOptions",
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

#: The Host names a service without OGPREVIEW_PUBLIC_URL answers to by default: loopback.
DEFAULT_ALLOWED_HOSTS = ("localhost", "127.0.0.1", "[::1]")
DEFAULT_PLUGIN_MODEL_DESCRIPTION = (
    "Get a preview card (site name, title, description, image) for a web URL, or for "
    "every link in a text. Use it to show users what a link leads to before they open it."
)

ENV_PREFIX = "OGPREVIEW_"
_P = TypeVar("_P", bound="DataclassInstance")


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


# --- the parts each layer takes ------------------------------------------------------------
# Settings holds every knob under its one flat name (as users, scripts and OGPREVIEW_*
# variables spell them); each layer takes only its part, built from those fields once.


@dataclass(frozen=True, slots=True, kw_only=True)
class FetchPolicy:
    """What may be fetched at all: the networks and ports the guard admits."""

    allow_networks: tuple[str, ...]
    block_networks: tuple[str, ...]
    allowed_ports: frozenset[int] | None


@dataclass(frozen=True, slots=True, kw_only=True)
class FetchLimits:
    """How a fetch is bounded: redirects, time, bytes, headers, connections, identity."""

    max_redirects: int
    connect_timeout: float
    total_timeout: float
    max_body_bytes: int
    max_html_bytes: int
    max_header_bytes: int
    max_headers: int
    per_host_connections: int
    max_connections: int
    upstream_queue_timeout: float
    user_agent: str
    accept_language: str


@dataclass(frozen=True, slots=True, kw_only=True)
class CacheSettings:
    """Where cards are kept and for how long."""

    redis_url: str | None
    redis_mode: str
    redis_sentinel_service: str | None
    cache_prefix: str
    cache_ttl: float
    cache_min_ttl: float
    cache_max_ttl: float
    cache_stale_ttl: float
    negative_ttl: float
    transient_negative_ttl: float
    memory_cache_entries: int
    memory_cache_bytes: int


@dataclass(frozen=True, slots=True, kw_only=True)
class PreviewOptions:
    """What a preview does beyond the page: how many at once, oEmbed, image probes."""

    concurrency: int
    oembed: bool
    image_probe: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class ApiSettings:
    """The HTTP service: where it listens, who may call it, and how requests are bounded."""

    host: str
    port: int
    workers: int
    secret: str | None
    api_keys: tuple[str, ...]
    max_url_length: int
    max_batch_urls: int
    max_request_bytes: int
    max_upstream_fetches: int
    rate_limit: int
    trust_forwarded_for: bool
    client_header_timeout: float
    client_body_timeout: float
    keepalive_timeout: float
    max_idle_connections: int
    image_url_ttl: float
    debugger: bool | None
    image_rate_limit: int
    embed_url_ttl: float
    public_url: str | None
    allowed_hosts: tuple[str, ...]
    cors_origins: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class PluginSettings:
    """The chat-plugin manifest (``/.well-known/ai-plugin.json``): what it says."""

    plugin_name: str
    plugin_model_name: str
    plugin_description: str
    plugin_model_description: str
    plugin_contact_email: str | None
    plugin_legal_url: str | None
    plugin_logo_url: str | None
    plugin_verification_token: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class JobSettings:
    """Batch check jobs: their size, concurrency, hand-over and lifetime."""

    check_max_urls: int
    check_concurrency: int
    check_claim_idle: float
    check_job_ttl: float
    check_max_queued: int


#: Settings' parts, by the name of the Settings property that gives each.
PARTS: Mapping[str, type] = {
    "policy": FetchPolicy,
    "fetch": FetchLimits,
    "cache": CacheSettings,
    "preview": PreviewOptions,
    "api": ApiSettings,
    "plugin": PluginSettings,
    "jobs": JobSettings,
}


def _part(settings: Settings, kind: type[_P]) -> _P:
    return kind(**{f.name: getattr(settings, f.name) for f in dataclasses.fields(kind)})


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
    #: Seconds a fetch may wait for a free connection slot to its host (this service's
    #: own queue, not counted in the fetch's timeouts); then ``UpstreamBusy`` (503 busy).
    upstream_queue_timeout: float = 10.0
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
    #: Seconds a signed image-proxy URL is honoured (then up to an hour more: rounding).
    image_url_ttl: float = 24 * 3600.0
    #: Bearer tokens accepted on /v1; empty: no authentication.
    api_keys: tuple[str, ...] = ()
    max_url_length: int = 2048
    max_batch_urls: int = 50
    max_request_bytes: int = 1 * MIB
    #: Upstream requests the API has open at once across all requests (its clients take
    #: turns for them when they are all in use).
    max_upstream_fetches: int = 64
    #: Requests per minute per client on /v1; 0 switches the limit off.
    rate_limit: int = 120
    #: Take the client address from X-Forwarded-For (only behind a trusted proxy).
    trust_forwarded_for: bool = False
    #: Seconds a client has to send a request's head, from connecting (or from the first
    #: byte of its next request on a kept-alive connection); then 408 and the connection
    #: is closed.
    client_header_timeout: float = 5.0
    #: Seconds a client has to send a request's whole body once its head is in.
    client_body_timeout: float = 30.0
    #: Seconds an idle kept-alive connection stays open (longer than the idle timeout of
    #: the load balancers in front, 60 s for most, so they never reuse a closing one).
    keepalive_timeout: float = 75.0
    #: Idle kept-alive connections one server process keeps; past it the longest idle
    #: one is closed.
    max_idle_connections: int = 256
    #: The preview debugger at ``/``: None serves it unless API keys are set (then it is
    #: off unless switched on, and asks for a key); True or False decide.
    debugger: bool | None = None
    #: Image-proxy loads per minute per client, counted apart from ``rate_limit`` (a page
    #: of cards loads many images); 0 switches it off.
    image_rate_limit: int = 1200
    #: Seconds a signed /v1/card or /oembed link (an iframe's source) is honoured.
    embed_url_ttl: float = 24 * 3600.0
    #: The service's public base URL (``https://previews.example.com``): every absolute
    #: URL it writes starts with it. None: the request's own, if its Host is allowed.
    public_url: str | None = None
    #: Host names (``host`` or ``host:port``; a bare host matches any port) a request
    #: may name the service by when ``public_url`` is not set.
    allowed_hosts: tuple[str, ...] = DEFAULT_ALLOWED_HOSTS
    #: Browser origins allowed to call /v1 and /oembed (CORS), or ``*``; empty: off.
    cors_origins: tuple[str, ...] = ()
    # --- chat-plugin manifest ---------------------------------------------------------------
    plugin_name: str = "Link previews"
    plugin_model_name: str = "ogpreview"
    plugin_description: str = "Rich previews (title, description, image) of web links."
    plugin_model_description: str = DEFAULT_PLUGIN_MODEL_DESCRIPTION
    #: The manifest is served only once a contact address and a legal page are set.
    plugin_contact_email: str | None = None
    plugin_legal_url: str | None = None
    #: None: the logo this service serves itself (/logo.png).
    plugin_logo_url: str | None = None
    #: Written as ``auth.verification_tokens.openai`` when API keys are on.
    plugin_verification_token: str | None = None
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
            "image_rate_limit",
        ):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative")
        for name in (
            "connect_timeout",
            "total_timeout",
            "upstream_queue_timeout",
            "check_claim_idle",
            "check_job_ttl",
            "client_header_timeout",
            "client_body_timeout",
            "keepalive_timeout",
            "image_url_ttl",
            "embed_url_ttl",
        ):
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
        self._check_public_parts()
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
            "max_idle_connections",
        ):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1")

    def _check_public_parts(self) -> None:
        """The public URL, hosts, origins and manifest fields (see ``ogpreview.validation``)."""
        set_ = object.__setattr__
        set_(self, "public_url", validation.public_url(self.public_url))
        set_(self, "allowed_hosts", validation.allowed_hosts(self.allowed_hosts))
        set_(self, "cors_origins", validation.cors_origins(self.cors_origins))
        set_(self, "plugin_contact_email", validation.email(self.plugin_contact_email))
        for name in ("plugin_legal_url", "plugin_logo_url"):
            set_(self, name, validation.absolute_url(getattr(self, name), name))
        token = validation.token(self.plugin_verification_token, "plugin_verification_token")
        set_(self, "plugin_verification_token", token)
        validation.plugin_texts(
            name=self.plugin_name,
            model_name=self.plugin_model_name,
            description=self.plugin_description,
            model_description=self.plugin_model_description,
        )

    @cached_property
    def policy(self) -> FetchPolicy:
        """The fetch policy part (networks and ports)."""
        return _part(self, FetchPolicy)

    @cached_property
    def fetch(self) -> FetchLimits:
        """The fetch limits part."""
        return _part(self, FetchLimits)

    @cached_property
    def cache(self) -> CacheSettings:
        """The cache part."""
        return _part(self, CacheSettings)

    @cached_property
    def preview(self) -> PreviewOptions:
        """The previewer's options."""
        return _part(self, PreviewOptions)

    @cached_property
    def api(self) -> ApiSettings:
        """The HTTP service's part."""
        return _part(self, ApiSettings)

    @cached_property
    def plugin(self) -> PluginSettings:
        """The chat-plugin manifest's part."""
        return _part(self, PluginSettings)

    @cached_property
    def jobs(self) -> JobSettings:
        """The batch check jobs' part."""
        return _part(self, JobSettings)

    @property
    def debugger_on(self) -> bool:
        """Whether ``/`` serves the debugger: by default only without API keys."""
        return not self.api_keys if self.debugger is None else self.debugger

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
    if kind == "bool | None" and not text:
        return None
    if kind in ("bool", "bool | None"):
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
