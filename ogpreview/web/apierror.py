"""The API's own refusals (auth, limits, bad requests) and how every error maps to HTTP."""

from __future__ import annotations

from collections.abc import Mapping

from ogpreview.errors import PreviewError

__all__ = ["ApiError", "status_for"]

#: HTTP status per PreviewError code. Refused URLs are the client's fault (400); a site
#: that fails is a bad gateway (502), or a gateway timeout (504). Never 500.
_STATUS_BY_CODE: Mapping[str, int] = {
    "invalid_url": 400,
    "invalid_locale": 400,
    "blocked_url": 400,
    "blocked_address": 400,
    "timeout": 504,
    "dns_error": 502,
    "connect_error": 502,
    "too_large": 502,
    "too_many_redirects": 502,
    "http_status": 502,
    "unsupported_content": 502,
    "fetch_error": 502,
    # Our own connections to the site are all busy: we are unavailable, not the site.
    "busy": 503,
    "cache_unavailable": 503,
}


def status_for(error: PreviewError) -> int:
    """The HTTP status answering a request whose upstream work raised ``error``."""
    return _STATUS_BY_CODE.get(error.code, 502)


class ApiError(Exception):
    """A request refused by the API itself, with its status and stable code."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        headers: Mapping[str, str] | None = None,
        close_connection: bool = False,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = dict(headers or {})
        #: Answer with ``Connection: close``: the rest of the request (a body refused
        #: unread) would otherwise hold the connection.
        self.close_connection = close_connection

    def to_dict(self) -> dict[str, object]:
        """The error as the JSON object the API reports (as :meth:`PreviewError.to_dict`)."""
        return {"code": self.code, "message": self.message}
