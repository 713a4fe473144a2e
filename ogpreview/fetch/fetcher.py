"""The only code that touches the network: strangers' URLs fetched safely and boundedly.

Every address dialled is checked against the policy at connect time, on every redirect
hop: the URL (IP literals in any spelling) before the request, every DNS answer in the
resolver (one refused answer refuses the name), and the very address each socket is made
for, in the connector's socket factory. Bodies are read only as far as the
purpose needs and never past the byte caps, counted after decompression; the whole fetch,
redirects included, runs under one total timeout. Foreign errors (aiohttp, asyncio, OS)
are translated to the :mod:`ogpreview.errors` tree here and nowhere else.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import re
import socket
import time
from collections.abc import Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Literal

import aiohttp
import yarl
from aiohappyeyeballs import AddrInfoType

from ogpreview.errors import (
    BlockedURL,
    ConnectError,
    DNSError,
    FetchTimeout,
    HTTPStatusError,
    InvalidURL,
    PreviewError,
    TooLarge,
    TooManyRedirects,
    UnsupportedContent,
)
from ogpreview.fetch.connect import GuardedResolver, Refused, guarded_socket, open_session, peer_ip
from ogpreview.fetch.guard import AddressPolicy, parse_ip_literal
from ogpreview.fetch.policy import URL_MEMO_SIZE, validate_url
from ogpreview.fetch.resolver import Resolver, SystemResolver
from ogpreview.fetch.response import HTML_TYPES, FetchResult, parse_content_type
from ogpreview.fetch.slots import UpstreamSlots
from ogpreview.settings import Settings

__all__ = ["FetchPurpose", "Fetcher"]

log = logging.getLogger(__name__)

FetchPurpose = Literal["page", "image", "image_probe", "oembed"]

#: Bytes of an image kept when only its dimensions are wanted.
IMAGE_PROBE_BYTES = 64 * 1024
#: Bytes of an HTML body read past the end of ``<head>`` (body fallbacks, body meta tags).
HTML_BODY_BUDGET = 128 * 1024
#: Largest oEmbed JSON document read.
MAX_OEMBED_BYTES = 1024 * 1024
READ_CHUNK = 64 * 1024
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
JSON_TYPES = frozenset({"application/json", "application/json+oembed", "text/json"})

_ACCEPT: Mapping[str, str] = {
    "page": "text/html,application/xhtml+xml;q=0.9,image/*;q=0.8,*/*;q=0.5",
    "image": "image/avif,image/webp,image/png,image/jpeg,image/gif,image/*;q=0.8",
    "image_probe": "image/avif,image/webp,image/png,image/jpeg,image/gif,image/*;q=0.8",
    "oembed": "application/json,text/json;q=0.9",
}
# Where <head> ends: one pass that stops at the first hit (separate finds for each spelling
# each scanned the whole buffer when that spelling was absent).
_HEAD_END = re.compile(rb"<(?:/[hH][eE][aA][dD]|[bB][oO][dD][yY])")


@dataclass(slots=True)
class _Clock:
    """A fetch's time: its deadline (stopped while it waits for a slot) and that wait."""

    start: float
    deadline: asyncio.Timeout
    queued: float = 0.0

    def elapsed(self) -> float:
        """Seconds of the fetch itself since it began, the waits for slots left out."""
        return time.perf_counter() - self.start - self.queued


class Fetcher:
    """Fetches URLs under the SSRF policy and limits in :class:`~ogpreview.Settings`.

    An async context manager owning one :class:`aiohttp.ClientSession` (connection reuse).
    ``resolver`` is the DNS seam (default: the system's). ``slots`` shares connections to
    each host between fetches (default: ``per_host_connections`` per host and
    ``max_connections`` in all, waited for up to ``upstream_queue_timeout``).
    """

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        resolver: Resolver | None = None,
        slots: UpstreamSlots | None = None,
    ):
        self.settings = settings if settings is not None else Settings()
        s = self.settings
        self.slots = slots or UpstreamSlots(
            per_host=s.per_host_connections,
            total=s.max_connections,
            queue_timeout=s.upstream_queue_timeout,
        )
        self._resolver: Resolver = resolver if resolver is not None else SystemResolver()
        #: The address policy of ``settings``, parsed once.
        self.policy = AddressPolicy.of(self.settings.allow_networks, self.settings.block_networks)
        self._guarded = GuardedResolver(self._resolver, self.policy, s.connect_timeout)
        self._session: aiohttp.ClientSession | None = None
        # A URL string's check is pure; the same links come back again and again (and a
        # previewer checks a URL before it fetches it: the fetch then finds it here).
        self._validate = functools.lru_cache(maxsize=URL_MEMO_SIZE)(self._check)

    def _check(self, url: str | yarl.URL) -> yarl.URL:
        return validate_url(url, self.settings.policy, self.policy)

    def validate(self, url: str) -> yarl.URL:
        """``url`` parsed and normalised if this fetcher's policy allows fetching it;
        raises :class:`~ogpreview.InvalidURL` or :class:`~ogpreview.BlockedURL` (or
        :class:`~ogpreview.BlockedAddress` for an IP literal) otherwise, as :meth:`fetch`
        would before connecting anywhere."""
        return self._validate(url)

    async def check_destination(self, url: str) -> None:
        """Raise what :meth:`fetch` would raise for ``url`` before sending a request: the
        URL policy (:class:`~ogpreview.InvalidURL`, :class:`~ogpreview.BlockedURL`, or
        :class:`~ogpreview.BlockedAddress` for an IP literal), then each address its host
        name resolves to, under the same guard (:class:`~ogpreview.BlockedAddress`,
        :class:`~ogpreview.DNSError`). Nothing is connected to: it vets a URL that
        someone else will load, such as a card's image in a chat client."""
        checked = self._validate(url)
        host = checked.raw_host or ""
        if parse_ip_literal(host) is not None:
            return  # judged by the URL policy already
        try:
            async with asyncio.timeout(self.settings.connect_timeout):
                await self._guarded.resolve(host, checked.port or 0)
        except Refused as exc:
            exc.error.url = url
            raise exc.error from exc
        except TimeoutError as exc:
            raise FetchTimeout(f"{host} did not resolve in time", url=url) from exc
        except OSError as exc:
            raise DNSError(f"{host} did not resolve", url=url) from exc

    async def __aenter__(self) -> Fetcher:
        self._session = open_session(
            self.settings, self.slots, self._guarded, self._socket_for, _ACCEPT["page"]
        )
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _socket_for(self, addr_info: AddrInfoType) -> socket.socket:
        return guarded_socket(self.policy, addr_info)

    async def fetch(
        self, url: str, *, purpose: FetchPurpose = "page", accept_language: str | None = None
    ) -> FetchResult:
        """Fetch ``url`` for ``purpose``, following redirects by hand; see the module doc.

        ``page``: HTML read as far as extraction needs; an image keeps its first bytes;
        other types are not read. ``image``: an image read whole (up to the cap).
        ``image_probe``: an image's first bytes. ``oembed``: a JSON document.
        Each request waits for a slot to its host first (see :mod:`ogpreview.fetch.slots`): that
        wait is not the fetch's, so ``total_timeout`` and the timings leave it out; past
        ``upstream_queue_timeout`` it raises :class:`~ogpreview.UpstreamBusy`.
        ``accept_language`` replaces ``settings.accept_language`` on every hop (the user's
        language: :class:`~ogpreview.locale.UserLocale`).
        Raises :class:`~ogpreview.PreviewError` subclasses only.
        """
        if self._session is None:
            raise RuntimeError("Fetcher used outside 'async with'")
        start = time.perf_counter()
        try:
            async with asyncio.timeout(self.settings.total_timeout) as deadline:
                clock = _Clock(start, deadline)
                return await self._fetch(url, purpose, clock, accept_language)
        except PreviewError as error:
            if error.url is None:  # one raised without knowing the URL (a busy slot)
                error.url = url
            raise
        except TimeoutError as exc:
            raise FetchTimeout(
                f"no complete answer within {self.settings.total_timeout:g} s", url=url
            ) from exc

    async def _fetch(
        self, url: str, purpose: FetchPurpose, clock: _Clock, accept_language: str | None
    ) -> FetchResult:
        current = self._validate(url)
        redirects: list[str] = []
        seen = {str(current)}
        while True:
            host = f"{current.scheme}://{current.host}:{current.port}"
            async with self.slots.slot(host, clock.deadline) as waited:
                clock.queued += waited
                response = await self._request(current, purpose, accept_language)
                try:
                    ttfb = clock.elapsed()
                    peer = peer_ip(response)
                    if response.status in REDIRECT_STATUSES:
                        target = self._redirect_target(response, current)
                        redirects.append(str(current))
                        if str(target) in seen:
                            raise TooManyRedirects(f"redirect loop back to {target}", url=url)
                        if len(redirects) > self.settings.max_redirects:
                            raise TooManyRedirects(
                                f"more than {self.settings.max_redirects} redirects", url=url
                            )
                        seen.add(str(target))
                        current = target
                        continue
                    if response.status >= 400:
                        raise HTTPStatusError(
                            f"the server answered {response.status}",
                            status=response.status,
                            url=str(current),
                        )
                    body, complete = await self._read_body(response, purpose, str(current))
                    timings = {"ttfb": ttfb, "total": clock.elapsed(), "queue": clock.queued}
                    return FetchResult(
                        url=str(current),
                        status=response.status,
                        headers=response.headers,
                        body=body,
                        complete=complete,
                        redirects=tuple(redirects),
                        peer=peer,
                        timings=timings,
                    )
                finally:
                    # Back to the pool when the body was read to the end, closed otherwise.
                    response.release()

    async def _request(
        self, url: yarl.URL, purpose: FetchPurpose, accept_language: str | None
    ) -> aiohttp.ClientResponse:
        assert self._session is not None
        headers = {} if purpose == "page" else {"Accept": _ACCEPT[purpose]}
        if accept_language is not None:
            headers["Accept-Language"] = accept_language
        try:
            return await self._session.get(url, allow_redirects=False, headers=headers or None)
        except aiohttp.ClientConnectorDNSError as exc:
            if isinstance(exc.os_error, Refused):
                exc.os_error.error.url = str(url)
                raise exc.os_error.error from exc
            raise DNSError(f"{url.host} did not resolve", url=str(url)) from exc
        except aiohttp.ClientConnectorError as exc:
            if isinstance(exc.os_error, Refused):
                exc.os_error.error.url = str(url)
                raise exc.os_error.error from exc
            raise ConnectError(f"could not connect to {url.host}: {exc.strerror}") from exc
        except (aiohttp.ServerTimeoutError, aiohttp.ConnectionTimeoutError) as exc:
            raise FetchTimeout(f"timed out connecting to {url.host}", url=str(url)) from exc
        except aiohttp.InvalidURL as exc:
            raise InvalidURL(f"invalid URL: {exc}", url=str(url)) from exc
        except aiohttp.ClientResponseError as exc:
            # The response head itself was refused by the parser: lines or headers too big.
            raise TooLarge(f"malformed or oversized response head: {exc.message}") from exc
        except aiohttp.ClientError as exc:
            raise ConnectError(f"connection to {url.host} failed: {exc}", url=str(url)) from exc

    def _redirect_target(self, response: aiohttp.ClientResponse, current: yarl.URL) -> yarl.URL:
        location = response.headers.get("Location")
        if not location or not location.strip():
            raise ConnectError(
                f"redirect {response.status} without a Location header", url=str(current)
            )
        try:
            target = current.join(yarl.URL(location.strip()))
        except (ValueError, TypeError) as exc:
            raise InvalidURL(f"malformed redirect Location: {location[:200]!r}") from exc
        if target.scheme not in ("http", "https"):
            raise BlockedURL(f"redirect to a refused scheme {target.scheme!r}", url=str(target))
        return self._validate(target)

    async def _read_body(
        self, response: aiohttp.ClientResponse, purpose: FetchPurpose, url: str
    ) -> tuple[bytes, bool]:
        mime, _ = parse_content_type(response.headers.get("Content-Type"))
        is_image = mime is not None and mime.startswith("image/")
        cap = self.settings.max_body_bytes
        declared = response.content_length
        if purpose in ("image", "image_probe") and not is_image:
            raise UnsupportedContent(f"expected an image, got {mime or 'no type'}", url=url)
        if purpose == "oembed":
            if mime not in JSON_TYPES:
                raise UnsupportedContent(f"expected JSON, got {mime or 'no type'}", url=url)
            return await self._read(response, min(cap, MAX_OEMBED_BYTES), url, strict=True)
        if purpose == "image":
            if declared is not None and declared > cap:
                raise TooLarge(f"image of {declared} bytes is over the {cap} byte cap", url=url)
            return await self._read(response, cap, url, strict=True)
        if is_image:  # a page URL that is an image, or an image probe: the first bytes do
            return await self._read(response, min(cap, IMAGE_PROBE_BYTES), url, strict=False)
        if mime not in HTML_TYPES and mime is not None:
            return b"", False  # not read at all; the caller decides what such a URL shows
        if declared is not None and declared > cap:
            raise TooLarge(f"page of {declared} bytes is over the {cap} byte cap", url=url)
        return await self._read_html(response, url)

    async def _read(
        self, response: aiohttp.ClientResponse, limit: int, url: str, *, strict: bool
    ) -> tuple[bytes, bool]:
        """Read up to ``limit`` bytes; past it, ``strict`` raises TooLarge, else stops."""
        buffer = bytearray()
        try:
            async for chunk in response.content.iter_chunked(READ_CHUNK):
                buffer += chunk
                if len(buffer) > limit:
                    if strict:
                        raise TooLarge(f"body over the {limit} byte cap", url=url)
                    return bytes(buffer[:limit]), False
        except aiohttp.ClientPayloadError as exc:
            raise ConnectError(f"the body broke off or was malformed: {exc}", url=url) from exc
        except aiohttp.ClientError as exc:
            raise ConnectError(f"reading the body failed: {exc}", url=url) from exc
        return bytes(buffer), True

    async def _read_html(self, response: aiohttp.ClientResponse, url: str) -> tuple[bytes, bool]:
        """Read until the head is complete plus a body budget, the HTML cap, or the end."""
        limit = min(self.settings.max_html_bytes, self.settings.max_body_bytes)
        chunks: list[bytes] = []
        size = 0
        head_end = -1
        tail = b""  # the last bytes of the previous chunk, for a marker split across two
        try:
            async for chunk in response.content.iter_chunked(READ_CHUNK):
                chunks.append(chunk)
                if head_end < 0:
                    match = _HEAD_END.search(tail + chunk)
                    if match is not None:
                        head_end = size - len(tail) + match.start()
                    tail = chunk[-8:]
                size += len(chunk)
                stop = limit if head_end < 0 else min(limit, head_end + HTML_BODY_BUDGET)
                if size >= stop:
                    return b"".join(chunks)[:stop], False
        except aiohttp.ClientPayloadError as exc:
            if chunks:  # a page cut short still previews from what arrived
                log.debug("body of %s broke off after %d bytes: %s", url, size, exc)
                return b"".join(chunks), False
            raise ConnectError(f"the body broke off or was malformed: {exc}", url=url) from exc
        except aiohttp.ClientError as exc:
            raise ConnectError(f"reading the body failed: {exc}", url=url) from exc
        return b"".join(chunks), True
