"""What every report format shares: a checked link with its place in the input, the run
it belongs to, putting results back in input order, and spooling a document's body."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TextIO
from urllib.parse import quote

from ogpreview.check.checker import CheckResult
from ogpreview.check.filters import FindingFilter
from ogpreview.check.inputs import STDIN, InputUrl
from ogpreview.check.summary import Report

__all__ = [
    "Checked",
    "InputOrder",
    "Run",
    "Spool",
    "Writer",
    "artifact_uri",
    "display_source",
    "file_path",
]

#: A document's body is kept in memory up to this size, then in a temporary file.
SPOOL_MEMORY_BYTES = 8 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Checked:
    """One link's result and where the link was read."""

    result: CheckResult
    #: 0-based position among the URLs read (duplicates included).
    index: int
    #: The input's name as given (``-``: standard input).
    source: str
    #: 1-based line in the input (None: not known).
    line: int | None

    @classmethod
    def of(cls, url: InputUrl, result: CheckResult) -> Checked:
        return cls(result, url.position, url.source, url.line)

    @property
    def in_file(self) -> bool:
        """Whether the link was read from a file (not standard input)."""
        return self.source != STDIN

    @property
    def where(self) -> str:
        """``file:line`` (or the file alone when the line is not known)."""
        name = display_source(self.source)
        return name if self.line is None else f"{name}:{self.line}"


@dataclass(slots=True)
class Run:
    """What a document format tells about the run as a whole."""

    report: Report
    filter: FindingFilter = field(default_factory=FindingFilter)
    #: The inputs' names as given.
    inputs: tuple[str, ...] = ()
    #: The config file the settings came from, if any.
    config: Path | None = None
    #: Stopped by Ctrl-C before every link was checked.
    interrupted: bool = False


def display_source(source: str) -> str:
    return "standard input" if source == STDIN else source


def file_path(source: str) -> str:
    """An input file's path as CI tools match it against the repository: relative paths
    stay relative (to where the command ran, the repository root in CI), ``./`` dropped."""
    return Path(source).as_posix()


def artifact_uri(source: str) -> str:
    """An input file as a URI reference: relative paths stay relative (see
    :func:`file_path`), absolute ones become ``file:`` URIs."""
    path = Path(source)
    if path.is_absolute():
        return path.as_uri()
    return quote(file_path(source), safe="/-._~!$&'()*+,;=:@")


class Writer:
    """Writes the results of one run in one format."""

    #: Whether results must come in input order (all formats but jsonl).
    ordered = True

    def write(self, checked: Checked) -> None:
        raise NotImplementedError

    def close(self, run: Run) -> None:
        """The run is over (or was stopped): finish the output."""
        return None


class InputOrder:
    """Puts results that finish in any order back in input order.

    Each index the input gives either finishes (:meth:`add`) or is a duplicate
    (:meth:`skip`); a result goes out as soon as everything before it has. Memory holds
    only the results that finished ahead of a slower one.
    """

    def __init__(self, write: Callable[[Checked], None]) -> None:
        self._write = write
        self._next = 0
        self._ready: dict[int, Checked | None] = {}

    def add(self, checked: Checked) -> None:
        self._ready[checked.index] = checked
        self._flush()

    def skip(self, index: int) -> None:
        self._ready[index] = None
        self._flush()

    def drain(self) -> None:
        """Write what is left, in order, past the gaps of checks that never finished."""
        for index in sorted(self._ready):
            checked = self._ready.pop(index)
            if checked is not None:
                self._write(checked)

    def _flush(self) -> None:
        while self._next in self._ready:
            checked = self._ready.pop(self._next)
            self._next += 1
            if checked is not None:
                self._write(checked)


class Spool:
    """Text kept aside (in memory, then a temporary file) to be copied out later, for
    documents whose head needs what only the end of the run knows."""

    def __init__(self) -> None:
        self._file: IO[str] = tempfile.SpooledTemporaryFile(  # noqa: SIM115
            max_size=SPOOL_MEMORY_BYTES, mode="w+", encoding="utf-8", newline=""
        )

    def write(self, text: str) -> None:
        self._file.write(text)

    def copy_to(self, out: TextIO) -> None:
        self._file.seek(0)
        shutil.copyfileobj(self._file, out)
        self._file.close()
