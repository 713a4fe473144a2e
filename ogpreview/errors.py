"""The one exception tree of ogpreview.

Every error the library raises on purpose is a :class:`PreviewError` with a stable
``code`` string; the HTTP API puts that code in its JSON errors and the CLI prints it.
Foreign exceptions (aiohttp, asyncio, OS, redis) are translated into this tree at the
edge that calls them, with ``raise ... from exc``, so callers only ever catch these.

::

    PreviewError                      code
    ├── InvalidURL                    invalid_url
    ├── InvalidLocale                 invalid_locale     a library call's ``locale=``
    ├── BlockedURL                    blocked_url        scheme, port, credentials, host name
    │   └── BlockedAddress            blocked_address    the resolved / dialled IP address
    ├── UpstreamBusy                  busy               our own queue: never cached
    ├── CacheUnavailable              cache_unavailable  a purge the shared cache could not do
    └── FetchError                    fetch_error        (base only, never raised itself)
        ├── DNSError                  dns_error
        ├── ConnectError              connect_error
        ├── FetchTimeout              timeout
        ├── TooLarge                  too_large
        ├── TooManyRedirects          too_many_redirects
        ├── HTTPStatusError           http_status        carries ``status``
        └── UnsupportedContent        unsupported_content
"""

from __future__ import annotations

from typing import ClassVar

from ogpreview.text import scrub_surrogates

__all__ = [
    "BlockedAddress",
    "BlockedURL",
    "CacheUnavailable",
    "ConnectError",
    "DNSError",
    "FetchError",
    "FetchTimeout",
    "HTTPStatusError",
    "InvalidLocale",
    "InvalidURL",
    "PreviewError",
    "TooLarge",
    "TooManyRedirects",
    "UnsupportedContent",
    "UpstreamBusy",
    "error_from_code",
    "is_transient",
]


class PreviewError(Exception):
    """Base of every error ogpreview raises; ``code`` is stable and machine-readable."""

    code: ClassVar[str] = "preview_error"
    #: Whether the outcome may be cached as the URL's (False when it says nothing about
    #: the site, only about this service).
    cacheable: ClassVar[bool] = True

    def __init__(self, message: str, *, url: str | None = None) -> None:
        # Messages may quote what a server sent (header bytes that are not UTF-8 come
        # through as lone surrogates); every report of them must encode.
        message = scrub_surrogates(message)
        super().__init__(message)
        self.message = message
        self.url = url

    def to_dict(self) -> dict[str, object]:
        """The error as the JSON object the API and the CLI report."""
        return {"code": self.code, "message": self.message}

    def __reduce__(self) -> tuple[object, ...]:
        return (_rebuild, (type(self), self.message, self.url, self.__dict__))


def _rebuild(
    cls: type[PreviewError], message: str, url: str | None, state: dict[str, object]
) -> PreviewError:
    err = cls.__new__(cls)
    Exception.__init__(err, message)
    err.__dict__.update(state)
    return err


class InvalidURL(PreviewError):
    """The URL is not a well-formed absolute http(s) URL."""

    code = "invalid_url"


class InvalidLocale(PreviewError):
    """A ``locale`` that names no language CLDR knows (nor a country it knows the
    languages of). It is the caller's mistake, never a site's: not cached."""

    code = "invalid_locale"
    cacheable = False


class BlockedURL(PreviewError):
    """The URL is refused by policy before any connection: scheme, port, credentials, host."""

    code = "blocked_url"


class BlockedAddress(BlockedURL):
    """The address the client would dial is in a denied network (private, loopback, ...)."""

    code = "blocked_address"


class UpstreamBusy(PreviewError):
    """No connection to the site was free within the queue timeout: this service's own
    connections to that host were all busy (with other fetches, other clients'). It says
    nothing about the site, so it is never cached; try again after ``retry_after`` s."""

    code = "busy"
    cacheable = False

    def __init__(self, message: str, *, retry_after: int = 1, url: str | None = None):
        super().__init__(message, url=url)
        self.retry_after = retry_after

    def to_dict(self) -> dict[str, object]:
        return {"code": self.code, "message": self.message, "retry_after": self.retry_after}


class CacheUnavailable(PreviewError):
    """The shared cache (Redis) could not be reached for something that needs it, such
    as purging a card: previews go on without it, a purge cannot."""

    code = "cache_unavailable"
    cacheable = False


class FetchError(PreviewError):
    """Base of the errors met while fetching an allowed URL."""

    code = "fetch_error"


class DNSError(FetchError):
    """The host name did not resolve."""

    code = "dns_error"


class ConnectError(FetchError):
    """No connection could be made, or it broke before a full response arrived."""

    code = "connect_error"


class FetchTimeout(FetchError):
    """Connecting or reading took longer than the configured timeout."""

    code = "timeout"


class TooLarge(FetchError):
    """The response (headers or body) is larger than the configured limit."""

    code = "too_large"


class TooManyRedirects(FetchError):
    """The redirect chain is longer than allowed, or loops."""

    code = "too_many_redirects"


class HTTPStatusError(FetchError):
    """The server answered with an error status (4xx/5xx)."""

    code = "http_status"

    def __init__(self, message: str, *, status: int, url: str | None = None) -> None:
        super().__init__(message, url=url)
        self.status = status

    def to_dict(self) -> dict[str, object]:
        return {"code": self.code, "message": self.message, "status": self.status}


class UnsupportedContent(FetchError):
    """The response is of a content type that cannot be previewed."""

    code = "unsupported_content"


_BY_CODE: dict[str, type[PreviewError]] = {
    cls.code: cls
    for cls in (
        PreviewError,
        InvalidURL,
        InvalidLocale,
        BlockedURL,
        BlockedAddress,
        UpstreamBusy,
        CacheUnavailable,
        FetchError,
        DNSError,
        ConnectError,
        FetchTimeout,
        TooLarge,
        TooManyRedirects,
        HTTPStatusError,
        UnsupportedContent,
    )
}


def error_from_code(code: str, message: str, *, status: int | None = None) -> PreviewError:
    """Rebuild an error from its ``code`` (for errors stored in a cache or sent over a wire)."""
    cls = _BY_CODE.get(code, PreviewError)
    if cls is HTTPStatusError:
        return HTTPStatusError(message, status=status or 0)
    return cls(message)


def fresh_copy(error: PreviewError) -> PreviewError:
    """A new instance of ``error`` (for each raise of a cached one, so that callers never
    share one exception's traceback), with what its class carries (url, retry_after)."""
    status = error.status if isinstance(error, HTTPStatusError) else None
    copy = error_from_code(error.code, error.message, status=status)
    copy.__dict__.update(vars(error))
    return copy


#: Statuses that say "not now" rather than "no": the same request may succeed in a minute.
TRANSIENT_STATUSES = frozenset({408, 425, 429})


def is_transient(error: PreviewError) -> bool:
    """Whether a failure may be gone in a minute (a timeout, a DNS or connection failure,
    a 5xx or a "try later" status) rather than a lasting answer (a 404, a refusal, a
    wrong type): what is cached briefly, and retried soon."""
    if isinstance(error, HTTPStatusError):
        return error.status >= 500 or error.status in TRANSIENT_STATUSES
    return isinstance(error, DNSError | ConnectError | FetchTimeout)
