"""Line formats: ``table`` for people, ``csv``, and ``jsonl`` (streamed as links finish)."""

from __future__ import annotations

import csv
from collections.abc import Callable
from typing import Any, TextIO

import orjson
from rich.markup import escape

from ogpreview.check.formats.base import Checked, Writer

__all__ = ["CSV_COLUMNS", "CsvWriter", "JsonlWriter", "TableWriter", "jsonl_object"]

CSV_COLUMNS = (
    "url",
    "final_url",
    "verdict",
    "status",
    "elapsed_ms",
    "findings",
    "messages",
    "title",
    "description",
    "image",
    "site_name",
    "source",
    "line",
)
#: How a cell that a spreadsheet would run as a formula begins (OWASP, CSV Injection).
_CSV_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_VERDICT_STYLE = {"ok": "green", "warning": "yellow", "error": "bold red"}
_SEVERITY_STYLE = {"error": "red", "warning": "yellow", "info": "cyan"}

#: Writes one line: the plain text, and the same with rich markup for a terminal.
Emit = Callable[[str, str], None]


def jsonl_object(checked: Checked) -> dict[str, Any]:
    """A ``--format jsonl`` line: where the link was read, then the result's own object."""
    return {
        "index": checked.index,
        "source": checked.source,
        "line": checked.line,
        **checked.result.to_dict(),
    }


class JsonlWriter(Writer):
    """One JSON object per link, as each finishes (not in input order: ``index`` says)."""

    ordered = False

    def __init__(self, out: TextIO) -> None:
        self._out = out

    def write(self, checked: Checked) -> None:
        self._out.write(orjson.dumps(jsonl_object(checked)).decode() + "\n")
        self._out.flush()


def _csv_cell(value: object) -> str:
    """A cell a spreadsheet shows as the text it is. Titles, descriptions and URLs come
    from strangers' pages: one starting like a formula (``=HYPERLINK(...)``) is run by
    the spreadsheet that opens the report, so it gets OWASP's single-quote prefix."""
    text = str(value)
    return "'" + text if text.startswith(_CSV_FORMULA_STARTS) else text


class CsvWriter(Writer):
    def __init__(self, out: TextIO) -> None:
        self._out = out
        # Every cell quoted (OWASP): a "," or ";" inside one cannot start the next cell
        # in a spreadsheet that splits on another separator than ours.
        self._csv = csv.writer(out, lineterminator="\n", quoting=csv.QUOTE_ALL)
        self._csv.writerow(CSV_COLUMNS)

    def write(self, checked: Checked) -> None:
        result = checked.result
        card = result.card
        cells = (
            result.url,
            result.final_url or "",
            result.verdict,
            "" if result.status is None else result.status,
            result.elapsed_ms,
            " ".join(f.code for f in result.findings),
            " | ".join(f"{f.code}: {f.message}" for f in result.findings),
            (card.title if card else None) or "",
            (card.description if card else None) or "",
            (card.image.url if card and card.image else None) or "",
            (card.site_name if card else None) or "",
            checked.source,
            "" if checked.line is None else checked.line,
        )
        self._csv.writerow(_csv_cell(cell) for cell in cells)
        self._out.flush()


class TableWriter(Writer):
    """One line per URL, then one indented line per finding; coloured on a terminal."""

    def __init__(self, emit: Emit) -> None:
        self._emit = emit

    def write(self, checked: Checked) -> None:
        result = checked.result
        status = "-" if result.status is None else str(result.status)
        where = result.url
        if result.final_url is not None and result.final_url != result.url:
            where = f"{result.url} -> {result.final_url}"
        head = f"{result.verdict.upper():<8} {status:>3} {result.elapsed_ms:7.0f} ms  "
        style = _VERDICT_STYLE[result.verdict]
        self._emit(head + where, f"[{style}]{head}[/]{escape(where)}")
        for f in result.findings:
            text = f"    {f.severity:<7}  {f.code}: {f.message}"
            colour = _SEVERITY_STYLE[f.severity]
            self._emit(
                text,
                f"    [{colour}]{f.severity:<7}[/]  [bold]{f.code}[/]: {escape(f.message)}",
            )
