"""What a link check finds: the finding codes and their severities, verdicts, and the
result of one check (:class:`CheckResult`, the shape every report and job stores).

Every finding code, with its severity, is listed in :data:`FINDINGS`.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, cast

from ogpreview.card import Card
from ogpreview.errors import HTTPStatusError, PreviewError
from ogpreview.text import scrub_surrogates

__all__ = [
    "FINDINGS",
    "SEVERITY_RANK",
    "CheckResult",
    "Finding",
    "Severity",
    "Verdict",
    "check_result",
    "error_result",
    "failed_result",
    "finding",
    "verdict_of",
]

Severity = Literal["error", "warning", "info"]
Verdict = Literal["ok", "warning", "error"]

#: Every finding code and its severity. Error codes from a failed fetch are the
#: :class:`~ogpreview.PreviewError` codes; any other failure is ``fetch_error``.
FINDINGS: Mapping[str, Severity] = {
    # The link does not preview at all.
    "invalid_url": "error",
    "blocked_url": "error",
    "blocked_address": "error",
    "dns_error": "error",
    "connect_error": "error",
    "timeout": "error",
    "too_large": "error",
    "too_many_redirects": "error",
    "http_status": "error",
    # No longer met on a page fetch (a file gets file_link); an older instance sharing
    # the Redis may still have cached it.
    "unsupported_content": "error",
    "fetch_error": "error",
    "busy": "error",
    "no_title": "error",
    "internal_error": "error",
    # It previews, but worse than it could.
    "og_title_missing": "warning",
    "og_description_missing": "warning",
    "og_image_missing": "warning",
    "no_description": "warning",
    "no_image": "warning",
    "image_broken": "warning",
    "image_too_small": "warning",
    "og_url_mismatch": "warning",
    "title_too_long": "warning",
    "description_too_long": "warning",
    "redirect_chain": "warning",
    "slow_response": "warning",
    "file_link": "warning",
    # Worth knowing.
    "redirected": "info",
    "image_link": "info",
    "image_below_recommended": "info",
    "image_size_mismatch": "info",
    "site_name_inferred": "info",
}

#: Severities, most severe first (findings are listed in this order).
SEVERITY_RANK: Mapping[str, int] = {"error": 0, "warning": 1, "info": 2}
_VERDICTS = frozenset({"ok", "warning", "error"})
#: The rules of the declared OpenGraph values, by field (their ids, as ``explain`` reports them).
_BOT_BLOCKING = frozenset({401, 403, 429, 451})


def finding(code: str, message: str) -> Finding:
    """The finding ``code`` (its severity from :data:`FINDINGS`) saying ``message``."""
    # Messages quote what servers sent (a Content-Type header's undecodable bytes come
    # through as lone surrogates); a report must always encode.
    return Finding(code, FINDINGS[code], scrub_surrogates(message))


def verdict_of(findings: Iterable[Finding]) -> Verdict:
    """``error`` if any finding is an error, else ``warning`` if any is, else ``ok``."""
    severities = {f.severity for f in findings}
    if "error" in severities:
        return "error"
    if "warning" in severities:
        return "warning"
    return "ok"


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem (or note) about a link: a stable ``code`` from :data:`FINDINGS`."""

    code: str
    severity: Severity
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "severity": self.severity, "message": self.message}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Finding:
        """Rebuild a finding from :meth:`to_dict`; ``ValueError`` on a wrong shape."""
        if not isinstance(data, Mapping):
            raise ValueError("a finding must be an object")
        code, severity, message = data.get("code"), data.get("severity"), data.get("message")
        if not isinstance(code, str) or not code:
            raise ValueError("a finding needs a non-empty string code")
        if severity not in SEVERITY_RANK:
            raise ValueError(f"finding severity must be error, warning or info: {severity!r}")
        if not isinstance(message, str):
            raise ValueError("a finding needs a string message")
        return cls(code, cast(Severity, severity), message)


@dataclass(frozen=True, slots=True)
class CheckResult:
    """The verdict on one link: what it previews as and what is wrong with it."""

    url: str
    #: Where the link ended after redirects (None when no response came back).
    final_url: str | None
    verdict: Verdict
    findings: tuple[Finding, ...]
    #: The card the link previews as (None when it does not preview at all).
    card: Card | None
    #: The final HTTP status (None when no response came back).
    status: int | None
    #: How long the check took, in milliseconds (image and oEmbed fetches included).
    elapsed_ms: float

    def to_dict(self) -> dict[str, Any]:
        """The JSON object ``ogpreview check --format jsonl`` writes per URL."""
        return {
            "url": self.url,
            "final_url": self.final_url,
            "verdict": self.verdict,
            "findings": [f.to_dict() for f in self.findings],
            "card": None if self.card is None else self.card.to_dict(),
            "status": self.status,
            "elapsed_ms": self.elapsed_ms,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CheckResult:
        """The exact inverse of :meth:`to_dict`; ``ValueError`` on a wrong shape."""
        if not isinstance(data, Mapping):
            raise ValueError("a check result must be an object")
        url, final_url = data.get("url"), data.get("final_url")
        if not isinstance(url, str):
            raise ValueError("a check result needs a string url")
        if final_url is not None and not isinstance(final_url, str):
            raise ValueError("final_url must be a string or null")
        raw_findings = data.get("findings")
        if not isinstance(raw_findings, list):
            raise ValueError("findings must be a list")
        findings = tuple(Finding.from_dict(f) for f in raw_findings)
        verdict = data.get("verdict")
        if verdict not in _VERDICTS:
            raise ValueError(f"verdict must be ok, warning or error: {verdict!r}")
        if verdict != verdict_of(findings):
            raise ValueError(f"verdict {verdict!r} does not match the findings")
        raw_card = data.get("card")
        card = None if raw_card is None else Card.from_dict(raw_card)
        status = data.get("status")
        if status is not None and (isinstance(status, bool) or not isinstance(status, int)):
            raise ValueError("status must be an integer or null")
        elapsed = data.get("elapsed_ms")
        if isinstance(elapsed, bool) or not isinstance(elapsed, int | float) or elapsed < 0:
            raise ValueError("elapsed_ms must be a non-negative number")
        return cls(
            url=url,
            final_url=final_url,
            verdict=cast(Verdict, verdict),
            findings=findings,
            card=card,
            status=status,
            elapsed_ms=float(elapsed),
        )


def check_result(
    url: str,
    final_url: str | None,
    findings: list[Finding],
    card: Card | None,
    status: int | None,
    started: float,
) -> CheckResult:
    """The result of a check that began at ``started`` (``time.perf_counter()``): its
    findings most severe first, and the verdict they give."""
    ordered = tuple(sorted(findings, key=lambda f: SEVERITY_RANK[f.severity]))
    return CheckResult(
        url=url,
        final_url=final_url,
        verdict=verdict_of(ordered),
        findings=ordered,
        card=card,
        status=status,
        elapsed_ms=round((time.perf_counter() - started) * 1000, 1),
    )


def _error_finding(error: PreviewError) -> Finding:
    code = error.code if FINDINGS.get(error.code) == "error" else "fetch_error"
    message = error.message
    if isinstance(error, HTTPStatusError) and error.status in _BOT_BLOCKING:
        message += " (the site turns the preview bot away: the link shows no card)"
    return finding(code, message)


def error_result(url: str, error: PreviewError, *, started: float) -> CheckResult:
    """The result of a check whose fetch failed with ``error`` (an ``error`` verdict with
    the finding for its code); ``started`` is when it began (``time.perf_counter()``)."""
    status = error.status if isinstance(error, HTTPStatusError) else None
    final = error.url if isinstance(error, HTTPStatusError) else None
    return check_result(url, final, [_error_finding(error)], None, status, started)


def failed_result(url: str, message: str, *, started: float) -> CheckResult:
    """The result of a check that could not run to the end: one ``internal_error``
    finding saying why; ``started`` is when it began (``time.perf_counter()``)."""
    return check_result(url, None, [finding("internal_error", message)], None, None, started)
