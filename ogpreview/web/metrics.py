"""Prometheus metrics of one app, in its own registry (several apps can live in a process)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from ogpreview.fetch.fetcher import FetchPurpose
from ogpreview.previewer import Previewer

__all__ = ["CONTENT_TYPE", "ApiMetrics"]

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
#: Latency buckets in seconds: cache hits sit in the first few, fetches further up.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class _PreviewerCollector(Collector):
    """Cache outcomes, Redis errors and upstream slots, read from the previewer at scrape
    time (nothing is counted twice on the hot path)."""

    def __init__(self, previewer: Callable[[], Previewer | None]) -> None:
        self._previewer = previewer

    def collect(self) -> Iterator[Metric]:
        previewer = self._previewer()
        cache = CounterMetricFamily(
            "ogpreview_cache_lookups", "Card lookups by cache outcome", labels=["outcome"]
        )
        redis = CounterMetricFamily("ogpreview_redis_errors", "Redis calls that failed")
        lock_waits = CounterMetricFamily(
            "ogpreview_lock_waits", "Fetches left to another instance holding the URL's lock"
        )
        in_use = GaugeMetricFamily(
            "ogpreview_upstream_slots_in_use", "Upstream connection slots held now"
        )
        waiting = GaugeMetricFamily(
            "ogpreview_upstream_slots_waiting", "Upstream requests waiting for a slot now"
        )
        if previewer is not None:
            stats = previewer.stats
            cache.add_metric(["hit"], stats.hits)
            cache.add_metric(["miss"], stats.misses)
            cache.add_metric(["stale"], stats.stale)
            redis.add_metric([], previewer.redis_errors)
            lock_waits.add_metric([], stats.lock_waits)
            in_use.add_metric([], previewer.fetcher.slots.in_use)
            waiting.add_metric([], previewer.fetcher.slots.waiting)
        yield cache
        yield redis
        yield lock_waits
        yield in_use
        yield waiting


class ApiMetrics:
    """Requests, latencies and upstream fetches of one app."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=False)
        self.requests = Counter(
            "ogpreview_http_requests",
            "HTTP requests answered",
            ["route", "method", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "ogpreview_http_request_duration_seconds",
            "Time to answer an HTTP request",
            ["route"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.upstream = Counter(
            "ogpreview_upstream_fetches",
            "Upstream fetches by purpose and outcome (ok or an error code)",
            ["purpose", "outcome"],
            registry=self.registry,
        )
        self.previewer: Previewer | None = None
        self.registry.register(_PreviewerCollector(lambda: self.previewer))

    def observe(self, route: str, method: str, status: int, seconds: float) -> None:
        self.requests.labels(route, method, str(status)).inc()
        self.latency.labels(route).observe(seconds)

    def upstream_outcome(self, purpose: FetchPurpose, outcome: str) -> None:
        self.upstream.labels(purpose, outcome).inc()

    def render(self) -> bytes:
        return generate_latest(self.registry)
