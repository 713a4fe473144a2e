"""The debugger's page and files: served under a strict CSP, off with API keys unless asked,
and shipped in the package (the Chromium tests show it working)."""

from __future__ import annotations

import html.parser
import json
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from ogpreview.check.help import FIXES
from ogpreview.settings import Settings, __version__
from ogpreview.web.debugger import DEBUGGER_CSP
from ogpreview.web.render import CARD_CSS
from tests.conftest import ROOT
from tests.service import BASE, api

STATIC = ROOT / "ogpreview" / "web" / "static"


class Tags(html.parser.HTMLParser):
    """Every start tag with its attributes, and the text of each <script>."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"
        if self._in_script:
            self.scripts.append("")

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.scripts[-1] += data


def parse(page: str) -> Tags:
    tags = Tags()
    tags.feed(page)
    return tags


async def test_page_is_served_with_a_strict_policy() -> None:
    """GET / is the debugger, with a CSP allowing only its own script, styles and images."""
    async with api() as client:
        response = await client.get("/")
        assert response.status == 200
        assert response.content_type == "text/html"
        assert response.headers["Content-Security-Policy"] == DEBUGGER_CSP
        assert (response.headers["X-Frame-Options"], response.headers["Referrer-Policy"]) == (
            "DENY",
            "no-referrer",
        )
    assert DEBUGGER_CSP == (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
        "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    )


async def test_page_has_no_inline_script_nor_foreign_source() -> None:
    """One script file of its own plus a JSON data block; no handlers, styles or URLs
    from anywhere else."""
    async with api() as client:
        page = await (await client.get("/")).text()
    tags = parse(page)
    scripts = [attrs for tag, attrs in tags.tags if tag == "script"]
    assert scripts == [
        {"type": "application/json", "id": "ogp-config"},
        {"src": f"/debugger/debugger.js?v={__version__}", "defer": None},
    ]
    for _, attrs in tags.tags:
        assert not [name for name in attrs if name.startswith("on") or name == "style"]
        for name in ("src", "href", "action"):
            value = attrs.get(name) or ""
            assert not value or value.startswith(("/", "#")), value


async def test_page_config_carries_the_advice() -> None:
    """The data block says whether a key is needed and how to fix each finding."""
    async with api() as client:
        page = await (await client.get("/")).text()
    config = json.loads(parse(page).scripts[0])
    assert config == {"auth": False, "fixes": dict(FIXES), "version": __version__}
    assert "<" not in parse(page).scripts[0]  # a "</script" in advice could not end the block


@pytest.mark.parametrize(
    ("name", "kind"),
    [("debugger.js", "text/javascript"), ("debugger.css", "text/css"), ("card.css", "text/css")],
)
async def test_assets_are_served(name: str, kind: str) -> None:
    """The script and styles come from the package; card.css is the card's own CSS."""
    async with api() as client:
        response = await client.get(f"/debugger/{name}")
        body = await response.text()
        assert (response.status, response.content_type) == (200, kind)
        assert response.headers["X-Content-Type-Options"] == "nosniff"
    expected = CARD_CSS if name == "card.css" else (STATIC / name).read_text(encoding="utf-8")
    assert body == expected


async def test_unknown_asset_is_json_404() -> None:
    """A file the debugger does not have is the API's JSON 404."""
    async with api() as client:
        response = await client.get("/debugger/debugger.html")
        assert response.status == 404
        assert await response.json() == {
            "error": {"code": "not_found", "message": "no route /debugger/debugger.html"}
        }


@pytest.mark.parametrize("path", ["/", "/debugger/debugger.js"])
async def test_off_when_api_keys_are_set(path: str) -> None:
    """With API keys and no OGPREVIEW_DEBUGGER=1, the debugger is not served."""
    async with api(BASE.replace(api_keys=("k",))) as client:
        response = await client.get(path)
        assert response.status == 404
        assert await response.json() == {
            "error": {
                "code": "not_found",
                "message": "the debugger is off (API keys are set; OGPREVIEW_DEBUGGER=1 serves it)",
            }
        }


async def test_on_with_api_keys_when_asked_and_then_asks_for_a_key() -> None:
    """OGPREVIEW_DEBUGGER=1 serves it with keys on; the page knows to ask for a key, and
    the API it calls still needs one."""
    async with api(BASE.replace(api_keys=("k",), debugger=True)) as client:
        page = await (await client.get("/")).text()
        unauthorised = await client.get("/v1/preview", params={"url": "http://x/"})
        assert unauthorised.status == 401
    assert json.loads(parse(page).scripts[0])["auth"] is True


async def test_off_when_switched_off() -> None:
    """OGPREVIEW_DEBUGGER=0 switches it off even without keys."""
    async with api(BASE.replace(debugger=False)) as client:
        assert (await client.get("/")).status == 404


@pytest.mark.parametrize(
    ("env", "on"),
    [
        ({}, True),
        ({"OGPREVIEW_API_KEYS": "k"}, False),
        ({"OGPREVIEW_API_KEYS": "k", "OGPREVIEW_DEBUGGER": "1"}, True),
        ({"OGPREVIEW_DEBUGGER": "0"}, False),
        ({"OGPREVIEW_API_KEYS": "k", "OGPREVIEW_DEBUGGER": ""}, False),
    ],
)
def test_debugger_setting_from_env(env: dict[str, str], on: bool) -> None:
    """OGPREVIEW_DEBUGGER decides; unset (or empty), it follows whether keys are set."""
    assert Settings.from_env(env).debugger_on is on


def test_script_builds_no_markup_from_strings() -> None:
    """The script never parses strings as HTML or code (page values stay text)."""
    script = (STATIC / "debugger.js").read_text(encoding="utf-8")
    forbidden = (
        r"innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function"
        r"|setAttribute\(\"on|setTimeout\(\""
    )
    assert re.findall(forbidden, script) == []


def test_static_files_ship_in_the_wheel(tmp_path: Path) -> None:
    """The built wheel holds the page, the script and the styles (package-data)."""
    source = tmp_path / "source"  # a copy: building leaves build/ behind it
    shutil.copytree(
        ROOT / "ogpreview", source / "ogpreview", ignore=shutil.ignore_patterns("__pycache__")
    )
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(tmp_path), str(source)],
        check=True,
        capture_output=True,
    )  # fmt: skip
    (wheel,) = tmp_path.glob("ogpreview-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {f"ogpreview/web/static/{p.name}" for p in STATIC.iterdir()} <= names
    assert {p.name for p in STATIC.iterdir()} == {
        "debugger.html",
        "debugger.js",
        "debugger.css",
        "logo.png",
    }
