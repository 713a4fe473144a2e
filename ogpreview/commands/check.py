"""``ogpreview check``: how every link in a list, a plugin response or a sitemap previews.

Results go to stdout in input order (``table`` for people, ``csv``, and for CI ``junit``,
``sarif``, ``github`` annotations or an ``html`` page), or as they finish (``jsonl``, each
line with its input ``index``); a progress bar (a terminal) or a plain line every so
often (otherwise) and the summary go to stderr. ``--min-severity`` and ``--ignore`` (or
a config file: :mod:`ogpreview.check.config`) leave findings out. Exit status: 0 (also
when the input holds no link, with a note), or 1 when a result is as bad as
``--fail-on``; 2 for a usage error, a bad config file or an unreadable input; 130 after
Ctrl-C (what was checked by then is still reported).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

from rich.console import Console

from ogpreview.check.checker import (
    DEFAULT_PER_HOST,
    FINDINGS,
    SLOW_MS,
    Checker,
    CheckResult,
    check_stream,
    previewer_for_checks,
)
from ogpreview.check.config import FAIL_ON, CheckConfig, ConfigError, find_config, load_config
from ogpreview.check.filters import SEVERITIES, FindingFilter, unknown_codes
from ogpreview.check.formats.base import Checked, InputOrder, Run, Writer
from ogpreview.check.formats.github import GithubWriter
from ogpreview.check.formats.htmlreport import HtmlWriter
from ogpreview.check.formats.junit import JunitWriter
from ogpreview.check.formats.sarif import SarifWriter
from ogpreview.check.formats.text import CsvWriter, JsonlWriter, TableWriter
from ogpreview.check.inputs import InputError, InputUrl, UrlSource
from ogpreview.check.pool import CheckPool, CheckPoolError
from ogpreview.check.summary import Report
from ogpreview.commands.common import (
    EXIT_FAILURE,
    EXIT_OK,
    EXIT_USAGE,
    UsageError,
    add_fetch_options,
    settings_from_args,
)
from ogpreview.commands.progress import PlainProgress, RichProgress, Silent
from ogpreview.settings import Settings

__all__ = ["FORMATS", "add_parser", "run"]

EXIT_INTERRUPTED = 130
FORMATS = ("table", "jsonl", "csv", "junit", "sarif", "github", "html")


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
            "checked once. Settings may also come from [tool.ogpreview.check] in "
            "pyproject.toml or [check] in .ogpreview.toml (the nearest, from the current "
            "directory up); the command line overrides them."
        ),
    )
    parser.add_argument(
        "files",
        nargs="*",
        metavar="FILE",
        help="inputs to read ('-' or none: standard input)",
    )
    parser.add_argument(
        "--format",
        choices=FORMATS,
        default="table",
        help="output on stdout (default table); all but jsonl list links in input order",
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
        default=None,
        help="exit 1 when a link has an error (default), a warning or worse, or never",
    )
    parser.add_argument(
        "--min-severity",
        choices=SEVERITIES,
        default=None,
        help="report findings this severe or more (default info: all); a finding left "
        "out does not count towards the verdict",
    )
    parser.add_argument(
        "--ignore",
        action="append",
        default=[],
        metavar="CODE",
        help="leave out the findings with this code (repeatable; added to the config's)",
    )
    parser.add_argument(
        "--slow-ms",
        type=_non_negative_float,
        default=None,
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
    config = parser.add_mutually_exclusive_group()
    config.add_argument(
        "--config",
        type=Path,
        default=None,
        metavar="FILE",
        help="read settings from this pyproject.toml or .ogpreview.toml, not the nearest one",
    )
    config.add_argument("--no-config", action="store_true", help="read no config file")
    parser.add_argument(
        "--html-images",
        action="store_true",
        help="--format html: show card images, loaded from their sites when the page is "
        "opened (by default the page loads nothing from elsewhere)",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress and no summary on stderr")
    add_fetch_options(parser)
    parser.set_defaults(run=run)


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


def _config(args: argparse.Namespace) -> CheckConfig:
    """The config file's settings, with the command line's on top (into ``args``)."""
    try:
        if args.no_config:
            config = CheckConfig()
        elif args.config is not None:
            if not args.config.is_file():
                raise UsageError(f"check: --config {args.config}: no such file")
            config = load_config(args.config)
        else:
            config = load_config(find_config())
    except ConfigError as exc:
        raise UsageError(f"check: {exc}") from exc
    unknown = unknown_codes(args.ignore)
    if unknown:
        raise UsageError(
            f"check: --ignore: unknown finding code {', '.join(unknown)} "
            f"(the codes: {', '.join(FINDINGS)})"
        )
    args.min_severity = args.min_severity or config.min_severity or "info"
    args.ignore = [*config.ignore, *args.ignore]
    args.fail_on = args.fail_on or config.fail_on or "error"
    if args.slow_ms is None:
        args.slow_ms = SLOW_MS if config.slow_ms is None else config.slow_ms
    return config


def _writer(args: argparse.Namespace, progress: Silent) -> Writer:
    out = sys.stdout
    simple: dict[str, Callable[[TextIO], Writer]] = {
        "jsonl": JsonlWriter,
        "csv": CsvWriter,
        "junit": JunitWriter,
        "sarif": SarifWriter,
        "github": GithubWriter,
    }
    if args.format in simple:
        return simple[args.format](out)
    if args.format == "html":
        return HtmlWriter(out, images=args.html_images)
    if _isatty(out):
        stdout_console = Console(file=out, highlight=False, soft_wrap=True)
        rich_progress = progress if isinstance(progress, RichProgress) else None

        def emit(plain: str, styled: str) -> None:
            # With a live bar on the same terminal, lines go above the bar.
            target = rich_progress.console if rich_progress is not None else stdout_console
            target.print(styled, highlight=False, soft_wrap=True)

        return TableWriter(emit)

    def emit_plain(plain: str, styled: str) -> None:
        out.write(plain + "\n")
        out.flush()

    return TableWriter(emit_plain)


def run(args: argparse.Namespace) -> int:
    """Check every URL of the inputs; see the module doc for the exit status."""
    config = _config(args)
    settings, concurrency = _settings(args)
    try:
        filter_ = FindingFilter(args.min_severity, frozenset(args.ignore))
    except ValueError as exc:  # the codes were checked above; this is a guard
        raise UsageError(f"check: {exc}") from exc
    if not args.files and (sys.stdin is None or _isatty(sys.stdin)):
        raise UsageError("check: no input: give FILEs, or pipe URLs on standard input")
    progress: Silent
    if args.quiet:
        progress = Silent()
    elif _isatty(sys.stderr):
        progress = RichProgress(Console(stderr=True))
    else:
        progress = PlainProgress()
    try:
        source = UrlSource(args.files, note=progress.note)
    except InputError as exc:
        raise UsageError(f"check: {exc}") from exc
    writer = _writer(args, progress)
    run_info = Run(Report(), filter_, tuple(args.files), config.path)
    try:
        return asyncio.run(
            _check(args, settings, concurrency, source, writer, progress, run_info), debug=False
        )
    finally:
        source.close()


async def _check(
    args: argparse.Namespace,
    settings: Settings,
    concurrency: int,
    source: UrlSource,
    writer: Writer,
    progress: Silent,
    run_info: Run,
) -> int:
    report = run_info.report
    filter_ = run_info.filter
    order = InputOrder(writer.write) if writer.ordered else None
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

    def on_duplicate(url: InputUrl) -> None:
        report.duplicates += 1
        if order is not None:
            order.skip(url.position)
        progress.update(report, source)

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
                    check = checker.check

                    async def check_one(url: InputUrl) -> tuple[InputUrl, CheckResult]:
                        return url, await check(str(url))

                    report.start()  # the time the summary shows leaves start-up out
                    async for url, found in check_stream(
                        check_one,
                        source,
                        concurrency=concurrency,
                        per_host=args.per_host,
                        on_duplicate=on_duplicate,
                    ):
                        result = filter_.apply(found)
                        # Counted first: a failed write still counts.
                        report.add(result, hidden=len(found.findings) - len(result.findings))
                        checked = Checked.of(url, result)
                        if order is not None:
                            order.add(checked)
                        else:
                            writer.write(checked)
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
                broken_pipe = True
            if not broken_pipe:
                try:
                    if order is not None:
                        order.drain()  # past the checks that never finished (Ctrl-C)
                    run_info.interrupted = interrupted
                    writer.close(run_info)
                except BrokenPipeError:
                    broken_pipe = True
            if broken_pipe:
                # The reader went away (``| head``): stop quietly.
                devnull = os.open(os.devnull, os.O_WRONLY)
                os.dup2(devnull, sys.stdout.fileno())
                os.close(devnull)
    finally:
        if handled:
            with contextlib.suppress(RuntimeError, ValueError):
                loop.remove_signal_handler(signal.SIGINT)
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
    if broken_pipe:  # the output was cut off, so the run did not finish: not a pass
        return EXIT_FAILURE
    if report.total == 0:
        # An input without links is no mistake (a plugin answer may hold none), but a
        # run that checked nothing should not pass unremarked.
        print("note: check: no links found in the input", file=sys.stderr, flush=True)
        return EXIT_OK
    failing = {"error": ("error",), "warning": ("error", "warning"), "never": ()}[args.fail_on]
    return EXIT_FAILURE if any(report.verdicts[v] for v in failing) else EXIT_OK
