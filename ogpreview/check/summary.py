"""What a check run adds up to: counts per verdict, time per host, the findings seen."""

from __future__ import annotations

import time
from collections import Counter

from ogpreview.check.findings import CheckResult
from ogpreview.urls import host_key

__all__ = ["MAX_TRACKED_HOSTS", "SLOWEST_HOSTS", "TOP_FINDINGS", "Report"]

#: The summary's lists.
SLOWEST_HOSTS = 5
TOP_FINDINGS = 10
#: Hosts whose timings the summary keeps (memory stays bounded on huge inputs).
MAX_TRACKED_HOSTS = 100_000


class Report:
    """Counts per verdict, time per host and the findings reported, as results come in."""

    def __init__(self) -> None:
        self.verdicts: Counter[str] = Counter()
        self.findings: Counter[tuple[str, str]] = Counter()
        self.hosts: dict[str, list[float]] = {}
        #: URLs skipped as the same page as one read before.
        self.duplicates = 0
        #: Findings left out of the report (``--ignore``, ``--min-severity``).
        self.hidden = 0
        self.started = time.monotonic()

    def start(self) -> None:
        """Start the clock the summary reads (when the checks begin, after start-up)."""
        self.started = time.monotonic()

    @property
    def total(self) -> int:
        return sum(self.verdicts.values())

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def add(self, result: CheckResult, *, hidden: int = 0) -> None:
        self.verdicts[result.verdict] += 1
        self.hidden += hidden
        for finding in result.findings:
            self.findings[(finding.code, finding.severity)] += 1
        host = host_key(result.url) or "(no host)"
        stats = self.hosts.get(host)
        if stats is None:
            if len(self.hosts) >= MAX_TRACKED_HOSTS:
                return
            stats = self.hosts[host] = [0.0, 0.0]
        stats[0] += 1
        stats[1] += result.elapsed_ms

    def counts(self) -> str:
        total = self.total
        parts = ", ".join(f"{self.verdicts[v]} {v}" for v in ("ok", "warning", "error"))
        return f"checked {total} URL{'' if total == 1 else 's'}: {parts}"

    def slowest(self) -> list[tuple[str, int, float]]:
        """The slowest hosts: name, URLs checked and mean milliseconds per URL."""
        ranked = sorted(self.hosts.items(), key=lambda item: -item[1][1] / item[1][0])
        return [(host, int(n), ms / n) for host, (n, ms) in ranked[:SLOWEST_HOSTS]]

    def top_findings(self) -> list[tuple[str, str, int]]:
        """The most common findings: code, severity and how many links have it."""
        ranked = sorted(self.findings.items(), key=lambda item: (-item[1], item[0][0]))
        return [(code, severity, n) for (code, severity), n in ranked[:TOP_FINDINGS]]

    def lines(self) -> list[str]:
        lines = [f"{self.counts()} ({self.elapsed:.1f} s)"]
        slowest = self.slowest()
        if slowest:
            lines.append("slowest hosts (mean time per URL):")
            for host, n, mean_ms in slowest:
                lines.append(f"  {mean_ms:8.0f} ms  {host} ({n} URL{'' if n == 1 else 's'})")
        top = self.top_findings()
        if top:
            lines.append("most common findings:")
            for code, severity, count in top:
                lines.append(f"  {count:8d}  {severity:<7}  {code}")
        if self.hidden:
            n = self.hidden
            lines.append(f"{n} finding{'' if n == 1 else 's'} not shown (--ignore, --min-severity)")
        return lines
