"""The ``--format html`` page as a person's browser (headless Chromium) shows it: the
verdict buttons filter the links without any script, and the page loads nothing from the
checked sites unless ``--html-images`` asks for their images. A screenshot is saved
under ``artifacts/``."""

from __future__ import annotations

import asyncio
import html
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from ogpreview.cli import main
from tests.conftest import ROOT
from tests.servers import Site, in_thread, site_server
from tests.web.chromium import needs_chromium, run_chromium

pytestmark = needs_chromium

FETCH = ["--allow-network", "127.0.0.0/8", "--allow-port", "any"]
PAGES = ["/check-good.html", "/missing.html", "/check-no-image.html", "/check-medium-image.html"]
ARTIFACTS = ROOT / "artifacts"
#: Tall enough that every card image is near the viewport (lazy images would load).
WINDOW = (900, 3000)

MEASURE = """
<script>
window.addEventListener("load", () => {
  const doc = document.querySelector("iframe").contentDocument;
  const shown = () => [...doc.querySelectorAll("li.link")]
    .filter((li) => doc.defaultView.getComputedStyle(li).display !== "none")
    .map((li) => li.querySelector(".url").textContent);
  const out = {initially: shown()};
  for (const verdict of ["error", "warning", "ok", "all"]) {
    doc.querySelector(`label[for=show-${verdict}]`).click();
    out[verdict] = shown();
  }
  const pre = document.createElement("pre");
  pre.id = "shown";
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
});
</script>
"""


@pytest.fixture
def site() -> Iterator[Site]:
    yield from in_thread(site_server)


def _report(site: Site, tmp_path: Path, capsys: Any, *extra: str) -> Path:
    urls = tmp_path / "urls.txt"
    urls.write_text("".join(site.url(path) + "\n" for path in PAGES))
    main(["check", str(urls), "--format", "html", "--quiet", *extra, *FETCH])
    report = tmp_path / "report.html"
    report.write_text(capsys.readouterr().out)
    return report


async def _shown(report: str) -> dict[str, Any]:
    wrapper = (
        "<!doctype html><html><head><meta charset='utf-8'></head><body>"
        f'<iframe width="880" height="2900" srcdoc="{html.escape(report)}">'
        f"</iframe>{MEASURE}</body></html>"
    )

    async def index(request: web.Request) -> web.Response:
        return web.Response(text=wrapper, content_type="text/html")

    app = web.Application()
    app.router.add_get("/", index)
    runner = web.AppRunner(app)
    await runner.setup()
    server = web.TCPSite(runner, "127.0.0.1", 0)
    await server.start()
    try:
        dom = await run_chromium(
            f"http://127.0.0.1:{runner.addresses[0][1]}/", "--dump-dom", window=WINDOW
        )
    finally:
        await runner.cleanup()
    start = dom.index('<pre id="shown">') + len('<pre id="shown">')
    shown: dict[str, Any] = json.loads(html.unescape(dom[start : dom.index("</pre>", start)]))
    return shown


def test_verdict_buttons_filter_the_links(site: Site, tmp_path: Path, capsys: Any) -> None:
    """All links show at first; each button shows only the links of its verdict."""
    report = _report(site, tmp_path, capsys)
    good, missing, no_image, medium = (site.url(path) for path in PAGES)
    assert asyncio.run(_shown(report.read_text())) == {
        "initially": [good, missing, no_image, medium],
        "error": [missing],
        "warning": [no_image],
        "ok": [good, medium],
        "all": [good, missing, no_image, medium],
    }


def test_opened_report_loads_nothing_from_the_sites(
    site: Site, tmp_path: Path, capsys: Any
) -> None:
    """Opening the page (a file, as a person does) sends no request to the checked site:
    its card images stay placeholders. The screenshot shows the page."""
    report = _report(site, tmp_path, capsys)
    before = sum(site.hits.values())
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "check-report.png"
    asyncio.run(run_chromium(report.as_uri(), f"--screenshot={shot}", window=WINDOW))
    asyncio.run(run_chromium(report.as_uri(), "--dump-dom", window=WINDOW))
    assert (sum(site.hits.values()) - before, shot.stat().st_size > 0) == (0, True)


def test_html_images_load_the_card_images(site: Site, tmp_path: Path, capsys: Any) -> None:
    """With --html-images the page shows the card images, from their sites."""
    report = _report(site, tmp_path, capsys, "--html-images")
    before = site.hits.copy()
    asyncio.run(run_chromium(report.as_uri(), "--dump-dom", window=WINDOW))
    loaded = {path: n - before[path] for path, n in site.hits.items() if n > before[path]}
    assert loaded == {"/wide.png": 1, "/card-photo.png": 1}
