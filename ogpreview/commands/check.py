"""``ogpreview check``: how every link in a list, a plugin response or a sitemap previews.

Results go to stdout as they finish (``table`` for people, ``jsonl``, ``csv``); a progress
bar (a terminal) or a plain line every so often (otherwise) and the summary go to stderr.
Exit status: 0, or 1 when a result is as bad as ``--fail-on``; 2 for a usage error or an
unreadable input; 130 after Ctrl-C (what was checked by then is still reported).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import os
import signal
import sys
import time
from collections import Counter
from collections.abc import Callable
from types import TracebackType
from typing import Any, TextIO

import orjson
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

from ogpreview.check.checker import (
    DEFAULT_PER_HOST,
    SLOW_MS,
    Checker,
    CheckResult,
    check_stream,
    host_of,
    previewer_for_checks,
)
from ogpreview.check.inputs import InputError, UrlSource
from ogpreview.check.pool import CheckPool, CheckPoolError
from ogpreview.commands.common import (
    EXIT_FAILURE,
    EXIT_OK,
    EXIT_USAGE,
    UsageError,
    add_fetch_options,
    settings_from_args,
)
from ogpreview.settings import Settings

__all__ = ["CSV_COLUMNS", "add_parser", "run"]

EXIT_INTERRUPTED = 130
FORMATS = ("table", "jsonl", "csv")
FAIL_ON = ("error", "warning", "never")
#: Without a terminal, a progress line every this many results or seconds.
PLAIN_PROGRESS_EVERY = 1000
PLAIN_PROGRESS_SECONDS = 30.0
#: The summary's lists.
SLOWEST_HOSTS = 5
TOP_FINDINGS = 10
#: Hosts whose timings the summary keeps (memory stays bounded on huge inputs).
MAX_TRACKED_HOSTS = 100_000
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
)
#: How a cell that a spreadsheet would run as a formula begins (OWASP, CSV Injection).
_CSV_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_VERDICT_STYLE = {"ok": "green", "warning": "yellow", "error": "bold red"}
_SEVERITY_STYLE = {"error": "red", "warning": "yellow", "info": "cyan"}


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} must be at least 1")
    return value


def _non_negative_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"{text!r} must not be negative")
    return value


def add_parser(subparsers: Any, name: str) -> None:
    parser = subparsers.add_parser(
        name,
        help="check how links preview and report what is wrong",
        description=(
            "Check how each link previews, like a sharing debugger: a verdict (ok, warning, "
            "error) and findings per URL. URLs come one per line, or from a plugin's JSON "
            "response, an OpenAPI or ai-plugin file, or a sitemap.xml; duplicates are "
            "checked once."
        ),
    )
    parser.add_argument(
        "files",
        nargs="*",
        metavar="FILE",
        help="inputs to read ('-' or none: standard input)",
    )
    parser.add_argument(
        "--format", choices=FORMATS, default="table", help="output on stdout (default table)"
    )
    parser.add_argument(
        "--concurrency",
        type=_positive_int,
        default=None,
        metavar="N",
        help="checks at once (default OGPREVIEW_CONCURRENCY, 32)",
    )
    parser.add_argument(
        "--per-host",
        type=_positive_int,
        default=DEFAULT_PER_HOST,
        metavar="N",
        help=f"checks at once on one host (default {DEFAULT_PER_HOST})",
    )
    parser.add_argument(
        "--fail-on",
        choices=FAIL_ON,
        default="error",
        help="exit 1 when a link has an error (default), a warning or worse, or never",
    )
    parser.add_argument(
        "--slow-ms",
        type=_non_negative_float,
        default=SLOW_MS,
        metavar="MS",
        help=f"a page slower than this is a warning (default {SLOW_MS:g})",
    )
    parser.add_argument(
        "--processes",
        type=_positive_int,
        default=1,
        metavar="N",
        help=(
            "check in N worker processes (default 1); a check costs 0.3 to 1 ms of CPU, so "
            "long lists check faster with one process per CPU"
        ),
    )
    parser.add_argument("--quiet", action="store_true", help="no progress and no summary on stderr")
    add_fetch_options(parser)
    parser.set_defaults(run=run)


# --- what the summary needs --------------------------------------------------------------


class Report:
    """Counts per verdict, time per host and the findings seen, as results come in."""

    def __init__(self) -> None:
        self.verdicts: Counter[str] = Counter()
        self.findings: Counter[tuple[str, str]] = Counter()
        self.hosts: dict[str, list[float]] = {}
        self.started = time.monotonic()

    def start(self) -> None:
        """Start the clock the summary reads (when the checks begin, after start-up)."""
        self.started = time.monotonic()

    @property
    def total(self) -> int:
        return sum(self.verdicts.values())

    def add(self, result: CheckResult) -> None:
        self.verdicts[result.verdict] += 1
        for finding in result.findings:
            self.findings[(finding.code, finding.severity)] += 1
        host = host_of(result.url) or "(no host)"
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

    def lines(self) -> list[str]:
        elapsed = time.monotonic() - self.started
        lines = [f"{self.counts()} ({elapsed:.1f} s)"]
        slowest = sorted(self.hosts.items(), key=lambda item: -item[1][1] / item[1][0])
        if slowest:
            lines.append("slowest hosts (mean time per URL):")
            for host, (count, total_ms) in slowest[:SLOWEST_HOSTS]:
                n = int(count)
                lines.append(
                    f"  {total_ms / count:8.0f} ms  {host} ({n} URL{'' if n == 1 else 's'})"
                )
        if self.findings:
            lines.append("most common findings:")
            ranked = sorted(self.findings.items(), key=lambda item: (-item[1], item[0][0]))
            for (code, severity), count in ranked[:TOP_FINDINGS]:
                lines.append(f"  {count:8d}  {severity:<7}  {code}")
        return lines


# --- stdout ----------------------------------------------------------------------------


Emit = Callable[[str, str], None]


class _Writer:
    def write(self, result: CheckResult) -> None:
        raise NotImplementedError

    def close(self) -> None:
        return None


class _JsonlWriter(_Writer):
    def __init__(self, out: TextIO) -> None:
        self._out = out

    def write(self, result: CheckResult) -> None:
        self._out.write(orjson.dumps(result.to_dict()).decode() + "\n")
        self._out.flush()


def _csv_cell(value: object) -> str:
    """A cell a spreadsheet shows as the text it is. Titles, descriptions and URLs come
    from strangers' pages: one starting like a formula (``=HYPERLINK(...)``) is run by
    the spreadsheet that opens the report, so it gets OWASP's single-quote prefix."""
    text = str(value)
    return "'" + text if text.startswith(_CSV_FORMULA_STARTS) else text


class _CsvWriter(_Writer):
    def __init__(self, out: TextIO) -> None:
        self._out = out
        # Every cell quoted (OWASP): a "," or ";" inside one cannot start the next cell
        # in a spreadsheet that splits on another separator than ours.
        self._csv = csv.writer(out, lineterminator="\n", quoting=csv.QUOTE_ALL)
        self._csv.writerow(CSV_COLUMNS)

    def write(self, result: CheckResult) -> None:
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
        )
        self._csv.writerow(_csv_cell(cell) for cell in cells)
        self._out.flush()


class _TableWriter(_Writer):
    """One line per URL, then one indented line per finding; coloured on a terminal."""

    def __init__(self, emit: Emit) -> None:
        self._emit = emit

    def write(self, result: CheckResult) -> None:
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


# --- stderr: progress and summary ---------------------------------------------------------


class _Progress:
    """No progress at all (``--quiet``); the base of the two kinds below."""

    def __enter__(self) -> _Progress:
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


class _PlainProgress(_Progress):
    """Without a terminal: a line every so often, and the summary as plain lines."""

    def __init__(self) -> None:
        self._next_count = PLAIN_PROGRESS_EVERY
        self._next_time = time.monotonic() + PLAIN_PROGRESS_SECONDS

    def update(self, report: Report, source: UrlSource) -> None:
        total = report.total
        now = time.monotonic()
        if total >= self._next_count or now >= self._next_time:
            self._next_count = total + PLAIN_PROGRESS_EVERY
            self._next_time = now + PLAIN_PROGRESS_SECONDS
            print(f"progress: {report.counts()}", file=sys.stderr, flush=True)

    def summary(self, lines: list[str]) -> None:
        print("\n".join(lines), file=sys.stderr, flush=True)


class _RichProgress(_Progress):
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

    def __enter__(self) -> _RichProgress:
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
        total = report.total if source.exhausted and report.total >= source.count else None
        self._progress.update(self._task, completed=report.total, total=total, counts=counts)

    def note(self, text: str) -> None:
        self.console.print(escape(text), highlight=False)

    def summary(self, lines: list[str]) -> None:
        for line in lines:
            self.console.print(escape(line), highlight=False)


def _isatty(stream: TextIO | None) -> bool:
    try:
        return stream is not None and stream.isatty()
    except (AttributeError, ValueError):
        return False


# --- the command ---------------------------------------------------------------------


def _settings(args: argparse.Namespace) -> tuple[Settings, int]:
    base = settings_from_args(args)
    concurrency: int = args.concurrency or base.concurrency
    try:
        settings = base.replace(
            # The connector must allow what the checker is told to run.
            per_host_connections=max(base.per_host_connections, args.per_host),
            max_connections=max(base.max_connections, concurrency),
        )
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
    return settings, concurrency


def run(args: argparse.Namespace) -> int:
    """Check every URL of the inputs; see the module doc for the exit status."""
    settings, concurrency = _settings(args)
    if not args.files and (sys.stdin is None or _isatty(sys.stdin)):
        raise UsageError("check: no input: give FILEs, or pipe URLs on standard input")
    stderr_tty = _isatty(sys.stderr)
    progress: _Progress
    if args.quiet:
        progress = _Progress()
    elif stderr_tty:
        progress = _RichProgress(Console(stderr=True))
    else:
        progress = _PlainProgress()
    try:
        source = UrlSource(args.files, note=progress.note)
    except InputError as exc:
        raise UsageError(f"check: {exc}") from exc
    out = sys.stdout
    writer: _Writer
    if args.format == "jsonl":
        writer = _JsonlWriter(out)
    elif args.format == "csv":
        writer = _CsvWriter(out)
    elif _isatty(out):
        stdout_console = Console(file=out, highlight=False, soft_wrap=True)
        rich_progress = progress if isinstance(progress, _RichProgress) else None

        def emit(plain: str, styled: str) -> None:
            # With a live bar on the same terminal, lines go above the bar.
            target = rich_progress.console if rich_progress is not None else stdout_console
            target.print(styled, highlight=False, soft_wrap=True)

        writer = _TableWriter(emit)
    else:

        def emit(plain: str, styled: str) -> None:
            out.write(plain + "\n")
            out.flush()

        writer = _TableWriter(emit)
    try:
        return asyncio.run(
            _check(args, settings, concurrency, source, writer, progress), debug=False
        )
    finally:
        source.close()


async def _check(
    args: argparse.Namespace,
    settings: Settings,
    concurrency: int,
    source: UrlSource,
    writer: _Writer,
    progress: _Progress,
) -> int:
    report = Report()
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    assert task is not None
    interrupted = False
    input_error: InputError | None = None
    pool_error: CheckPoolError | None = None
    broken_pipe = False

    def on_sigint() -> None:
        nonlocal interrupted
        interrupted = True
        task.cancel()
        loop.remove_signal_handler(signal.SIGINT)  # a second Ctrl-C stops at once

    handled = False
    with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
        loop.add_signal_handler(signal.SIGINT, on_sigint)
        handled = True
    try:
        with progress:
            try:
                async with contextlib.AsyncExitStack() as stack:
                    checker: Checker | CheckPool
                    if args.processes > 1:
                        checker = CheckPool(settings, args.processes, slow_ms=args.slow_ms)
                        await stack.enter_async_context(checker)
                    else:
                        previewer = previewer_for_checks(settings)
                        await stack.enter_async_context(previewer)
                        checker = Checker(previewer, slow_ms=args.slow_ms)
                    report.start()  # the time the summary shows leaves start-up out
                    async for result in check_stream(
                        checker.check, source, concurrency=concurrency, per_host=args.per_host
                    ):
                        report.add(result)  # counted first: a failed write still counts
                        writer.write(result)
                        progress.update(report, source)
            except asyncio.CancelledError:
                if not interrupted:
                    raise
                task.uncancel()
            except InputError as exc:
                input_error = exc
            except CheckPoolError as exc:
                pool_error = exc
            except BrokenPipeError:
                # The reader went away (``| head``): stop quietly.
                broken_pipe = True
                devnull = os.open(os.devnull, os.O_WRONLY)
                os.dup2(devnull, sys.stdout.fileno())
                os.close(devnull)
    finally:
        if handled:
            with contextlib.suppress(RuntimeError, ValueError):
                loop.remove_signal_handler(signal.SIGINT)
    writer.close()
    lines = report.lines()
    if interrupted:
        n = report.total
        lines.insert(0, f"interrupted: stopped after {n} URL{'' if n == 1 else 's'}")
    if not args.quiet:
        progress.summary(lines)
    elif interrupted:  # even --quiet says what was done before Ctrl-C
        print("\n".join(lines), file=sys.stderr, flush=True)
    if interrupted:
        return EXIT_INTERRUPTED
    if input_error is not None:
        print(f"error: check: {input_error}", file=sys.stderr, flush=True)
        return EXIT_USAGE
    if pool_error is not None:
        print(f"error: check: {pool_error}", file=sys.stderr, flush=True)
        return EXIT_FAILURE
    if report.total == 0 and not broken_pipe:
        print("error: check: no URLs in the input", file=sys.stderr, flush=True)
        return EXIT_USAGE
    if broken_pipe:  # the output was cut off, so the run did not finish: not a pass
        return EXIT_FAILURE
    failing = {"error": ("error",), "warning": ("error", "warning"), "never": ()}[args.fail_on]
    return EXIT_FAILURE if any(report.verdicts[v] for v in failing) else EXIT_OK
