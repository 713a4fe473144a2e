"""Link checking: how each link will preview, with findings like a sharing debugger's.

:class:`Checker` looks one URL up through a :class:`~ogpreview.Previewer` (so a check warms
the preview cache, Redis included), then reads the fetched page again to tell declared
OpenGraph values from inferred ones, verifies the image, and turns every problem into a
:class:`Finding` with a stable ``code`` and a severity. :meth:`Checker.check_many` streams
any number of URLs through it with bounded memory and per-host politeness
(:mod:`ogpreview.check.stream`).

Every finding code, with its severity, is listed in :data:`FINDINGS`
(:mod:`ogpreview.check.findings`, re-exported here with the stream's names).
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Mapping

from ogpreview.cache import NullCache
from ogpreview.card import Card
from ogpreview.check.findings import (
    FINDINGS,
    SEVERITY_RANK,
    CheckResult,
    Finding,
    Severity,
    Verdict,
    check_result,
    error_result,
    failed_result,
    finding,
    verdict_of,
)
from ogpreview.check.images import ImageProbes
from ogpreview.check.stream import (
    DEFAULT_CONCURRENCY,
    DEFAULT_PER_HOST,
    check_stream,
    dedup_key,
)
from ogpreview.errors import PreviewError
from ogpreview.extraction.declared import rule_label
from ogpreview.extraction.extractor import explain_result
from ogpreview.extraction.rules import OPENGRAPH_RULES
from ogpreview.fetch.response import FetchResult
from ogpreview.previewer import Previewer
from ogpreview.settings import Settings
from ogpreview.text import scrub_surrogates
from ogpreview.urls import normalize_url

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

#: The rules of the declared OpenGraph values, by field (their ids, as ``explain`` reports them).
_OG_SOURCES = OPENGRAPH_RULES
#: A page's card as extracted (before oEmbed and the image probe) and each field's source.
_Extracted = tuple[Card, Mapping[str, str | None]]


def _label(source: str | None) -> str:
    # A field with a value but no extraction rule got it from oEmbed.
    return "oEmbed" if source is None else rule_label(source)


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
        self._images = ImageProbes(previewer.fetcher)

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
            findings = [finding("internal_error", f"the check itself failed: {exc!r}")]
        return check_result(url, fetch.url, findings, card, fetch.status, started)

    async def _findings(
        self, card: Card, fetch: FetchResult, extracted: _Extracted | None = None
    ) -> list[Finding]:
        findings: list[Finding] = []
        hops = len(fetch.redirects)
        if hops >= self.redirect_chain_hops:
            chain = " -> ".join((*fetch.redirects, fetch.url))
            findings.append(finding("redirect_chain", f"{hops} redirects before the page: {chain}"))
        elif hops:
            findings.append(
                finding("redirected", f"redirected from {fetch.redirects[0]} to {fetch.url}")
            )
        total_ms = fetch.timings.get("total", 0.0) * 1000
        if total_ms > self.slow_ms:
            findings.append(
                finding(
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
                finding("image_link", "the link is an image: it previews as the image itself")
            )
            if card.image is not None:
                size = (card.image.width, card.image.height)
                if size[0] is not None and size[1] is not None:
                    findings.extend(self._image_size_findings((size[0], size[1])))
        else:
            findings.append(
                finding(
                    "file_link",
                    f"the link is a file ({mime}), not an HTML page: it previews as a plain "
                    "card (its file name, the site's name and icon) with no description or image",
                )
            )
            if card.title is None:
                findings.append(
                    finding(
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
            findings.append(finding("no_title", "no title at all: the card shows a bare URL"))
        else:
            if sources["title"] != _OG_SOURCES["title"]:
                findings.append(
                    finding(
                        "og_title_missing",
                        f"no og:title: the title is inferred from {_label(sources['title'])}",
                    )
                )
            if len(card.title) > self.title_max_chars:
                findings.append(
                    finding(
                        "title_too_long",
                        f"the title has {len(card.title)} characters: cards show about "
                        f"{self.title_max_chars}",
                    )
                )
        if card.description is None:
            findings.append(
                finding("no_description", "no description: the card shows the title only")
            )
        else:
            if sources["description"] != _OG_SOURCES["description"]:
                source = _label(sources["description"])
                findings.append(
                    finding(
                        "og_description_missing",
                        f"no og:description: the description is inferred from {source}",
                    )
                )
            if len(card.description) > self.description_max_chars:
                findings.append(
                    finding(
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
                finding(
                    "og_url_mismatch",
                    f"og:url is {raw.url} but the page is {fetch.url}: shares are "
                    "attributed to, and previews taken from, the og:url",
                )
            )
        ignored = sources.get("og_url_ignored")
        if ignored is not None:
            findings.append(
                finding(
                    "og_url_mismatch",
                    f"og:url is {ignored}, on another site than the page {fetch.url}: cards "
                    "do not take it as their link",
                )
            )
        if sources["site_name"] != _OG_SOURCES["site_name"] and card.site_name is not None:
            findings.append(
                finding(
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
                reason = sources.get("image_dropped") or await self._images.error(declared.url)
                return [finding("image_broken", f"the image {declared.url} is broken: {reason}")]
            return [finding("no_image", "no image: the card is text only")]
        findings: list[Finding] = []
        unsized = sources.get("image_unsized")
        if unsized is not None:
            findings.append(
                finding("image_broken", f"the image {image.url} did not load now: {unsized}")
            )
        if source != _OG_SOURCES["image"]:
            findings.append(
                finding(
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
            measured_or_none, error = await self._images.probe(image.url)
            if measured_or_none is None:
                if error is not None:  # else its size is not in its first bytes: unknown
                    findings.append(
                        finding("image_broken", f"the image {image.url} is broken: {error}")
                    )
                return findings
            measured = measured_or_none
            if (image.width, image.height) not in ((None, None), measured):
                findings.append(
                    finding(
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
                finding(
                    "image_too_small",
                    f"the image is {width}x{height}: a large card needs at least "
                    f"{self.min_image_width}x{self.min_image_height} ({recommended} recommended)",
                )
            ]
        if width < self.recommended_image_width or height < self.recommended_image_height:
            return [
                finding(
                    "image_below_recommended",
                    f"the image is {width}x{height}: {recommended} is recommended for a "
                    "sharp large card",
                )
            ]
        return []

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
