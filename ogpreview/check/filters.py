"""Which findings a report shows: ``--min-severity`` and ``--ignore``, as linters have them.

A finding left out is as if it had not been found: the link's verdict is that of the
findings that remain, so ``--fail-on`` and every format agree with what is shown.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass

from ogpreview.check.checker import FINDINGS, SEVERITY_RANK, CheckResult, Severity, verdict_of

__all__ = ["SEVERITIES", "FindingFilter", "unknown_codes"]

#: The ``--min-severity`` choices, most severe first.
SEVERITIES: tuple[Severity, ...] = ("error", "warning", "info")


def unknown_codes(codes: Iterable[str]) -> list[str]:
    """Those of ``codes`` that are no finding code (see ``FINDINGS``), in order."""
    return [code for code in codes if code not in FINDINGS]


@dataclass(frozen=True, slots=True)
class FindingFilter:
    """Keeps findings at least as severe as ``min_severity`` whose code is not ignored."""

    min_severity: Severity = "info"
    ignore: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        if self.min_severity not in SEVERITY_RANK:
            raise ValueError(f"min_severity must be one of {', '.join(SEVERITIES)}")
        unknown = unknown_codes(sorted(self.ignore))
        if unknown:
            raise ValueError(f"unknown finding code: {', '.join(unknown)}")

    @property
    def active(self) -> bool:
        return self.min_severity != "info" or bool(self.ignore)

    def keeps(self, code: str, severity: str) -> bool:
        return (
            code not in self.ignore and SEVERITY_RANK[severity] <= SEVERITY_RANK[self.min_severity]
        )

    def apply(self, result: CheckResult) -> CheckResult:
        """The result with only the findings kept, and the verdict they give."""
        kept = tuple(f for f in result.findings if self.keeps(f.code, f.severity))
        if len(kept) == len(result.findings):
            return result
        return dataclasses.replace(result, findings=kept, verdict=verdict_of(kept))
