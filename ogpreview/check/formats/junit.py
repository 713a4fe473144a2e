"""``--format junit``: a JUnit XML report, as CI servers show test results.

One ``<testsuite>`` per input, one ``<testcase>`` per link (named by its URL), in input
order. Error findings are the testcase's ``<failure>``; the link's place in the input and
its other findings go to ``<system-out>``. It validates against the Jenkins/Surefire
``junit-10.xsd`` that CI servers read (tests/data/junit).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TextIO

from ogpreview.check.formats.base import Checked, Run, Spool, Writer, display_source

__all__ = ["JunitWriter", "xml_attr", "xml_text"]

#: Characters XML 1.0 cannot carry at all (control characters, lone surrogates).
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_ATTR_SPACE = {"\n": "&#10;", "\r": "&#13;", "\t": "&#9;"}


def xml_text(value: str) -> str:
    """``value`` as XML character data (what XML cannot hold becomes U+FFFD)."""
    return html.escape(_NOT_XML.sub("\ufffd", value), quote=False)


def xml_attr(value: str) -> str:
    """``value`` as a quoted XML attribute's content (line breaks kept as references)."""
    escaped = html.escape(_NOT_XML.sub("\ufffd", value), quote=True)
    return re.sub("[\n\r\t]", lambda m: _ATTR_SPACE[m.group()], escaped)


def _seconds(ms: float) -> str:
    return f"{ms / 1000:.3f}"


@dataclass(slots=True)
class _Suite:
    name: str
    body: Spool = field(default_factory=Spool)
    tests: int = 0
    failures: int = 0
    ms: float = 0.0


class JunitWriter(Writer):
    def __init__(self, out: TextIO) -> None:
        self._out = out
        self._suites: list[_Suite] = []
        self._source: str | None = None
        self._timestamp = datetime.now(UTC).replace(microsecond=0, tzinfo=None).isoformat()

    def write(self, checked: Checked) -> None:
        if checked.source != self._source or not self._suites:
            self._source = checked.source
            self._suites.append(_Suite(display_source(checked.source)))
        suite = self._suites[-1]
        result = checked.result
        errors = [f for f in result.findings if f.severity == "error"]
        others = [f for f in result.findings if f.severity != "error"]
        suite.tests += 1
        suite.ms += result.elapsed_ms
        parts = [
            f'    <testcase name="{xml_attr(result.url)}" classname="{xml_attr(suite.name)}" '
            f'time="{_seconds(result.elapsed_ms)}">\n'
        ]
        if errors:
            suite.failures += 1
            first = errors[0]
            message = f"{first.code}: {first.message}"
            if len(errors) > 1:
                message += f" (and {len(errors) - 1} more)"
            text = "".join(f"error {f.code}: {f.message}\n" for f in errors)
            parts.append(
                f'      <failure type="{xml_attr(first.code)}" message="{xml_attr(message)}">'
                f"{xml_text(text)}</failure>\n"
            )
        out = [f"at {checked.where}"]
        if result.final_url is not None and result.final_url != result.url:
            out.append(f"final URL {result.final_url}")
        out.extend(f"{f.severity} {f.code}: {f.message}" for f in others)
        stdout = xml_text("\n".join(out) + "\n")
        parts.append(f"      <system-out>{stdout}</system-out>\n")
        parts.append("    </testcase>\n")
        suite.body.write("".join(parts))

    def close(self, run: Run) -> None:
        tests = sum(s.tests for s in self._suites)
        failures = sum(s.failures for s in self._suites)
        out = self._out
        out.write('<?xml version="1.0" encoding="UTF-8"?>\n')
        out.write(
            f'<testsuites name="ogpreview check" tests="{tests}" failures="{failures}" '
            f'errors="0" time="{run.report.elapsed:.3f}">\n'
        )
        for suite in self._suites:
            out.write(
                f'  <testsuite name="{xml_attr(suite.name)}" tests="{suite.tests}" '
                f'failures="{suite.failures}" errors="0" skipped="0" '
                f'time="{_seconds(suite.ms)}" timestamp="{self._timestamp}">\n'
            )
            suite.body.copy_to(out)
            out.write("  </testsuite>\n")
        out.write("</testsuites>\n")
        out.flush()
