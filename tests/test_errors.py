"""The exception tree: stable codes, one root, rebuildable from a code."""

from __future__ import annotations

import pickle

import orjson
import pytest

import ogpreview
from ogpreview.errors import error_from_code

CODES = {
    ogpreview.InvalidURL: "invalid_url",
    ogpreview.BlockedURL: "blocked_url",
    ogpreview.BlockedAddress: "blocked_address",
    ogpreview.DNSError: "dns_error",
    ogpreview.ConnectError: "connect_error",
    ogpreview.FetchTimeout: "timeout",
    ogpreview.TooLarge: "too_large",
    ogpreview.TooManyRedirects: "too_many_redirects",
    ogpreview.HTTPStatusError: "http_status",
    ogpreview.UnsupportedContent: "unsupported_content",
}


def test_every_error_has_its_documented_code() -> None:
    """The codes are a contract with API and CLI users."""
    assert {cls: cls.code for cls in CODES} == CODES


def test_every_error_is_a_preview_error() -> None:
    """Catching PreviewError catches every error ogpreview raises."""
    assert all(issubclass(cls, ogpreview.PreviewError) for cls in CODES)


def test_blocked_address_is_a_blocked_url() -> None:
    """Callers that handle blocked URLs also handle blocked addresses."""
    assert issubclass(ogpreview.BlockedAddress, ogpreview.BlockedURL)


def test_http_status_error_reports_its_status() -> None:
    """The JSON form of an HTTP status error carries the status."""
    err = ogpreview.HTTPStatusError("not found", status=404)
    assert err.to_dict() == {"code": "http_status", "message": "not found", "status": 404}


@pytest.mark.parametrize("cls", [c for c in CODES if c is not ogpreview.HTTPStatusError])
def test_error_from_code_rebuilds_the_class(cls: type[ogpreview.PreviewError]) -> None:
    """An error stored by its code comes back as the same class and message."""
    err = error_from_code(cls.code, "msg")
    assert (type(err), err.message) == (cls, "msg")


def test_error_from_code_keeps_the_status() -> None:
    """A stored HTTP status error keeps its status."""
    err = error_from_code("http_status", "gone", status=410)
    assert isinstance(err, ogpreview.HTTPStatusError)
    assert err.to_dict() == {"code": "http_status", "message": "gone", "status": 410}


def test_errors_survive_pickling() -> None:
    """Errors cross process boundaries (worker processes) intact."""
    err = pickle.loads(pickle.dumps(ogpreview.HTTPStatusError("x", status=503, url="https://e/")))
    assert (type(err), err.message, err.status, err.url) == (
        ogpreview.HTTPStatusError,
        "x",
        503,
        "https://e/",
    )


def test_a_message_quoting_undecodable_bytes_still_encodes() -> None:
    """A message quoting header bytes that were not UTF-8 (lone surrogates) carries
    U+FFFD instead, so the API and the CLI can always write it as JSON."""
    error = ogpreview.UnsupportedContent("cannot preview content of type x-\udcff")
    assert orjson.loads(orjson.dumps(error.to_dict())) == {
        "code": "unsupported_content",
        "message": "cannot preview content of type x-\ufffd",
    }
