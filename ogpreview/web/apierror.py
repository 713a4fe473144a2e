"""The API's own refusals (auth, limits, bad requests) and how every error maps to HTTP.

:data:`STATUS_BY_CODE` is the one code -> status table: :class:`ApiError` looks its status
up there, :func:`status_for` answers a :class:`PreviewError` from it, and the OpenAPI
document lists each status's codes from it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ogpreview.errors import PreviewError
from ogpreview.web.schema import DESCRIPTION, OMITTED

__all__ = [
    "REQUEST_STATUS_BY_CODE",
    "STATUS_BY_CODE",
    "ApiError",
    "Problem",
    "codes_by_status",
    "status_for",
]

#: HTTP status per error code. Refused URLs and requests are the client's fault (4xx); a
#: site that fails is a bad gateway (502), or a gateway timeout (504). Never 500 for a
#: user's mistake: ``internal_error`` is our bug.
STATUS_BY_CODE: Mapping[str, int] = {
    # The request or the URL in it.
    "bad_request": 400,
    "invalid_url": 400,
    "invalid_locale": 400,
    "blocked_url": 400,
    "blocked_address": 400,
    "host_not_allowed": 400,
    "unauthorized": 401,
    "forbidden": 403,
    "bad_signature": 403,
    "signature_expired": 403,
    "origin_not_allowed": 403,
    "not_found": 404,
    "job_not_found": 404,
    "plugin_not_configured": 404,
    "method_not_allowed": 405,
    "request_timeout": 408,
    "too_many_urls": 413,
    "url_too_long": 414,
    "unsupported_encoding": 415,
    "unsupported_media_type": 415,
    "rate_limited": 429,
    "headers_too_large": 431,
    "internal_error": 500,
    "format_not_supported": 501,
    # The site (PreviewError codes).
    "dns_error": 502,
    "connect_error": 502,
    "too_large": 502,
    "too_many_redirects": 502,
    "http_status": 502,
    "unsupported_content": 502,
    "fetch_error": 502,
    "preview_error": 502,
    # Our own connections to the site are all busy: we are unavailable, not the site.
    "busy": 503,
    "cache_unavailable": 503,
    "jobs_busy": 503,
    "jobs_unavailable": 503,
    "timeout": 504,
}
#: The codes that name a refused request as well as a site's failure, and the request's
#: status: a body over the limit is ``too_large`` (413) as a page over the caps is (502).
#: (Both are documented codes; renaming either would break clients.)
REQUEST_STATUS_BY_CODE: Mapping[str, int] = {"too_large": 413}


@dataclass(frozen=True, slots=True)
class Problem:
    """The ``error`` object of every error answer: ``{"error": {"code", "message"}}``."""

    code: str
    message: str
    status: int | None = field(
        default=None, metadata={OMITTED: True, DESCRIPTION: "the upstream HTTP status"}
    )
    retry_after: int | None = field(
        default=None,
        metadata={OMITTED: True, DESCRIPTION: "with busy: seconds to wait before trying again"},
    )

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.status is not None:
            out["status"] = self.status
        if self.retry_after is not None:
            out["retry_after"] = self.retry_after
        return out


def status_for(error: PreviewError) -> int:
    """The HTTP status answering a request whose upstream work raised ``error`` (a code
    this version lacks, from a newer instance sharing the cache, is the site's: 502)."""
    return STATUS_BY_CODE.get(error.code, 502)


def codes_by_status() -> dict[int, list[str]]:
    """Each status and the codes answered with it, in the table's order."""
    statuses: dict[int, list[str]] = {}
    for table in (STATUS_BY_CODE, REQUEST_STATUS_BY_CODE):
        for code, status in table.items():
            statuses.setdefault(status, []).append(code)
    return dict(sorted(statuses.items()))


class ApiError(Exception):
    """A request refused by the API itself, with its stable code (and the code's status)."""

    def __init__(
        self,
        code: str,
        message: str,
        *,
        request: bool = False,
        headers: Mapping[str, str] | None = None,
        close_connection: bool = False,
    ) -> None:
        """``request`` picks a code's request status (:data:`REQUEST_STATUS_BY_CODE`).

        Raises ``KeyError`` for a code the table lacks: every code the API answers with
        has its one status there.
        """
        super().__init__(message)
        self.status = REQUEST_STATUS_BY_CODE[code] if request else STATUS_BY_CODE[code]
        self.code = code
        self.message = message
        self.headers = dict(headers or {})
        #: Answer with ``Connection: close``: the rest of the request (a body refused
        #: unread) would otherwise hold the connection.
        self.close_connection = close_connection

    def to_dict(self) -> dict[str, object]:
        """The error as the JSON object the API reports (as :meth:`PreviewError.to_dict`)."""
        return {"code": self.code, "message": self.message}
