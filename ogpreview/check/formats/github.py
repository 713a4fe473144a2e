"""``--format github``: GitHub Actions workflow commands, one annotation per finding.

``::error``, ``::warning`` and (for info findings) ``::notice`` lines, in input order, each
naming the input file and the line the link is on, so that the finding shows on that line
of the pull request. Links read from standard input get annotations without a file.
"""

from __future__ import annotations

from typing import TextIO

from ogpreview.check.formats.base import Checked, Writer, file_path

__all__ = ["GithubWriter", "escape_data", "escape_property"]

COMMANDS = {"error": "error", "warning": "warning", "info": "notice"}


def escape_data(text: str) -> str:
    """A workflow command's message, escaped as the Actions toolkit does."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A workflow command's property value (``file=``, ``title=``), escaped likewise."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


class GithubWriter(Writer):
    def __init__(self, out: TextIO) -> None:
        self._out = out

    def write(self, checked: Checked) -> None:
        result = checked.result
        lines = []
        for finding in result.findings:
            properties = []
            if checked.in_file:
                properties.append(f"file={escape_property(file_path(checked.source))}")
                if checked.line is not None:
                    properties.append(f"line={checked.line}")
            properties.append(f"title={escape_property(f'ogpreview {finding.code}')}")
            message = escape_data(f"{result.url}: {finding.message}")
            lines.append(f"::{COMMANDS[finding.severity]} {','.join(properties)}::{message}\n")
        if lines:
            self._out.write("".join(lines))
            self._out.flush()
