"""The fetcher the API uses: the library's, with a cap on concurrent upstream fetches."""

from __future__ import annotations

from collections.abc import Callable

from ogpreview.errors import PreviewError
from ogpreview.fetch.fetcher import Fetcher, FetchPurpose
from ogpreview.fetch.resolver import Resolver
from ogpreview.fetch.response import FetchResult
from ogpreview.fetch.slots import UpstreamSlots
from ogpreview.settings import Settings

__all__ = ["BoundedFetcher"]

OutcomeHook = Callable[[FetchPurpose, str], None]


class BoundedFetcher(Fetcher):
    """At most ``settings.max_upstream_fetches`` upstream requests at once across all
    requests of the API, shared between its clients in turn (see :mod:`ogpreview.fetch.slots`);
    ``on_outcome(purpose, "ok" | error code)`` is told how each fetch ended."""

    def __init__(
        self,
        settings: Settings,
        *,
        resolver: Resolver | None = None,
        on_outcome: OutcomeHook | None = None,
    ) -> None:
        slots = UpstreamSlots(
            per_host=settings.per_host_connections,
            total=min(settings.max_connections, settings.max_upstream_fetches),
            queue_timeout=settings.upstream_queue_timeout,
        )
        super().__init__(settings, resolver=resolver, slots=slots)
        self._on_outcome = on_outcome

    async def fetch(
        self, url: str, *, purpose: FetchPurpose = "page", accept_language: str | None = None
    ) -> FetchResult:
        try:
            result = await super().fetch(url, purpose=purpose, accept_language=accept_language)
        except PreviewError as error:
            if self._on_outcome is not None:
                self._on_outcome(purpose, error.code)
            raise
        if self._on_outcome is not None:
            self._on_outcome(purpose, "ok")
        return result
