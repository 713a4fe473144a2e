"""Every knob of ogpreview in one frozen object, readable from ``OGPREVIEW_*`` variables,
and the small frozen parts of it that each layer takes (``settings.fetch``, ``.policy``,
``.cache``, ``.preview``, ``.api``, ``.plugin``, ``.jobs``)."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from ogpreview import validation
from ogpreview.cache.redisurl import redis_target_problem
from ogpreview.settings.env import ENV_PREFIX, parse_networks, parse_ports, values_from_env
from ogpreview.settings.parts import (
    PARTS,
    ApiSettings,
    CacheSettings,
    FetchLimits,
    FetchPolicy,
    JobSettings,
    PluginSettings,
    PreviewOptions,
    part_of,
)

__all__ = [
    "DEFAULT_ACCEPT_LANGUAGE",
    "DEFAULT_ALLOWED_PORTS",
    "DEFAULT_USER_AGENT",
    "ENV_PREFIX",
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
    #: The longest `url` the API takes (414 `url_too_long`); at most the library's own hard
    #: cap, :data:`ogpreview.urls.MAX_URL_LENGTH`, which refuses longer ones in any case.
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
        set_(self, "allow_networks", parse_networks(self.allow_networks, "allow_networks"))
        set_(self, "block_networks", parse_networks(self.block_networks, "block_networks"))
        set_(self, "allowed_ports", parse_ports(self.allowed_ports))
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
        return part_of(self, FetchPolicy)

    @cached_property
    def fetch(self) -> FetchLimits:
        """The fetch limits part."""
        return part_of(self, FetchLimits)

    @cached_property
    def cache(self) -> CacheSettings:
        """The cache part."""
        return part_of(self, CacheSettings)

    @cached_property
    def preview(self) -> PreviewOptions:
        """The previewer's options."""
        return part_of(self, PreviewOptions)

    @cached_property
    def api(self) -> ApiSettings:
        """The HTTP service's part."""
        return part_of(self, ApiSettings)

    @cached_property
    def plugin(self) -> PluginSettings:
        """The chat-plugin manifest's part."""
        return part_of(self, PluginSettings)

    @cached_property
    def jobs(self) -> JobSettings:
        """The batch check jobs' part."""
        return part_of(self, JobSettings)

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
        values = values_from_env(dataclasses.fields(cls), env)
        values.update(overrides)
        try:
            return cls(**values)
        except ValueError as exc:
            raise ValueError(f"invalid settings: {exc}") from exc
