"""``ogpreview check``'s stderr: a progress bar on a terminal, plain lines otherwise, or
nothing (``--quiet``); then the summary."""

from __future__ import annotations

import sys
import time
from types import TracebackType

from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)

from ogpreview.check.inputs import UrlSource
from ogpreview.check.summary import Report

__all__ = ["PlainProgress", "RichProgress", "Silent"]

#: Without a terminal, a progress line every this many results or seconds.
PLAIN_PROGRESS_EVERY = 1000
PLAIN_PROGRESS_SECONDS = 30.0


def to_check(report: Report, source: UrlSource) -> int | None:
    """How many links the run checks in all (duplicates are not checked), once the input
    has been read; None before."""
    total = source.total
    return None if total is None else total - report.duplicates


class Silent:
    """No progress at all (``--quiet``); the base of the two kinds below."""

    def __enter__(self) -> Silent:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        return None

    def update(self, report: Report, source: UrlSource) -> None:
        return None

    def note(self, text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    def summary(self, lines: list[str]) -> None:
        return None


class PlainProgress(Silent):
    """Without a terminal: a line every so often, and the summary as plain lines."""

    def __init__(self) -> None:
        self._next_count = PLAIN_PROGRESS_EVERY
        self._next_time = time.monotonic() + PLAIN_PROGRESS_SECONDS

    def update(self, report: Report, source: UrlSource) -> None:
        done = report.total
        now = time.monotonic()
        if done >= self._next_count or now >= self._next_time:
            self._next_count = done + PLAIN_PROGRESS_EVERY
            self._next_time = now + PLAIN_PROGRESS_SECONDS
            total = to_check(report, source)
            of = "" if total is None else f" of {total}"
            print(f"progress: {report.counts()}{of}", file=sys.stderr, flush=True)

    def summary(self, lines: list[str]) -> None:
        print("\n".join(lines), file=sys.stderr, flush=True)


class RichProgress(Silent):
    """On a terminal: a live bar on stderr (table lines for a terminal stdout go above it)."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self._progress = Progress(
            SpinnerColumn(),
            TextColumn("checking"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[counts]}"),
            TimeElapsedColumn(),
            console=console,
            redirect_stdout=False,
            redirect_stderr=False,
        )
        self._task = self._progress.add_task("check", total=None, counts="")

    def __enter__(self) -> RichProgress:
        self._progress.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        done = self._progress.tasks[0].completed
        self._progress.update(self._task, total=max(done, 1), completed=done)
        self._progress.stop()

    def update(self, report: Report, source: UrlSource) -> None:
        v = report.verdicts
        counts = (
            f"[green]{v['ok']} ok[/]  [yellow]{v['warning']} warning[/]  "
            f"[red]{v['error']} error[/]  (read {source.count})"
        )
        self._progress.update(
            self._task, completed=report.total, total=to_check(report, source), counts=counts
        )

    def note(self, text: str) -> None:
        self.console.print(escape(text), highlight=False)

    def summary(self, lines: list[str]) -> None:
        for line in lines:
            self.console.print(escape(line), highlight=False)
