"""Link checking: how each link will preview, with findings like a sharing debugger's.

:class:`Checker` looks one URL up through a :class:`~ogpreview.Previewer` (so a check warms
the preview cache, Redis included), then reads the fetched page again to tell declared
OpenGraph values from inferred ones, verifies the image, and turns every problem into a
:class:`Finding` with a stable ``code`` and a severity. :meth:`Checker.check_many` streams
any number of URLs through it with bounded memory and per-host politeness.

Every finding code, with its severity, is listed in :data:`FINDINGS`.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import time
from collections import Counter, OrderedDict, deque
from collections.abc import (
    AsyncIterable,
    AsyncIterator,
    Awaitable,
    Callable,
    Iterable,
    Iterator,
    Mapping,
)
from dataclasses import dataclass
from typing import Any, Literal, TypeVar, cast
from urllib.parse import urlsplit

from ogpreview.cache import NullCache
from ogpreview.card import Card
from ogpreview.errors import HTTPStatusError, PreviewError
from ogpreview.extraction.declared import rule_label
from ogpreview.extraction.extractor import explain_result
from ogpreview.extraction.rules import OPENGRAPH_RULES
from ogpreview.fetch.imageprobe import probe_image
from ogpreview.fetch.response import FetchResult
from ogpreview.previewer import Previewer
from ogpreview.settings import Settings
from ogpreview.tasks import cancel_and_wait
from ogpreview.text import scrub_surrogates
from ogpreview.urls import normalize_url, plain_url_parts

__all__ = [
    "DEFAULT_CONCURRENCY",
    "DEFAULT_PER_HOST",
    "DESCRIPTION_MAX_CHARS",
    "FINDINGS",
    "MIN_IMAGE_HEIGHT",
    "MIN_IMAGE_WIDTH",
    "RECOMMENDED_IMAGE_HEIGHT",
    "RECOMMENDED_IMAGE_WIDTH",
    "REDIRECT_CHAIN_HOPS",
    "SEVERITY_RANK",
    "SLOW_MS",
    "TITLE_MAX_CHARS",
    "CheckResult",
    "Checker",
    "Finding",
    "Severity",
    "Verdict",
    "check_stream",
    "dedup_key",
    "error_result",
    "failed_result",
    "previewer_for_checks",
    "verdict_of",
]

log = logging.getLogger(__name__)

Severity = Literal["error", "warning", "info"]
Verdict = Literal["ok", "warning", "error"]

#: A page slower than this (ms, redirects included) gets ``slow_response``.
SLOW_MS = 3000.0
#: A large image card needs at least this image (pixels); smaller gets ``image_too_small``.
MIN_IMAGE_WIDTH = 200
MIN_IMAGE_HEIGHT = 200
#: The image size recommended for a large card (1.91:1); smaller gets an info finding.
RECOMMENDED_IMAGE_WIDTH = 1200
RECOMMENDED_IMAGE_HEIGHT = 630
#: Titles longer than this are cut by chat hosts and sharing cards (two lines).
TITLE_MAX_CHARS = 90
#: Descriptions longer than this are cut (about three lines of a card).
DESCRIPTION_MAX_CHARS = 200
#: This many redirects or more is a chain (``redirect_chain``); fewer is ``redirected``.
REDIRECT_CHAIN_HOPS = 2
#: Checks run at once by :meth:`Checker.check_many`, overall and per host (politeness).
DEFAULT_CONCURRENCY = 32
DEFAULT_PER_HOST = 4
#: Image URLs whose probe outcome is remembered (sites reuse one image on many pages).
IMAGE_MEMO_SIZE = 1024

#: An image probe's outcome: ``(size, None)`` or ``(None, why not)``.
_Probed = tuple[tuple[int, int] | None, str | None]

#: Every finding code and its severity. Error codes from a failed fetch are the
#: :class:`~ogpreview.PreviewError` codes; any other failure is ``fetch_error``.
FINDINGS: Mapping[str, Severity] = {
    # The link does not preview at all.
    "invalid_url": "error",
    "blocked_url": "error",
    "blocked_address": "error",
    "dns_error": "error",
    "connect_error": "error",
    "timeout": "error",
    "too_large": "error",
    "too_many_redirects": "error",
    "http_status": "error",
    # No longer met on a page fetch (a file gets file_link); an older instance sharing
    # the Redis may still have cached it.
    "unsupported_content": "error",
    "fetch_error": "error",
    "busy": "error",
    "no_title": "error",
    "internal_error": "error",
    # It previews, but worse than it could.
    "og_title_missing": "warning",
    "og_description_missing": "warning",
    "og_image_missing": "warning",
    "no_description": "warning",
    "no_image": "warning",
    "image_broken": "warning",
    "image_too_small": "warning",
    "og_url_mismatch": "warning",
    "title_too_long": "warning",
    "description_too_long": "warning",
    "redirect_chain": "warning",
    "slow_response": "warning",
    "file_link": "warning",
    # Worth knowing.
    "redirected": "info",
    "image_link": "info",
    "image_below_recommended": "info",
    "image_size_mismatch": "info",
    "site_name_inferred": "info",
}

#: Severities, most severe first (findings are listed in this order).
SEVERITY_RANK: Mapping[str, int] = {"error": 0, "warning": 1, "info": 2}
_VERDICTS = frozenset({"ok", "warning", "error"})
#: The rules of the declared OpenGraph values, by field (their ids, as ``explain`` reports them).
_OG_SOURCES = OPENGRAPH_RULES
_BOT_BLOCKING = frozenset({401, 403, 429, 451})
#: A page's card as extracted (before oEmbed and the image probe) and each field's source.
_Extracted = tuple[Card, Mapping[str, str | None]]
#: What :func:`check_stream` streams and what it gives back for each.
_Url = TypeVar("_Url", bound=str)
_Result = TypeVar("_Result")


def _finding(code: str, message: str) -> Finding:
    # Messages quote what servers sent (a Content-Type header's undecodable bytes come
    # through as lone surrogates); a report must always encode.
    return Finding(code, FINDINGS[code], scrub_surrogates(message))


def verdict_of(findings: Iterable[Finding]) -> Verdict:
    """``error`` if any finding is an error, else ``warning`` if any is, else ``ok``."""
    severities = {f.severity for f in findings}
    if "error" in severities:
        return "error"
    if "warning" in severities:
        return "warning"
    return "ok"


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem (or note) about a link: a stable ``code`` from :data:`FINDINGS`."""

    code: str
    severity: Severity
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "severity": self.severity, "message": self.message}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Finding:
        """Rebuild a finding from :meth:`to_dict`; ``ValueError`` on a wrong shape."""
        if not isinstance(data, Mapping):
            raise ValueError("a finding must be an object")
        code, severity, message = data.get("code"), data.get("severity"), data.get("message")
        if not isinstance(code, str) or not code:
            raise ValueError("a finding needs a non-empty string code")
        if severity not in SEVERITY_RANK:
            raise ValueError(f"finding severity must be error, warning or info: {severity!r}")
        if not isinstance(message, str):
            raise ValueError("a finding needs a string message")
        return cls(code, cast(Severity, severity), message)


@dataclass(frozen=True, slots=True)
class CheckResult:
    """The verdict on one link: what it previews as and what is wrong with it."""

    url: str
    #: Where the link ended after redirects (None when no response came back).
    final_url: str | None
    verdict: Verdict
    findings: tuple[Finding, ...]
    #: The card the link previews as (None when it does not preview at all).
    card: Card | None
    #: The final HTTP status (None when no response came back).
    status: int | None
    #: How long the check took, in milliseconds (image and oEmbed fetches included).
    elapsed_ms: float

    def to_dict(self) -> dict[str, Any]:
        """The JSON object ``ogpreview check --format jsonl`` writes per URL."""
        return {
            "url": self.url,
            "final_url": self.final_url,
            "verdict": self.verdict,
            "findings": [f.to_dict() for f in self.findings],
            "card": None if self.card is None else self.card.to_dict(),
            "status": self.status,
            "elapsed_ms": self.elapsed_ms,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CheckResult:
        """The exact inverse of :meth:`to_dict`; ``ValueError`` on a wrong shape."""
        if not isinstance(data, Mapping):
            raise ValueError("a check result must be an object")
        url, final_url = data.get("url"), data.get("final_url")
        if not isinstance(url, str):
            raise ValueError("a check result needs a string url")
        if final_url is not None and not isinstance(final_url, str):
            raise ValueError("final_url must be a string or null")
        raw_findings = data.get("findings")
        if not isinstance(raw_findings, list):
            raise ValueError("findings must be a list")
        findings = tuple(Finding.from_dict(f) for f in raw_findings)
        verdict = data.get("verdict")
        if verdict not in _VERDICTS:
            raise ValueError(f"verdict must be ok, warning or error: {verdict!r}")
        if verdict != verdict_of(findings):
            raise ValueError(f"verdict {verdict!r} does not match the findings")
        raw_card = data.get("card")
        card = None if raw_card is None else Card.from_dict(raw_card)
        status = data.get("status")
        if status is not None and (isinstance(status, bool) or not isinstance(status, int)):
            raise ValueError("status must be an integer or null")
        elapsed = data.get("elapsed_ms")
        if isinstance(elapsed, bool) or not isinstance(elapsed, int | float) or elapsed < 0:
            raise ValueError("elapsed_ms must be a non-negative number")
        return cls(
            url=url,
            final_url=final_url,
            verdict=cast(Verdict, verdict),
            findings=findings,
            card=card,
            status=status,
            elapsed_ms=float(elapsed),
        )


def _sorted(findings: list[Finding]) -> tuple[Finding, ...]:
    return tuple(sorted(findings, key=lambda f: SEVERITY_RANK[f.severity]))


def _label(source: str | None) -> str:
    # A field with a value but no extraction rule got it from oEmbed.
    return "oEmbed" if source is None else rule_label(source)


def dedup_key(url: str) -> int:
    """What makes two links "the same link", checked once: equal keys. The key is that of
    the normalised URL (:func:`~ogpreview.urls.normalize_url`: case of scheme and host,
    default port, fragment and tracking parameters do not count; the stripped text when it
    does not parse). Both ``ogpreview check`` (:meth:`Checker.check_many`) and check jobs
    (:func:`ogpreview.check.jobs.base.dedupe_urls`) skip a URL whose key they have seen.

    It is small and fixed-size (8 bytes of a hash: the seen-set stays small for 100,000s of
    URLs; a collision needs ~4 billion URLs to be likely)."""
    try:
        text = normalize_url(url)
    except ValueError:
        text = url.strip()
    digest = hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def host_of(url: str) -> str:
    """``host`` or ``host:port`` of a URL, lower-cased ('' when it has none)."""
    url = url.strip()
    plain = plain_url_parts(url)
    if plain is not None:
        _, plain_host, plain_port, _ = plain
        plain_host = plain_host.lower().rstrip(".")
        return f"{plain_host}:{int(plain_port)}" if plain_port else plain_host
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").rstrip(".")
        port = parts.port
    except ValueError:
        return ""
    return f"{host}:{port}" if port is not None else host


def _error_finding(error: PreviewError) -> Finding:
    code = error.code if FINDINGS.get(error.code) == "error" else "fetch_error"
    message = error.message
    if isinstance(error, HTTPStatusError) and error.status in _BOT_BLOCKING:
        message += " (the site turns the preview bot away: the link shows no card)"
    return _finding(code, message)


def error_result(url: str, error: PreviewError, *, started: float) -> CheckResult:
    """The result of a check whose fetch failed with ``error`` (an ``error`` verdict with
    the finding for its code); ``started`` is when it began (``time.perf_counter()``)."""
    status = error.status if isinstance(error, HTTPStatusError) else None
    final = error.url if isinstance(error, HTTPStatusError) else None
    return Checker._result(url, final, [_error_finding(error)], None, status, started)


def failed_result(url: str, message: str, *, started: float) -> CheckResult:
    """The result of a check that could not run to the end: one ``internal_error``
    finding saying why; ``started`` is when it began (``time.perf_counter()``)."""
    return Checker._result(url, None, [_finding("internal_error", message)], None, None, started)


def previewer_for_checks(settings: Settings) -> Previewer:
    """The previewer a check run uses: with ``settings.redis_url`` it reads and warms the
    service's shared Redis cache; without, it keeps no cache, as a run checks each URL
    once (duplicates are skipped before they reach it)."""
    return Previewer(settings, cache=None if settings.redis_url else NullCache())


class Checker:
    """Checks links: :meth:`check` one, :meth:`check_many` a stream of them.

    The thresholds are keyword arguments defaulting to this module's constants. The
    previewer is used as given (its settings decide the fetch policy; its cache, memory
    or Redis, receives every card fetched) and is not closed here.
    """

    def __init__(
        self,
        previewer: Previewer,
        *,
        slow_ms: float = SLOW_MS,
        min_image_width: int = MIN_IMAGE_WIDTH,
        min_image_height: int = MIN_IMAGE_HEIGHT,
        recommended_image_width: int = RECOMMENDED_IMAGE_WIDTH,
        recommended_image_height: int = RECOMMENDED_IMAGE_HEIGHT,
        title_max_chars: int = TITLE_MAX_CHARS,
        description_max_chars: int = DESCRIPTION_MAX_CHARS,
        redirect_chain_hops: int = REDIRECT_CHAIN_HOPS,
        verify_images: bool = True,
    ) -> None:
        self.previewer = previewer
        self.slow_ms = slow_ms
        self.min_image_width = min_image_width
        self.min_image_height = min_image_height
        self.recommended_image_width = recommended_image_width
        self.recommended_image_height = recommended_image_height
        self.title_max_chars = title_max_chars
        self.description_max_chars = description_max_chars
        self.redirect_chain_hops = redirect_chain_hops
        #: Probe images whose size the page declares (the previewer trusts those).
        self.verify_images = verify_images
        self._image_memo: OrderedDict[str, _Probed] = OrderedDict()
        self._image_inflight: dict[str, asyncio.Future[tuple[_Probed, bool]]] = {}

    # --- one URL -----------------------------------------------------------------------

    async def check(self, url: str) -> CheckResult:
        """Check one link. Never raises for a bad URL or site: those become findings."""
        start = time.perf_counter()
        # Input files can hold anything (YAML "\ud800"); the report must still encode.
        url = url.strip()
        if not url.isascii():
            url = scrub_surrogates(url)
        try:
            result = await self.previewer.lookup(url, refresh=True)
            card, fetch = result.card, result.fetch
            if fetch is None:
                # Another instance fetched it meanwhile (shared Redis lock): the card is
                # fresh, but the page itself is needed here to tell what it declares.
                fetch = await self.previewer.fetcher.fetch(self.previewer.source_url(url))
        except PreviewError as error:
            return error_result(url, error, started=start)
        except Exception as exc:  # one broken link must never end a run of thousands
            log.exception("checking %s failed", url)
            return failed_result(url, f"the check itself failed: {exc!r}", started=start)
        extracted = None
        if result.fetch is not None and result.extracted is not None and result.sources:
            extracted = (result.extracted, result.sources)
        return await self.review(url, card, fetch, extracted, started=start)

    async def review(
        self,
        url: str,
        card: Card,
        fetch: FetchResult,
        extracted: _Extracted | None = None,
        *,
        started: float,
    ) -> CheckResult:
        """The check of a link already previewed: the findings on ``card`` and the fetch
        of its page (``extracted``: the page's card before oEmbed and the image probe, and
        each field's source; read from ``fetch`` when not given). Probes the image like
        :meth:`check`; never raises. ``started`` is when the check began
        (``time.perf_counter()``)."""
        try:
            findings = await self._findings(card, fetch, extracted)
        except Exception as exc:
            log.exception("analysing %s failed", url)
            findings = [_finding("internal_error", f"the check itself failed: {exc!r}")]
        return self._result(url, fetch.url, findings, card, fetch.status, started)

    @staticmethod
    def _result(
        url: str,
        final_url: str | None,
        findings: list[Finding],
        card: Card | None,
        status: int | None,
        start: float,
    ) -> CheckResult:
        ordered = _sorted(findings)
        return CheckResult(
            url=url,
            final_url=final_url,
            verdict=verdict_of(ordered),
            findings=ordered,
            card=card,
            status=status,
            elapsed_ms=round((time.perf_counter() - start) * 1000, 1),
        )

    async def _findings(
        self, card: Card, fetch: FetchResult, extracted: _Extracted | None = None
    ) -> list[Finding]:
        findings: list[Finding] = []
        hops = len(fetch.redirects)
        if hops >= self.redirect_chain_hops:
            chain = " -> ".join((*fetch.redirects, fetch.url))
            findings.append(
                _finding("redirect_chain", f"{hops} redirects before the page: {chain}")
            )
        elif hops:
            findings.append(
                _finding("redirected", f"redirected from {fetch.redirects[0]} to {fetch.url}")
            )
        total_ms = fetch.timings.get("total", 0.0) * 1000
        if total_ms > self.slow_ms:
            findings.append(
                _finding(
                    "slow_response",
                    f"the page took {total_ms:.0f} ms (over {self.slow_ms:.0f} ms): "
                    "preview bots may give up on it",
                )
            )
        mime = fetch.served_type
        if mime is None:
            findings.extend(await self._page_findings(card, fetch, extracted))
        elif mime.startswith("image/"):
            findings.append(
                _finding("image_link", "the link is an image: it previews as the image itself")
            )
            if card.image is not None:
                size = (card.image.width, card.image.height)
                if size[0] is not None and size[1] is not None:
                    findings.extend(self._image_size_findings((size[0], size[1])))
        else:
            findings.append(
                _finding(
                    "file_link",
                    f"the link is a file ({mime}), not an HTML page: it previews as a plain "
                    "card (its file name, the site's name and icon) with no description or image",
                )
            )
            if card.title is None:
                findings.append(
                    _finding(
                        "no_title", "no title at all: the URL has no file name, the card shows none"
                    )
                )
        return findings

    async def _page_findings(
        self, card: Card, fetch: FetchResult, extracted: _Extracted | None
    ) -> list[Finding]:
        # The previewer's own extraction when it fetched the page for this check; else
        # (the card came from another instance) the page is read again here.
        raw, sources = extracted or explain_result(fetch)
        findings: list[Finding] = []
        # Title: an error when there is none at all, a warning when it is not og:title.
        if card.title is None:
            findings.append(_finding("no_title", "no title at all: the card shows a bare URL"))
        else:
            if sources["title"] != _OG_SOURCES["title"]:
                findings.append(
                    _finding(
                        "og_title_missing",
                        f"no og:title: the title is inferred from {_label(sources['title'])}",
                    )
                )
            if len(card.title) > self.title_max_chars:
                findings.append(
                    _finding(
                        "title_too_long",
                        f"the title has {len(card.title)} characters: cards show about "
                        f"{self.title_max_chars}",
                    )
                )
        if card.description is None:
            findings.append(
                _finding("no_description", "no description: the card shows the title only")
            )
        else:
            if sources["description"] != _OG_SOURCES["description"]:
                source = _label(sources["description"])
                findings.append(
                    _finding(
                        "og_description_missing",
                        f"no og:description: the description is inferred from {source}",
                    )
                )
            if len(card.description) > self.description_max_chars:
                findings.append(
                    _finding(
                        "description_too_long",
                        f"the description has {len(card.description)} characters: cards "
                        f"show about {self.description_max_chars}",
                    )
                )
        findings.extend(await self._image_findings(card, raw, sources, fetch))
        if sources["url"] == _OG_SOURCES["url"] and normalize_url(raw.url) != normalize_url(
            fetch.url
        ):
            findings.append(
                _finding(
                    "og_url_mismatch",
                    f"og:url is {raw.url} but the page is {fetch.url}: shares are "
                    "attributed to, and previews taken from, the og:url",
                )
            )
        ignored = sources.get("og_url_ignored")
        if ignored is not None:
            findings.append(
                _finding(
                    "og_url_mismatch",
                    f"og:url is {ignored}, on another site than the page {fetch.url}: cards "
                    "do not take it as their link",
                )
            )
        if sources["site_name"] != _OG_SOURCES["site_name"] and card.site_name is not None:
            findings.append(
                _finding(
                    "site_name_inferred",
                    f"no og:site_name: the site name {card.site_name!r} is inferred from "
                    f"{_label(sources['site_name'])}",
                )
            )
        return findings

    async def _image_findings(
        self, card: Card, raw: Card, sources: Mapping[str, str | None], fetch: FetchResult
    ) -> list[Finding]:
        declared = raw.image
        image = card.image
        source = sources["image"]
        if image is None:
            if declared is not None:
                # The previewer dropped it, and says why (unless another instance made the
                # card: then the image is probed again here).
                reason = sources.get("image_dropped") or await self._probe_error(declared.url)
                return [_finding("image_broken", f"the image {declared.url} is broken: {reason}")]
            return [_finding("no_image", "no image: the card is text only")]
        findings: list[Finding] = []
        unsized = sources.get("image_unsized")
        if unsized is not None:
            findings.append(
                _finding("image_broken", f"the image {image.url} did not load now: {unsized}")
            )
        if source != _OG_SOURCES["image"]:
            findings.append(
                _finding(
                    "og_image_missing", f"no og:image: the image is inferred from {_label(source)}"
                )
            )
        probed_by_previewer = (
            declared is not None
            and declared.url == image.url
            and (declared.width is None or declared.height is None)
            and self.previewer.settings.image_probe
        )
        if probed_by_previewer or not self.verify_images:
            size = (image.width, image.height)
            if size[0] is None or size[1] is None:
                return findings
            measured = (size[0], size[1])
        else:
            measured_or_none, error = await self._probe(image.url)
            if measured_or_none is None:
                if error is not None:  # else its size is not in its first bytes: unknown
                    findings.append(
                        _finding("image_broken", f"the image {image.url} is broken: {error}")
                    )
                return findings
            measured = measured_or_none
            if (image.width, image.height) not in ((None, None), measured):
                findings.append(
                    _finding(
                        "image_size_mismatch",
                        f"the page declares the image {image.width}x{image.height} but it is "
                        f"{measured[0]}x{measured[1]}",
                    )
                )
        findings.extend(self._image_size_findings(measured))
        return findings

    def _image_size_findings(self, size: tuple[int, int]) -> list[Finding]:
        width, height = size
        recommended = f"{self.recommended_image_width}x{self.recommended_image_height}"
        if width < self.min_image_width or height < self.min_image_height:
            return [
                _finding(
                    "image_too_small",
                    f"the image is {width}x{height}: a large card needs at least "
                    f"{self.min_image_width}x{self.min_image_height} ({recommended} recommended)",
                )
            ]
        if width < self.recommended_image_width or height < self.recommended_image_height:
            return [
                _finding(
                    "image_below_recommended",
                    f"the image is {width}x{height}: {recommended} is recommended for a "
                    "sharp large card",
                )
            ]
        return []

    async def _probe_error(self, url: str) -> str:
        _, error = await self._probe(url)
        return error or "it was dropped"

    async def _probe(self, url: str) -> _Probed:
        """``(size, None)`` or ``(None, why not)``; one probe per image URL at a time, and
        the latest outcomes remembered."""
        memo = self._image_memo.get(url)
        if memo is not None:
            self._image_memo.move_to_end(url)
            return memo
        future = self._image_inflight.get(url)
        if future is None:
            future = asyncio.ensure_future(self._probe_now(url))
            self._image_inflight[url] = future
            future.add_done_callback(lambda _: self._image_inflight.pop(url, None))
        outcome, keep = await asyncio.shield(future)
        if keep:
            self._image_memo[url] = outcome
            while len(self._image_memo) > IMAGE_MEMO_SIZE:
                self._image_memo.popitem(last=False)
        return outcome

    async def _probe_now(self, url: str) -> tuple[_Probed, bool]:
        """The outcome, and whether it is the image's (not our being too busy to look)."""
        probe = await probe_image(self.previewer.fetcher, url)
        if probe.unchecked is not None:
            return (None, probe.unchecked), False
        return (probe.size, probe.broken or probe.transient), True

    # --- many URLs -----------------------------------------------------------------------

    def check_many(
        self,
        urls: Iterable[str] | AsyncIterable[str],
        *,
        concurrency: int = DEFAULT_CONCURRENCY,
        per_host: int = DEFAULT_PER_HOST,
    ) -> AsyncIterator[CheckResult]:
        """Check a stream of URLs; results come out as they finish (see :func:`check_stream`
        for the scheduling: concurrency, per-host politeness, duplicates, memory)."""
        return check_stream(self.check, urls, concurrency=concurrency, per_host=per_host)


async def check_stream(
    check: Callable[[_Url], Awaitable[_Result]],
    urls: Iterable[_Url] | AsyncIterable[_Url],
    *,
    concurrency: int = DEFAULT_CONCURRENCY,
    per_host: int = DEFAULT_PER_HOST,
    on_duplicate: Callable[[_Url], None] | None = None,
) -> AsyncIterator[_Result]:
    """Run ``check`` over a stream of URLs; results come out as they finish.

    ``check`` checks one URL and never raises for a bad one (:meth:`Checker.check`, or
    :meth:`~ogpreview.check.pool.CheckPool.check` in worker processes); it gets each URL
    as the stream gave it (a ``str`` subclass that knows where it was read, say) and may
    return anything. The input is read only as far as there is room: at most
    ``concurrency`` checks run at once, at most ``per_host`` of them on one host, and URLs
    waiting for a busy host are held up to a small multiple of ``concurrency`` before
    reading pauses. A URL seen before (the same normalised URL) is skipped, and handed to
    ``on_duplicate`` if given. Closing the iterator early cancels the checks in flight.
    """
    if concurrency < 1 or per_host < 1:
        raise ValueError("concurrency and per_host must be at least 1")
    if isinstance(urls, str | bytes):
        raise TypeError("check_many and check_stream take an iterable of URLs, not one URL")
    hold_limit = max(4 * concurrency, 64)
    async_source: AsyncIterator[_Url] | None = None
    sync_source: Iterator[_Url] | None = None
    if isinstance(urls, AsyncIterable):
        async_source = aiter(urls)
    else:
        sync_source = iter(urls)
    seen: set[int] = set()
    waiting: dict[str, deque[_Url]] = {}
    held = 0
    active: Counter[str] = Counter()
    tasks: dict[asyncio.Future[_Result], str] = {}
    # Finished checks are queued by their done callbacks: asyncio.wait() would walk every
    # running check (hundreds) each time one finishes.
    finished: deque[asyncio.Future[_Result]] = deque()
    wake = asyncio.Event()
    exhausted = False

    def on_done(task: asyncio.Future[_Result]) -> None:
        finished.append(task)
        wake.set()

    def start(url: _Url, host: str) -> None:
        active[host] += 1
        task = asyncio.ensure_future(check(url))
        task.add_done_callback(on_done)
        tasks[task] = host

    try:
        while True:
            while not exhausted and len(tasks) < concurrency and held < hold_limit:
                if async_source is not None:
                    try:
                        url = await anext(async_source)
                    except StopAsyncIteration:
                        exhausted = True
                        break
                else:
                    assert sync_source is not None
                    try:
                        url = next(sync_source)
                    except StopIteration:
                        exhausted = True
                        break
                key = dedup_key(url)
                if key in seen:
                    if on_duplicate is not None:
                        on_duplicate(url)
                    continue
                seen.add(key)
                host = host_of(url)
                if active[host] < per_host:
                    start(url, host)
                else:
                    waiting.setdefault(host, deque()).append(url)
                    held += 1
            if not tasks:  # nothing runs, so nothing waits for a host either
                return
            if not finished:
                wake.clear()
                await wake.wait()
            done = list(finished)
            finished.clear()
            for task in done:
                host = tasks.pop(task)
                active[host] -= 1
                queue = waiting.get(host)
                if queue:
                    held -= 1
                    start(queue.popleft(), host)
                    if not queue:
                        del waiting[host]
                elif active[host] == 0:
                    del active[host]
            for task in done:
                yield task.result()
    finally:
        with contextlib.suppress(Exception):
            await cancel_and_wait(tasks)
