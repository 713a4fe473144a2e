"""The one code -> HTTP status table: every code raised has its status there, and the
OpenAPI document and the README list each code under the table's status."""

from __future__ import annotations

import re
from typing import Any

import pytest

from ogpreview.errors import PreviewError
from ogpreview.settings import Settings
from ogpreview.web.apierror import (
    REQUEST_STATUS_BY_CODE,
    STATUS_BY_CODE,
    ApiError,
    codes_by_status,
    status_for,
)
from ogpreview.web.middleware import code_for_status
from ogpreview.web.openapi import openapi_document
from tests.conftest import ROOT

SOURCES = sorted((ROOT / "ogpreview").rglob("*.py"))
#: An ApiError's code, as every call site writes it (a literal first argument).
_RAISED = re.compile(r'ApiError\(\s*"([a-z_]+)"(?P<rest>[^)]*)')
#: How a documented error response names its codes: after a space, in parentheses:
#: "malformed (bad_request)" (not the "(s)" of "http(s)").
_CODE = re.compile(r" \(([a-z_]+)\)")
#: Codes no documented operation answers with: a path with no route or the debugger when
#: it is off (not_found), and a CORS preflight (OPTIONS) from an origin not allowed.
UNDOCUMENTED = {"not_found", "origin_not_allowed"}


def _raised() -> set[tuple[str, bool]]:
    """(code, request status?) of every ApiError the package constructs."""
    found = set()
    for path in SOURCES:
        for match in _RAISED.finditer(path.read_text(encoding="utf-8")):
            found.add((match.group(1), "request=True" in match.group("rest")))
    return found


def _preview_error_classes() -> list[type[PreviewError]]:
    """PreviewError and the package's subclasses of it (other tests define their own)."""
    classes, todo = [], [PreviewError]
    while todo:
        cls = todo.pop()
        if cls.__module__.split(".")[0] == "ogpreview":  # not a test's stand-in
            classes.append(cls)
        todo.extend(cls.__subclasses__())
    return classes


def test_every_raised_api_error_code_has_its_status_in_the_table() -> None:
    """Each ApiError code the package raises is in the table its call site reads."""
    raised = _raised()
    assert len(raised) >= 15  # the grep found the call sites
    missing = sorted(
        code
        for code, request in raised
        if code not in (REQUEST_STATUS_BY_CODE if request else STATUS_BY_CODE)
    )
    assert missing == []


def test_every_preview_error_code_is_in_the_table() -> None:
    """Every PreviewError's code has its own status, not the default."""
    codes = {cls.code for cls in _preview_error_classes()}
    assert sorted(codes - set(STATUS_BY_CODE)) == []
    assert status_for(PreviewError("x")) == 502


def test_api_error_takes_its_status_from_the_table() -> None:
    """ApiError(code, message) answers with the code's status; request=True with the
    request's status of a code naming two failures."""
    assert (ApiError("rate_limited", "m").status, ApiError("jobs_busy", "m").status) == (
        429,
        503,
    )
    assert (ApiError("too_large", "m").status, ApiError("too_large", "m", request=True).status) == (
        502,
        413,
    )


def test_api_error_refuses_a_code_without_a_status() -> None:
    """A code the table lacks fails at once, not as an answer with a made-up status."""
    with pytest.raises(KeyError):
        ApiError("no_such_code", "m")


def test_aiohttp_statuses_map_to_codes_of_that_status() -> None:
    """The codes given to aiohttp's own refusals have the refused status in the table."""
    mapped = {
        status: code_for_status(status)
        for status in codes_by_status()
        if code_for_status(status) != "http_error"
    }
    assert len(mapped) >= 10
    wrong = {
        status: code
        for status, code in mapped.items()
        if status not in (STATUS_BY_CODE.get(code), REQUEST_STATUS_BY_CODE.get(code))
    }
    assert wrong == {}


def _documented(document: dict[str, Any]) -> dict[str, set[str]]:
    """code -> the statuses the document lists it under, over every operation."""
    found: dict[str, set[str]] = {}
    for operations in document["paths"].values():
        for operation in operations.values():
            for status, response in operation["responses"].items():
                if status.startswith(("4", "5")):
                    for word in _CODE.findall(response["description"]):
                        found.setdefault(word, set()).add(status)
    return found


def test_openapi_documents_each_code_under_its_table_status() -> None:
    """Every error code the document names is under the status the table gives it, and
    every code the API raises is documented somewhere."""
    documented = _documented(openapi_document("http://127.0.0.1", Settings()))
    wrong = {
        code: statuses
        for code, statuses in documented.items()
        if not statuses <= {str(STATUS_BY_CODE.get(code)), str(REQUEST_STATUS_BY_CODE.get(code))}
    }
    assert wrong == {}
    raised = {code for code, _ in _raised()}
    assert sorted(raised - set(documented)) == sorted(UNDOCUMENTED)


def _readme_rows() -> dict[str, set[int]]:
    """code -> the statuses of the README's error table rows naming it."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme.split("| Status | Codes |\n|---|---|\n", 1)[1].split("\n\n", 1)[0]
    known = set(STATUS_BY_CODE) | set(REQUEST_STATUS_BY_CODE)
    rows: dict[str, set[int]] = {}
    for line in table.splitlines():
        status, codes = line.strip("|").split("|", 1)
        for code in set(re.findall(r"`([a-z_]+)`", codes)) & known:
            rows.setdefault(code, set()).add(int(status))
    return rows


def test_readme_error_table_matches_the_status_table() -> None:
    """The README lists every code of the table in the rows of its statuses, and no other."""
    expected: dict[str, set[int]] = {}
    for status, codes in codes_by_status().items():
        for code in codes:
            expected.setdefault(code, set()).add(status)
    assert _readme_rows() == expected
