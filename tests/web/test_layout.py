"""The HTML card laid out by headless Chromium: layout holds for long, RTL and image-less pages.

The API serves the card pages; a wrapper page on loopback shows each card in a same-origin
``srcdoc`` frame and measures it with a script after load; Chromium's ``--dump-dom`` gives
the measurements back. A screenshot of all cards is saved under ``artifacts/``.
"""

from __future__ import annotations

import asyncio
import html
import json
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from ogpreview.settings import Settings
from ogpreview.web import create_app
from tests.browser import chromium, needs_chromium
from tests.conftest import ROOT
from tests.web_origin import SiteOrigin, site_origin

ARTIFACTS = ROOT / "artifacts"
PAGES = ("card-normal.html", "card-long-title.html", "card-rtl.html", "card-no-image.html")
WINDOW = (600, 720)
FRAME_WIDTH = 560
FRAME_HEIGHT = 160
CARD_MAX_WIDTH = 520
IMAGE_BOX = 96

pytestmark = needs_chromium

MEASURE = """
<script>
window.addEventListener("load", () => {
  const out = {};
  for (const frame of document.querySelectorAll("iframe")) {
    const doc = frame.contentDocument;
    const card = doc.querySelector(".ogp-card");
    const title = doc.querySelector(".ogp-title");
    const box = doc.querySelector(".ogp-image");
    const img = doc.querySelector(".ogp-image img");
    const rect = (el) => { const r = el.getBoundingClientRect();
      return {x: r.x, y: r.y, width: r.width, height: r.height}; };
    out[frame.dataset.page] = {
      scrollWidth: doc.documentElement.scrollWidth,
      clientWidth: doc.documentElement.clientWidth,
      card: rect(card),
      cardScrollWidth: card.scrollWidth,
      cardClientWidth: card.clientWidth,
      title: rect(title),
      titleLineHeight: parseFloat(doc.defaultView.getComputedStyle(title).lineHeight),
      titleDirection: doc.defaultView.getComputedStyle(title).direction,
      image: box ? rect(box) : null,
      imageLoaded: img ? img.complete && img.naturalWidth > 0 : null,
    };
  }
  const pre = document.createElement("pre");
  pre.id = "layout";
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
});
</script>
"""


async def wrapper_app(
    api: TestClient[Any, Any], origin: SiteOrigin, measure: bool
) -> web.Application:
    frames = []
    for page in PAGES:
        response = await api.get("/v1/card", params={"url": origin.url(f"/{page}")})
        assert response.status == 200, await response.text()
        card_html = await response.text()
        frames.append(
            f'<iframe data-page="{page}" width="{FRAME_WIDTH}" height="{FRAME_HEIGHT}" '
            f'style="border:0;display:block" srcdoc="{html.escape(card_html)}"></iframe>'
        )
    wrapper = (
        "<!doctype html><html><head><meta charset='utf-8'></head><body style='margin:8px'>"
        + "".join(frames)
        + (MEASURE if measure else "")
        + "</body></html>"
    )

    async def index(request: web.Request) -> web.Response:
        return web.Response(text=wrapper, content_type="text/html")

    async def image(request: web.Request) -> web.Response:
        # The cards load their image from /v1/image on "their" origin: pass it to the API.
        response = await api.get("/v1/image", params=request.query)
        return web.Response(
            status=response.status, body=await response.read(), content_type=response.content_type
        )

    app = web.Application()
    app.router.add_get("/", index)
    app.router.add_get("/v1/image", image)
    return app


@pytest.fixture(scope="module")
def layout_and_screenshot() -> dict[str, Any]:
    """Measure the four cards once (two Chromium runs) for all the tests below."""

    async def measure() -> dict[str, Any]:
        async with site_origin() as origin:
            settings = Settings(
                allow_networks=("127.0.0.0/8",), allowed_ports=None, secret="s", rate_limit=0
            )
            async with TestClient(TestServer(create_app(settings), host="127.0.0.1")) as api:
                results: dict[str, Any] = {}
                for measure_it in (True, False):
                    runner = web.AppRunner(await wrapper_app(api, origin, measure_it))
                    await runner.setup()
                    site = web.TCPSite(runner, "127.0.0.1", 0)
                    await site.start()
                    url = f"http://127.0.0.1:{runner.addresses[0][1]}/"
                    try:
                        if measure_it:
                            dom = await chromium(url, "--dump-dom", window=WINDOW)
                            start = dom.index('<pre id="layout">') + len('<pre id="layout">')
                            results = json.loads(html.unescape(dom[start : dom.index("</pre>")]))
                        else:
                            ARTIFACTS.mkdir(exist_ok=True)
                            shot = ARTIFACTS / "cards.png"
                            await chromium(url, f"--screenshot={shot}", window=WINDOW)
                            results["_screenshot"] = str(shot)
                    finally:
                        await runner.cleanup()
                return results

    return asyncio.run(measure())


@pytest.mark.parametrize("page", PAGES)
def test_card_has_no_horizontal_overflow(layout_and_screenshot: dict[str, Any], page: str) -> None:
    """Neither the page nor the card scrolls sideways, and the card keeps its max width."""
    m = layout_and_screenshot[page]
    assert m["scrollWidth"] <= m["clientWidth"]
    assert m["cardScrollWidth"] <= m["cardClientWidth"]
    assert m["card"]["width"] <= CARD_MAX_WIDTH


@pytest.mark.parametrize("page", PAGES)
def test_title_clamped_to_two_lines(layout_and_screenshot: dict[str, Any], page: str) -> None:
    """A title, even 2,000 characters long, takes at most two lines."""
    m = layout_and_screenshot[page]
    assert 0 < m["title"]["height"] <= 2 * m["titleLineHeight"] + 0.5


@pytest.mark.parametrize("page", ("card-normal.html", "card-long-title.html", "card-rtl.html"))
def test_image_box_fixed(layout_and_screenshot: dict[str, Any], page: str) -> None:
    """The image sits in a fixed 96x96 box, loaded through the proxy."""
    m = layout_and_screenshot[page]
    assert (m["image"]["width"], m["image"]["height"]) == (IMAGE_BOX, IMAGE_BOX)
    assert m["imageLoaded"] is True


def test_page_without_image_has_no_box(layout_and_screenshot: dict[str, Any]) -> None:
    """A card without an image shows no empty image box."""
    assert layout_and_screenshot["card-no-image.html"]["image"] is None


def test_rtl_title_runs_right_to_left(layout_and_screenshot: dict[str, Any]) -> None:
    """dir="auto" makes an Arabic title right-to-left."""
    assert layout_and_screenshot["card-rtl.html"]["titleDirection"] == "rtl"


def test_screenshot_saved(layout_and_screenshot: dict[str, Any]) -> None:
    """A screenshot of the four cards is kept under artifacts/ for review."""
    shot = Path(layout_and_screenshot["_screenshot"])
    assert shot.read_bytes().startswith(b"\x89PNG")
