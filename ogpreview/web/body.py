"""Reading a request body: its content coding checked, its decoding failures made 400s.

aiohttp decodes ``gzip``, ``deflate`` and ``br`` bodies itself and passes any other coding
through as it came, so a body in a coding it does not decode would be read as if it were
plain. Every endpoint that reads a body reads it here.
"""

from __future__ import annotations

from typing import Any

import orjson
from aiohttp import web
from aiohttp.http_exceptions import ContentEncodingError

from ogpreview.tasks import offload
from ogpreview.text import scrub_surrogates, truncate
from ogpreview.web.apierror import ApiError

__all__ = ["ACCEPT_ENCODING", "DECODED_ENCODINGS", "json_body", "read_body", "unsupported_encoding"]

#: The content codings a request body may have; ``identity`` is the body as it is.
DECODED_ENCODINGS = ("gzip", "deflate", "br")
ACCEPT_ENCODING = ", ".join(DECODED_ENCODINGS)
#: Characters of a refused coding quoted back (a header may be 8 KB).
QUOTED_CODING = 40


def unsupported_encoding(coding: str | None = None) -> ApiError:
    """The 415 for a body in a coding not decoded here (RFC 9110 15.5.16 asks for the
    codings that would do in ``Accept-Encoding``)."""
    # Header values that are not UTF-8 come through as lone surrogates.
    quoted = truncate(scrub_surrogates(coding), QUOTED_CODING) if coding else None
    what = f"Content-Encoding {quoted!r}" if quoted else "this Content-Encoding"
    return ApiError(
        "unsupported_encoding",
        f"{what} is not decoded here: send the body as {ACCEPT_ENCODING}, or uncompressed",
        headers={"Accept-Encoding": ACCEPT_ENCODING},
    )


async def read_body(request: web.Request) -> bytes:
    """The request body, decoded; 415 for a coding not decoded, 400 for a body that is not
    what its headers say (corrupt compressed data, shorter than its Content-Length)."""
    coding = request.headers.get("Content-Encoding", "").strip()
    if coding and coding.lower() not in ("identity", *DECODED_ENCODINGS):
        raise unsupported_encoding(coding)
    try:
        return await request.read()  # client_max_size caps it (413)
    except web.RequestPayloadError as exc:
        if isinstance(exc.__cause__, ContentEncodingError):
            message = f"the body is not valid {coding.lower()} data"
        else:
            message = "the body is incomplete or malformed"
        # The parser has given up on this connection: no more of the body will come (else
        # aiohttp, after the answer, reads on for the rest, meets the error again and logs
        # it as unhandled) and no request can follow on it.
        request.content.feed_eof()
        raise ApiError("bad_request", message, close_connection=True) from exc


def parse_json_body(raw: bytes) -> Any:
    """A request body read as JSON (any value); 400 ``bad_request`` when it is not JSON."""
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise ApiError("bad_request", f"the body is not valid JSON: {exc}") from exc


async def json_body(request: web.Request) -> Any:
    """The request body parsed as JSON (in a worker thread when it is large, so that one
    request's parsing never holds up the others)."""
    raw = await read_body(request)
    return await offload(len(raw), parse_json_body, raw)
