"""``ogpreview extract FILE --url URL``: the extractor on a saved page, as JSON."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from ogpreview import Card, Image
from ogpreview.cli import main
from tests.conftest import FIXTURES

SITE = FIXTURES / "site"

PAGE = (
    b"<html><head><title>Saved page</title>"
    b'<meta property="og:description" content="Kept for later.">'
    b'<meta property="og:image" content="/img.png"></head><body></body></html>'
)


def _expected_card() -> dict[str, Any]:
    return {
        "url": "https://example.com/saved",
        "site_name": "example.com",
        "title": "Saved page",
        "description": "Kept for later.",
        "image": {
            "url": "https://example.com/img.png",
            "width": None,
            "height": None,
            "alt": None,
            "type": None,
        },
        "type": None,
        "locale": None,
        "favicon": "https://example.com/favicon.ico",
        "author": None,
        "published_time": None,
        "oembed_url": None,
        "theme_color": None,
        "twitter_card": None,
    }


def test_prints_the_card(tmp_path: Path, capsys: Any) -> None:
    """The card JSON, links resolved against --url."""
    page = tmp_path / "page.html"
    page.write_bytes(PAGE)
    code = main(["extract", str(page), "--url", "https://example.com/saved"])
    assert (code, json.loads(capsys.readouterr().out)) == (0, _expected_card())


def test_sources_name_each_rule(tmp_path: Path, capsys: Any) -> None:
    """--sources adds the rule each field came from."""
    page = tmp_path / "page.html"
    page.write_bytes(PAGE)
    main(["extract", str(page), "--url", "https://example.com/saved", "--sources"])
    out = json.loads(capsys.readouterr().out)
    assert (out["card"], {k: out["sources"][k] for k in ("title", "description", "image")}) == (
        _expected_card(),
        {"title": "html_title", "description": "meta:og:description", "image": "og_images"},
    )


def test_reads_stdin(monkeypatch: Any, capsys: Any) -> None:
    """'-' reads the page from standard input."""
    monkeypatch.setattr(sys, "stdin", io.StringIO(PAGE.decode()))
    main(["extract", "-", "--url", "https://example.com/saved"])
    assert json.loads(capsys.readouterr().out) == _expected_card()


def test_missing_file_is_a_usage_error(tmp_path: Path, capsys: Any) -> None:
    """An unreadable file: one line on stderr, exit 2."""
    code = main(["extract", str(tmp_path / "nope.html"), "--url", "https://example.com/"])
    assert (code, capsys.readouterr().err) == (
        2,
        f"error: extract: cannot read {tmp_path / 'nope.html'}: No such file or directory\n",
    )


def test_relative_url_is_a_usage_error(tmp_path: Path, capsys: Any) -> None:
    """--url must be an absolute http(s) URL."""
    page = tmp_path / "page.html"
    page.write_bytes(PAGE)
    code = main(["extract", str(page), "--url", "/saved"])
    assert (code, capsys.readouterr().err) == (
        2,
        "error: extract: --url: not an absolute http(s) URL: '/saved'\n",
    )


def test_a_page_with_strict_json_ld_does_not_load_extruct(tmp_path: Path) -> None:
    """Start-up stays light: extruct (which loads every syntax it knows) is imported only
    when a JSON-LD block needs its lenient reader, not for the CLI or a strict block."""
    page = tmp_path / "page.html"
    page.write_bytes(b'<script type="application/ld+json">{"headline": "Strict"}</script>')
    code = (
        "import sys; from ogpreview.cli import main; "
        f"rc = main(['extract', {str(page)!r}, '--url', 'https://example.com/']); "
        "print(rc, 'extruct' in sys.modules, file=sys.stderr)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert (done.stderr.strip(), json.loads(done.stdout)["title"]) == ("0 False", "Strict")


def test_a_png_prints_the_image_card(tmp_path: Path, capsys: Any) -> None:
    """A saved PNG is the image it is, not a page whose description is its bytes."""
    url = "https://example.com/img/photo.png"
    image = tmp_path / "photo.png"
    image.write_bytes((SITE / "wide.png").read_bytes())
    code = main(["extract", str(image), "--url", url])
    card = Card(
        url=url,
        site_name="example.com",
        title="photo.png",
        image=Image(url=url, width=1200, height=630, type="image/png"),
        type="image",
        favicon="https://example.com/favicon.ico",
    )
    assert (code, json.loads(capsys.readouterr().out)) == (0, card.to_dict())
