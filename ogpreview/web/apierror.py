"""The API's own refusals (auth, limits, bad requests) and how every error maps to HTTP."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson

from ogpreview.errors import PreviewError

__all__ = ["ApiError", "parse_json_body", "status_for"]

#: HTTP status per PreviewError code. Refused URLs are the client's fault (400); a site
#: that fails is a bad gateway (502), or a gateway timeout (504). Never 500.
_STATUS_BY_CODE: Mapping[str, int] = {
    "invalid_url": 400,
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
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = dict(headers or {})


def parse_json_body(raw: bytes) -> Any:
    """A request body read as JSON; 400 ``bad_request`` when it is not JSON."""
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise ApiError(400, "bad_request", f"the body is not valid JSON: {exc}") from exc
