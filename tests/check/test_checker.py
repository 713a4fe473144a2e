"""The link checker against real servers on 127.0.0.1: one finding per test."""

from __future__ import annotations

import asyncio
import dataclasses
import re
import time
from collections.abc import AsyncIterator
from urllib.parse import quote

import pytest
from yarl import URL

from ogpreview import (
    Card,
    Fetcher,
    Image,
    MemoryCache,
    Previewer,
    PreviewError,
    RedisCache,
    Settings,
)
from ogpreview.cache import Entry
from ogpreview.check.checker import FINDINGS, Checker, CheckResult, Finding
from ogpreview.fetch.resolver import StaticResolver
from ogpreview.urls import cache_key
from tests.conftest import ROOT
from tests.servers import Origin, Site, origin_server, raw_listener

LOCAL = Settings(allow_networks=["127.0.0.0/8"], allowed_ports=None)
README = ROOT / "README.md"


@pytest.fixture
async def origin() -> AsyncIterator[Origin]:
    async with origin_server() as server:
        yield server


@pytest.fixture
async def checker() -> AsyncIterator[Checker]:
    async with Previewer(LOCAL, cache=MemoryCache()) as previewer:
        yield Checker(previewer)


def _timeless(result: CheckResult) -> CheckResult:
    return dataclasses.replace(result, elapsed_ms=0.0)


def _codes(result: CheckResult) -> list[tuple[str, str]]:
    return [(f.code, f.severity) for f in result.findings]


def _good_card(site: Site, path: str = "/check-good.html") -> Card:
    return Card(
        url=site.url(path),
        site_name="Check Site",
        title="A checked page",
        description="What the page is about, in a sentence.",
        image=Image(url=site.url("/wide.png"), width=1200, height=630),
        locale="en",
        favicon=site.url("/favicon.ico"),
    )


async def test_good_page_is_ok_without_findings(site: Site, checker: Checker) -> None:
    """A page declaring og:title, og:description, og:site_name and a large og:image is ok."""
    result = await checker.check(site.url("/check-good.html"))
    assert _timeless(result) == CheckResult(
        url=site.url("/check-good.html"),
        final_url=site.url("/check-good.html"),
        verdict="ok",
        findings=(),
        card=_good_card(site),
        status=200,
        elapsed_ms=0.0,
    )


async def test_inferred_values_are_warnings(site: Site, checker: Checker) -> None:
    """Without OpenGraph tags, the inferred title, description and image are warnings."""
    result = await checker.check(site.url("/check-inferred.html"))
    assert (result.verdict, result.findings) == (
        "warning",
        (
            Finding(
                "og_title_missing",
                "warning",
                "no og:title: the title is inferred from the <title> tag",
            ),
            Finding(
                "og_description_missing",
                "warning",
                "no og:description: the description is inferred from the meta description",
            ),
            Finding(
                "og_image_missing",
                "warning",
                "no og:image: the image is inferred from the largest <img>",
            ),
            Finding(
                "site_name_inferred",
                "info",
                "no og:site_name: the site name '127.0.0.1' is inferred from the host name",
            ),
        ),
    )


async def test_page_without_any_title_is_an_error(site: Site, checker: Checker) -> None:
    """No og:title, <title> or heading at all: the card would be a bare URL."""
    result = await checker.check(site.url("/check-no-title.html"))
    assert (result.verdict, result.findings) == (
        "error",
        (Finding("no_title", "error", "no title at all: the card shows a bare URL"),),
    )


async def test_page_without_image_is_a_warning(site: Site, checker: Checker) -> None:
    """No image anywhere on the page: a text-only card."""
    result = await checker.check(site.url("/check-no-image.html"))
    assert (result.verdict, result.findings) == (
        "warning",
        (Finding("no_image", "warning", "no image: the card is text only"),),
    )


async def test_page_without_description_is_a_warning(site: Site, checker: Checker) -> None:
    """No description from any source: the card shows its title only."""
    result = await checker.check(site.url("/check-no-description.html"))
    assert result.findings == (
        Finding("no_description", "warning", "no description: the card shows the title only"),
    )


async def test_broken_image_is_a_warning(site: Site, checker: Checker) -> None:
    """An og:image answering 404 is dropped from the card and reported with the reason."""
    result = await checker.check(site.url("/check-broken-image.html"))
    assert (result.findings, result.card is not None and result.card.image) == (
        (
            Finding(
                "image_broken",
                "warning",
                f"the image {site.url('/check-missing.png')} is broken: "
                "http_status: the server answered 404",
            ),
        ),
        None,
    )


async def test_dropped_image_is_reported_without_probing_it_again(
    site: Site, checker: Checker
) -> None:
    """The previewer says why it dropped the image; the check reports that reason and does
    not fetch the image a second time."""
    result = await checker.check(site.url("/check-broken-image.html"))
    assert ([f.message for f in result.findings], site.hits["/check-missing.png"]) == (
        [
            f"the image {site.url('/check-missing.png')} is broken: "
            "http_status: the server answered 404"
        ],
        1,
    )


async def test_image_failing_for_now_is_a_warning_and_kept(site: Site, checker: Checker) -> None:
    """An og:image answering 503 is kept on the card, unsized, and the check says it did
    not load now (not that it is broken for good)."""
    site.status["/check-missing.png"] = 503
    result = await checker.check(site.url("/check-broken-image.html"))
    assert (result.findings, result.card is not None and result.card.image) == (
        (
            Finding(
                "image_broken",
                "warning",
                f"the image {site.url('/check-missing.png')} did not load now: "
                "http_status: the server answered 503 (a failure that may pass: kept "
                "unsized, probed again soon)",
            ),
        ),
        Image(url=site.url("/check-missing.png")),
    )


async def test_broken_image_with_declared_size_is_found(site: Site, checker: Checker) -> None:
    """An og:image with a declared size is still fetched, so a 404 behind it shows."""
    result = await checker.check(site.url("/check-broken-declared-image.html"))
    assert result.findings == (
        Finding(
            "image_broken",
            "warning",
            f"the image {site.url('/check-missing.png')} is broken: "
            "http_status: the server answered 404",
        ),
    )


async def test_small_image_is_a_warning(site: Site, checker: Checker) -> None:
    """A 120x80 image is too small for a large card."""
    result = await checker.check(site.url("/check-small-image.html"))
    assert result.findings == (
        Finding(
            "image_too_small",
            "warning",
            "the image is 120x80: a large card needs at least 200x200 (1200x630 recommended)",
        ),
    )


async def test_image_below_recommended_size_is_info(site: Site, checker: Checker) -> None:
    """A 400x200 image is usable but below the recommended 1200x630: ok, with a note."""
    result = await checker.check(site.url("/check-medium-image.html"))
    assert (result.verdict, result.findings) == (
        "ok",
        (
            Finding(
                "image_below_recommended",
                "info",
                "the image is 400x200: 1200x630 is recommended for a sharp large card",
            ),
        ),
    )


async def test_declared_image_size_that_is_wrong_is_info(site: Site, checker: Checker) -> None:
    """og:image:width/height saying 300x300 for a 1200x630 image is noted."""
    result = await checker.check(site.url("/check-image-size-mismatch.html"))
    assert result.findings == (
        Finding(
            "image_size_mismatch",
            "info",
            "the page declares the image 300x300 but it is 1200x630",
        ),
    )


async def test_og_url_other_than_the_page_is_a_warning(site: Site, checker: Checker) -> None:
    """og:url naming another URL than the one fetched is reported."""
    result = await checker.check(site.url("/check-og-url.html"))
    assert result.findings == (
        Finding(
            "og_url_mismatch",
            "warning",
            f"og:url is http://127.0.0.1/elsewhere.html but the page is "
            f"{site.url('/check-og-url.html')}: shares are attributed to, and previews "
            "taken from, the og:url",
        ),
    )


async def test_og_url_on_another_site_is_a_warning(site: Site, checker: Checker) -> None:
    """og:url naming another site is reported as ignored: the card's link stays the page."""
    result = await checker.check(site.url("/check-og-url-other-site.html"))
    assert (result.findings, result.card is not None and result.card.url) == (
        (
            Finding(
                "og_url_mismatch",
                "warning",
                "og:url is https://www.other-site.example.org/moved.html, on another site than "
                f"the page {site.url('/check-og-url-other-site.html')}: cards do not take it "
                "as their link",
            ),
        ),
        site.url("/check-og-url-other-site.html"),
    )


async def test_long_title_and_description_are_warnings(site: Site, checker: Checker) -> None:
    """A 139-character title and a 284-character description are too long to show."""
    result = await checker.check(site.url("/check-long-text.html"))
    assert result.findings == (
        Finding("title_too_long", "warning", "the title has 139 characters: cards show about 90"),
        Finding(
            "description_too_long",
            "warning",
            "the description has 284 characters: cards show about 200",
        ),
    )


async def test_one_redirect_is_info(site: Site, origin: Origin, checker: Checker) -> None:
    """A single redirect is noted; the final URL and card are the target's."""
    start = origin.url("/to?target=" + quote(site.url("/check-good.html"), safe=""))
    result = await checker.check(start)
    shown = str(URL(start))  # as dialled: the query in its normal form
    assert _timeless(result) == CheckResult(
        url=start,
        final_url=site.url("/check-good.html"),
        verdict="ok",
        findings=(
            Finding(
                "redirected", "info", f"redirected from {shown} to {site.url('/check-good.html')}"
            ),
        ),
        card=_good_card(site),
        status=200,
        elapsed_ms=0.0,
    )


async def test_redirect_chain_is_a_warning(site: Site, origin: Origin, checker: Checker) -> None:
    """Two redirects before the page are a chain."""
    page = site.url("/check-good.html")
    second = origin.url("/to?target=" + quote(page, safe=""))
    first = origin.url("/to?target=" + quote(second, safe=""))
    result = await checker.check(first)
    assert (result.verdict, result.findings) == (
        "warning",
        (
            Finding(
                "redirect_chain",
                "warning",
                f"2 redirects before the page: {URL(first)} -> {URL(second)} -> {page}",
            ),
        ),
    )


async def test_slow_page_is_a_warning(site: Site) -> None:
    """A page answering after 50 ms, checked with a 10 ms threshold, is slow."""
    site.delay = 0.05
    async with Previewer(LOCAL, cache=MemoryCache()) as previewer:
        result = await Checker(previewer, slow_ms=10).check(site.url("/check-good.html"))
    assert _codes(result) == [("slow_response", "warning")]


async def test_http_error_is_an_error(site: Site, checker: Checker) -> None:
    """A 404 is an error with the status and no card."""
    result = await checker.check(site.url("/missing.html"))
    assert _timeless(result) == CheckResult(
        url=site.url("/missing.html"),
        final_url=site.url("/missing.html"),
        verdict="error",
        findings=(Finding("http_status", "error", "the server answered 404"),),
        card=None,
        status=404,
        elapsed_ms=0.0,
    )


async def test_forbidden_says_the_bot_is_turned_away(site: Site, checker: Checker) -> None:
    """A 403 is explained as the site refusing the preview bot."""
    site.status["/check-good.html"] = 403
    result = await checker.check(site.url("/check-good.html"))
    assert result.findings == (
        Finding(
            "http_status",
            "error",
            "the server answered 403 (the site turns the preview bot away: the link shows no card)",
        ),
    )


def _file_link(mime: str) -> Finding:
    return Finding(
        "file_link",
        "warning",
        f"the link is a file ({mime}), not an HTML page: it previews as a plain card (its "
        "file name, the site's name and icon) with no description or image",
    )


async def test_pdf_is_a_warning_with_the_card_the_service_gives(site: Site) -> None:
    """A PDF previews as a plain card, so it is a warning, not an error, and the check
    reports the very card the library (and so the API) gives for it."""
    url = site.url("/report.pdf")
    async with Previewer(LOCAL, cache=MemoryCache()) as previewer:
        result = await Checker(previewer).check(url)
        card = await previewer.preview(url, refresh=True)
    assert (result.verdict, result.findings, result.card) == (
        "warning",
        (_file_link("application/pdf"),),
        card,
    )


async def test_octet_stream_is_a_file_link_too(site: Site, checker: Checker) -> None:
    """Any other file type (here application/octet-stream) is the same plain-card warning."""
    result = await checker.check(site.url("/bytes.bin"))
    assert (result.verdict, result.findings, result.status, result.card) == (
        "warning",
        (_file_link("application/octet-stream"),),
        200,
        Card(
            url=site.url("/bytes.bin"),
            site_name="127.0.0.1",
            title="bytes.bin",
            type="file",
            favicon=site.url("/favicon.ico"),
        ),
    )


async def _pdf_answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await reader.readuntil(b"\r\n\r\n")
    writer.write(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/pdf\r\nContent-Length: 9\r\n"
        b"Connection: close\r\n\r\n%PDF-1.4\n"
    )
    await writer.drain()


async def test_file_without_a_name_has_no_title(checker: Checker) -> None:
    """A file at a URL that names none (``/``) gets a card without a title: an error,
    as for a page without one."""
    async with raw_listener(script=_pdf_answer) as server:
        result = await checker.check(server.url("/"))
    assert (result.verdict, result.findings) == (
        "error",
        (
            Finding(
                "no_title",
                "error",
                "no title at all: the URL has no file name, the card shows none",
            ),
            _file_link("application/pdf"),
        ),
    )


async def test_png_labelled_html_is_an_image_link(site: Site, checker: Checker) -> None:
    """A PNG its server calls text/html is checked as the image it is, not as a page."""
    site.headers["/wide.png"] = {"Content-Type": "text/html"}
    result = await checker.check(site.url("/wide.png"))
    assert (result.verdict, result.findings) == (
        "ok",
        (Finding("image_link", "info", "the link is an image: it previews as the image itself"),),
    )


async def test_image_link_is_ok_with_a_note(site: Site, checker: Checker) -> None:
    """A link to a large image previews as the image: ok, noted."""
    result = await checker.check(site.url("/wide.png"))
    assert (result.verdict, result.findings) == (
        "ok",
        (Finding("image_link", "info", "the link is an image: it previews as the image itself"),),
    )


async def test_malformed_url_is_an_error(checker: Checker) -> None:
    """Text that is not a URL is an error finding, not an exception."""
    result = await checker.check("not a url")
    assert _timeless(result) == CheckResult(
        url="not a url",
        final_url=None,
        verdict="error",
        findings=(Finding("invalid_url", "error", "not an absolute URL"),),
        card=None,
        status=None,
        elapsed_ms=0.0,
    )


async def test_refused_scheme_is_blocked(checker: Checker) -> None:
    """An ftp: link is refused by policy."""
    result = await checker.check("ftp://127.0.0.1/file")
    assert result.findings == (Finding("blocked_url", "error", "scheme 'ftp' is not allowed"),)


async def test_private_address_is_blocked(site: Site) -> None:
    """Without --allow-network, a loopback address is refused before any connection."""
    async with Previewer(Settings(allowed_ports=None), cache=MemoryCache()) as previewer:
        result = await Checker(previewer).check(site.url("/check-good.html"))
    assert (_codes(result), site.hits["/check-good.html"]) == (
        [("blocked_address", "error")],
        0,
    )


async def test_unknown_host_is_a_dns_error() -> None:
    """A name that does not resolve is a dns_error."""
    fetcher = Fetcher(LOCAL, resolver=StaticResolver({}))
    async with fetcher, Previewer(LOCAL, fetcher=fetcher, cache=MemoryCache()) as previewer:
        result = await Checker(previewer).check("http://nowhere.test/")
    assert result.findings == (Finding("dns_error", "error", "nowhere.test did not resolve"),)


async def test_connection_dropped_is_a_connect_error(checker: Checker) -> None:
    """A server that closes without answering is a connect_error."""

    async def hang_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")

    async with raw_listener(script=hang_up) as listener:
        result = await checker.check(listener.url("/"))
    assert _codes(result) == [("connect_error", "error")]


async def test_silent_server_is_a_timeout(site: Site) -> None:
    """A server that never answers is a timeout after the total timeout."""

    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await asyncio.Event().wait()

    settings = LOCAL.replace(total_timeout=0.2)
    async with (
        raw_listener(script=silent) as listener,
        Previewer(settings, cache=MemoryCache()) as previewer,
    ):
        result = await Checker(previewer).check(listener.url("/"))
    assert result.findings == (Finding("timeout", "error", "no complete answer within 0.2 s"),)


async def test_redirect_loop_is_an_error(origin: Origin, checker: Checker) -> None:
    """A redirect loop is too_many_redirects."""
    result = await checker.check(origin.url("/loop/a"))
    assert result.findings == (
        Finding("too_many_redirects", "error", f"redirect loop back to {origin.url('/loop/a')}"),
    )


async def test_page_over_the_size_cap_is_an_error(site: Site) -> None:
    """A page larger than max_body_bytes is too_large."""
    async with Previewer(LOCAL.replace(max_body_bytes=100), cache=MemoryCache()) as previewer:
        result = await Checker(previewer).check(site.url("/check-good.html"))
    assert _codes(result) == [("too_large", "error")]


async def test_check_many_checks_duplicates_once(site: Site, checker: Checker) -> None:
    """The same page spelled three ways is checked once; results name each unique URL."""
    urls = [
        site.url("/check-good.html"),
        site.url("/check-good.html?utm_source=newsletter"),
        site.url("/check-good.html#top"),
        site.url("/check-no-image.html"),
    ]
    results = [r async for r in checker.check_many(urls)]
    assert (sorted(r.url for r in results), site.hits["/check-good.html"]) == (
        [site.url("/check-good.html"), site.url("/check-no-image.html")],
        1,
    )


async def test_check_many_keeps_to_the_per_host_limit(origin: Origin, checker: Checker) -> None:
    """Ten slow pages on one host with per_host=2: never more than two at once there."""
    urls = [origin.url(f"/slow?n={i}") for i in range(10)]
    results = [r async for r in checker.check_many(urls, concurrency=10, per_host=2)]
    assert (len(results), origin.max_in_flight) == (10, 2)


async def test_check_many_reads_input_only_as_needed(site: Site, checker: Checker) -> None:
    """An async input is pulled lazily: by the first result, one running URL plus the
    ones held for the busy host (64 at most) have been read, not all 1,000."""
    pulled = 0

    async def urls() -> AsyncIterator[str]:
        nonlocal pulled
        for i in range(1000):
            pulled += 1
            yield site.url(f"/check-good.html?page={i}")

    stream = checker.check_many(urls(), concurrency=2, per_host=1)
    await anext(stream)
    pulled_at_first = pulled
    await stream.aclose()
    assert pulled_at_first == 65


async def test_check_many_rejects_a_single_url_string(checker: Checker) -> None:
    """Passing one URL string instead of a list is a TypeError, not a check per character."""
    with pytest.raises(TypeError):
        await anext(checker.check_many("http://127.0.0.1/"))


def test_result_dict_is_the_jsonl_shape() -> None:
    """to_dict gives exactly the documented keys and values."""
    result = CheckResult(
        url="https://example.com/a",
        final_url="https://example.com/b",
        verdict="warning",
        findings=(Finding("no_image", "warning", "no image: the card is text only"),),
        card=Card(url="https://example.com/b", title="B"),
        status=200,
        elapsed_ms=12.5,
    )
    assert result.to_dict() == {
        "url": "https://example.com/a",
        "final_url": "https://example.com/b",
        "verdict": "warning",
        "findings": [
            {
                "code": "no_image",
                "severity": "warning",
                "message": "no image: the card is text only",
            }
        ],
        "card": Card(url="https://example.com/b", title="B").to_dict(),
        "status": 200,
        "elapsed_ms": 12.5,
    }


async def test_from_dict_inverts_to_dict(site: Site, checker: Checker) -> None:
    """A real result survives to_dict/from_dict unchanged."""
    result = await checker.check(site.url("/check-inferred.html"))
    assert CheckResult.from_dict(result.to_dict()) == result


@pytest.mark.parametrize(
    "change",
    [
        {"verdict": "fine"},
        {"verdict": "ok"},  # contradicts the warning finding
        {"findings": [{"code": "x", "severity": "fatal", "message": "m"}]},
        {"findings": "none"},
        {"card": {"title": "no url"}},
        {"status": "200"},
        {"elapsed_ms": -1},
        {"url": None},
    ],
)
def test_from_dict_refuses_bad_data(change: dict[str, object]) -> None:
    """Wrong types, unknown verdicts or severities and inconsistent verdicts are ValueError."""
    good = CheckResult(
        url="https://example.com/",
        final_url=None,
        verdict="warning",
        findings=(Finding("no_image", "warning", "m"),),
        card=None,
        status=None,
        elapsed_ms=1.0,
    ).to_dict()
    with pytest.raises(ValueError):
        CheckResult.from_dict({**good, **change})


def test_every_finding_code_is_in_the_readme() -> None:
    """The README's "Checking links" section lists every finding code with its severity."""
    section = README.read_text().split("## Checking links", 1)[1]
    documented = dict(re.findall(r"^\| `([a-z_]+)` \| (error|warning|info) \|", section, re.M))
    assert documented == dict(FINDINGS)


@pytest.mark.redis
async def test_check_warms_the_redis_cache(site: Site, redis_url: str, redis_prefix: str) -> None:
    """A check through a Redis-backed previewer leaves the card for other instances."""
    settings = LOCAL.replace(redis_url=redis_url, cache_prefix=redis_prefix)
    async with Previewer(settings) as previewer:
        await Checker(previewer).check(site.url("/check-good.html"))
    async with Previewer(settings) as other:
        served = await other.lookup(site.url("/check-good.html"))
    assert (served.cache, served.card) == ("hit", _good_card(site))


class _RobotsDisallowed(PreviewError):
    """A failure code this version does not have (as a newer version might add)."""

    code = "robots_disallowed"


@pytest.mark.redis
async def test_failure_without_a_code_of_its_own_is_fetch_error(
    site: Site, redis_url: str, redis_prefix: str
) -> None:
    """A failure this version has no code for is a fetch_error with its message: here one
    another instance (a newer version) records in the shared Redis while it holds the
    URL's fetch lock, which the checker waits for and reads."""
    settings = LOCAL.replace(redis_url=redis_url, cache_prefix=redis_prefix)
    url = site.url("/check-good.html")
    key = cache_key(url)
    other = RedisCache(redis_url, prefix=redis_prefix)
    try:
        async with Previewer(settings) as previewer:
            token = await other.acquire_lock(key, 30.0)
            assert token is not None
            checking = asyncio.create_task(Checker(previewer).check(url))
            async with asyncio.timeout(10):
                while previewer.stats.lock_waits == 0:  # noqa: ASYNC110 - set inside the check
                    await asyncio.sleep(0.01)
            # The checker found the lock taken and polls for the holder's result; it takes
            # an entry fetched after it began waiting (stamped ahead: clocks are coarse).
            now = time.time() + 5
            failure = _RobotsDisallowed("robots.txt disallows the preview bot", url=url)
            await other.set(key, Entry(None, failure, now, now + 60, now + 60))
            await other.release_lock(key, token)
            result = await checking
    finally:
        await other.aclose()
    assert (_timeless(result), site.hits["/check-good.html"]) == (
        CheckResult(
            url=url,
            final_url=None,
            verdict="error",
            findings=(Finding("fetch_error", "error", "robots.txt disallows the preview bot"),),
            card=None,
            status=None,
            elapsed_ms=0.0,
        ),
        0,
    )
