"""``ogpreview check``'s CI formats against the fixture site on 127.0.0.1: JUnit and SARIF
validated against their schemas (tests/data), GitHub annotations, the HTML page, jsonl's
input index, and input order whatever order the links finish in."""

from __future__ import annotations

import csv
import io
import json
import re
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import lxml.etree
import lxml.html
import pytest

from ogpreview.check.checker import FINDINGS
from ogpreview.check.formats.htmlreport import HTML_CSP, PLACEHOLDER
from ogpreview.check.help import FINDING_HELP
from ogpreview.cli import main
from tests.schemas import JUNIT_XSD, sarif_errors
from tests.servers import Site, in_thread, site_server

FETCH = ["--allow-network", "127.0.0.0/8", "--allow-port", "any"]
#: The input: (line, path) of each link; line 3 is a comment, line 6 a duplicate of line 1.
LINKS = [
    (1, "/check-good.html"),
    (2, "/missing.html"),
    (4, "/check-no-image.html"),
    (5, "/check-medium-image.html"),
]
MEDIUM_INFO = "the image is 400x200: 1200x630 is recommended for a sharp large card"


@pytest.fixture
def site() -> Iterator[Site]:
    yield from in_thread(site_server)


@pytest.fixture
def urls(site: Site, tmp_path: Path, monkeypatch: Any) -> str:
    """The input file, named relative to the current directory (as in CI); the first link
    is answered only after every request of the three others (their pages and the one
    image they probe), so it finishes last."""
    monkeypatch.chdir(tmp_path)
    site.after["/check-good.html"] = 4
    Path("urls.txt").write_text(
        f"{site.url('/check-good.html')}\n{site.url('/missing.html')}\n# a comment\n"
        f"{site.url('/check-no-image.html')}\n{site.url('/check-medium-image.html')}\n"
        f"{site.url('/check-good.html#again')}\n"
    )
    return "urls.txt"


def _run(capsys: Any, *args: str) -> tuple[int, str]:
    code = main(["check", *args, "--quiet", *FETCH])
    return code, capsys.readouterr().out


def _pages(site: Site) -> list[str]:
    return [path for path in site.answered if path.endswith(".html")]


# --- input order ---------------------------------------------------------------------


def _table_urls(out: str) -> list[str]:
    return [line.split()[-1] for line in out.splitlines() if not line.startswith(" ")]


def _csv_urls(out: str) -> list[str]:
    return [row[0] for row in list(csv.reader(io.StringIO(out)))[1:]]


def _junit_urls(out: str) -> list[str]:
    return [str(case.get("name")) for case in lxml.etree.fromstring(out.encode()).iter("testcase")]


def _sarif_urls(out: str) -> list[str]:
    return [r["properties"]["url"] for r in json.loads(out)["runs"][0]["results"]]


def _github_urls(out: str) -> list[str]:
    return [line.split("::", 2)[2].split(": ", 1)[0] for line in out.splitlines()]


def _html_urls(out: str) -> list[str]:
    return [str(a.text_content()) for a in _all(_html(out), ".link", ".head", ".url")]


ORDERED: dict[str, tuple[Callable[[str], list[str]], list[str]]] = {
    # format: (the URLs it lists, in order; the paths expected: only those with findings
    # for the formats that report findings)
    "table": (_table_urls, [p for _, p in LINKS]),
    "csv": (_csv_urls, [p for _, p in LINKS]),
    "junit": (_junit_urls, [p for _, p in LINKS]),
    "html": (_html_urls, [p for _, p in LINKS]),
    "sarif": (_sarif_urls, [p for _, p in LINKS[1:]]),
    "github": (_github_urls, [p for _, p in LINKS[1:]]),
}


@pytest.mark.parametrize("fmt", list(ORDERED))
def test_formats_list_links_in_input_order(site: Site, urls: str, capsys: Any, fmt: str) -> None:
    """Every format but jsonl lists the links in input order, the duplicate left out,
    though the first link finishes last."""
    code, out = _run(capsys, urls, "--format", fmt)
    extract, paths = ORDERED[fmt]
    assert (code, _pages(site)[-1], extract(out)) == (
        1,
        "/check-good.html",
        [site.url(path) for path in paths],
    )


def test_jsonl_streams_with_index_source_and_line(site: Site, urls: str, capsys: Any) -> None:
    """jsonl writes links as they finish (the first one last), each with its input index,
    file and line; the duplicate (index 4) is not checked."""
    code, out = _run(capsys, urls, "--format", "jsonl")
    lines = [json.loads(line) for line in out.splitlines()]
    assert (
        code,
        lines[-1]["index"],
        sorted((o["index"], o["source"], o["line"], o["url"]) for o in lines),
    ) == (
        1,
        0,
        [(i, urls, line, site.url(path)) for i, (line, path) in enumerate(LINKS)],
    )


# --- JUnit ---------------------------------------------------------------------------


def test_junit_report_is_valid_and_complete(site: Site, urls: str, capsys: Any) -> None:
    """The JUnit report validates against junit-10.xsd: one suite for the file, one
    testcase per link, the error as a failure, place and other findings in system-out."""
    code, out = _run(capsys, urls, "--format", "junit")
    root = lxml.etree.fromstring(out.encode())
    JUNIT_XSD.assertValid(root)
    suite = root.find("testsuite")
    assert suite is not None
    cases = [
        (
            case.get("name"),
            case.get("classname"),
            [(f.get("type"), f.get("message"), f.text) for f in case.findall("failure")],
            case.findtext("system-out"),
        )
        for case in suite.iter("testcase")
    ]
    assert (
        code,
        (root.get("tests"), root.get("failures"), root.get("errors")),
        (suite.get("name"), suite.get("tests"), suite.get("failures")),
        cases,
    ) == (
        1,
        ("4", "1", "0"),
        (urls, "4", "1"),
        [
            (site.url("/check-good.html"), urls, [], "at urls.txt:1\n"),
            (
                site.url("/missing.html"),
                urls,
                [
                    (
                        "http_status",
                        "http_status: the server answered 404",
                        "error http_status: the server answered 404\n",
                    )
                ],
                "at urls.txt:2\n",
            ),
            (
                site.url("/check-no-image.html"),
                urls,
                [],
                "at urls.txt:4\nwarning no_image: no image: the card is text only\n",
            ),
            (
                site.url("/check-medium-image.html"),
                urls,
                [],
                f"at urls.txt:5\ninfo image_below_recommended: {MEDIUM_INFO}\n",
            ),
        ],
    )


def test_junit_schema_check_can_fail(site: Site, urls: str, capsys: Any) -> None:
    """The XSD check is real: the same report without a testsuite's required counts fails."""
    _, out = _run(capsys, urls, "--format", "junit")
    root = lxml.etree.fromstring(out.encode())
    suite = root.find("testsuite")
    assert suite is not None
    del suite.attrib["failures"]
    assert JUNIT_XSD.validate(root) is False


def test_junit_without_links_is_an_empty_valid_report(tmp_path: Path, capsys: Any) -> None:
    """No links: exit 0, and a JUnit report of no tests that still validates."""
    path = tmp_path / "empty.txt"
    path.write_text("# none yet\n")
    code, out = _run(capsys, str(path), "--format", "junit")
    root = lxml.etree.fromstring(out.encode())
    assert (code, JUNIT_XSD.validate(root), root.get("tests"), len(root)) == (0, True, "0", 0)


# --- SARIF ---------------------------------------------------------------------------


def test_sarif_report_is_valid(site: Site, urls: str, capsys: Any) -> None:
    """The SARIF log validates against the SARIF 2.1.0 schema."""
    code, out = _run(capsys, urls, "--format", "sarif")
    doc = json.loads(out)
    assert (code, doc["version"], sarif_errors(doc)) == (1, "2.1.0", [])


def test_sarif_schema_check_can_fail(site: Site, urls: str, capsys: Any) -> None:
    """The schema check is real: a level SARIF does not have is caught."""
    _, out = _run(capsys, urls, "--format", "sarif")
    doc = json.loads(out)
    doc["runs"][0]["results"][0]["level"] = "info"
    assert sarif_errors(doc) != []


def test_sarif_rules_carry_each_codes_help(site: Site, urls: str, capsys: Any) -> None:
    """A rule per finding code, with its meaning, its fix and its default level."""
    _, out = _run(capsys, urls, "--format", "sarif")
    rules = json.loads(out)["runs"][0]["tool"]["driver"]["rules"]
    levels = {"error": "error", "warning": "warning", "info": "note"}
    assert [
        (r["id"], r["shortDescription"]["text"], r["help"]["text"], r["defaultConfiguration"])
        for r in rules
    ] == [
        (code, FINDING_HELP[code].plain_summary, FINDING_HELP[code].fix, {"level": levels[sev]})
        for code, sev in FINDINGS.items()
    ]


def test_sarif_results_have_level_and_location(site: Site, urls: str, capsys: Any) -> None:
    """A result per finding: its rule, level, message, and the input file and line."""
    _, out = _run(capsys, urls, "--format", "sarif")
    results = json.loads(out)["runs"][0]["results"]
    assert [
        (
            r["ruleId"],
            r["level"],
            r["message"]["text"],
            r["locations"][0]["physicalLocation"],
        )
        for r in results
    ] == [
        (
            code,
            level,
            f"{site.url(path)}: {message}",
            {"artifactLocation": {"uri": "urls.txt"}, "region": {"startLine": line}},
        )
        for code, level, path, message, line in [
            ("http_status", "error", "/missing.html", "the server answered 404", 2),
            ("no_image", "warning", "/check-no-image.html", "no image: the card is text only", 4),
            ("image_below_recommended", "note", "/check-medium-image.html", MEDIUM_INFO, 5),
        ]
    ]


def test_sarif_from_stdin_has_no_location(site: Site, monkeypatch: Any, capsys: Any) -> None:
    """Links piped in name no file, so their results have no location (and still validate)."""
    monkeypatch.setattr(sys, "stdin", io.StringIO(site.url("/missing.html") + "\n"))
    _, out = _run(capsys, "--format", "sarif")
    doc = json.loads(out)
    assert ([r["locations"] for r in doc["runs"][0]["results"]], sarif_errors(doc)) == ([[]], [])


# --- GitHub annotations ----------------------------------------------------------------


def test_github_annotations(site: Site, urls: str, capsys: Any) -> None:
    """One workflow command per finding, with the file and line, in input order."""
    code, out = _run(capsys, urls, "--format", "github")
    assert (code, out) == (
        1,
        f"::error file=urls.txt,line=2,title=ogpreview http_status::"
        f"{site.url('/missing.html')}: the server answered 404\n"
        f"::warning file=urls.txt,line=4,title=ogpreview no_image::"
        f"{site.url('/check-no-image.html')}: no image: the card is text only\n"
        f"::notice file=urls.txt,line=5,title=ogpreview image_below_recommended::"
        f"{site.url('/check-medium-image.html')}: {MEDIUM_INFO}\n",
    )


# --- HTML ------------------------------------------------------------------------------


def _html(out: str) -> Any:
    return lxml.html.fromstring(out)


def _all(node: Any, *classes: str) -> list[Any]:
    """The descendants of ``node`` with the first class, then those of them with the
    next, and so on (CSS's ``.a .b``); a name with no dot is a tag."""
    found = [node]
    for name in classes:
        if name.startswith("."):
            test = f"contains(concat(' ', normalize-space(@class), ' '), ' {name[1:]} ')"
            path = f".//*[{test}]"
        else:
            path = f".//{name}"
        found = [d for n in found for d in n.xpath(path)]
    return found


def test_html_report_summary_and_links(site: Site, urls: str, capsys: Any) -> None:
    """The page sums up on top and shows each link: verdict, card (or why none), the
    place in the input, and each finding with its fix."""
    code, out = _run(capsys, urls, "--format", "html")
    page = _html(out)
    links = [
        (
            li.get("class"),
            _all(li, ".dim")[0].text_content().split(" · ")[-1],
            [c.text_content() for c in _all(li, ".ogp-title")],
            [n.text_content() for n in _all(li, ".nocard")],
            [
                (_all(f, ".sev")[0].text, _all(f, "code")[0].text, _all(f, ".fix")[0].text)
                for f in _all(li, ".findings", "li")
            ],
        )
        for li in _all(page, ".link")
    ]
    assert (
        code,
        [c.text_content() for c in _all(page, "header", ".count")],
        [label.text_content() for label in _all(page, ".tabs", "label")],
        links,
    ) == (
        1,
        ["1 error", "1 warning", "2 ok"],
        ["All (4)", "Errors (1)", "Warnings (1)", "OK (2)"],
        [
            ("link v-ok", "urls.txt:1", ["A checked page"], [], []),
            (
                "link v-error",
                "urls.txt:2",
                [],
                ["No card: the link does not preview."],
                [("error", "http_status", FINDING_HELP["http_status"].fix)],
            ),
            (
                "link v-warning",
                "urls.txt:4",
                ["A checked page"],
                [],
                [("warning", "no_image", FINDING_HELP["no_image"].fix)],
            ),
            (
                "link v-ok",
                "urls.txt:5",
                ["A checked page"],
                [],
                [("info", "image_below_recommended", FINDING_HELP["image_below_recommended"].fix)],
            ),
        ],
    )


def test_html_report_loads_nothing_from_elsewhere(site: Site, urls: str, capsys: Any) -> None:
    """No script, a policy allowing nothing but inline style and data: images, and card
    images replaced by a placeholder with the image's address under the card."""
    _, out = _run(capsys, urls, "--format", "html")
    page = _html(out)
    assert (
        page.xpath("//script"),
        page.xpath("//meta[@http-equiv='Content-Security-Policy']/@content"),
        sorted({str(img.get("src")) for img in page.iter("img")}),
        [a.get("href") for a in _all(page, ".imgnote", "a")],
        page.xpath("//link"),
    ) == (
        [],
        [HTML_CSP],
        [PLACEHOLDER],
        [site.url("/wide.png"), site.url("/card-photo.png")],
        [],
    )


def test_html_report_escapes_what_pages_say(site: Site, tmp_path: Path, capsys: Any) -> None:
    """A title and description full of markup are shown as text, adding no element."""
    path = tmp_path / "urls.txt"
    path.write_text(site.url("/card-script-title.html") + "\n")
    _, out = _run(capsys, str(path), "--format", "html")
    page = _html(out)
    assert (
        _all(page, ".ogp-title")[0].text_content(),
        _all(page, ".ogp-desc")[0].text_content(),
        page.xpath("//script"),
        page.xpath("//*[@onerror]"),
        re.findall(r"<img src=x", out),
    ) == (
        '<script>alert(1)</script> "quoted" [link](javascript:x)',
        "desc <img src=x onerror=alert(2)>",
        [],
        [],
        [],
    )


def test_plugin_files_are_located_in_sarif_and_junit(
    site: Site, tmp_path: Path, monkeypatch: Any, capsys: Any
) -> None:
    """The README's CI case: an OpenAPI file and a response sample. SARIF points at the
    line of each link in its own file; JUnit has a suite per file."""
    monkeypatch.chdir(tmp_path)
    Path("samples").mkdir()
    Path("openapi.yaml").write_text(
        "openapi: 3.0.0\n"
        "servers:\n"
        f"  - url: {site.url('/')}\n"
        "info:\n"
        "  title: Plugin\n"
        f"  termsOfService: {site.url('/missing.html')}\n"
    )
    Path("samples/search.json").write_text(
        '{"results": [\n'
        f'  {{"title": "A", "link": "{site.url("/check-good.html")}"}},\n'
        f'  {{"title": "B", "summary": "see [it]({site.url("/check-no-image.html")})"}}\n'
        "]}\n"
    )
    _, sarif = _run(capsys, "openapi.yaml", "samples/search.json", "--format", "sarif")
    _, junit = _run(capsys, "openapi.yaml", "samples/search.json", "--format", "junit")
    located = [
        (
            r["ruleId"],
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            r["locations"][0]["physicalLocation"]["region"]["startLine"],
        )
        for r in json.loads(sarif)["runs"][0]["results"]
    ]
    suites = [
        (suite.get("name"), [case.get("name") for case in suite.iter("testcase")])
        for suite in lxml.etree.fromstring(junit.encode()).iter("testsuite")
    ]
    assert (located, suites) == (
        [("http_status", "openapi.yaml", 6), ("no_image", "samples/search.json", 3)],
        [
            ("openapi.yaml", [site.url("/missing.html")]),
            (
                "samples/search.json",
                [site.url("/check-good.html"), site.url("/check-no-image.html")],
            ),
        ],
    )
