"""The library call a plugin host makes: ``await previewer.preview(url)``.

Its pipeline, and what is cached on which failure:

1. **Check** the URL by the fetcher's policy (a refusal raises: nothing fetched or
   cached); key it without tracking parameters (:mod:`ogpreview.urls`).
2. **Cache**: a fresh entry is a ``hit``; a card past freshness is served ``stale`` while
   one background refresh runs (stale-while-revalidate); a miss fills. The key for a
   user's language: :mod:`ogpreview.cache.languages`.
3. **Single flight**: callers of one page share one fill in this process, and across
   instances through a short lock in a shared cache (:mod:`ogpreview.cache.lock`).
4. **Fetch** the page under the SSRF guard and **extract** its card (pure), then
   **enrich** it: oEmbed and the image probe at once, and the card guard drops URLs a
   client would load that the guard refuses (:mod:`ogpreview.fetch.page`, ``.enrich``).
5. **Store** with TTLs (:mod:`ogpreview.cache.ttl`): a card for its page's
   Cache-Control/Expires, clamped, then ``cache_stale_ttl`` more in which it is stale.

- A page that fails is cached as its error: ``negative_ttl`` for a definitive failure
  (404, a refused address), ``transient_negative_ttl`` for one that may pass (5xx, 408,
  429, timeouts); uncacheable errors (``busy``: no upstream slot) are not cached.
- A failed background refresh writes nothing over the stale card, and the page is not
  refreshed again for that failure's negative TTL.
- Enrichment never fails the card: a broken image is dropped; an oEmbed fetch or image
  probe that may pass (or found no slot) keeps the card only ``transient_negative_ttl``.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from collections import Counter
from collections.abc import AsyncGenerator, AsyncIterator, Iterable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Literal

from ogpreview.cache import Cache, Entry, cache_from_settings
from ogpreview.cache.languages import Target, cached_for, home_key, look_up
from ogpreview.cache.lock import LOCK_GRACE, fetch_lock
from ogpreview.cache.ttl import negative_ttl
from ogpreview.card import CacheStatus, Card, PreviewResult
from ogpreview.errors import PreviewError, fresh_copy
from ogpreview.extraction.links import links_in
from ogpreview.fetch.enrich import guard_only
from ogpreview.fetch.fetcher import Fetcher
from ogpreview.fetch.page import Fetched, Page, entry_of, fetch_page
from ogpreview.fetch.policy import URL_MEMO_SIZE
from ogpreview.locale import UserLocale
from ogpreview.settings import Settings
from ogpreview.tasks import OFFLOAD_SIZE, HostLimiter, SingleFlight, cancel_and_wait, offload
from ogpreview.urls import cache_key, strip_tracking

__all__ = ["PreviewResult", "PreviewStats", "Previewer"]

log = logging.getLogger(__name__)

#: When a fresh preview answers: after its enrichment (``wait``), or after the page alone
#: while its enrichment completes into the cache (``background``).
EnrichMode = Literal["wait", "background"]
ENRICH_MODES: tuple[EnrichMode, ...] = ("wait", "background")


#: What a library caller may pass as ``locale``.
Locale = str | UserLocale | None


@dataclass
class PreviewStats:
    """Counters for metrics: cache outcomes, upstream fetches by outcome code."""

    hits: int = 0
    misses: int = 0
    stale: int = 0
    #: Fills that found another instance's fetch lock taken and waited for its result.
    lock_waits: int = 0
    fetches: Counter[str] = field(default_factory=Counter)


class Previewer:
    """Previews URLs: ``await preview(url)``, batches, and the links in a plugin response.

    ``fetcher`` and ``cache`` are seams: when not given, the previewer builds a
    :class:`~ogpreview.Fetcher` and, from ``settings.redis_url``, a
    :class:`~ogpreview.RedisCache` or else a :class:`~ogpreview.MemoryCache`, and closes
    what it built on exit. ``settings`` defaults to ``Settings.from_env()``.
    """

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        fetcher: Fetcher | None = None,
        cache: Cache | None = None,
    ) -> None:
        self.settings = settings if settings is not None else Settings.from_env()
        self._own_fetcher = fetcher is None
        self._own_cache = cache is None
        self.fetcher = fetcher if fetcher is not None else Fetcher(self.settings)
        # Explicit None checks: an empty MemoryCache is falsy (it has a length).
        self.cache: Cache = cache if cache is not None else cache_from_settings(self.settings.cache)
        self.stats = PreviewStats()
        self._flights: SingleFlight[tuple[Entry, Fetched | None]] = SingleFlight()
        #: Per flight: its page once fetched and extracted, when it is yet to be enriched.
        self._pages: dict[str, asyncio.Future[Page]] = {}
        # Checking and keying a URL costs more than a Redis hit's own overhead; hot URLs
        # repeat, so the outcome for one URL string is kept (refusals raise, uncached).
        self._checked = functools.lru_cache(maxsize=URL_MEMO_SIZE)(self._check_url)
        self._background: set[asyncio.Future[Any]] = set()
        self._retry_after: dict[str, float] = {}
        #: The language of a fetch without a locale (the default Accept-Language's).
        self._default_language = UserLocale.from_accept_language(self.settings.accept_language)

    async def __aenter__(self) -> Previewer:
        if self._own_fetcher:
            await self.fetcher.__aenter__()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Stop background refreshes, then close what this previewer built."""
        await cancel_and_wait(self._background)
        if self._own_fetcher:
            await self.fetcher.aclose()
        if self._own_cache:
            await self.cache.aclose()

    @property
    def redis_errors(self) -> int:
        """Redis calls that failed so far (0 without Redis)."""
        return int(getattr(self.cache, "errors", 0))

    async def cache_ready(self) -> bool:
        """Whether the cache backend answers now (False while Redis is down)."""
        return await self.cache.ping()

    # --- one URL -----------------------------------------------------------------------

    async def preview(
        self,
        url: str,
        *,
        refresh: bool = False,
        locale: Locale = None,
        enrich: EnrichMode = "wait",
    ) -> Card:
        """The card for ``url``; raises :class:`~ogpreview.PreviewError` subclasses.

        ``enrich="background"``: a fetch answers with the page's card as soon as the page
        is in (its image unsized, no oEmbed values; URLs the guard refuses dropped as
        ever), and oEmbed and the image probe complete the card into the cache behind
        it (see :meth:`join_background`). A fetch another instance holds the lock for is
        waited for whole.

        ``locale`` is the user's language: a language tag (``fr-CH``), an
        ``Accept-Language`` list, or a :class:`~ogpreview.locale.UserLocale` (from a
        country: ``UserLocale.for_region("US-CA")``); the page is asked for in it. A
        locale naming no language CLDR knows raises :class:`~ogpreview.InvalidLocale`.
        """
        return (await self.lookup(url, refresh=refresh, locale=locale, enrich=enrich)).card

    async def lookup(
        self,
        url: str,
        *,
        refresh: bool = False,
        locale: Locale = None,
        enrich: EnrichMode = "wait",
    ) -> PreviewResult:
        """The card for ``url`` with how it was served (hit, stale or miss).

        ``refresh=True`` skips the cache and fetches (still one fetch per URL at a time).
        With a ``locale`` (see :meth:`preview`), the page's one card serves every
        language until the site shows it answers by language (``Vary: Accept-Language``,
        or a card in a language the user did not ask for); then each language has its own.
        """
        if enrich not in ENRICH_MODES:
            raise ValueError(f"enrich must be one of {ENRICH_MODES}, not {enrich!r}")
        language = self._language(locale)
        url, key = self._checked(url)  # refused URLs raise here: no fetch, nothing cached
        target, entry, stale_target = await look_up(self.cache, key, language, refresh=refresh)
        if entry is not None:
            now = time.time()
            if entry.is_fresh(now):
                self.stats.hits += 1
                return self._result(url, entry, "hit")
            if entry.card is not None:
                self.stats.stale += 1
                self._refresh_in_background(stale_target, url, now)
                return self._result(url, entry, "stale")
        self.stats.misses += 1
        if enrich == "background":
            return await self._page_first(target, url, refresh=refresh)
        fill = functools.partial(self._fill, target, url, refresh=refresh)
        entry, fetched = await self._flights.join(target.flight, fill)
        return self._result(url, entry, "miss", fetched)

    def _language(self, locale: Locale) -> UserLocale | None:
        """The user's language, or None for the default one (``settings.accept_language``)."""
        if locale is None:
            return None
        language = locale if isinstance(locale, UserLocale) else UserLocale.parse(locale)
        return None if language == self._default_language else language

    async def purge(self, url: str) -> int:
        """Delete the cached card (or cached failure) of ``url``'s page, in every language,
        from the cache (with Redis, for every instance sharing it); how many entries went.
        Raises :class:`~ogpreview.CacheUnavailable` when the shared cache is unreachable."""
        _, key = self._checked(url)
        for known in [k for k in self._retry_after if k.startswith(key)]:
            del self._retry_after[known]
        return await self.cache.purge(key)

    def source_url(self, url: str) -> str:
        """The URL a preview of ``url`` fetches, and is cached under: checked by the
        fetcher's policy (a refusal raises) and without tracking parameters."""
        return self._checked(url)[0]

    def _check_url(self, url: str) -> tuple[str, str]:
        # Fetched without tracking parameters, as its key is made without them: a page
        # reflecting a utm_* value must not put it in the card every caller gets.
        checked = strip_tracking(str(self.fetcher.validate(url)))
        return checked, cache_key(checked)

    @staticmethod
    def _result(
        url: str,
        entry: Entry,
        status: CacheStatus,
        fetched: Fetched | None = None,
        enrichment: Literal["complete", "pending"] = "complete",
    ) -> PreviewResult:
        if entry.error is not None:
            raise fresh_copy(entry.error)
        assert entry.card is not None
        card, fetched_at, final_url = entry.card, entry.fetched_at, entry.final_url
        if fetched is None:
            return PreviewResult(card, status, fetched_at, url, final_url)
        facts = (fetched.result, fetched.extracted, fetched.sources)
        return PreviewResult(card, status, fetched_at, url, final_url, *facts, enrichment)

    def _waiting(self) -> None:
        self.stats.lock_waits += 1

    async def _page_first(self, target: Target, url: str, *, refresh: bool) -> PreviewResult:
        """A miss for ``enrich="background"``: the fill's page as soon as it is in, when
        it needs enriching (else, or if the fill ends first, its whole result)."""
        key = target.flight
        fill = functools.partial(self._fill, target, url, refresh=refresh)
        joined = asyncio.ensure_future(self._flights.join(key, fill))
        page = self._pages.setdefault(key, asyncio.get_running_loop().create_future())

        def heard(known: Page) -> None:
            if not page.done():
                page.set_result(known)

        try:
            await asyncio.wait((joined, page), return_when=asyncio.FIRST_COMPLETED)
        except asyncio.CancelledError:
            joined.cancel()
            raise
        if joined.done():
            if self._pages.get(key) is page:
                del self._pages[key]
            entry, fetched = joined.result()
            return self._result(url, entry, "miss", fetched)
        # This caller stays joined to the fill, unseen, so that it runs to its end.
        self._background.add(joined)
        joined.add_done_callback(self._background.discard)
        known = page.result()
        guarded = await guard_only(known.extracted, known.result, self.fetcher)
        entry, fetched = entry_of(known, guarded, self.settings.cache)
        return self._result(url, entry, "miss", fetched, "pending")

    async def join_background(self) -> None:
        """Wait until the background work started so far has ended: refreshes of stale
        cards, and enrichments behind ``enrich="background"`` answers."""
        while self._background:
            await asyncio.gather(*self._background, return_exceptions=True)

    async def _fill(
        self, target: Target, url: str, *, refresh: bool, keep_stale: bool = False
    ) -> tuple[Entry, Fetched | None]:
        """Fetch and cache ``url`` unless another instance is doing it (then wait for its
        result). With ``keep_stale``, a failure is not cached over the stale card."""
        max_wait = self.settings.total_timeout * 3 + LOCK_GRACE
        cached = functools.partial(cached_for, self.cache, target)
        lock = fetch_lock(
            self.cache, target.flight, max_wait=max_wait, cached=cached, waiting=self._waiting
        )
        async with lock as held:
            if held.found is not None:
                return held.found, None
            if not refresh and held.token is not None:
                # The holder before us may have just finished: use its answer.
                entry = await cached_for(self.cache, target)
                if entry is not None and entry.is_fresh(time.time()):
                    return entry, None
            entry, fetched = await self._fetch_entry(target.flight, url, target.language)
            if entry.error is None or (entry.error.cacheable and not keep_stale):
                await self.cache.set(home_key(target, entry, self._default_language), entry)
            return entry, fetched

    async def _fetch_entry(
        self, key: str, url: str, language: UserLocale | None
    ) -> tuple[Entry, Fetched | None]:
        page = self._pages.setdefault(key, asyncio.get_running_loop().create_future())

        def heard(known: Page) -> None:
            if not page.done():
                page.set_result(known)

        try:
            entry, fetched = await fetch_page(
                self.fetcher,
                url,
                accept_language=None if language is None else language.accept_language,
                oembed=self.settings.oembed,
                image_probe=self.settings.image_probe,
                cache=self.settings.cache,
                extracted=heard,
            )
        finally:
            if self._pages.get(key) is page:
                del self._pages[key]
        self.stats.fetches["ok" if entry.error is None else entry.error.code] += 1
        return entry, fetched

    def _refresh_in_background(self, target: Target, url: str, now: float) -> None:
        key = target.flight
        if key in self._flights or self._retry_after.get(key, 0.0) > now:
            return
        fill = functools.partial(self._fill, target, url, refresh=True, keep_stale=True)
        task = self._flights.start(key, fill)
        runner = asyncio.ensure_future(self._watch_refresh(key, task))
        self._background.add(runner)
        runner.add_done_callback(self._background.discard)

    async def _watch_refresh(
        self, key: str, task: asyncio.Future[tuple[Entry, Fetched | None]]
    ) -> None:
        try:
            entry, _ = await task
        except asyncio.CancelledError:
            task.cancel()
            raise
        except Exception:
            log.exception("background refresh of %s failed", key)
            return
        if entry.error is not None:  # keep serving the stale card; retry after a while
            self._retry_after[key] = time.time() + negative_ttl(entry.error, self.settings.cache)
        else:
            self._retry_after.pop(key, None)

    # --- many URLs -----------------------------------------------------------------------

    async def preview_many(
        self, urls: Iterable[str], *, concurrency: int | None = None, locale: Locale = None
    ) -> AsyncIterator[tuple[str, Card | PreviewError]]:
        """``(url, card or error)`` for each URL, as they complete; at most ``concurrency``
        at once overall and ``settings.per_host_connections`` per host; ``locale`` as
        for :meth:`preview` (an invalid one raises before any URL is looked at)."""
        many = self.lookup_many(urls, concurrency=concurrency, locale=locale)
        async with contextlib.aclosing(many) as done:
            async for url, outcome in done:
                yield url, outcome.card if isinstance(outcome, PreviewResult) else outcome

    async def lookup_many(
        self, urls: Iterable[str], *, concurrency: int | None = None, locale: Locale = None
    ) -> AsyncGenerator[tuple[str, PreviewResult | PreviewError], None]:
        """Like :meth:`preview_many`, with how each card was served (see :meth:`lookup`)."""
        language = self._language(locale)  # raises InvalidLocale, for the whole call
        limit = concurrency or self.settings.concurrency
        hosts = HostLimiter(self.settings.per_host_connections)

        async def one(url: str) -> tuple[str, PreviewResult | PreviewError]:
            async with hosts.hold(url):
                try:
                    return url, await self.lookup(url, locale=language)
                except PreviewError as error:
                    return url, error

        pending: set[asyncio.Task[tuple[str, PreviewResult | PreviewError]]] = set()
        source = iter(urls)
        try:
            while True:
                for url in source:
                    pending.add(asyncio.ensure_future(one(url)))
                    if len(pending) >= limit:
                        break
                if not pending:
                    return
                done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
                for task in done:
                    yield task.result()
        finally:
            with contextlib.suppress(Exception):
                await cancel_and_wait(pending)

    def links_in(self, response: str | bytes | dict[str, Any] | list[Any]) -> list[str]:
        """The links in a plugin's response (JSON, Markdown or text), deduplicated, in order."""
        return links_in(response)

    async def preview_response(
        self, response: str | bytes | dict[str, Any] | list[Any], *, locale: Locale = None
    ) -> list[tuple[str, Card | PreviewError]]:
        """Preview every link in a plugin's response; results in the links' order;
        ``locale`` as for :meth:`preview`."""
        # Parsed JSON's size is unknown: it is searched in a thread, as a large text is.
        size = len(response) if isinstance(response, str | bytes) else OFFLOAD_SIZE
        urls = await offload(size, links_in, response)
        many = self.preview_many(urls, locale=locale)
        results = {url: outcome async for url, outcome in many}
        return [(url, results[url]) for url in urls]
