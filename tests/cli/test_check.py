"""``ogpreview check`` end to end, against the fixture site on 127.0.0.1 (run in a thread,
since the command runs its own event loop): formats, inputs, summary, exit codes, Ctrl-C."""

from __future__ import annotations

import asyncio
import csv
import html
import io
import json
import os
import pty
import re
import signal
import subprocess
import sys
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit

import pytest

from ogpreview import Previewer, Settings
from ogpreview.cli import main
from tests.conftest import ROOT
from tests.schemas import sarif_errors
from tests.servers import Listener, Site, in_thread, raw_listener, running, site_server

FETCH = ["--allow-network", "127.0.0.0/8", "--allow-port", "any"]
SARIF_SCHEMA = json.loads(
    (ROOT / "tests" / "data" / "sarif" / "sarif-schema-2.1.0.json").read_text()
)
#: Upper bound for a subprocess to answer (a hang guard, not a timing assertion).
PROCESS_DEADLINE = 30.0


@dataclass
class Servers:
    site: Site
    #: A listener that accepts and never answers: a check of it stays in flight.
    silent: Listener


async def _silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await reader.read()  # never answers; returns when the client hangs up


@asynccontextmanager
async def _both() -> AsyncIterator[Servers]:
    async with site_server() as site, raw_listener(script=_silent) as silent:
        yield Servers(site, silent)


@pytest.fixture
def servers() -> Iterator[Servers]:
    yield from in_thread(_both)


@pytest.fixture
def site(servers: Servers) -> Site:
    return servers.site


def _timeless(text: str) -> str:
    """Output with the timings, which vary from run to run, blanked."""
    text = re.sub(r"\(\d+\.\d s\)", "(T s)", text)
    return re.sub(r" +\d+ ms", " N ms", text)


def _urls(tmp_path: Path, *urls: str) -> str:
    path = tmp_path / "urls.txt"
    path.write_text("".join(u + "\n" for u in urls))
    return str(path)


def test_table_output_from_a_file(site: Site, tmp_path: Path, capsys: Any) -> None:
    """A URL file gives one line per link and one indented line per finding, in order
    with --concurrency 1; an error link makes the exit status 1."""
    urls = _urls(
        tmp_path,
        site.url("/check-good.html"),
        site.url("/check-no-image.html"),
        site.url("/missing.html"),
    )
    code = main(["check", urls, "--concurrency", "1", *FETCH])
    assert (code, _timeless(capsys.readouterr().out)) == (
        1,
        f"OK       200 N ms  {site.url('/check-good.html')}\n"
        f"WARNING  200 N ms  {site.url('/check-no-image.html')}\n"
        "    warning  no_image: no image: the card is text only\n"
        f"ERROR    404 N ms  {site.url('/missing.html')}\n"
        "    error    http_status: the server answered 404\n",
    )


def test_file_link_is_a_warning_not_an_error(site: Site, tmp_path: Path, capsys: Any) -> None:
    """A PDF link previews as a plain card: a file_link warning with that card, exit 0
    under the default --fail-on error."""
    code = main(["check", _urls(tmp_path, site.url("/report.pdf")), "--format", "jsonl", *FETCH])
    out = json.loads(capsys.readouterr().out)
    assert (code, out["verdict"], out["findings"], out["card"]["title"]) == (
        0,
        "warning",
        [
            {
                "code": "file_link",
                "severity": "warning",
                "message": "the link is a file (application/pdf), not an HTML page: it previews "
                "as a plain card (its file name, the site's name and icon) with no description "
                "or image",
            }
        ],
        "report.pdf",
    )


def test_jsonl_output_from_stdin(site: Site, monkeypatch: Any, capsys: Any) -> None:
    """URLs on stdin give one JSON object per URL, in the documented shape: where the URL
    was read (index, source "-" and line), then the result."""
    stdin = io.StringIO(f"{site.url('/check-no-image.html')}\n{site.url('/missing.html')}\n")
    monkeypatch.setattr(sys, "stdin", stdin)
    code = main(["check", "--format", "jsonl", "--concurrency", "1", *FETCH])
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    for line in lines:
        line["elapsed_ms"] = 0
    assert (code, lines) == (
        1,
        [
            {
                "index": 0,
                "source": "-",
                "line": 1,
                "url": site.url("/check-no-image.html"),
                "final_url": site.url("/check-no-image.html"),
                "verdict": "warning",
                "findings": [
                    {
                        "code": "no_image",
                        "severity": "warning",
                        "message": "no image: the card is text only",
                    }
                ],
                "card": {
                    "url": site.url("/check-no-image.html"),
                    "site_name": "Check Site",
                    "title": "A checked page",
                    "description": "What the page is about, in a sentence.",
                    "image": None,
                    "type": None,
                    "locale": "en",
                    "favicon": site.url("/favicon.ico"),
                    "author": None,
                    "published_time": None,
                    "oembed_url": None,
                    "theme_color": None,
                    "twitter_card": None,
                },
                "status": 200,
                "elapsed_ms": 0,
            },
            {
                "index": 1,
                "source": "-",
                "line": 2,
                "url": site.url("/missing.html"),
                "final_url": site.url("/missing.html"),
                "verdict": "error",
                "findings": [
                    {
                        "code": "http_status",
                        "severity": "error",
                        "message": "the server answered 404",
                    }
                ],
                "card": None,
                "status": 404,
                "elapsed_ms": 0,
            },
        ],
    )


def test_csv_output(site: Site, tmp_path: Path, capsys: Any) -> None:
    """CSV has a header and one row per URL with the findings' codes and messages, and
    the input file and line the URL was read from."""
    urls = _urls(tmp_path, site.url("/check-inferred.html"))
    main(["check", urls, "--format", "csv", *FETCH])
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    rows[1][4] = "T"
    assert rows == [
        [
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
        ],
        [
            site.url("/check-inferred.html"),
            site.url("/check-inferred.html"),
            "warning",
            "200",
            "T",
            "og_title_missing og_description_missing og_image_missing site_name_inferred",
            "og_title_missing: no og:title: the title is inferred from the <title> tag | "
            "og_description_missing: no og:description: the description is inferred from the "
            "meta description | og_image_missing: no og:image: the image is inferred from the "
            "largest <img> | site_name_inferred: no og:site_name: the site name '127.0.0.1' is "
            "inferred from the host name",
            "Inferred title",
            "A description from the plain meta tag.",
            site.url("/wide.png"),
            "127.0.0.1",
            urls,
            "1",
        ],
    ]


def test_csv_neutralises_cells_a_spreadsheet_would_run(
    site: Site, tmp_path: Path, capsys: Any
) -> None:
    """A page titled =HYPERLINK("http://x","y"), with a description and a site name that
    start with + and @, is written with OWASP's single-quote prefix and every cell
    quoted: a spreadsheet shows the text and runs nothing."""
    url = site.url("/check-formula-title.html")
    main(["check", _urls(tmp_path, url), "--format", "csv", *FETCH])
    out = capsys.readouterr().out
    header, row = csv.reader(io.StringIO(out))
    cells = dict(zip(header, row, strict=True))
    assert (
        {k: cells[k] for k in ("title", "description", "site_name")},
        out.splitlines()[1].startswith(f'"{url}","{url}","warning","200","'),
        (
            '","\'=HYPERLINK(""http://x"",""y"")","\'+1 then @SUM(A1), and ;-2","",'
            '"\'@Formula Site","'
        )
        in out.splitlines()[1],
    ) == (
        {
            "title": '\'=HYPERLINK("http://x","y")',
            "description": "'+1 then @SUM(A1), and ;-2",
            "site_name": "'@Formula Site",
        },
        True,
        True,
    )


async def _titled(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """A page whose title is the request's query string."""
    head = await reader.readuntil(b"\r\n\r\n")
    target = head.split(b" ", 2)[1].decode()
    body = f"<title>{html.escape(unquote(urlsplit(target).query))}</title>".encode()
    writer.write(
        b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
        b"Content-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(body), body)
    )
    await writer.drain()


@pytest.fixture
def titled() -> Iterator[Listener]:
    yield from in_thread(lambda: raw_listener(script=_titled))


@pytest.mark.parametrize("title", ["=1+2", "+1", "-1", "@SUM(A1)"])
def test_csv_prefixes_each_formula_start(
    titled: Listener, tmp_path: Path, capsys: Any, title: str
) -> None:
    """A title starting with =, +, - or @ gets the single quote; the text is kept."""
    main(["check", _urls(tmp_path, titled.url("/?" + quote(title))), "--format", "csv", *FETCH])
    header, row = csv.reader(io.StringIO(capsys.readouterr().out))
    assert dict(zip(header, row, strict=True))["title"] == "'" + title


def test_summary_goes_to_stderr(site: Site, tmp_path: Path, capsys: Any) -> None:
    """Without a terminal the summary is plain lines: counts, slowest hosts, findings."""
    urls = _urls(
        tmp_path,
        site.url("/check-good.html"),
        site.url("/check-no-image.html"),
        site.url("/check-no-description.html"),
        site.url("/missing.html"),
    )
    main(["check", urls, "--format", "jsonl", *FETCH])
    host = f"127.0.0.1:{site.port}"
    assert _timeless(capsys.readouterr().err) == (
        "checked 4 URLs: 1 ok, 2 warning, 1 error (T s)\n"
        "slowest hosts (mean time per URL):\n"
        f" N ms  {host} (4 URLs)\n"
        "most common findings:\n"
        "         1  error    http_status\n"
        "         1  warning  no_description\n"
        "         1  warning  no_image\n"
    )


def test_quiet_prints_no_summary(site: Site, tmp_path: Path, capsys: Any) -> None:
    """--quiet leaves stderr empty."""
    main(["check", _urls(tmp_path, site.url("/check-good.html")), "--quiet", *FETCH])
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize(
    ("fail_on", "path", "expected"),
    [
        ("error", "/check-good.html", 0),
        ("error", "/check-no-image.html", 0),
        ("error", "/missing.html", 1),
        ("warning", "/check-no-image.html", 1),
        ("warning", "/check-medium-image.html", 0),
        ("never", "/missing.html", 0),
    ],
)
def test_exit_status_follows_fail_on(
    site: Site, tmp_path: Path, fail_on: str, path: str, expected: int
) -> None:
    """Exit 1 only when a link is as bad as --fail-on (info findings never count)."""
    urls = _urls(tmp_path, site.url(path))
    assert main(["check", urls, "--fail-on", fail_on, "--quiet", *FETCH]) == expected


def test_duplicates_are_checked_once(site: Site, tmp_path: Path, capsys: Any) -> None:
    """Three spellings of one page give one result and one fetch."""
    urls = _urls(
        tmp_path,
        site.url("/check-good.html"),
        site.url("/check-good.html?utm_campaign=x"),
        site.url("/check-good.html#section"),
    )
    main(["check", urls, "--format", "jsonl", *FETCH])
    lines = capsys.readouterr().out.splitlines()
    assert (len(lines), site.hits["/check-good.html"]) == (1, 1)


def test_loopback_is_refused_without_allow_flags(site: Site, tmp_path: Path, capsys: Any) -> None:
    """Without --allow-network/--allow-port the local site is blocked, not fetched; the
    finding says how to allow the port."""
    code = main(["check", _urls(tmp_path, site.url("/check-good.html")), "--format", "jsonl"])
    finding = json.loads(capsys.readouterr().out)["findings"]
    assert (code, finding, site.hits["/check-good.html"]) == (
        1,
        [
            {
                "code": "blocked_url",
                "severity": "error",
                "message": f"port {site.port} is not allowed (allow it with --allow-port "
                f"{site.port} or OGPREVIEW_ALLOWED_PORTS)",
            }
        ],
        0,
    )


def test_sitemap_input(site: Site, tmp_path: Path, capsys: Any) -> None:
    """A sitemap.xml's <loc> URLs are checked."""
    sitemap = tmp_path / "sitemap.xml"
    sitemap.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"<url><loc>{site.url('/check-good.html')}</loc></url>"
        f"<url><loc>{site.url('/check-no-image.html')}</loc></url></urlset>"
    )
    main(["check", str(sitemap), "--format", "jsonl", *FETCH])
    urls = sorted(json.loads(line)["url"] for line in capsys.readouterr().out.splitlines())
    assert urls == [site.url("/check-good.html"), site.url("/check-no-image.html")]


def test_plugin_response_input(site: Site, tmp_path: Path, capsys: Any) -> None:
    """The links inside a plugin's JSON response (Markdown in strings) are checked."""
    response = tmp_path / "response.json"
    response.write_text(
        json.dumps(
            {
                "results": [
                    {"summary": f"See [the page]({site.url('/check-good.html')})."},
                    {"link": site.url("/missing.html")},
                ]
            }
        )
    )
    main(["check", str(response), "--format", "jsonl", *FETCH])
    urls = sorted(json.loads(line)["url"] for line in capsys.readouterr().out.splitlines())
    assert urls == [site.url("/check-good.html"), site.url("/missing.html")]


def test_missing_file_is_a_usage_error(tmp_path: Path, capsys: Any) -> None:
    """An unreadable input is one line on stderr and exit 2, before any check."""
    code = main(["check", str(tmp_path / "nope.txt")])
    assert (code, capsys.readouterr()) == (
        2,
        ("", f"error: check: cannot read {tmp_path / 'nope.txt'}: No such file or directory\n"),
    )


def test_unknown_format_is_a_usage_error(capsys: Any) -> None:
    """A bad flag value is one line on stderr and exit 2."""
    code = main(["check", "--format", "xml", "-"])
    assert (code, capsys.readouterr().err) == (
        2,
        "error: ogpreview check: argument --format: invalid choice: 'xml' "
        "(choose from 'table', 'jsonl', 'csv', 'junit', 'sarif', 'github', 'html')\n",
    )


def test_input_without_urls_passes_with_a_note(tmp_path: Path, capsys: Any) -> None:
    """A file holding only comments and blank lines: exit 0, and a note that no link was
    found on stderr (even with --quiet), nothing on stdout."""
    path = tmp_path / "empty.txt"
    path.write_text("# nothing here\n\n")
    code = main(["check", str(path), "--quiet", *FETCH])
    assert (code, capsys.readouterr()) == (0, ("", "note: check: no links found in the input\n"))


def test_broken_json_without_urls_passes_with_a_note(tmp_path: Path, capsys: Any) -> None:
    """An input with no URL in it (here broken JSON, read as text): exit 0, a note, no
    traceback."""
    path = tmp_path / "response.json"
    path.write_text('{"links": [')
    code = main(["check", str(path), "--quiet", *FETCH])
    err = capsys.readouterr().err
    assert (code, err.splitlines()[-1], "Traceback" in err) == (
        0,
        "note: check: no links found in the input",
        False,
    )


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_terminal_stdin_without_files_is_a_usage_error(monkeypatch: Any, capsys: Any) -> None:
    """No FILE and nothing piped in: exit 2 rather than wait for typing."""
    monkeypatch.setattr(sys, "stdin", _Terminal())
    code = main(["check"])
    assert (code, capsys.readouterr().err) == (
        2,
        "error: check: no input: give FILEs, or pipe URLs on standard input\n",
    )


@pytest.mark.redis
def test_redis_url_warms_the_shared_cache(
    site: Site, tmp_path: Path, redis_url: str, redis_prefix: str, monkeypatch: Any
) -> None:
    """With --redis-url, the checked card is in Redis for the service to serve."""
    monkeypatch.setenv("OGPREVIEW_CACHE_PREFIX", redis_prefix)
    urls = _urls(tmp_path, site.url("/check-good.html"))
    main(["check", urls, "--quiet", "--redis-url", redis_url, *FETCH])

    async def lookup() -> str:
        settings = Settings(
            allow_networks=["127.0.0.0/8"],
            allowed_ports=None,
            redis_url=redis_url,
            cache_prefix=redis_prefix,
        )
        async with Previewer(settings) as previewer:
            return (await previewer.lookup(site.url("/check-good.html"))).cache

    assert asyncio.run(lookup()) == "hit"


# --- as a real process -----------------------------------------------------------------


def _command(*args: str) -> list[str]:
    return [sys.executable, "-m", "ogpreview.cli", "check", *args]


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT)}


def test_plain_output_without_a_terminal(site: Site, tmp_path: Path) -> None:
    """With stdout and stderr piped: plain table lines and a plain summary, no escapes."""
    urls = _urls(tmp_path, site.url("/check-no-image.html"))
    done = subprocess.run(
        _command(urls, *FETCH),
        capture_output=True,
        text=True,
        env=_env(),
        timeout=PROCESS_DEADLINE,
        check=False,
    )
    host = f"127.0.0.1:{site.port}"
    assert (done.returncode, _timeless(done.stdout), _timeless(done.stderr)) == (
        0,
        f"WARNING  200 N ms  {site.url('/check-no-image.html')}\n"
        "    warning  no_image: no image: the card is text only\n",
        "checked 1 URL: 0 ok, 1 warning, 0 error (T s)\n"
        "slowest hosts (mean time per URL):\n"
        f" N ms  {host} (1 URL)\n"
        "most common findings:\n"
        "         1  warning  no_image\n",
    )


def _on_a_terminal(args: list[str], seen: Callable[[bytes], None]) -> tuple[int, bytes]:
    """Run ``ogpreview check ARGS`` with stderr on a terminal (stdout discarded); ``seen``
    gets the screen so far after each read. The exit status and the whole screen."""
    master, slave = pty.openpty()
    try:
        process = subprocess.Popen(
            _command(*args),
            stdout=subprocess.DEVNULL,
            stderr=slave,
            env={**_env(), "TERM": "xterm-256color", "COLUMNS": "120"},
        )
        os.close(slave)
        screen = b""
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the terminal's other side is closed
                break
            if not chunk:
                break
            screen += chunk
            seen(screen)
        code = process.wait(timeout=PROCESS_DEADLINE)
    finally:
        os.close(master)
    return code, screen


def test_progress_bar_on_a_terminal(site: Site, tmp_path: Path) -> None:
    """With stderr on a terminal, rich draws the progress and styles the summary."""
    urls = _urls(tmp_path, site.url("/check-good.html"))
    code, screen = _on_a_terminal([urls, "--format", "jsonl", *FETCH], lambda _: None)
    text = screen.decode("utf-8", "replace")
    assert (code, "\x1b[" in text, "checked 1 URL: 1 ok, 0 warning, 0 error" in text) == (
        0,
        True,
        True,
    )


def test_progress_bar_knows_the_total_once_the_input_is_read(site: Site, tmp_path: Path) -> None:
    """While the last link is still being checked, the bar shows done/total with the
    duplicate left out ("2/3"), not "2/?"; the held link is let through only then."""
    site.hold("/missing.html")
    urls = _urls(
        tmp_path,
        site.url("/check-good.html"),
        site.url("/check-good.html#again"),
        site.url("/check-no-image.html"),
        site.url("/missing.html"),
    )
    released: list[bool] = []

    def seen(screen: bytes) -> None:
        if not released and b"2/3" in screen:
            site.release("/missing.html")
            released.append(True)

    try:
        code, screen = _on_a_terminal([urls, "--format", "jsonl", *FETCH], seen)
    finally:
        if not released:  # the server would otherwise wait for it when it stops
            site.release("/missing.html")
    assert (released, code, b"2/?" in screen) == ([True], 1, False)


def _interrupt_after_a_line(*args: str) -> tuple[int, str, str, str]:
    """Run ``ogpreview check ARGS``, send SIGINT once its first line is out: the exit
    status, that line, the rest of stdout and stderr."""
    with subprocess.Popen(
        _command(*args, *FETCH),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(),
    ) as process:
        assert process.stdout is not None and process.stderr is not None
        first = process.stdout.readline()
        process.send_signal(signal.SIGINT)
        rest = process.stdout.read()
        code = process.wait(timeout=PROCESS_DEADLINE)
        err = process.stderr.read()
    return code, first, rest, err


def test_ctrl_c_reports_what_was_done(servers: Servers, tmp_path: Path) -> None:
    """SIGINT while two links hang: the finished result is out, the summary says so, 130."""
    site, silent = servers.site, servers.silent
    urls = _urls(
        tmp_path,
        site.url("/check-no-image.html"),
        silent.url("/one"),
        silent.url("/two"),
    )
    # Once the page's line is out, the two others are in flight.
    code, first, rest, err = _interrupt_after_a_line(urls, "--format", "jsonl", "--per-host", "2")
    host = f"127.0.0.1:{site.port}"
    assert (code, json.loads(first)["verdict"], rest, _timeless(err)) == (
        130,
        "warning",
        "",
        "interrupted: stopped after 1 URL\n"
        "checked 1 URL: 0 ok, 1 warning, 0 error (T s)\n"
        "slowest hosts (mean time per URL):\n"
        f" N ms  {host} (1 URL)\n"
        "most common findings:\n"
        "         1  warning  no_image\n",
    )


def test_ctrl_c_with_an_ordered_format(servers: Servers, tmp_path: Path) -> None:
    """SIGINT while the second link hangs, in the table format: the first link is out
    (its finding included), then 130 and the summary."""
    site, silent = servers.site, servers.silent
    urls = _urls(tmp_path, site.url("/check-no-image.html"), silent.url("/one"))
    code, first, rest, err = _interrupt_after_a_line(urls)
    assert (code, _timeless(first + rest), err.splitlines()[0]) == (
        130,
        f"WARNING  200 N ms  {site.url('/check-no-image.html')}\n"
        "    warning  no_image: no image: the card is text only\n",
        "interrupted: stopped after 1 URL",
    )


def test_ctrl_c_still_writes_a_whole_document(tmp_path: Path) -> None:
    """SIGINT while the only link hangs, in the SARIF format: the log is still whole, valid
    SARIF 2.1.0, and says that the run did not finish."""
    connected = threading.Event()

    async def hang(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connected.set()
        await reader.read()

    listeners = in_thread(lambda: raw_listener(script=hang))
    listener = next(listeners)
    try:
        urls = _urls(tmp_path, listener.url("/hangs"))
        with subprocess.Popen(
            _command(urls, "--format", "sarif", "--quiet", *FETCH),
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env=_env(),
        ) as process:
            assert connected.wait(PROCESS_DEADLINE)  # the check is running
            process.send_signal(signal.SIGINT)
            out, _ = process.communicate(timeout=PROCESS_DEADLINE)
    finally:
        listeners.close()
    doc = json.loads(out)
    assert (
        process.returncode,
        sarif_errors(doc),
        doc["runs"][0]["invocations"][0]["executionSuccessful"],
        doc["runs"][0]["results"],
    ) == (130, [], False, [])


def test_lone_surrogate_in_a_page_is_reported_not_fatal(
    site: Site, tmp_path: Path, capsys: Any
) -> None:
    """A JSON-LD "\\ud800" (no UTF-8 can encode it) becomes U+FFFD; the report is written."""
    urls = tmp_path / "urls.txt"
    urls.write_text(site.url("/check-surrogate.html") + "\n")
    code = main(["check", str(urls), "--format", "jsonl", "--quiet", *FETCH])
    line = json.loads(capsys.readouterr().out)
    assert (code, line["card"]["title"]) == (0, "Broken \ufffd headline")


def test_lone_surrogate_in_an_input_url(tmp_path: Path, capsys: Any) -> None:
    """A YAML input whose URL holds "\\ud800" is reported with U+FFFD, not a traceback."""
    path = tmp_path / "api.yaml"
    path.write_text('openapi: 3.0.0\nx: "http://127.0.0.1:9/\\ud800"\n')
    code = main(["check", str(path), "--format", "jsonl", "--quiet", *FETCH])
    line = json.loads(capsys.readouterr().out)
    assert (code, line["url"]) == (1, "http://127.0.0.1:9/\ufffd")


def test_processes_give_the_same_report(site: Site, tmp_path: Path, capsys: Any) -> None:
    """--processes 2 reports the same results and exit status as one process."""
    urls = _urls(
        tmp_path,
        site.url("/check-good.html"),
        site.url("/check-no-image.html"),
        site.url("/missing.html"),
        site.url("/check-good.html"),
    )

    def run(*extra: str) -> tuple[int, list[dict[str, Any]]]:
        code = main(["check", urls, "--format", "jsonl", "--quiet", *extra, *FETCH])
        lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
        for line in lines:
            line["elapsed_ms"] = 0
        return code, sorted(lines, key=lambda line: line["url"])

    assert run("--processes", "2") == run()


def test_processes_must_be_positive(capsys: Any) -> None:
    """--processes 0 is a usage error (exit 2) with a readable line."""
    code = main(["check", "--processes", "0", "urls.txt"])
    assert (code, capsys.readouterr().err) == (
        2,
        "error: ogpreview check: argument --processes: '0' must be at least 1\n",
    )


def _children(pid: int) -> list[int]:
    with open(f"/proc/{pid}/task/{pid}/children") as f:
        return [int(p) for p in f.read().split()]


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="reads /proc (Linux)")
def test_ctrl_c_with_processes_stops_the_workers(servers: Servers, tmp_path: Path) -> None:
    """SIGINT with two workers and links hanging: 130, the finished result is out, and
    no worker process is left running."""
    site, silent = servers.site, servers.silent
    urls = _urls(tmp_path, site.url("/check-no-image.html"), silent.url("/one"))
    with subprocess.Popen(
        _command(urls, "--format", "jsonl", "--processes", "2", "--quiet", *FETCH),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(),
    ) as process:
        assert process.stdout is not None and process.stderr is not None
        first = process.stdout.readline()  # the page finished; the other hangs
        workers = _children(process.pid)
        process.send_signal(signal.SIGINT)
        rest = process.stdout.read()
        code = process.wait(timeout=PROCESS_DEADLINE)
        err = process.stderr.read()
    assert (code, json.loads(first)["verdict"], rest, len(workers), running(workers)) == (
        130,
        "warning",
        "",
        2,
        [],
    ), err


async def _odd_content_type(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await reader.readuntil(b"\r\n\r\n")
    writer.write(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/x-\xff\xfe\r\nContent-Length: 2\r\n\r\nhi"
    )
    await writer.drain()


@pytest.fixture
def odd_type() -> Iterator[Listener]:
    """A server whose Content-Type holds bytes that are not UTF-8."""
    yield from in_thread(lambda: raw_listener(script=_odd_content_type))


@pytest.mark.parametrize("processes", ["1", "2"])
def test_undecodable_header_bytes_are_reported_readably(
    odd_type: Listener, tmp_path: Path, processes: str, capsys: Any
) -> None:
    """A Content-Type with non-UTF-8 bytes is quoted in the finding with U+FFFD, and the
    report is written (one process or several), not a traceback."""
    urls = _urls(tmp_path, odd_type.url("/odd"))
    code = main(["check", urls, "--format", "jsonl", "--processes", processes, *FETCH])
    out = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert (code, [(o["verdict"], o["findings"]) for o in out]) == (
        0,
        [
            (
                "warning",
                [
                    {
                        "code": "file_link",
                        "severity": "warning",
                        "message": "the link is a file (application/x-\ufffd\ufffd), not an "
                        "HTML page: it previews as a plain card (its file name, the site's name "
                        "and icon) with no description or image",
                    }
                ],
            )
        ],
    )
