"""The library call a plugin host makes: ``await previewer.preview(url)``.

Its pipeline, and what is cached on which failure:

1. **Check** the URL by the fetcher's policy (a refusal raises: nothing fetched or
   cached); key it without tracking parameters (:mod:`ogpreview.cachekey`).
2. **Cache**: a fresh entry is a ``hit``; a card past freshness is served ``stale`` while
   one background refresh runs (stale-while-revalidate); a miss fills. The key for a
   user's language: :mod:`ogpreview.cache.languages`.
3. **Single flight**: callers of one page share one fill in this process, and across
   instances through a short lock in a shared cache (:mod:`ogpreview.cache.lock`).
4. **Fetch** the page under the SSRF guard (:mod:`ogpreview.fetch`); **extract** its card
   (pure, :mod:`ogpreview.extraction`).
5. **Enrich** (:mod:`ogpreview.fetch.enrich`): oEmbed merged in, the image probed for its
   size, URLs a client would load that the guard refuses dropped (the card guard).
6. **Store** with TTLs (:mod:`ogpreview.cache.ttl`): a card for its page's
   Cache-Control/Expires, clamped, then ``cache_stale_ttl`` more in which it is stale.

- A page that fails is cached as its error: ``negative_ttl`` for a definitive failure
  (404, a refused address), ``transient_negative_ttl`` for one that may pass (5xx, 408,
  429, timeouts); uncacheable errors (``busy``: no upstream slot) are not cached.
- A background refresh that fails writes nothing over the stale card, and the page is
  not refreshed again for that failure's negative TTL.
- Enrichment never fails the card: a broken image is dropped; an oEmbed fetch or image
  probe that may pass (or found no slot) keeps the card only ``transient_negative_ttl``.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from collections import Counter, defaultdict
from collections.abc import AsyncGenerator, AsyncIterator, Iterable, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Literal
from urllib.parse import urlsplit

from ogpreview.cache import Cache, Entry, cache_from_settings
from ogpreview.cache.languages import Target, home_key, serves, varies_by_language
from ogpreview.cache.lock import LOCK_GRACE, fetch_lock
from ogpreview.cache.ttl import freshness, negative_ttl
from ogpreview.cachekey import cache_key, strip_tracking
from ogpreview.card import Card
from ogpreview.errors import PreviewError, fresh_copy
from ogpreview.extraction.extractor import explain_result
from ogpreview.extraction.links import links_in
from ogpreview.fetch.cardguard import note_dropped
from ogpreview.fetch.enrich import enrich_card
from ogpreview.fetch.fetcher import Fetcher
from ogpreview.fetch.response import FetchResult
from ogpreview.locale import UserLocale, content_languages
from ogpreview.settings import Settings
from ogpreview.tasks import OFFLOAD_SIZE, SingleFlight, cancel_and_wait, offload

__all__ = ["PreviewResult", "PreviewStats", "Previewer"]

log = logging.getLogger(__name__)

CacheStatus = Literal["hit", "miss", "stale"]
#: URL strings whose check and cache key are remembered.
URL_MEMO_SIZE = 4096


@dataclass(frozen=True, slots=True)
class PreviewResult:
    """A card and how it was served: from the cache (``hit``, ``stale``) or fetched."""

    card: Card
    cache: CacheStatus
    #: When the card was fetched (Unix time).
    fetched_at: float
    #: The URL asked for, as checked and normalised (the one a fetch starts from).
    requested_url: str
    #: Where the fetch that made the card ended, after redirects; kept with the card in
    #: the cache. (For a card cached from another spelling of the same page, say with
    #: tracking parameters, that fetch's end. None only for a card an older version cached.)
    final_url: str | None
    #: The fetch made to answer this call, if one was.
    fetch: FetchResult | None = None
    #: With ``fetch``, for an HTML page: the card as extracted, before oEmbed and the image
    #: probe changed it, and the extractor rule each field came from (see ``explain``); a
    #: URL field the previewer dropped names the rule and why it went ("og_images,
    #: dropped: blocked_address: ..."); ``image_dropped`` says why the image went, and
    #: ``image_unsized`` why it was kept unsized (a failure that may pass).
    extracted: Card | None = None
    sources: Mapping[str, str | None] | None = None


#: What a library caller may pass as ``locale``.
Locale = str | UserLocale | None


@dataclass(frozen=True, slots=True)
class _Fetched:
    result: FetchResult
    extracted: Card
    sources: Mapping[str, str | None] | None


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
        self._flights: SingleFlight[tuple[Entry, _Fetched | None]] = SingleFlight()
        # Checking and keying a URL costs more than a Redis hit's own overhead; hot URLs
        # repeat, so the outcome for one URL string is kept (refusals raise, uncached).
        self._checked = functools.lru_cache(maxsize=URL_MEMO_SIZE)(self._check_url)
        self._background: set[asyncio.Task[None]] = set()
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

    async def preview(self, url: str, *, refresh: bool = False, locale: Locale = None) -> Card:
        """The card for ``url``; raises :class:`~ogpreview.PreviewError` subclasses.

        ``locale`` is the user's language: a language tag (``fr-CH``), an
        ``Accept-Language`` list, or a :class:`~ogpreview.locale.UserLocale` (from a
        country: ``UserLocale.for_region("US-CA")``); the page is asked for in it. A
        locale naming no language CLDR knows raises :class:`~ogpreview.InvalidLocale`.
        """
        return (await self.lookup(url, refresh=refresh, locale=locale)).card

    async def lookup(
        self, url: str, *, refresh: bool = False, locale: Locale = None
    ) -> PreviewResult:
        """The card for ``url`` with how it was served (hit, stale or miss).

        ``refresh=True`` skips the cache and fetches (still one fetch per URL at a time).
        With a ``locale`` (see :meth:`preview`), the page's one card serves every
        language until the site shows it answers by language (``Vary: Accept-Language``,
        or a card in a language the user did not ask for); then each language has its own.
        """
        language = self._language(locale)
        url, key = self._checked(url)  # refused URLs raise here: no fetch, nothing cached
        target = Target(key)
        entry: Entry | None = None
        from_page = True
        if language is None:
            if not refresh:
                entry = await self.cache.get(key)
        else:
            page = await self.cache.get(key)
            shared = page is not None and serves(page, language)
            target = Target(key, language, page_cached=page is not None and not shared)
            if not refresh:
                from_page = shared
                entry = page if shared else await self.cache.get(target.flight)
        if entry is not None:
            now = time.time()
            if entry.is_fresh(now):
                self.stats.hits += 1
                return self._result(url, entry, "hit")
            if entry.card is not None:
                self.stats.stale += 1
                # The page's own card is refreshed as the page (the default language).
                self._refresh_in_background(Target(key) if from_page else target, url, now)
                return self._result(url, entry, "stale")
        self.stats.misses += 1
        entry, fetched = await self._single_flight(target, url, refresh=refresh)
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
        url: str, entry: Entry, status: CacheStatus, fetched: _Fetched | None = None
    ) -> PreviewResult:
        if entry.error is not None:
            raise fresh_copy(entry.error)
        assert entry.card is not None
        if fetched is None:
            return PreviewResult(entry.card, status, entry.fetched_at, url, entry.final_url)
        return PreviewResult(
            entry.card,
            status,
            entry.fetched_at,
            url,
            entry.final_url,
            fetched.result,
            fetched.extracted,
            fetched.sources,
        )

    async def _single_flight(
        self, target: Target, url: str, *, refresh: bool
    ) -> tuple[Entry, _Fetched | None]:
        fill = functools.partial(self._fill, target, url, refresh=refresh)
        return await self._flights.join(target.flight, fill)

    async def _fill(
        self, target: Target, url: str, *, refresh: bool, keep_stale: bool = False
    ) -> tuple[Entry, _Fetched | None]:
        """Fetch and cache ``url`` unless another instance is doing it (then wait for its
        result). With ``keep_stale``, a failure is not cached over the stale card."""
        max_wait = self.settings.total_timeout * 3 + LOCK_GRACE
        cached = functools.partial(self._cached, target)
        async with fetch_lock(self.cache, target.flight, max_wait=max_wait, cached=cached) as held:
            if held.waited:
                self.stats.lock_waits += 1
            if held.found is not None:
                return held.found, None
            if not refresh and held.token is not None:
                # The holder before us may have just finished: use its answer.
                entry = await self._cached(target)
                if entry is not None and entry.is_fresh(time.time()):
                    return entry, None
            entry, fetched = await self._fetch_entry(url, target.language)
            if entry.error is None or (entry.error.cacheable and not keep_stale):
                await self.cache.set(home_key(target, entry, self._default_language), entry)
            return entry, fetched

    async def _cached(self, target: Target) -> Entry | None:
        """What the cache holds for ``target`` now: its own entry, or (for a language
        whose card the page's was not known not to be) the page's when it serves it."""
        entry = await self.cache.get(target.flight)
        if entry is not None or target.language is None or target.page_cached:
            return entry
        page = await self.cache.get(target.key)
        return page if page is not None and serves(page, target.language) else None

    async def _fetch_entry(
        self, url: str, language: UserLocale | None
    ) -> tuple[Entry, _Fetched | None]:
        try:
            accept_language = None if language is None else language.accept_language
            result = await self.fetcher.fetch(url, accept_language=accept_language)
            extracted, found = explain_result(result)
            enriched = await enrich_card(
                extracted,
                result,
                self.fetcher,
                oembed=self.settings.oembed,
                image_probe=self.settings.image_probe,
            )
        except PreviewError as error:
            self.stats.fetches[error.code] += 1
            now = time.time()
            ttl = negative_ttl(error, self.settings.cache)
            return Entry(None, error, now, now + ttl, now + ttl), None
        self.stats.fetches["ok"] += 1
        now = time.time()
        fresh = freshness(result.headers, self.settings.cache, now)
        if enriched.retry_soon:  # what failed for now (or found us busy) is tried again soon
            fresh = min(fresh, self.settings.transient_negative_ttl)
        stale = now + fresh + self.settings.cache_stale_ttl
        card = enriched.card
        entry = Entry(
            card,
            None,
            now,
            now + fresh,
            stale,
            final_url=result.url,
            vary_language=varies_by_language(result.headers),
            languages=content_languages(result.headers.get("Content-Language")),
        )
        sources = {**note_dropped(found, enriched.dropped), **enriched.notes}
        return entry, _Fetched(result, extracted, sources)

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
        self, key: str, task: asyncio.Future[tuple[Entry, _Fetched | None]]
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
        per_host: defaultdict[str, asyncio.Semaphore] = defaultdict(
            lambda: asyncio.Semaphore(self.settings.per_host_connections)
        )

        async def one(url: str) -> tuple[str, PreviewResult | PreviewError]:
            host = (urlsplit(url).hostname or "") if "://" in url else ""
            async with per_host[host]:
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
