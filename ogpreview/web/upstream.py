"""The fetcher the API uses: the library's, with a cap on concurrent upstream fetches."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from ogpreview.errors import PreviewError
from ogpreview.fetch.fetcher import Fetcher, FetchPurpose
from ogpreview.fetch.resolver import Resolver
from ogpreview.fetch.response import FetchResult
from ogpreview.settings import Settings

__all__ = ["BoundedFetcher"]

OutcomeHook = Callable[[FetchPurpose, str], None]


class BoundedFetcher(Fetcher):
    """At most ``settings.max_upstream_fetches`` fetches at once across all requests;
    ``on_outcome(purpose, "ok" | error code)`` is told how each fetch ended."""

    def __init__(
        self,
        settings: Settings,
        *,
        resolver: Resolver | None = None,
        on_outcome: OutcomeHook | None = None,
    ) -> None:
        super().__init__(settings, resolver=resolver)
        self._slots = asyncio.Semaphore(settings.max_upstream_fetches)
        self._on_outcome = on_outcome

    async def fetch(self, url: str, *, purpose: FetchPurpose = "page") -> FetchResult:
        async with self._slots:
            try:
                result = await super().fetch(url, purpose=purpose)
            except PreviewError as error:
                if self._on_outcome is not None:
                    self._on_outcome(purpose, error.code)
                raise
        if self._on_outcome is not None:
            self._on_outcome(purpose, "ok")
        return result
