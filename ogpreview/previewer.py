"""The library call a plugin host makes: ``await previewer.preview(url)``.

The previewer ties the fetcher, the extractor and a cache together: cached cards are
served while fresh and, past that, served stale while one background refresh runs;
concurrent callers of one URL share one fetch (in this process, and across instances
through a short Redis lock); failures are cached briefly so a dead link is not hammered.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import email.utils
import functools
import logging
import time
from collections import Counter
from collections.abc import AsyncGenerator, AsyncIterator, Iterable, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Literal

from ogpreview.cache import Cache, Entry, MemoryCache
from ogpreview.card import Card
from ogpreview.errors import (
    HTTPStatusError,
    PreviewError,
    UpstreamBusy,
    error_from_code,
    is_transient,
)
from ogpreview.extraction.extractor import explain_result
from ogpreview.extraction.links import links_in
from ogpreview.extraction.oembed import endpoint_for, merge_oembed, parse_oembed
from ogpreview.fetch.cardguard import drop_refused, note_dropped
from ogpreview.fetch.fetcher import Fetcher
from ogpreview.fetch.imageprobe import probe_image
from ogpreview.fetch.policy import URL_MEMO_SIZE
from ogpreview.fetch.response import FetchResult
from ogpreview.locale import UserLocale, content_languages
from ogpreview.settings import CacheSettings, Settings
from ogpreview.tasks import OFFLOAD_SIZE, HostLimiter, cancel_and_wait, offload
from ogpreview.text import ascii_int
from ogpreview.urls import cache_key, language_key, strip_tracking

__all__ = ["PreviewResult", "PreviewStats", "Previewer"]

log = logging.getLogger(__name__)

CacheStatus = Literal["hit", "miss", "stale"]
#: How often an instance waiting on another's fetch looks for the result.
LOCK_POLL = 0.02
#: Extra seconds a waiter waits beyond the fetch timeouts (oEmbed and image probe included).
LOCK_GRACE = 5.0
#: A fetch lock's lease: the holder renews it every third of this while it fetches, so if
#: the holder's process dies, another instance takes the URL over within one lease.
LOCK_LEASE = 3.0


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


@dataclass(frozen=True, slots=True)
class _Target:
    """What one fill fetches, and where its entry may be kept."""

    #: The page's key: the only one for the default language.
    key: str
    #: The user's language, when it is not the default one.
    language: UserLocale | None = None
    #: The page's own entry is cached and is not the card for ``language``.
    page_cached: bool = False

    @property
    def flight(self) -> str:
        """The key single-flight and the fetch lock are for: the page in this language."""
        if self.language is None:
            return self.key
        return language_key(self.key, self.language.accept_language)


#: What a library caller may pass as ``locale``.
Locale = str | UserLocale | None


def _varies_by_language(headers: Mapping[str, str]) -> bool:
    getall = getattr(headers, "getall", None)
    values = getall("Vary", []) if getall is not None else [headers.get("Vary", "")]
    names = {name.strip().lower() for value in values for name in value.split(",")}
    return bool(names & {"accept-language", "*"})


def _serves(page: Entry, language: UserLocale) -> bool:
    """Whether the page's own entry is the card for ``language`` too: the site did not
    say it answers by language, and the entry is not in a language the user did not
    ask for (by its Content-Language). An error is the page's, in any language."""
    if page.error is not None:
        return True
    if page.vary_language:
        return False
    return not page.languages or bool(set(page.languages) & set(language.languages))


@dataclass(frozen=True, slots=True)
class _Fetched:
    result: FetchResult
    extracted: Card
    sources: Mapping[str, str | None] | None


@dataclass(frozen=True, slots=True)
class _Enriched:
    card: Card
    #: Set when an enrichment failed in a way that may pass: the card is kept briefly.
    retry_soon: bool = False
    #: Source notes for ``explain`` (``image_dropped``, ``image_unsized``).
    notes: Mapping[str, str] = field(default_factory=dict)
    #: The URL fields the card lost (image, favicon, oEmbed URL), and why each went.
    dropped: Mapping[str, str] = field(default_factory=dict)


@dataclass
class PreviewStats:
    """Counters for metrics: cache outcomes, upstream fetches by outcome code."""

    hits: int = 0
    misses: int = 0
    stale: int = 0
    #: Fills that found another instance's fetch lock taken and waited for its result.
    lock_waits: int = 0
    fetches: Counter[str] = field(default_factory=Counter)


def freshness(headers: Mapping[str, str], cache: CacheSettings, now: float) -> float:
    """Seconds a card stays fresh: the page's own Cache-Control/Expires, clamped."""
    ttl = cache.cache_ttl
    directives: dict[str, str] = {}
    for part in headers.get("Cache-Control", "").split(","):
        name, _, value = part.strip().partition("=")
        if name:
            directives[name.lower()] = value.strip().strip('"')
    if "no-store" in directives or "no-cache" in directives:
        ttl = cache.cache_min_ttl
    elif "s-maxage" in directives or "max-age" in directives:
        seconds = ascii_int(directives.get("s-maxage") or directives.get("max-age") or "")
        if seconds is not None:
            ttl = float(seconds)
    elif "Expires" in headers:
        try:
            expires = email.utils.parsedate_to_datetime(headers["Expires"]).timestamp()
            ttl = expires - now
        except (TypeError, ValueError, IndexError, OverflowError):
            ttl = cache.cache_min_ttl  # an invalid Expires means "already expired"
    return min(max(ttl, cache.cache_min_ttl), cache.cache_max_ttl)


def _negative_ttl(error: PreviewError, cache: CacheSettings) -> float:
    return cache.transient_negative_ttl if is_transient(error) else cache.negative_ttl


def _fresh_copy(error: PreviewError) -> PreviewError:
    """A new instance per raise, so callers never share one exception's traceback."""
    status = error.status if isinstance(error, HTTPStatusError) else None
    copy = error_from_code(error.code, error.message, status=status)
    copy.__dict__.update(vars(error))  # its url, and what its class carries (retry_after)
    return copy


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
        self.cache: Cache = cache if cache is not None else self._default_cache()
        self.stats = PreviewStats()
        self._inflight: dict[str, asyncio.Future[tuple[Entry, _Fetched | None]]] = {}
        #: Callers waiting on each fetch a lookup started (not on background refreshes).
        self._waiters: dict[asyncio.Future[tuple[Entry, _Fetched | None]], int] = {}
        # Checking and keying a URL costs more than a Redis hit's own overhead; hot URLs
        # repeat, so the outcome for one URL string is kept (refusals raise, uncached).
        self._checked = functools.lru_cache(maxsize=URL_MEMO_SIZE)(self._check_url)
        self._background: set[asyncio.Task[None]] = set()
        self._retry_after: dict[str, float] = {}
        #: The language of a fetch without a locale (the default Accept-Language's).
        self._default_language = UserLocale.from_accept_language(self.settings.accept_language)

    def _default_cache(self) -> Cache:
        s = self.settings
        if s.redis_url:
            from ogpreview.cache.redis import RedisCache  # redis-py only where it is used

            return RedisCache(
                s.redis_url,
                prefix=s.cache_prefix,
                mode=s.redis_mode,
                sentinel_service=s.redis_sentinel_service,
            )
        return MemoryCache(max_entries=s.memory_cache_entries, max_bytes=s.memory_cache_bytes)

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
        target = _Target(key)
        entry: Entry | None = None
        from_page = True
        if language is None:
            if not refresh:
                entry = await self.cache.get(key)
        else:
            page = await self.cache.get(key)
            serves = page is not None and _serves(page, language)
            target = _Target(key, language, page_cached=page is not None and not serves)
            if not refresh:
                from_page = serves
                entry = page if serves else await self.cache.get(target.flight)
        if entry is not None:
            now = time.time()
            if entry.is_fresh(now):
                self.stats.hits += 1
                return self._result(url, entry, "hit")
            if entry.card is not None:
                self.stats.stale += 1
                # The page's own card is refreshed as the page (the default language).
                self._refresh_in_background(_Target(key) if from_page else target, url, now)
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
            raise _fresh_copy(entry.error)
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
        self, target: _Target, url: str, *, refresh: bool
    ) -> tuple[Entry, _Fetched | None]:
        key = target.flight
        future = self._inflight.get(key)
        if future is None:
            future = asyncio.ensure_future(self._fill(target, url, refresh=refresh))
            self._inflight[key] = future
            future.add_done_callback(lambda _: self._inflight.pop(key, None))
            self._waiters[future] = 0
        counted = future in self._waiters
        if counted:
            self._waiters[future] += 1
        try:
            # Shielded: one caller giving up must not cancel the fetch the others wait for.
            return await asyncio.shield(future)
        finally:
            if counted:
                self._waiters[future] -= 1
                if self._waiters[future] == 0:
                    del self._waiters[future]
                    # The last caller gave up (cancelled): nobody wants this fetch now.
                    # (A background refresh is not counted here: it runs to its end.)
                    future.cancel()

    async def _fill(
        self, target: _Target, url: str, *, refresh: bool, keep_stale: bool = False
    ) -> tuple[Entry, _Fetched | None]:
        """Fetch and cache ``url`` unless another instance is doing it (then wait for its
        result). With ``keep_stale``, a failure is not cached over the stale card."""
        key = target.flight
        max_wait = self.settings.total_timeout * 3 + LOCK_GRACE
        token = await self.cache.acquire_lock(key, LOCK_LEASE)
        if token is None:
            self.stats.lock_waits += 1
            started = time.time()
            deadline = time.monotonic() + max_wait
            while token is None and time.monotonic() < deadline:
                await asyncio.sleep(LOCK_POLL)
                entry = await self._cached(target)
                if entry is not None and entry.fetched_at >= started:
                    return entry, None
                token = await self.cache.acquire_lock(key, LOCK_LEASE)
        # Only a shared cache's lock can lapse while we fetch; a local one needs no lease.
        lease = (
            asyncio.create_task(self._keep_lock(key, token))
            if token is not None and self.cache.shared
            else None
        )
        try:
            if not refresh and token is not None:
                # The holder before us may have just finished: use its answer.
                entry = await self._cached(target)
                if entry is not None and entry.is_fresh(time.time()):
                    return entry, None
            entry, fetched = await self._fetch_entry(url, target.language)
            if entry.error is None or (entry.error.cacheable and not keep_stale):
                await self.cache.set(self._home(target, entry), entry)
            return entry, fetched
        finally:
            if lease is not None:
                lease.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await lease
            if token is not None:
                await self.cache.release_lock(key, token)

    async def _cached(self, target: _Target) -> Entry | None:
        """What the cache holds for ``target`` now: its own entry, or (for a language
        whose card the page's was not known not to be) the page's when it serves it."""
        entry = await self.cache.get(target.flight)
        if entry is not None or target.language is None or target.page_cached:
            return entry
        page = await self.cache.get(target.key)
        return page if page is not None and _serves(page, target.language) else None

    def _home(self, target: _Target, entry: Entry) -> str:
        """The key an entry fetched for ``target`` is kept under: the page's own, unless
        the site answered by language (it said so, the page's card is known to be in
        another language, or this one is in the user's language and not the default's),
        or the fetch failed (a failure in one language is not planted on the others)."""
        language = target.language
        if language is None:
            return target.key
        if entry.error is not None or entry.vary_language or target.page_cached:
            return target.flight
        default = self._default_language.languages if self._default_language else ()
        answered = set(entry.languages)
        if answered & set(language.languages) and not answered & set(default):
            return target.flight
        return target.key

    async def _keep_lock(self, key: str, token: str) -> None:
        while True:
            await asyncio.sleep(LOCK_LEASE / 3)
            await self.cache.extend_lock(key, token, LOCK_LEASE)

    async def _fetch_entry(
        self, url: str, language: UserLocale | None
    ) -> tuple[Entry, _Fetched | None]:
        try:
            accept_language = None if language is None else language.accept_language
            result = await self.fetcher.fetch(url, accept_language=accept_language)
            extracted, found = explain_result(result)
            enriched = await self._enrich(extracted, result)
        except PreviewError as error:
            self.stats.fetches[error.code] += 1
            now = time.time()
            ttl = _negative_ttl(error, self.settings.cache)
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
            vary_language=_varies_by_language(result.headers),
            languages=content_languages(result.headers.get("Content-Language")),
        )
        sources = {**note_dropped(found, enriched.dropped), **enriched.notes}
        return entry, _Fetched(result, extracted, sources)

    async def _enrich(self, card: Card, result: FetchResult) -> _Enriched:
        """oEmbed values and image dimensions, and none of the URLs a client would load
        that the guard refuses (see :mod:`~ogpreview.fetch.cardguard`); failures here never
        fail the card. What failed in a way that may pass (a flaky image host; no upstream
        connection slot for us, UpstreamBusy) sets ``retry_soon``: the card is cached
        briefly."""
        retry_soon = False
        vetted = {result.url}  # fetched under the guard for this card
        if self.settings.oembed and result.is_html:
            endpoint = endpoint_for(card.url, card.oembed_url)
            if endpoint is not None:
                try:
                    answer = await self.fetcher.fetch(endpoint, purpose="oembed")
                    vetted.add(endpoint)
                    card = merge_oembed(card, parse_oembed(answer.body), endpoint)
                except (PreviewError, ValueError) as exc:
                    retry_soon = retry_soon or isinstance(exc, UpstreamBusy)
                    log.debug("oEmbed for %s failed: %s", card.url, exc)
        image = card.image
        dropped: dict[str, str] = {}
        notes: dict[str, str] = {}
        if (
            self.settings.image_probe
            and image is not None
            and (image.width is None or image.height is None)
            and image.url not in vetted
        ):
            probe = await probe_image(self.fetcher, image.url)
            if probe.broken is not None:
                log.debug("image %s of %s dropped: %s", image.url, card.url, probe.broken)
                card = dataclasses.replace(card, image=None)
                dropped["image"] = probe.broken
            elif probe.unchecked is not None:
                # An image nobody checked is no image to show (it may name a refused address).
                card = dataclasses.replace(card, image=None)
                dropped["image"] = f"{probe.unchecked} (not checked: probed again soon)"
                retry_soon = True
            elif probe.transient is not None:
                retry = (
                    f"{probe.transient} (a failure that may pass: kept unsized, probed again soon)"
                )
                notes["image_unsized"] = retry
                retry_soon = True
            else:
                vetted.add(image.url)  # it answered, under the guard
                if probe.size is not None:
                    sized = dataclasses.replace(image, width=probe.size[0], height=probe.size[1])
                    card = dataclasses.replace(card, image=sized)
        card, refused = await drop_refused(card, self.fetcher, page_url=result.url, vetted=vetted)
        dropped.update(refused)
        if "image" in dropped:
            notes["image_dropped"] = dropped["image"]
        return _Enriched(card, retry_soon=retry_soon, notes=notes, dropped=dropped)

    def _refresh_in_background(self, target: _Target, url: str, now: float) -> None:
        key = target.flight
        if key in self._inflight or self._retry_after.get(key, 0.0) > now:
            return
        task = asyncio.ensure_future(self._fill(target, url, refresh=True, keep_stale=True))
        self._inflight[key] = task
        task.add_done_callback(lambda _: self._inflight.pop(key, None))
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
            self._retry_after[key] = time.time() + _negative_ttl(entry.error, self.settings.cache)
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
