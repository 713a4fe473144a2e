"""Where ``ogpreview check`` finds its URLs: lists, JSON, OpenAPI, ai-plugin, sitemaps."""

from __future__ import annotations

import asyncio
import gzip
import io
import json
import os
import pickle
from pathlib import Path

import pytest

from ogpreview.check.inputs import MAX_LINE_BYTES, READ_CHUNK, InputError, InputUrl, UrlSource


async def _all(source: UrlSource) -> list[str]:
    return [url async for url in source]


def _write(tmp_path: Path, name: str, text: str | bytes) -> str:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    return str(path)


async def test_url_list_skips_blanks_and_comments(tmp_path: Path) -> None:
    """One URL per line; blank lines, comments and CRLF endings are handled."""
    path = _write(
        tmp_path, "urls.txt", "# links\r\nhttps://a.example/1\r\n\r\n  https://a.example/2  \n"
    )
    assert await _all(UrlSource([path])) == ["https://a.example/1", "https://a.example/2"]


async def test_url_list_keeps_bad_lines_for_the_checker(tmp_path: Path) -> None:
    """A line that is not a URL is passed on (the check reports it as invalid_url)."""
    path = _write(tmp_path, "urls.txt", "https://a.example/\nexample.com/page\n")
    assert await _all(UrlSource([path])) == ["https://a.example/", "example.com/page"]


async def test_several_inputs_in_order(tmp_path: Path) -> None:
    """Files are read one after the other; count says how many URLs came out."""
    first = _write(tmp_path, "a.txt", "https://a.example/\n")
    second = _write(tmp_path, "b.txt", "https://b.example/\n")
    source = UrlSource([first, second])
    assert (await _all(source), source.count, source.exhausted) == (
        ["https://a.example/", "https://b.example/"],
        2,
        True,
    )


async def test_stdin_text_stream() -> None:
    """'-' reads standard input (here an in-memory text stream)."""
    stdin = io.StringIO("https://a.example/\nhttps://b.example/\n")
    assert await _all(UrlSource(["-"], stdin=stdin)) == [
        "https://a.example/",
        "https://b.example/",
    ]


async def test_piped_list_is_streamed() -> None:
    """From a pipe, a URL is handed out as soon as its line arrives, before the rest."""
    read_end, write_end = os.pipe()
    stdin = os.fdopen(read_end, "r")
    try:
        urls = aiter(UrlSource(["-"], stdin=stdin))
        os.write(write_end, b"https://a.example/1\nhttps://a.example/2\n")
        first = await asyncio.wait_for(anext(urls), 30)
        os.write(write_end, b"https://a.example/3\n")
        os.close(write_end)
        rest = [url async for url in urls]
    finally:
        stdin.close()
    assert (first, rest) == ("https://a.example/1", ["https://a.example/2", "https://a.example/3"])


async def test_plugin_response_json(tmp_path: Path) -> None:
    """Every link in a plugin's JSON response: bare, Markdown, nested."""
    response = {
        "items": [
            {"url": "https://a.example/item", "text": "see [docs](https://a.example/docs)."},
            {"nested": {"more": ["https://b.example/x"]}},
        ]
    }
    path = _write(tmp_path, "response.json", json.dumps(response))
    assert await _all(UrlSource([path])) == [
        "https://a.example/item",
        "https://a.example/docs",
        "https://b.example/x",
    ]


OPENAPI = {
    "openapi": "3.0.1",
    "info": {"title": "T", "termsOfService": "https://a.example/terms"},
    "servers": [{"url": "https://api.a.example/v1"}],
    "externalDocs": {"url": "https://a.example/docs"},
    "paths": {
        "/x": {
            "get": {
                "servers": [{"url": "https://other.a.example"}],
                "responses": {"200": {"$ref": "https://a.example/schemas#/R"}},
            }
        }
    },
}


async def test_openapi_json_skips_servers_and_refs(tmp_path: Path) -> None:
    """An OpenAPI document's page links, without API servers or $refs."""
    path = _write(tmp_path, "openapi.json", json.dumps(OPENAPI))
    assert await _all(UrlSource([path])) == ["https://a.example/terms", "https://a.example/docs"]


async def test_openapi_yaml(tmp_path: Path) -> None:
    """The same OpenAPI document as YAML gives the same links."""
    text = (
        "openapi: 3.0.1\n"
        "info:\n  title: T\n  termsOfService: https://a.example/terms\n"
        "servers:\n  - url: https://api.a.example/v1\n"
        "externalDocs:\n  url: https://a.example/docs\n"
    )
    path = _write(tmp_path, "openapi.yaml", text)
    assert await _all(UrlSource([path])) == ["https://a.example/terms", "https://a.example/docs"]


async def test_ai_plugin_manifest_skips_the_api_url(tmp_path: Path) -> None:
    """An ai-plugin.json's logo and legal page, not its OpenAPI URL."""
    manifest = {
        "schema_version": "v1",
        "name_for_human": "P",
        "api": {"type": "openapi", "url": "https://a.example/openapi.yaml"},
        "logo_url": "https://a.example/logo.png",
        "legal_info_url": "https://a.example/legal",
    }
    path = _write(tmp_path, "ai-plugin.json", json.dumps(manifest))
    assert await _all(UrlSource([path])) == [
        "https://a.example/logo.png",
        "https://a.example/legal",
    ]


SITEMAP = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
    "<url><loc> https://a.example/1 </loc><lastmod>2024-01-01</lastmod></url>"
    "<url><loc>https://a.example/2</loc></url></urlset>"
)


async def test_sitemap(tmp_path: Path) -> None:
    """A sitemap's <loc> URLs, trimmed."""
    path = _write(tmp_path, "sitemap.xml", SITEMAP)
    assert await _all(UrlSource([path])) == ["https://a.example/1", "https://a.example/2"]


async def test_gzipped_sitemap(tmp_path: Path) -> None:
    """A sitemap.xml.gz is decompressed."""
    path = _write(tmp_path, "sitemap.xml.gz", gzip.compress(SITEMAP.encode()))
    assert await _all(UrlSource([path])) == ["https://a.example/1", "https://a.example/2"]


async def test_sitemap_index_is_noted_not_followed(tmp_path: Path) -> None:
    """A sitemap index gives no URLs and a note naming how many sitemaps it lists."""
    index = (
        '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        "<sitemap><loc>https://a.example/s1.xml</loc></sitemap>"
        "<sitemap><loc>https://a.example/s2.xml</loc></sitemap></sitemapindex>"
    )
    path = _write(tmp_path, "index.xml", index)
    notes: list[str] = []
    assert (await _all(UrlSource([path], note=notes.append)), notes) == (
        [],
        [f"{path}: a sitemap index: its 2 sitemaps are not followed; check each one"],
    )


async def test_other_xml_is_read_as_text(tmp_path: Path) -> None:
    """XML that is not a sitemap (a feed) gives the links in it, with a note naming it."""
    feed = "<rss><channel><link>https://a.example/x</link></channel></rss>"
    path = _write(tmp_path, "feed.xml", feed)
    notes: list[str] = []
    urls = await _all(UrlSource([path], note=notes.append))
    assert (urls, notes) == (
        ["https://a.example/x"],
        [f"{path}: an XML document but not a sitemap (<rss>); reading it as text"],
    )


async def test_broken_feed_is_named_by_its_root(tmp_path: Path) -> None:
    """A malformed feed is still named by its root element and read as text."""
    path = _write(tmp_path, "feed.xml", "<rss><channel><link>https://a.example/x</link></rss>")
    notes: list[str] = []
    urls = await _all(UrlSource([path], note=notes.append))
    assert (urls, notes) == (
        ["https://a.example/x"],
        [f"{path}: an XML document but not a sitemap (<rss>); reading it as text"],
    )


async def test_broken_sitemap_is_reported_as_invalid_xml(tmp_path: Path) -> None:
    """A sitemap cut off mid-way is called invalid XML, and its text is still read."""
    path = _write(tmp_path, "sitemap.xml", "<urlset><url><loc>https://a.example/x</loc></urlset>")
    notes: list[str] = []
    urls = await _all(UrlSource([path], note=notes.append))
    assert urls == ["https://a.example/x"]
    assert len(notes) == 1 and notes[0].startswith(f"{path}: not valid XML: ")


async def test_markdown_starting_with_a_badge(tmp_path: Path) -> None:
    """A README that opens with a "[![badge](...)](...)" is text, not broken JSON."""
    text = "[![build](https://ci.example/b.svg)](https://ci.example/)\n\nSee https://a.example/x\n"
    path = _write(tmp_path, "README.md", text)
    urls = await _all(UrlSource([path]))
    assert urls == ["https://ci.example/b.svg", "https://ci.example/", "https://a.example/x"]


async def test_heading_then_list_is_text(tmp_path: Path) -> None:
    """A one-word heading first does not turn a Markdown list into a URL list."""
    path = _write(tmp_path, "links.md", "Links\n=====\n- https://a.example/x\n")
    assert await _all(UrlSource([path])) == ["https://a.example/x"]


async def test_overlong_line_is_skipped_with_a_note(tmp_path: Path) -> None:
    """A URL list line with no end (megabytes) is skipped; the lines around it are kept."""
    path = tmp_path / "urls.txt"
    path.write_bytes(b"https://a.example/1\n" + b"x" * 3_000_000 + b"\nhttps://a.example/2\n")
    notes: list[str] = []
    urls = await _all(UrlSource([str(path)], note=notes.append))
    assert (urls, notes) == (
        ["https://a.example/1", "https://a.example/2"],
        [f"{path}: a line over 65536 bytes is no URL: skipped"],
    )


async def test_carriage_return_lines(tmp_path: Path) -> None:
    """Old Mac line endings (CR only) separate URLs too."""
    path = tmp_path / "urls.txt"
    path.write_bytes(b"https://a.example/1\rhttps://a.example/2\r")
    assert await _all(UrlSource([str(path)])) == ["https://a.example/1", "https://a.example/2"]


async def test_multi_member_gzip(tmp_path: Path) -> None:
    """Every member of a concatenated gzip file is read."""
    import gzip

    path = tmp_path / "urls.json.gz"
    path.write_bytes(
        gzip.compress(b'["https://a.example/1",') + gzip.compress(b'"https://a.example/2"]')
    )
    assert await _all(UrlSource([str(path)])) == ["https://a.example/1", "https://a.example/2"]


async def test_deep_yaml_is_an_input_error(tmp_path: Path) -> None:
    """YAML nested deeper than the parser can go is a readable input error."""
    path = _write(tmp_path, "deep.yaml", "openapi: 3.0.0\nx: " + "[" * 5000 + "\n")
    with pytest.raises(InputError, match="nested too deeply"):
        await _all(UrlSource([path]))


async def test_markdown_text(tmp_path: Path) -> None:
    """Prose or Markdown: the links in it."""
    path = _write(
        tmp_path,
        "notes.md",
        "# Notes\n\nRead [this](https://a.example/x) and https://b.example/y.\n",
    )
    assert await _all(UrlSource([path])) == ["https://a.example/x", "https://b.example/y"]


def test_missing_file_fails_at_once(tmp_path: Path) -> None:
    """A file that cannot be opened is an InputError before anything is read."""
    path = tmp_path / "nope.txt"
    with pytest.raises(InputError) as raised:
        UrlSource([str(path)])
    assert str(raised.value) == f"cannot read {path}: No such file or directory"


def test_directory_is_an_input_error(tmp_path: Path) -> None:
    """A directory given as input is refused."""
    with pytest.raises(InputError, match="it is a directory"):
        UrlSource([str(tmp_path)])


# --- where each URL was read --------------------------------------------------------


async def _located(source: UrlSource) -> list[tuple[int, str, int | None, str]]:
    return [(url.position, url.source, url.line, str(url)) async for url in source]


async def test_url_list_lines(tmp_path: Path) -> None:
    """A list's URLs carry their position, file and line, whatever the line ends
    (LF, CRLF, a lone CR) and with comments and blank lines counted as lines."""
    path = _write(
        tmp_path,
        "urls.txt",
        b"# links\r\nhttps://a.example/1\r\n\r\nhttps://a.example/2\rhttps://a.example/3\n",
    )
    assert await _located(UrlSource([path])) == [
        (0, path, 2, "https://a.example/1"),
        (1, path, 4, "https://a.example/2"),
        (2, path, 5, "https://a.example/3"),
    ]


async def test_url_list_lines_across_reads(tmp_path: Path) -> None:
    """A CRLF split between two reads ends one line, not two; later lines stay right."""
    first = b"https://a.example/" + b"x" * 100 + b"\r\n"
    filler = b"# " + b"y" * (READ_CHUNK - len(first) - 3) + b"\r"  # the first read ends on CR
    data = first + filler + b"\nhttps://a.example/after\n"
    assert data[READ_CHUNK - 1 : READ_CHUNK + 1] == b"\r\n"
    path = _write(tmp_path, "urls.txt", data)
    assert [(u.line, str(u)) async for u in UrlSource([path])] == [
        (1, "https://a.example/" + "x" * 100),
        (3, "https://a.example/after"),
    ]


async def test_overlong_line_keeps_the_count(tmp_path: Path) -> None:
    """After a skipped over-long line, the next URL has its own line number."""
    data = b"https://a.example/1\n" + b"x" * (3 * MAX_LINE_BYTES) + b"\r\nhttps://a.example/2\n"
    path = _write(tmp_path, "urls.txt", data)
    assert [(u.line, str(u)) async for u in UrlSource([path])] == [
        (1, "https://a.example/1"),
        (3, "https://a.example/2"),
    ]


async def test_positions_run_across_inputs_and_stdin(tmp_path: Path) -> None:
    """Positions count on from one input to the next; stdin is named '-'."""
    path = _write(tmp_path, "a.txt", "https://a.example/\nhttps://a.example/\n")
    stdin = io.StringIO("\nhttps://b.example/\n")
    assert await _located(UrlSource([path, "-"], stdin=stdin)) == [
        (0, path, 1, "https://a.example/"),
        (1, path, 2, "https://a.example/"),
        (2, "-", 2, "https://b.example/"),
    ]


async def test_markdown_lines(tmp_path: Path) -> None:
    """Links in text have the line they are on."""
    path = _write(
        tmp_path,
        "README.md",
        "# Links\n\nSee [the docs](https://a.example/docs) and\n<https://a.example/terms>.\n",
    )
    assert await _located(UrlSource([path])) == [
        (0, path, 3, "https://a.example/docs"),
        (1, path, 4, "https://a.example/terms"),
    ]


async def test_json_lines(tmp_path: Path) -> None:
    """JSON links have the line of their string, escaped slashes or not; a skipped API
    server with the same address does not take the page's line."""
    text = (
        '{"openapi": "3.0.0",\n'
        ' "servers": [{"url": "https://api.example/"}],\n'
        ' "info": {"description": "Docs: https://api.example/"},\n'
        ' "x-terms": "https:\\/\\/a.example\\/terms"}\n'
    )
    path = _write(tmp_path, "openapi.json", text)
    assert await _located(UrlSource([path])) == [
        (0, path, 3, "https://api.example/"),
        (1, path, 4, "https://a.example/terms"),
    ]


async def test_yaml_lines(tmp_path: Path) -> None:
    """YAML links have the line of their string; in a | block, their own line."""
    text = (
        "openapi: 3.0.0\n"
        "servers:\n"
        "  - url: https://api.example/\n"
        "info:\n"
        "  description: |\n"
        "    First line.\n"
        "    See https://a.example/docs for more.\n"
        "  termsOfService: 'https://a.example/terms'\n"
    )
    path = _write(tmp_path, "openapi.yaml", text)
    assert await _located(UrlSource([path])) == [
        (0, path, 7, "https://a.example/docs"),
        (1, path, 8, "https://a.example/terms"),
    ]


async def test_sitemap_lines(tmp_path: Path) -> None:
    """Sitemap URLs have the line of their <loc>."""
    text = (
        '<?xml version="1.0"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
        "<url>\n<loc>https://a.example/1</loc></url>\n"
        "<url><loc>https://a.example/2</loc></url>\n</urlset>\n"
    )
    path = _write(tmp_path, "sitemap.xml", text)
    assert await _located(UrlSource([path])) == [
        (0, path, 4, "https://a.example/1"),
        (1, path, 5, "https://a.example/2"),
    ]


async def test_gzipped_input_has_no_lines(tmp_path: Path) -> None:
    """A compressed input is not located: an editor shows no lines in it."""
    path = _write(tmp_path, "urls.txt.gz", gzip.compress(b"https://a.example/1\n"))
    assert await _located(UrlSource([path])) == [(0, path, None, "https://a.example/1")]


async def test_total_is_known_once_the_input_is_read(tmp_path: Path) -> None:
    """A list's total is known when it has been read to the end; a last input that is a
    document, as soon as it is parsed."""
    path = _write(tmp_path, "urls.txt", "https://a.example/1\nhttps://a.example/2\n")
    listed = UrlSource([path])
    urls = aiter(listed)
    await anext(urls)
    before = listed.total
    assert [str(u) async for u in urls] == ["https://a.example/2"]
    doc = _write(tmp_path, "r.json", '{"a": "https://a.example/1 https://a.example/2"}')
    parsed = UrlSource([path, doc])
    seen = [(parsed.total, str(u)) async for u in parsed]
    assert (before, listed.total, [total for total, _ in seen]) == (None, 2, [None, None, 4, 4])


def test_an_input_url_pickles_as_its_text() -> None:
    """Sent to a worker process, an InputUrl is the plain URL text."""
    url = InputUrl("https://a.example/", 3, "urls.txt", 7)
    copy = pickle.loads(pickle.dumps(url))
    assert (type(copy), copy) == (str, "https://a.example/")
