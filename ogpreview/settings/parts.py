"""The small frozen parts of :class:`~ogpreview.Settings` that each layer takes
(``settings.fetch``, ``.policy``, ``.cache``, ``.preview``, ``.api``, ``.plugin``,
``.jobs``): Settings holds every knob under its one flat name (as users, scripts and
``OGPREVIEW_*`` variables spell them); each layer takes only its part, built from those
fields once."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

__all__ = [
    "PARTS",
    "ApiSettings",
    "CacheSettings",
    "FetchLimits",
    "FetchPolicy",
    "JobSettings",
    "PluginSettings",
    "PreviewOptions",
    "part_of",
]

_P = TypeVar("_P", bound="DataclassInstance")


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


def part_of(settings: Any, kind: type[_P]) -> _P:
    """The part ``kind`` of ``settings``: its fields, read from the settings' fields of the
    same names."""
    return kind(**{f.name: getattr(settings, f.name) for f in dataclasses.fields(kind)})
