"""The debugger in headless Chromium, under its real Content-Security-Policy.

The service runs on loopback with the test site beside it; Chromium opens ``/?url=...``
for each page variant (light and dark, left-to-right and right-to-left, wide and narrow),
waits for the page's scripts to draw the answer, and a measuring script run over the
DevTools protocol (outside the page's CSP) reads the layout back. The keyboard is driven
the same way. Screenshots of each variant's cards go to ``artifacts/debugger-*.png``.
"""

from __future__ import annotations

import asyncio
import html
import json
from typing import Any
from urllib.parse import urlencode

import pytest
from aiohttp.test_utils import TestClient, TestServer

from ogpreview.check.help import FIXES
from ogpreview.web import create_app
from tests.service import BASE
from tests.web.chromium import ARTIFACTS, Tab, browser_tab, needs_chromium, run_chromium
from tests.web_origin import SiteOrigin, site_origin

pytestmark = needs_chromium

#: Each variant: the page on the test site, dark mode, the viewport's width.
VARIANTS = {
    "normal": ("/card-normal.html", False, 1200),
    "small": ("/card-small.html", False, 1200),
    "long-title": ("/card-long-title.html", False, 1200),
    "rtl": ("/card-rtl.html", False, 1200),
    "no-image": ("/card-no-image.html", False, 1200),
    "image-link": ("/card-photo.png", False, 1200),
    "hostile": ("/card-script-title.html", False, 1200),
    "dark": ("/card-normal.html", True, 1200),
    "dark-rtl": ("/card-rtl.html", True, 1200),
    "narrow": ("/card-small.html", False, 390),
    "failed": ("/status/404", False, 1200),
}
PLATFORMS = ("ogpreview", "chatgpt", "slack", "discord", "x", "imessage", "linkedin")
NAMES = ["ogpreview", "ChatGPT", "Slack", "Discord", "X", "iMessage", "LinkedIn"]
#: Each platform's thumbnail box (width, height), whatever the image's own size.
THUMBNAILS = {
    "ogpreview": (96, 96),
    "chatgpt": (64, 64),
    "slack": (80, 80),
    "discord": (80, 80),
    "x": (130, 130),
    "imessage": (40, 40),
    "linkedin": (128, 72),
}
LARGE_RATIO = 1.91
HEIGHT = 1400

# Installed before any of the page's own scripts: records what the CSP refused.
WATCH = """
window.__violations = [];
document.addEventListener("securitypolicyviolation",
  (e) => window.__violations.push(e.violatedDirective + " " + e.blockedURI));
window.__dialogs = 0;
"""
# The next finished answer: the status line says so once the page has drawn it.
NEXT = """window.__next = new Promise((resolve) => {
  const status = document.getElementById("status");
  const watch = new MutationObserver(() => {
    const text = status.textContent;
    if (/^(Preview of|The link does not preview|An API key is needed)/.test(text)) {
      watch.disconnect(); resolve(text);
    }
  });
  watch.observe(status, {childList: true, characterData: true, subtree: true});
}); true"""
# Drawn: results shown, not busy, the three answers in, every image loaded or failed.
READY = """new Promise((resolve) => {
  const done = () => { const r = document.getElementById("results");
    return r && !r.hidden && !r.hasAttribute("aria-busy") &&
      [...document.querySelectorAll("#answers pre")].every((p) => p.textContent !== "Loading…"); };
  const images = () => Promise.all([...document.images].map((i) => i.complete ? 1 :
      new Promise((r) => { i.addEventListener("load", r); i.addEventListener("error", r); })));
  const finish = () => images().then(() => resolve(true));
  if (done()) return finish();
  const watch = new MutationObserver(() => { if (done()) { watch.disconnect(); finish(); } });
  watch.observe(document.body, {subtree: true, childList: true, attributes: true,
    characterData: true});
})"""
MEASURE = """(() => {
  const rect = (el) => { if (!el) return null; const r = el.getBoundingClientRect();
    return {x: r.x, y: r.y, width: r.width, height: r.height}; };
  const out = {};
  for (const fig of document.querySelectorAll("#cards .pf-figure")) {
    const frame = fig.querySelector(".pf-frame");
    const card = frame.firstElementChild;
    const f = frame.getBoundingClientRect();
    const outside = [...card.querySelectorAll("*")].filter((el) => {
      const r = el.getBoundingClientRect();
      return r.width > 0 && (r.left < f.left - 0.5 || r.right > f.right + 0.5); })
      .map((el) => el.className);
    const title = card.querySelector(".pf-overlay") || card.querySelector(".pf-title, .ogp-title");
    const style = getComputedStyle(title);
    const box = card.querySelector(".pf-thumb, .pf-large, .ogp-image");
    const img = box && box.querySelector("img");
    out[fig.dataset.platform] = {
      layout: fig.dataset.layout,
      direction: getComputedStyle(card).direction,
      overflow: card.scrollWidth > card.clientWidth + 0.5
        || frame.scrollWidth > frame.clientWidth + 0.5,
      outside,
      title: rect(title),
      lineHeight: parseFloat(style.lineHeight),
      lines: style.webkitLineClamp === "none" ? 1 : parseInt(style.webkitLineClamp, 10),
      box: rect(box), img: rect(img), imgLoaded: img ? img.complete && img.naturalWidth > 0 : null,
      text: rect(card.querySelector(".pf-text, .ogp-text")),
      background: getComputedStyle(card.querySelector(".ogp-card") || card).backgroundColor,
    };
  }
  const root = document.documentElement;
  out._page = {overflow: root.scrollWidth > root.clientWidth,
    background: getComputedStyle(root).backgroundColor};
  return out;
})()"""
CONTENT = """(() => ({
  titles: Object.fromEntries([...document.querySelectorAll("#cards .pf-figure")].map((f) =>
    [f.dataset.platform,
     (f.querySelector(".pf-overlay, .pf-title, .ogp-title") || {}).textContent])),
  tags: [...document.querySelectorAll("#tags table[data-group] tbody tr")].map((tr) =>
    [tr.closest("table").dataset.group, tr.cells[0].textContent,
     tr.cells[2].textContent.replace("→ ", ""), tr.className]),
  title: (document.querySelector("#tags dd") || {}).textContent,
  fields: Object.fromEntries([...document.querySelectorAll("#fields tbody tr")].map((tr) =>
    [tr.dataset.field, (tr.cells[2] || {}).textContent])),
  findings: [...document.querySelectorAll("#findings li")].map((li) =>
    [li.querySelector("code").textContent, li.querySelector(".badge").textContent,
     li.querySelector(".fix").textContent]),
  verdict: document.getElementById("verdict").textContent,
  facts: Object.fromEntries([...document.querySelectorAll("#fetch dt")].map((dt) =>
    [dt.textContent, dt.nextElementSibling.textContent])),
  answers: Object.fromEntries([...document.querySelectorAll("#answers pre")].map((p) =>
    [p.id, p.textContent])),
  address: location.search,
  input: document.getElementById("url").value,
  status: document.getElementById("status").textContent,
  images: [...document.images].map((i) => i.getAttribute("src")),
  injected: document.querySelectorAll("#results script, #results img[src='x']").length,
  violations: window.__violations,
}))()"""
ACCESS = """(() => {
  const visible = (e) => e.offsetParent !== null;
  return {
    landmarks: [...document.querySelectorAll("header, main, footer, [role=search], [role=status]")]
      .map((e) => e.tagName.toLowerCase()
        + (e.getAttribute("role") ? "[" + e.getAttribute("role") + "]" : "")),
    live: document.getElementById("status").getAttribute("aria-live"),
    headings: [...document.querySelectorAll("h1, h2")].map((h) => h.tagName + " " + h.textContent),
    unnamed: [...document.querySelectorAll("input, button, a, pre[tabindex]")].filter(visible)
      .filter((e) => !((e.labels && e.labels.length) || e.getAttribute("aria-label")
        || e.textContent.trim()))
      .map((e) => e.outerHTML.slice(0, 80)),
    figures: [...document.querySelectorAll("#cards figure figcaption strong")]
      .map((s) => s.textContent),
    imagesWithoutAlt: [...document.images].filter((i) => !i.hasAttribute("alt")).length,
    headerCells: [...document.querySelectorAll("table")].every((t) => t.querySelector("th[scope]")),
  };
})()"""
FOCUSED = """(() => { const e = document.activeElement;
  return e.id || (e.tagName.toLowerCase() + ":" + e.textContent.trim().slice(0, 40)); })()"""


def debugger_url(base: str, page_url: str) -> str:
    return f"{base}/?{urlencode({'url': page_url})}"


async def next_answer(tab: Tab) -> str:
    text: str = await tab.evaluate("window.__next")
    await tab.evaluate(READY)
    return text


async def variants(tab: Tab, base: str, origin: SiteOrigin) -> dict[str, Any]:
    out: dict[str, Any] = {}
    ARTIFACTS.mkdir(exist_ok=True)
    for name, (page, dark, width) in VARIANTS.items():
        await tab.viewport(width, HEIGHT)
        await tab.dark(dark)
        await tab.goto(debugger_url(base, origin.url(page)))
        await tab.evaluate(READY)
        out[name] = {
            "layout": await tab.evaluate(MEASURE),
            "content": await tab.evaluate(CONTENT),
            "page_url": origin.url(page),
        }
        clip = await tab.evaluate(
            "(() => { const r = document.getElementById('cards').getBoundingClientRect();"
            " return {x: r.x, y: r.y + scrollY, width: r.width, height: r.height}; })()"
        )
        out[name]["shot"] = await tab.screenshot(ARTIFACTS / f"debugger-{name}.png", clip=clip)
        if name == "normal":
            out["access"] = await tab.evaluate(ACCESS)
            out["page_shot"] = await tab.screenshot(ARTIFACTS / "debugger-page.png")
    return out


async def keyboard(tab: Tab, base: str, origin: SiteOrigin) -> dict[str, Any]:
    """Use the page with the keyboard only: Tab through it, type a URL, Enter, Fetch again."""
    await tab.viewport(1200, HEIGHT)
    await tab.dark(False)
    await tab.goto(base + "/")
    out: dict[str, Any] = {"start": await tab.evaluate(FOCUSED), "order": []}
    await tab.press("Tab", shift=True)
    out["before"] = await tab.evaluate(FOCUSED)
    for _ in range(3):
        await tab.press("Tab")
        out["order"].append(await tab.evaluate(FOCUSED))
    await tab.press("Tab", shift=True)
    await tab.press("Tab", shift=True)
    out["back"] = await tab.evaluate(FOCUSED)
    url = origin.url("/article.html")  # a page no other variant has put in the cache
    await tab.type(url)
    await tab.evaluate(NEXT)
    await tab.press("Enter")
    out["first"] = await next_answer(tab)
    out["address"] = await tab.evaluate("location.search")
    await tab.press("Tab")
    await tab.press("Tab")
    out["refetch_focused"] = await tab.evaluate(FOCUSED)
    await tab.evaluate(NEXT)
    await tab.press(" ")
    out["again"] = await next_answer(tab)
    out["hits"] = origin.hits["/article.html"]
    return out


async def with_key(tab: Tab, origin: SiteOrigin) -> dict[str, Any]:
    """With API keys on (and the debugger switched on), the page asks for a key."""
    settings = BASE.replace(api_keys=("right-key",), debugger=True)
    async with TestClient(TestServer(create_app(settings), host="127.0.0.1")) as client:
        base = str(client.make_url("")).rstrip("/")
        await tab.goto(debugger_url(base, origin.url("/card-normal.html")))
        out: dict[str, Any] = {
            "asked": await tab.evaluate("!document.getElementById('key-section').hidden"),
            "focused": await tab.evaluate(FOCUSED),
        }
        await tab.type("wrong-key")
        await tab.evaluate(NEXT)
        await tab.press("Enter")
        out["refused"] = await tab.evaluate("window.__next")
        out["help"] = await tab.evaluate("document.getElementById('key-help').textContent")
        await tab.type("right-key")
        await tab.evaluate(NEXT)
        await tab.press("Enter")
        out["answer"] = await next_answer(tab)
        out["stored"] = await tab.evaluate("sessionStorage.getItem('ogpreview-api-key')")
        out["title"] = await tab.evaluate(
            "document.querySelector('[data-platform=ogpreview] .ogp-title').textContent"
        )
        return out


@pytest.fixture(scope="module")
def browser() -> dict[str, Any]:
    """Every variant, the keyboard walk and the key prompt, in one Chromium."""

    async def run() -> dict[str, Any]:
        app = create_app(BASE)
        async with site_origin() as origin, TestClient(TestServer(app, host="127.0.0.1")) as client:
            base = str(client.make_url("")).rstrip("/")
            async with browser_tab() as tab:
                await tab.call("Page.addScriptToEvaluateOnNewDocument", source=WATCH)
                results = await variants(tab, base, origin)
                results["keyboard"] = await keyboard(tab, base, origin)
                results["key"] = await with_key(tab, origin)
                results["errors"] = list(tab.errors)
            dom = await run_chromium(
                debugger_url(base, origin.url("/card-small.html")), "--dump-dom", window=(1200, 900)
            )
            results["dom"] = html.unescape(dom)
            return results

    return asyncio.run(run())


CASES = [(v, p) for v in VARIANTS if v != "failed" for p in PLATFORMS]


@pytest.mark.parametrize(("variant", "platform"), CASES)
def test_no_overflow(browser: dict[str, Any], variant: str, platform: str) -> None:
    """No platform's card scrolls sideways or pokes out of its frame."""
    m = browser[variant]["layout"][platform]
    assert (m["overflow"], m["outside"]) == (False, [])


@pytest.mark.parametrize("variant", VARIANTS)
def test_page_never_scrolls_sideways(browser: dict[str, Any], variant: str) -> None:
    """The debugger page itself fits its viewport, a 390 px phone's too."""
    assert browser[variant]["layout"]["_page"]["overflow"] is False


@pytest.mark.parametrize(("variant", "platform"), CASES)
def test_titles_clamped(browser: dict[str, Any], variant: str, platform: str) -> None:
    """Each platform's title takes at most its own number of lines, however long."""
    m = browser[variant]["layout"][platform]
    assert 0 < m["title"]["height"] <= m["lines"] * m["lineHeight"] + 0.5


@pytest.mark.parametrize(("variant", "platform"), CASES)
def test_image_boxes_fixed(browser: dict[str, Any], variant: str, platform: str) -> None:
    """A thumbnail has the platform's fixed box, a large image 1.91:1; the image fills it
    and loaded through the proxy; no image, no box."""
    m = browser[variant]["layout"][platform]
    if m["layout"] == "text":
        assert m["box"] is None
        return
    box = m["box"]
    if m["layout"] == "small":
        assert (box["width"], box["height"]) == THUMBNAILS[platform]
    else:
        assert abs(box["height"] - box["width"] / LARGE_RATIO) < 1
    assert (m["img"], m["imgLoaded"]) == (box, True)


@pytest.mark.parametrize(
    ("variant", "layouts"),
    [
        ("normal", ["large", "small", "large", "small", "small", "large", "large"]),
        ("small", ["small"] * 7),
        ("no-image", ["text"] * 7),
        ("image-link", ["image", "small", "large", "large", "large", "large", "large"]),
    ],
)
def test_each_platform_picks_its_layout(
    browser: dict[str, Any], variant: str, layouts: list[str]
) -> None:
    """A 400x200 image with no twitter:card is large in Slack, iMessage and LinkedIn, a
    thumbnail in Discord and X (they want summary_large_image), always one in ChatGPT."""
    measured = browser[variant]["layout"]
    assert [measured[p]["layout"] for p in PLATFORMS] == layouts


@pytest.mark.parametrize("variant", ["rtl", "dark-rtl"])
def test_rtl_variant_is_mirrored(browser: dict[str, Any], variant: str) -> None:
    """Every platform lays an Arabic card out right to left; thumbnails change sides."""
    rtl, ltr = browser[variant]["layout"], browser["normal"]["layout"]
    assert {rtl[p]["direction"] for p in PLATFORMS} == {"rtl"}
    for platform in ("chatgpt", "discord", "x"):
        sides = [m[platform]["box"]["x"] < m[platform]["text"]["x"] for m in (ltr, rtl)]
        assert sides[0] is not sides[1], platform


def test_dark_variant_uses_dark_colours(browser: dict[str, Any]) -> None:
    """prefers-color-scheme: dark darkens the page and the cards."""
    light, dark = browser["normal"]["layout"], browser["dark"]["layout"]
    assert (light["_page"]["background"], dark["_page"]["background"]) == (
        "rgb(246, 248, 250)",
        "rgb(13, 17, 23)",
    )
    assert (light["ogpreview"]["background"], dark["ogpreview"]["background"]) == (
        "rgb(255, 255, 255)",
        "rgb(28, 33, 40)",
    )
    assert (light["discord"]["background"], dark["discord"]["background"]) == (
        "rgb(242, 243, 245)",
        "rgb(43, 45, 49)",
    )


def test_shows_card_tags_sources_and_findings(browser: dict[str, Any]) -> None:
    """After its scripts run, the page shows the cards, the declared tags with the ones
    that gave a value marked, each field's rule, and the findings with their fixes."""
    content = browser["small"]["content"]
    assert content["titles"]["ogpreview"] == "Tide tables for May"
    assert content["titles"]["slack"] == "Tide tables for May | Example News"
    assert ["opengraph", "og:title", "title", "chosen"] in content["tags"]
    assert ["twitter", "twitter:title", "", ""] in content["tags"]
    assert ["jsonld", "NewsArticle", "published_time", "chosen"] in content["tags"]
    assert content["title"] == "Tide tables for May | Example News"
    assert content["fields"]["title"] == "og:title meta:og:title"
    assert content["fields"]["description"] == "the meta description meta:description"
    assert content["findings"] == [
        ["og_description_missing", "▲ Warning", "How to fix: " + FIXES["og_description_missing"]],
        ["image_below_recommended", "ℹ Note", "How to fix: " + FIXES["image_below_recommended"]],
    ]
    assert content["verdict"] == "Verdict: warning (1 warning, 1 note)"


def test_shows_the_fetch_facts(browser: dict[str, Any]) -> None:
    """Requested and final URL, redirects, status, time and cache state are listed."""
    facts = browser["small"]["content"]["facts"]
    url = browser["small"]["page_url"]
    assert (facts["Requested URL"], facts["Final URL"], facts["Redirects"], facts["Status"]) == (
        url,
        url,
        "none",
        "200",
    )
    assert facts["Cache"].startswith("miss: fetched for this request")
    assert facts["Fetch time"].endswith(" ms)") and "Card fetched at" in facts


def test_answers_to_copy(browser: dict[str, Any]) -> None:
    """The JSON, Markdown and oEmbed answers are there to copy."""
    answers = browser["small"]["content"]["answers"]
    url = browser["small"]["page_url"]
    assert json.loads(answers["answer-json"])["url"] == url
    assert answers["answer-markdown"].startswith(
        f"> **Example News**\n> [Tide tables for May]({url})"
    )
    assert json.loads(answers["answer-oembed"])["type"] == "rich"


def test_address_keeps_the_url(browser: dict[str, Any]) -> None:
    """/?url=... opens with that URL previewed and in the box, so it can be shared."""
    content = browser["small"]["content"]
    assert content["address"] == "?" + urlencode({"url": browser["small"]["page_url"]})
    assert content["input"] == browser["small"]["page_url"]


@pytest.mark.parametrize("variant", VARIANTS)
def test_nothing_refused_by_the_policy(browser: dict[str, Any], variant: str) -> None:
    """The page runs under its CSP without one refusal, and loads images only through
    the signed proxy."""
    content = browser[variant]["content"]
    assert content["violations"] == []
    assert all(src.startswith("/v1/image?url=") for src in content["images"])


def test_hostile_page_stays_text(browser: dict[str, Any]) -> None:
    """A title full of markup is shown as text; nothing of it becomes an element."""
    content = browser["hostile"]["content"]
    title = '<script>alert(1)</script> "quoted" [link](javascript:x)'
    assert (content["titles"]["ogpreview"], content["injected"]) == (title, 0)


def test_failed_page(browser: dict[str, Any]) -> None:
    """A page answering 404 gets a plain link card and the error as a finding with its fix."""
    content = browser["failed"]["content"]
    url = browser["failed"]["page_url"]
    assert content["titles"]["ogpreview"] == url
    assert content["findings"] == [
        ["http_status", "✖ Error", "How to fix: " + FIXES["http_status"]]
    ]
    assert content["status"] == "The link does not preview: http_status, the server answered 404."


def test_landmarks_labels_and_live_region(browser: dict[str, Any]) -> None:
    """Landmarks, named controls, a polite live region, captioned figures, alt on images."""
    access = browser["access"]
    assert access["landmarks"] == ["header", "main", "form[search]", "p[status]", "footer"]
    assert access["live"] == "polite"
    assert access["headings"][:3] == [
        "H1 ogpreview preview debugger",
        "H2 API key",
        "H2 How it previews",
    ]
    assert (access["unnamed"], access["imagesWithoutAlt"], access["headerCells"]) == ([], 0, True)
    assert access["figures"] == NAMES


def test_keyboard_only(browser: dict[str, Any]) -> None:
    """The URL box has focus; Tab order is skip link, box, Preview, (Fetch again is off
    until a link is shown) the footer; Enter previews, Space on Fetch again refreshes."""
    keys = browser["keyboard"]
    assert keys["start"] == "url"
    assert keys["before"] == "a:Skip to the results"
    assert (keys["order"], keys["back"]) == (["url", "go", "a:API"], "url")
    assert keys["first"].startswith("Preview of 127.0.0.1 shown (cache miss)")
    assert keys["refetch_focused"] == "refetch"
    assert keys["again"].startswith("Preview of 127.0.0.1 shown (cache miss)")
    assert keys["hits"] == 2


def test_asks_for_a_key_when_keys_are_on(browser: dict[str, Any]) -> None:
    """With keys on, the page asks for one, says when it is refused, then previews with it
    (kept in memory: not stored unless asked)."""
    key = browser["key"]
    assert (key["asked"], key["focused"]) == (True, "key")
    assert key["refused"] == "An API key is needed to preview links here."
    assert key["help"] == "The service refused this key: enter another one."
    assert key["answer"].startswith("Preview of 127.0.0.1 shown")
    assert (key["stored"], key["title"]) == (None, "Harbour lights return to the old port")


def test_dump_dom_after_scripts(browser: dict[str, Any]) -> None:
    """A one-shot --dump-dom run shows the same: card, tags, sources, findings."""
    dom = browser["dom"]
    for expected in (
        '<p class="ogp-title" dir="auto" title="Tide tables for May">Tide tables for May</p>',
        "<code>og:title</code>",
        "meta:og:title",
        "<code>og_description_missing</code>",
    ):
        assert expected in dom


def test_screenshots_saved(browser: dict[str, Any]) -> None:
    """A screenshot per variant and one of the whole page are kept under artifacts/."""
    shots = [browser[v]["shot"] for v in VARIANTS] + [browser["page_shot"]]
    assert all(shot.read_bytes().startswith(b"\x89PNG") for shot in shots)
