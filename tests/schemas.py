"""The schemas of the CI report formats, shipped under tests/data (see its README)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import lxml.etree

DATA = Path(__file__).resolve().parent / "data"
SARIF_SCHEMA = json.loads((DATA / "sarif" / "sarif-schema-2.1.0.json").read_text())
JUNIT_XSD = lxml.etree.XMLSchema(lxml.etree.parse(str(DATA / "junit" / "junit-10.xsd")))


def sarif_errors(doc: Any) -> list[str]:
    """What makes ``doc`` no valid SARIF 2.1.0 log (nothing: valid)."""
    validator = jsonschema.Draft4Validator(
        SARIF_SCHEMA, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER
    )
    return [error.message for error in validator.iter_errors(doc)]
