"""The OpenAPI document's error responses, derived from the one code -> status table.

An operation names the codes it may answer with; :func:`error_responses` puts each under
its status from :data:`~ogpreview.web.apierror.STATUS_BY_CODE` (or, for a request's
refusal, :data:`~ogpreview.web.apierror.REQUEST_STATUS_BY_CODE`), so a code cannot be
documented under a status it is not answered with. Only the prose is written here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ogpreview.web.apierror import REQUEST_STATUS_BY_CODE, STATUS_BY_CODE
from ogpreview.web.schema import REF_PREFIX

__all__ = [
    "API_CODES",
    "BODY_CODES",
    "HOST_CODES",
    "SIGNATURE_CODES",
    "SITE_CODES",
    "error_responses",
]

#: What each documented code means, as the document says it.
_MEANING: Mapping[str, str] = {
    "bad_request": "a bad or malformed request",
    "invalid_url": "not an absolute http(s) URL",
    "blocked_url": "a URL refused by policy (scheme, port, credentials, host name)",
    "blocked_address": "the host's address is in a refused network",
    "host_not_allowed": "the Host is one OGPREVIEW_ALLOWED_HOSTS does not list while "
    "OGPREVIEW_PUBLIC_URL is unset",
    "unauthorized": "missing or wrong API key",
    "bad_signature": "a sig this service did not make for this URL",
    "signature_expired": "a signed link past its exp",
    "job_not_found": "no such job, or it expired",
    "plugin_not_configured": "OGPREVIEW_PLUGIN_CONTACT_EMAIL or OGPREVIEW_PLUGIN_LEGAL_URL "
    "is not set",
    "request_timeout": "the request's head or body did not arrive in time",
    "too_large": "the request body over OGPREVIEW_MAX_REQUEST_BYTES",
    "too_many_urls": "more URLs than one request may hold",
    "url_too_long": "the url over max_url_length, or the request line over 8190 bytes",
    "unsupported_encoding": "a Content-Encoding other than gzip, deflate, br or identity; "
    "Accept-Encoding lists those",
    "rate_limited": "rate limited; see Retry-After",
    "headers_too_large": "a header field over 8192 bytes, or over 128 fields",
    "format_not_supported": "a format other than json",
    "dns_error": "the site's name does not resolve",
    "connect_error": "no connection to the site",
    "http_status": "the site answered an error (its status in status)",
    "too_many_redirects": "a redirect loop or too long a chain",
    "unsupported_content": "no content this route serves",
    "fetch_error": "any other failure of the site",
    "busy": "this service's connections to the site are all in use; not cached, see Retry-After",
    "cache_unavailable": "the shared cache (Redis) is unreachable: nothing was purged",
    "jobs_busy": "too many URLs queued; see Retry-After",
    "jobs_unavailable": "the job store (Redis) is unavailable",
    "timeout": "the site did not answer in time",
}
#: The site's too_large, beside the request's (the same code, another status).
_SITE_TOO_LARGE = "the site's answer over the size caps"
#: Headers an answer with the code carries.
_HEADERS: Mapping[str, Mapping[str, Any]] = {
    "unsupported_encoding": {"Accept-Encoding": {"schema": {"type": "string"}}},
    "rate_limited": {"Retry-After": {"schema": {"type": "string"}}},
}

#: What every API operation (under /v1/ and /oembed) may be refused with.
API_CODES = (
    "bad_request",
    "invalid_url",
    "blocked_url",
    "blocked_address",
    "unauthorized",
    "request_timeout",
    "too_large",
    "url_too_long",
    "rate_limited",
    "headers_too_large",
)
#: What an operation reading a request body adds.
BODY_CODES = (*API_CODES, "too_many_urls", "unsupported_encoding")
#: What an operation fetching the page adds: the site's failures.
SITE_CODES = (
    "dns_error",
    "connect_error",
    "http_status",
    "too_large",
    "too_many_redirects",
    "fetch_error",
    "busy",
    "timeout",
)
#: What a signed embed link's operations add.
SIGNATURE_CODES = ("bad_signature", "signature_expired")
#: What an answer naming the service (manifest, specs) may be refused with.
HOST_CODES = ("bad_request", "host_not_allowed")


def _status(code: str, *, site: bool) -> int:
    if code in REQUEST_STATUS_BY_CODE and not site:
        return REQUEST_STATUS_BY_CODE[code]
    return STATUS_BY_CODE[code]


def error_responses(codes: Iterable[str], *, site_codes: Iterable[str] = ()) -> dict[str, Any]:
    """The responses for ``codes`` (request refusals) and ``site_codes`` (the site's
    failures, for a code that names both), one per status, each naming its codes."""
    by_status: dict[int, list[tuple[str, str]]] = {}
    for code in dict.fromkeys(codes):
        by_status.setdefault(_status(code, site=False), []).append((code, _MEANING[code]))
    for code in dict.fromkeys(site_codes):
        meaning = _SITE_TOO_LARGE if code == "too_large" else _MEANING[code]
        by_status.setdefault(_status(code, site=True), []).append((code, meaning))
    responses: dict[str, Any] = {}
    for status, named in sorted(by_status.items()):
        response: dict[str, Any] = {
            "description": "; ".join(f"{meaning} ({code})" for code, meaning in named),
            "content": {"application/json": {"schema": {"$ref": REF_PREFIX + "Error"}}},
        }
        headers = {k: v for code, _ in named for k, v in _HEADERS.get(code, {}).items()}
        if headers:
            response["headers"] = headers
        responses[str(status)] = response
    return responses
