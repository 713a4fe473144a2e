"""``--format sarif``: a SARIF 2.1.0 log, as GitHub code scanning and other tools read it.

One run; a rule per finding code (:data:`~ogpreview.check.checker.FINDINGS`, with its help
text), a result per finding reported, in input order. A result's location is the input
file and the line the link is on, when the link came from a file (relative paths stay
relative: to where the command ran, the repository root in CI); the link itself is in the
message and in the result's properties. It validates against the OASIS SARIF 2.1.0 schema
(tests/data/sarif).
"""

from __future__ import annotations

import re
from typing import Any, TextIO

import orjson

from ogpreview.check.checker import FINDINGS, dedup_key
from ogpreview.check.formats.base import Checked, Run, Spool, Writer, artifact_uri
from ogpreview.check.help import FINDING_HELP
from ogpreview.settings import __version__

__all__ = ["SARIF_SCHEMA", "SARIF_VERSION", "SarifWriter", "sarif_rules"]

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
#: SARIF levels of the finding severities.
LEVELS = {"error": "error", "warning": "warning", "info": "note"}
#: The partial fingerprint that follows a finding on a link when its line moves.
FINGERPRINT = "ogpreviewLink/v1"
_RULE_INDEX = {code: i for i, code in enumerate(FINDINGS)}


def _markdown(text: str) -> str:
    # Tags in the help text are code, not HTML for the viewer to render.
    return re.sub(r"(<[^<>]+>)", r"`\1`", text)


def sarif_rules() -> list[dict[str, Any]]:
    """The rule for each finding code, in the order of ``FINDINGS``."""
    rules = []
    for code, severity in FINDINGS.items():
        help_ = FINDING_HELP[code]
        rules.append(
            {
                "id": code,
                "name": "".join(part.title() for part in code.split("_")),
                "shortDescription": {"text": help_.plain_summary},
                "fullDescription": {"text": f"{help_.plain_summary}. {help_.fix}"},
                "help": {
                    "text": help_.fix,
                    "markdown": f"**{help_.summary}**\n\n{_markdown(help_.fix)}",
                },
                "defaultConfiguration": {"level": LEVELS[severity]},
                "properties": {"tags": ["link-preview"]},
            }
        )
    return rules


class SarifWriter(Writer):
    def __init__(self, out: TextIO) -> None:
        self._out = out
        self._results = Spool()
        self._count = 0

    def write(self, checked: Checked) -> None:
        result = checked.result
        properties: dict[str, Any] = {
            "url": result.url,
            "finalUrl": result.final_url,
            "verdict": result.verdict,
            "status": result.status,
            "inputIndex": checked.index,
        }
        locations: list[dict[str, Any]] = []
        if checked.in_file:
            physical: dict[str, Any] = {"artifactLocation": {"uri": artifact_uri(checked.source)}}
            if checked.line is not None:
                physical["region"] = {"startLine": checked.line}
            locations.append({"physicalLocation": physical})
        key = f"{dedup_key(result.url):016x}"
        for finding in result.findings:
            item: dict[str, Any] = {"ruleId": finding.code}
            if finding.code in _RULE_INDEX:
                item["ruleIndex"] = _RULE_INDEX[finding.code]
            item |= {
                "level": LEVELS[finding.severity],
                "message": {"text": f"{result.url}: {finding.message}"},
                "locations": locations,
                "partialFingerprints": {FINGERPRINT: f"{finding.code}:{key}"},
                "properties": properties,
            }
            self._results.write(("," if self._count else "") + "\n")
            self._results.write(orjson.dumps(item).decode())
            self._count += 1

    def close(self, run: Run) -> None:
        tool = {
            "driver": {
                "name": "ogpreview",
                "version": __version__,
                "semanticVersion": __version__,
                "rules": sarif_rules(),
            }
        }
        invocation = {
            "executionSuccessful": not run.interrupted,
            "properties": {
                "minSeverity": run.filter.min_severity,
                "ignoredCodes": sorted(run.filter.ignore),
            },
        }
        out = self._out
        out.write(f'{{"$schema":"{SARIF_SCHEMA}","version":"{SARIF_VERSION}","runs":[{{\n"tool":')
        out.write(orjson.dumps(tool, option=orjson.OPT_INDENT_2).decode())
        out.write(',\n"invocations":[' + orjson.dumps(invocation).decode() + "],\n")
        out.write('"results":[')
        self._results.copy_to(out)
        out.write("\n]}]}\n")
        out.flush()
