"""The HTML card laid out by headless Chromium: every layout holds, light and dark.

The API serves the card pages; a wrapper page on loopback shows each card in a same-origin
``srcdoc`` frame and measures it with a script after load; Chromium's ``--dump-dom`` gives
the measurements back, once with the light and once with the dark colour scheme.
Screenshots of all cards are saved under ``artifacts/`` (``cards.png``, ``cards-dark.png``).
"""

from __future__ import annotations

import asyncio
import html
import json
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from ogpreview.settings import Settings
from ogpreview.web import create_app
from ogpreview.web.render import CARD_WIDTH, LARGE_IMAGE_RATIO, card_height
from tests.web.chromium import ARTIFACTS, needs_chromium, run_chromium
from tests.web_origin import SiteOrigin, site_origin

#: Each page (path on the test site) and the layout its card has.
PAGES = {
    "/card-normal.html": "large",
    "/card-long-title.html": "large",
    "/card-long-text.html": "large",
    "/card-rtl.html": "large",
    "/card-small.html": "small",
    "/card-no-image.html": "text",
    "/card-photo.png": "image",
    "/status/500": "text",
}
WINDOW = (1180, 1900)
FRAME_WIDTH = 560
FRAME_HEIGHT = 440
THUMBNAIL = 96
#: The card's own background and default accent, light and dark (render.CARD_CSS).
BACKGROUND = {"light": "rgb(255, 255, 255)", "dark": "rgb(28, 33, 40)"}
DEFAULT_ACCENT = {"light": "rgb(140, 149, 159)", "dark": "rgb(101, 108, 118)"}
WHITE = "rgb(255, 255, 255)"

pytestmark = needs_chromium

MEASURE = """
<script>
window.addEventListener("load", () => {
  const out = {};
  const rect = (el) => { if (!el) return null; const r = el.getBoundingClientRect();
    return {x: r.x, y: r.y, width: r.width, height: r.height}; };
  for (const frame of document.querySelectorAll("iframe")) {
    const doc = frame.contentDocument;
    const view = doc.defaultView;
    const card = doc.querySelector(".ogp-card");
    const title = doc.querySelector(".ogp-title");
    const img = doc.querySelector(".ogp-image img");
    const icon = doc.querySelector(".ogp-icon");
    const style = view.getComputedStyle(card);
    out[frame.dataset.page] = {
      scrollWidth: doc.documentElement.scrollWidth,
      clientWidth: doc.documentElement.clientWidth,
      layout: card.className.replace("ogp-card ogp-", ""),
      card: rect(card),
      cardScrollWidth: card.scrollWidth,
      cardClientWidth: card.clientWidth,
      title: rect(title),
      titleText: title.textContent,
      text: rect(doc.querySelector(".ogp-text")),
      site: rect(doc.querySelector(".ogp-site span")),
      titleLineHeight: parseFloat(view.getComputedStyle(title).lineHeight),
      direction: style.direction,
      borderLeft: style.borderLeftWidth,
      borderRight: style.borderRightWidth,
      accent: style.direction === "rtl" ? style.borderRightColor : style.borderLeftColor,
      background: style.backgroundColor,
      image: rect(doc.querySelector(".ogp-image")),
      img: rect(img),
      imageLoaded: img ? img.complete && img.naturalWidth > 0 : null,
      iconLoaded: icon ? icon.complete && icon.naturalWidth > 0 : null,
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
        response = await api.get("/v1/card", params={"url": origin.url(page)})
        assert response.status == 200, await response.text()
        card_html = await response.text()
        frames.append(
            f'<iframe data-page="{page}" width="{FRAME_WIDTH}" height="{FRAME_HEIGHT}" '
            f'style="border:0" srcdoc="{html.escape(card_html)}"></iframe>'
        )
    wrapper = (
        "<!doctype html><html><head><meta charset='utf-8'>"
        "<meta name='color-scheme' content='light dark'></head>"
        "<body style='margin:8px;display:grid;grid-template-columns:repeat(2,560px);gap:8px'>"
        + "".join(frames)
        + (MEASURE if measure else "")
        + "</body></html>"
    )

    async def index(request: web.Request) -> web.Response:
        return web.Response(text=wrapper, content_type="text/html")

    async def image(request: web.Request) -> web.Response:
        # The cards load their images from /v1/image on "their" origin: pass it to the API.
        response = await api.get("/v1/image", params=request.query)
        return web.Response(
            status=response.status, body=await response.read(), content_type=response.content_type
        )

    app = web.Application()
    app.router.add_get("/", index)
    app.router.add_get("/v1/image", image)
    return app


@pytest.fixture(scope="module")
def layouts() -> dict[str, Any]:
    """Measure every card light and dark, and take both screenshots (four Chromium runs)."""

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
                        for scheme, flags in (("light", ()), ("dark", ("--force-dark-mode",))):
                            if measure_it:
                                dom = await run_chromium(url, "--dump-dom", *flags, window=WINDOW)
                                start = dom.index('<pre id="layout">') + len('<pre id="layout">')
                                results[scheme] = json.loads(
                                    html.unescape(dom[start : dom.index("</pre>")])
                                )
                            else:
                                name = "cards.png" if scheme == "light" else "cards-dark.png"
                                shot = ARTIFACTS / name
                                ARTIFACTS.mkdir(exist_ok=True)
                                await run_chromium(
                                    url, f"--screenshot={shot}", *flags, window=WINDOW
                                )
                                results[f"_screenshot_{scheme}"] = shot
                    finally:
                        await runner.cleanup()
                return results

    return asyncio.run(measure())


SCHEMES = ("light", "dark")
CASES = [(scheme, page) for scheme in SCHEMES for page in PAGES]


@pytest.mark.parametrize(("scheme", "page"), CASES)
def test_card_has_no_horizontal_overflow(layouts: dict[str, Any], scheme: str, page: str) -> None:
    """Neither the page nor the card scrolls sideways, and the card keeps its max width."""
    m = layouts[scheme][page]
    assert m["scrollWidth"] <= m["clientWidth"]
    assert m["cardScrollWidth"] <= m["cardClientWidth"]
    assert m["card"]["width"] <= CARD_WIDTH


@pytest.mark.parametrize(("scheme", "page"), CASES)
def test_title_clamped_to_two_lines(layouts: dict[str, Any], scheme: str, page: str) -> None:
    """A title, even 2,000 characters long, takes at most two lines."""
    m = layouts[scheme][page]
    assert 0 < m["title"]["height"] <= 2 * m["titleLineHeight"] + 0.5


@pytest.mark.parametrize(("scheme", "page"), CASES)
def test_layout_and_height_as_announced(layouts: dict[str, Any], scheme: str, page: str) -> None:
    """Each card has the layout its image calls for, and is no taller than the height the
    oEmbed answer announces for that layout."""
    m = layouts[scheme][page]
    layout = PAGES[page]
    assert m["layout"] == ("image-link" if layout == "image" else layout)
    assert m["card"]["height"] <= card_height(layout)


@pytest.mark.parametrize("scheme", SCHEMES)
def test_announced_height_is_the_tallest_card(layouts: dict[str, Any], scheme: str) -> None:
    """A card with every line at its longest is as tall as the oEmbed height says."""
    height = layouts[scheme]["/card-long-text.html"]["card"]["height"]
    assert card_height("large") - 1 < height <= card_height("large")


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("page", [p for p, layout in PAGES.items() if layout != "text"])
def test_image_box_fixed(layouts: dict[str, Any], scheme: str, page: str) -> None:
    """A thumbnail sits in a fixed 96x96 box; a large image spans the card at 1.91:1;
    either way the image fills its box and is loaded through the proxy."""
    m = layouts[scheme][page]
    box = m["image"]
    if PAGES[page] == "small":
        assert (box["width"], box["height"]) == (THUMBNAIL, THUMBNAIL)
    else:
        assert box["width"] == m["card"]["width"] - 5  # inside the 1 px and 4 px borders
        assert abs(box["height"] - box["width"] / LARGE_IMAGE_RATIO) < 1
    assert m["img"] == box
    assert m["imageLoaded"] is True


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("page", [p for p, layout in PAGES.items() if layout == "text"])
def test_page_without_image_has_no_box(layouts: dict[str, Any], scheme: str, page: str) -> None:
    """A card without an image (or of a page that failed) shows no empty image box."""
    assert layouts[scheme][page]["image"] is None


def test_rtl_card_is_mirrored(layouts: dict[str, Any]) -> None:
    """An Arabic page's card runs right to left: its accent on the right, its text there."""
    m = layouts["light"]["/card-rtl.html"]
    assert (m["direction"], m["borderRight"], m["borderLeft"]) == ("rtl", "4px", "1px")
    assert abs((m["title"]["x"] + m["title"]["width"]) - (m["text"]["x"] + m["text"]["width"])) < 13


def test_ltr_card_keeps_its_accent_on_the_left(layouts: dict[str, Any]) -> None:
    """The mirror image of the RTL case: an English card's accent is on the left."""
    m = layouts["light"]["/card-normal.html"]
    assert (m["direction"], m["borderLeft"], m["borderRight"]) == ("ltr", "4px", "1px")


@pytest.mark.parametrize("scheme", SCHEMES)
def test_dark_mode_follows_the_colour_scheme(layouts: dict[str, Any], scheme: str) -> None:
    """Every card takes the scheme's background (prefers-color-scheme)."""
    assert {m["background"] for m in layouts[scheme].values()} == {BACKGROUND[scheme]}


def test_white_theme_colour_cannot_vanish(layouts: dict[str, Any]) -> None:
    """A page's white theme colour is not drawn on the white card (the default accent is),
    but is on the dark one, where it shows."""
    light, dark = (layouts[s]["/card-small.html"]["accent"] for s in SCHEMES)
    assert (light, dark) == (DEFAULT_ACCENT["light"], WHITE)


def test_favicon_and_shortened_title(layouts: dict[str, Any]) -> None:
    """The site line's favicon loads through the proxy; the title drops "| Example News"."""
    m = layouts["light"]["/card-small.html"]
    assert (m["iconLoaded"], m["titleText"]) == (True, "Tide tables for May")


def test_missing_favicon_leaves_no_icon_sized_gap(layouts: dict[str, Any]) -> None:
    """A favicon that does not load (this site has no /favicon.ico) takes no room: the site
    name starts at most its 6 px margin after the title's edge (a loaded one takes 22)."""
    missing, loaded = (layouts["light"][p] for p in ("/card-normal.html", "/card-small.html"))
    assert (missing["iconLoaded"], missing["site"]["x"] - missing["title"]["x"]) == (False, 6)
    assert (loaded["iconLoaded"], loaded["site"]["x"] - loaded["title"]["x"]) == (True, 22)


def test_failed_page_is_a_plain_link(layouts: dict[str, Any]) -> None:
    """A page answering 500 still shows a card: its URL, as a link."""
    assert layouts["light"]["/status/500"]["titleText"].endswith("/status/500")


@pytest.mark.parametrize("scheme", SCHEMES)
def test_screenshot_saved(layouts: dict[str, Any], scheme: str) -> None:
    """Screenshots of all the cards are kept under artifacts/ for review."""
    assert layouts[f"_screenshot_{scheme}"].read_bytes().startswith(b"\x89PNG")
