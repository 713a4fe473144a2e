"""``ogpreview check --min-severity``, ``--ignore`` and the config file, end to end against
the fixture site on 127.0.0.1: what is reported, the verdicts, the exit status."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ogpreview.cli import main
from tests.servers import Site, in_thread, site_server

FETCH = ["--allow-network", "127.0.0.0/8", "--allow-port", "any"]


@pytest.fixture
def site() -> Iterator[Site]:
    yield from in_thread(site_server)


@pytest.fixture
def urls(site: Site, tmp_path: Path, monkeypatch: Any) -> str:
    """An error, a warning and an info link, in a project directory (the current one)."""
    monkeypatch.chdir(tmp_path)
    Path("urls.txt").write_text(
        f"{site.url('/missing.html')}\n{site.url('/check-no-image.html')}\n"
        f"{site.url('/check-medium-image.html')}\n"
    )
    return "urls.txt"


def _check(capsys: Any, *args: str) -> tuple[int, list[tuple[str, list[str]]], str]:
    """Exit status, (verdict, finding codes) per link in input order, and stderr."""
    code = main(["check", *args, "--format", "jsonl", *FETCH])
    captured = capsys.readouterr()
    lines = sorted(
        (json.loads(line) for line in captured.out.splitlines()), key=lambda o: o["index"]
    )
    return code, [(o["verdict"], [f["code"] for f in o["findings"]]) for o in lines], captured.err


ALL = [("error", ["http_status"]), ("warning", ["no_image"]), ("ok", ["image_below_recommended"])]


def test_by_default_every_finding_is_reported(site: Site, urls: str, capsys: Any) -> None:
    """Without filters or config: every finding, info included."""
    code, links, _ = _check(capsys, urls, "--quiet")
    assert (code, links) == (1, ALL)


def test_min_severity_warning_leaves_info_out(site: Site, urls: str, capsys: Any) -> None:
    """--min-severity warning drops info findings; the summary counts what it hid."""
    code, links, err = _check(capsys, urls, "--min-severity", "warning")
    assert (code, links, err.splitlines()[-1]) == (
        1,
        [("error", ["http_status"]), ("warning", ["no_image"]), ("ok", [])],
        "1 finding not shown (--ignore, --min-severity)",
    )


def test_min_severity_error_makes_warned_links_pass(site: Site, urls: str, capsys: Any) -> None:
    """--min-severity error: a link with only warnings is ok, so --fail-on warning passes
    where it failed before."""
    Path("warned.txt").write_text(site.url("/check-no-image.html") + "\n")
    before = _check(capsys, "warned.txt", "--fail-on", "warning", "--quiet")
    after = _check(
        capsys, "warned.txt", "--fail-on", "warning", "--min-severity", "error", "--quiet"
    )
    assert (before[:2], after[:2]) == ((1, [("warning", ["no_image"])]), (0, [("ok", [])]))


def test_ignore_removes_a_code_and_its_verdict(site: Site, urls: str, capsys: Any) -> None:
    """--ignore http_status (repeatable): the 404 link is ok and the run passes."""
    code, links, _ = _check(
        capsys, urls, "--ignore", "http_status", "--ignore", "image_below_recommended", "--quiet"
    )
    assert (code, links) == (0, [("ok", []), ("warning", ["no_image"]), ("ok", [])])


def test_unknown_ignore_code_is_a_usage_error(site: Site, urls: str, capsys: Any) -> None:
    """An --ignore code that does not exist: exit 2 before any fetch, naming the codes."""
    code = main(["check", urls, "--ignore", "og_url_mismatched", *FETCH])
    err = capsys.readouterr().err
    assert (code, err.split(" (the codes: ")[0], sum(site.hits.values())) == (
        2,
        "error: check: --ignore: unknown finding code og_url_mismatched",
        0,
    )


def test_pyproject_settings_apply(site: Site, urls: str, capsys: Any) -> None:
    """[tool.ogpreview.check] in pyproject.toml: ignore and fail-on as on the command line."""
    Path("pyproject.toml").write_text(
        '[project]\nname = "plugin"\n\n[tool.ogpreview.check]\n'
        'ignore = ["http_status"]\nfail-on = "warning"\n'
    )
    code, links, _ = _check(capsys, urls, "--quiet")
    assert (code, links) == (1, [("ok", []), ("warning", ["no_image"]), ALL[2]])


def test_config_is_found_from_a_subdirectory(
    site: Site, urls: str, capsys: Any, monkeypatch: Any
) -> None:
    """Run from a subdirectory, the project's .ogpreview.toml still applies."""
    Path(".ogpreview.toml").write_text('[check]\nmin-severity = "error"\n')
    Path("docs").mkdir()
    monkeypatch.chdir("docs")
    code, links, _ = _check(capsys, "../urls.txt", "--quiet")
    assert (code, links) == (1, [("error", ["http_status"]), ("ok", []), ("ok", [])])


def test_command_line_overrides_the_config(site: Site, urls: str, capsys: Any) -> None:
    """--min-severity and --fail-on beat the file's; --ignore adds to the file's codes."""
    Path(".ogpreview.toml").write_text(
        '[check]\nmin-severity = "error"\nfail-on = "never"\nignore = ["no_image"]\n'
    )
    code, links, _ = _check(
        capsys,
        urls,
        "--min-severity",
        "info",
        "--fail-on",
        "error",
        "--ignore",
        "image_below_recommended",
        "--quiet",
    )
    assert (code, links) == (1, [("error", ["http_status"]), ("ok", []), ("ok", [])])


def test_no_config_reads_no_file(site: Site, urls: str, capsys: Any) -> None:
    """--no-config: the file (even a broken one) is not read."""
    Path(".ogpreview.toml").write_text("[check\n")
    code, links, _ = _check(capsys, urls, "--no-config", "--quiet")
    assert (code, links) == (1, ALL)


def test_config_flag_names_the_file(site: Site, urls: str, capsys: Any) -> None:
    """--config FILE reads that file instead of the nearest."""
    Path(".ogpreview.toml").write_text('[check]\nmin-severity = "error"\n')
    Path("ci").mkdir()
    Path("ci/ogpreview.toml").write_text('[check]\nignore = ["http_status"]\n')
    code, links, _ = _check(capsys, urls, "--config", "ci/ogpreview.toml", "--quiet")
    assert (code, links) == (0, [("ok", []), ("warning", ["no_image"]), ALL[2]])


@pytest.mark.parametrize(
    ("name", "text", "error"),
    [
        (
            "pyproject.toml",
            "[tool.ogpreview.check]\nseverity = 'warning'\n",
            "error: check: {path}: [tool.ogpreview.check]: unknown key 'severity' "
            "(known: min-severity, ignore, fail-on, slow-ms)",
        ),
        (
            ".ogpreview.toml",
            "[check]\nignore = ['og_url_mismatch', 'bad_code']\n",
            "error: check: {path}: [check]: ignore: unknown finding code bad_code",
        ),
    ],
)
def test_bad_config_is_a_usage_error(
    site: Site, urls: str, capsys: Any, name: str, text: str, error: str
) -> None:
    """An unknown key or code in the config: exit 2 with one line naming it, no fetch."""
    Path(name).write_text(text)
    code = main(["check", urls, *FETCH])
    path = Path(name).resolve()
    assert (code, capsys.readouterr().err, sum(site.hits.values())) == (
        2,
        error.format(path=path) + "\n",
        0,
    )


def test_missing_config_flag_file_is_a_usage_error(urls: str, capsys: Any) -> None:
    """--config naming no file: exit 2."""
    code = main(["check", urls, "--config", "nope.toml", *FETCH])
    assert (code, capsys.readouterr().err) == (
        2,
        "error: check: --config nope.toml: no such file\n",
    )
