// The ogpreview preview debugger. No build step, no dependencies, no eval: the page is
// built with DOM calls, and everything that comes from a page (titles, descriptions, tag
// values) is set as text, never as markup. Images are only the signed /v1/image URLs
// the API hands out.
"use strict";

(() => {
  const config = JSON.parse(document.getElementById("ogp-config").textContent);
  const $ = (id) => document.getElementById(id);
  const KEY_STORAGE = "ogpreview-api-key";
  const PROXY_PREFIX = "/v1/image?";
  const HTTP_URL = /^https?:\/\//i;

  let apiKey = null;
  try {
    apiKey = window.sessionStorage.getItem(KEY_STORAGE);
  } catch (_) {
    apiKey = null; // storage switched off: the key lives in memory only
  }
  let current = null; // the URL on show
  let pending = null; // a URL waiting for a key
  let generation = 0; // answers to an older lookup are dropped

  // --- DOM helpers ------------------------------------------------------------------------

  const ATTRIBUTES = new Set([
    "id", "role", "dir", "lang", "title", "alt", "width", "height", "loading", "scope", "colspan",
    "tabindex", "datetime", "type", "referrerpolicy", "data-platform", "data-layout",
    "data-field", "data-group", "aria-label", "aria-labelledby", "aria-describedby",
    "aria-live", "aria-hidden",
  ]);

  // h("p", {class: "x", text: "..."}, child, ...): children are nodes or plain text.
  function h(tag, props, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(props || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (name === "class") node.className = value;
      else if (name === "text") node.textContent = String(value);
      else if (ATTRIBUTES.has(name)) node.setAttribute(name, String(value));
      else throw new Error("h(): unexpected attribute " + name);
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : String(child));
    }
    return node;
  }

  // A link to a page: only http(s) URLs become links; anything else is shown as text.
  // ``text`` undefined shows the URL; null leaves the link empty (to hold a card).
  function link(url, text, props) {
    if (typeof url !== "string" || !HTTP_URL.test(url)) {
      return h(text === null ? "div" : "span", {...props, text: text === null ? null : text || url || ""});
    }
    const a = h("a", props, text === undefined ? url : text);
    a.href = url;
    a.target = "_blank";
    a.rel = "noopener noreferrer nofollow";
    a.referrerPolicy = "no-referrer";
    return a;
  }

  // An image through the service's signed proxy; any other source is refused.
  function proxied(src, props) {
    if (typeof src !== "string" || !src.startsWith(PROXY_PREFIX)) return null;
    const img = h("img", {alt: "", referrerpolicy: "no-referrer", ...props});
    img.src = src;
    img.decoding = "async";
    img.addEventListener("error", () => img.classList.add("failed")); // no broken-image mark
    return img;
  }

  function clip(text, limit) {
    if (!text) return "";
    const chars = Array.from(text);
    return chars.length <= limit ? text : chars.slice(0, limit - 1).join("").trimEnd() + "…";
  }

  function clear(node) {
    node.replaceChildren();
    return node;
  }

  function say(text) {
    $("status").textContent = text;
  }

  // --- the API ----------------------------------------------------------------------------

  class ApiFailure extends Error {
    constructor(status, body, fallback) {
      const error = body && body.error ? body.error : {};
      super(error.message || fallback);
      this.status = status;
      this.code = error.code || "http_error";
      this.body = body;
      this.upstream = error.status;
    }
  }

  async function call(path, params, as) {
    const headers = {Accept: as === "text" ? "text/markdown, application/json" : "application/json"};
    if (apiKey) headers.Authorization = "Bearer " + apiKey;
    const response = await fetch(path + "?" + new URLSearchParams(params), {
      headers, credentials: "omit", cache: "no-store", referrerPolicy: "no-referrer",
    });
    const text = await response.text();
    let body = null;
    try {
      body = JSON.parse(text);
    } catch (_) {
      body = null;
    }
    if (!response.ok) throw new ApiFailure(response.status, body, response.statusText || "request failed");
    return as === "text" ? text : body;
  }

  // --- the key ------------------------------------------------------------------------------

  function askForKey(message) {
    const section = $("key-section");
    section.hidden = false;
    if (message) $("key-help").textContent = message;
    $("forget").hidden = !apiKey;
    $("key").focus();
  }

  function setUpKey() {
    if (!config.auth) return;
    $("key-section").hidden = false;
    $("forget").hidden = !apiKey;
    $("key-form").addEventListener("submit", (event) => {
      event.preventDefault();
      apiKey = $("key").value.trim() || null;
      $("key").value = "";
      try {
        if (apiKey && $("remember").checked) window.sessionStorage.setItem(KEY_STORAGE, apiKey);
        else window.sessionStorage.removeItem(KEY_STORAGE);
      } catch (_) {
        // no storage: memory only
      }
      $("forget").hidden = !apiKey;
      say(apiKey ? "Key set." : "Key cleared.");
      const url = pending || current;
      pending = null;
      if (url) show(url, false);
      else $("url").focus();
    });
    $("forget").addEventListener("click", () => {
      apiKey = null;
      try {
        window.sessionStorage.removeItem(KEY_STORAGE);
      } catch (_) {
        // nothing stored
      }
      $("forget").hidden = true;
      say("Key forgotten.");
      $("key").focus();
    });
  }

  // --- what each platform shows -------------------------------------------------------------

  function viewOf(data) {
    const look = data.explain.look;
    const image = data.image || {};
    return {
      url: data.url,
      title: data.title || data.url,
      shownTitle: look.title,
      siteName: data.site_name,
      site: look.site,
      domain: look.domain,
      description: data.description || "",
      image: look.image_src,
      imageAlt: image.alt || "",
      favicon: look.favicon_src,
      layout: look.layout,
      dir: look.direction,
      accentLight: look.accent_light,
      accentDark: look.accent_dark,
      twitterCard: data.twitter_card,
    };
  }

  function plainView(url) {
    let host = url;
    try {
      host = new URL(url).hostname.replace(/^www\./, "");
    } catch (_) {
      host = url;
    }
    return {
      url, title: url, shownTitle: url, siteName: null, site: host, domain: host,
      description: "", image: null, imageAlt: "", favicon: null, layout: "text", dir: "ltr",
      accentLight: null, accentDark: null, twitterCard: null,
    };
  }

  function wideOrSmall(v) {
    if (!v.image) return "text";
    return v.layout === "image" ? "large" : v.layout;
  }

  function byTwitterCard(v) {
    if (!v.image) return "text";
    return v.layout === "image" || v.twitterCard === "summary_large_image" ? "large" : "small";
  }

  function imageBox(v, className) {
    const img = proxied(v.image, {alt: v.imageAlt});
    return img ? h("div", {class: className}, img) : null;
  }

  function siteLine(v, className, withIcon) {
    const icon = withIcon ? proxied(v.favicon, {class: "pf-icon"}) : null;
    return h("div", {class: className}, icon, h("span", {dir: "auto", text: v.site}));
  }

  const PLATFORMS = [
    {
      id: "chatgpt", name: "ChatGPT",
      note: "Thumbnail only; favicon and site name, title on two lines, description on two.",
      layout: (v) => (v.image ? "small" : "text"),
      draw(v, layout) {
        return [
          h("div", {class: "pf-text"},
            siteLine(v, "pf-site", true),
            link(v.url, v.title, {class: "pf-title", dir: "auto"}),
            v.description ? h("p", {class: "pf-desc", dir: "auto", text: clip(v.description, 300)}) : null),
          layout === "small" ? imageBox(v, "pf-thumb") : null,
        ];
      },
    },
    {
      id: "slack", name: "Slack",
      note: "Large image when wide (400 px and wider than tall), else a thumbnail; the description is cut near 300 characters.",
      layout: wideOrSmall,
      draw(v, layout) {
        return [
          h("div", {class: "pf-bar", "aria-hidden": "true"}),
          h("div", {class: "pf-body"},
            h("div", {class: "pf-row"},
              h("div", {class: "pf-text"},
                siteLine(v, "pf-site", true),
                link(v.url, v.title, {class: "pf-title", dir: "auto"}),
                v.description ? h("p", {class: "pf-desc", dir: "auto", text: clip(v.description, 300)}) : null),
              layout === "small" ? imageBox(v, "pf-thumb") : null),
            layout === "large" ? imageBox(v, "pf-large") : null),
        ];
      },
    },
    {
      id: "discord", name: "Discord",
      note: "Large image only for twitter:card=summary_large_image, else a thumbnail; the bar takes the theme colour; title cut at 256 characters, description at 350.",
      layout: byTwitterCard,
      accent: true,
      draw(v, layout) {
        return [
          h("div", {class: "pf-row"},
            h("div", {class: "pf-text"},
              h("div", {class: "pf-site", dir: "auto", text: v.site}),
              link(v.url, clip(v.title, 256), {class: "pf-title", dir: "auto"}),
              v.description ? h("p", {class: "pf-desc", dir: "auto", text: clip(v.description, 350)}) : null),
            layout === "small" ? imageBox(v, "pf-thumb") : null),
          layout === "large" ? imageBox(v, "pf-large") : null,
        ];
      },
    },
    {
      id: "x", name: "X",
      note: "Large image with the title over it for summary_large_image, else a square thumbnail beside domain, title and description; the domain under the card.",
      layout: byTwitterCard,
      draw(v, layout) {
        if (layout === "large") {
          const box = imageBox(v, "pf-large");
          if (box) box.append(h("span", {class: "pf-overlay", dir: "auto", text: v.title}));
          return [
            fill(link(v.url, null, {class: "pf-card", "aria-label": v.title}), box),
            h("p", {class: "pf-from"}, "From ", h("bdi", {text: v.domain})),
          ];
        }
        return [
          fill(link(v.url, null, {class: "pf-card pf-row"}), [
            layout === "small" ? imageBox(v, "pf-thumb") : null,
            h("div", {class: "pf-text"},
              h("div", {class: "pf-domain"}, h("bdi", {text: v.domain})),
              h("div", {class: "pf-title", dir: "auto", text: v.title}),
              v.description ? h("p", {class: "pf-desc", dir: "auto", text: v.description}) : null),
          ]),
        ];
      },
    },
    {
      id: "imessage", name: "iMessage",
      note: "Large image on top, or the icon beside the text; title on two lines and domain, no description.",
      layout: wideOrSmall,
      draw(v, layout) {
        const icon = layout === "small" ? imageBox(v, "pf-thumb") : null;
        return [
          fill(link(v.url, null, {class: "pf-bubble"}), [
            layout === "large" ? imageBox(v, "pf-large") : null,
            h("div", {class: "pf-row pf-caption"},
              h("div", {class: "pf-text"},
                h("div", {class: "pf-title", dir: "auto", text: v.title}),
                h("div", {class: "pf-domain"}, h("bdi", {text: v.domain}))),
              icon),
          ]),
        ];
      },
    },
    {
      id: "linkedin", name: "LinkedIn",
      note: "Large image above a grey strip with the title on two lines and the domain; small images as a thumbnail; no description.",
      layout: wideOrSmall,
      draw(v, layout) {
        return [
          fill(link(v.url, null, {class: "pf-card" + (layout === "large" ? "" : " pf-row")}), [
            layout === "text" ? null : imageBox(v, layout === "large" ? "pf-large" : "pf-thumb"),
            h("div", {class: "pf-text pf-strip"},
              h("div", {class: "pf-title", dir: "auto", text: v.title}),
              h("div", {class: "pf-domain"}, h("bdi", {text: v.domain}))),
          ]),
        ];
      },
    },
  ];

  function fill(node, children) {
    node.append(...[children].flat().filter(Boolean));
    return node;
  }

  // ogpreview's own card, as /v1/card and /oembed draw it (the same CSS, from card.css).
  function ogpreviewCard(v) {
    const kind = v.layout === "image" ? "image-link" : v.layout;
    const card = link(v.url, null, {class: "ogp-card ogp-" + kind, dir: v.dir});
    if (v.accentLight) card.style.setProperty("--ogp-accent", v.accentLight);
    if (v.accentDark) card.style.setProperty("--ogp-accent-dark", v.accentDark);
    const image = v.layout === "text" ? null : imageBox(v, "ogp-image");
    const icon = proxied(v.favicon, {class: "ogp-icon"});
    const text = h("div", {class: "ogp-text"},
      h("p", {class: "ogp-site"}, icon, h("span", {dir: "auto", text: v.site})),
      h("p", {class: "ogp-title", dir: "auto", title: clip(v.shownTitle, 500), text: v.shownTitle}),
      v.description && v.layout !== "image"
        ? h("p", {class: "ogp-desc", dir: "auto", text: clip(v.description, 300)}) : null,
      v.domain !== v.site ? h("p", {class: "ogp-domain"}, h("bdi", {text: v.domain})) : null);
    return fill(card, v.layout === "small" ? [text, image] : [image, text]);
  }

  function drawCards(v) {
    const cards = clear($("cards"));
    const own = h("figure", {class: "pf-figure", "data-platform": "ogpreview", "data-layout": v.layout},
      h("figcaption", null, h("strong", {text: "ogpreview"}),
        h("span", {class: "note", text: " /v1/card and oEmbed: large image when wide or summary_large_image; title without a repeated site name; two-line title, three-line description."})),
      h("div", {class: "pf-frame"}, ogpreviewCard(v)));
    cards.append(own);
    for (const platform of PLATFORMS) {
      const layout = platform.layout(v);
      const body = h("div", {
        class: "pf pf-" + platform.id + " pf-is-" + layout + (v.layout === "image" ? " pf-image-link" : ""),
        dir: v.dir,
      });
      if (platform.accent && v.accentLight) body.style.setProperty("--pf-accent", v.accentLight);
      if (platform.accent && v.accentDark) body.style.setProperty("--pf-accent-dark", v.accentDark);
      fill(body, platform.draw(v, layout));
      cards.append(h("figure", {class: "pf-figure", "data-platform": platform.id, "data-layout": layout},
        h("figcaption", null, h("strong", {text: platform.name}), h("span", {class: "note", text: " " + platform.note})),
        h("div", {class: "pf-frame"}, body)));
    }
    const names = {large: "a large image", small: "a thumbnail", text: "no image", image: "the image itself"};
    $("layout-note").textContent = "ogpreview's layout: " + (names[v.layout] || v.layout) +
      (v.dir === "rtl" ? "; right-to-left, mirrored." : ".");
  }

  // --- findings, values, tags, fetch -----------------------------------------------------------

  const SEVERITY = {error: ["Error", "✖"], warning: ["Warning", "▲"], info: ["Note", "ℹ"]};

  function drawFindings(verdict, findings) {
    const list = clear($("findings"));
    const counts = {error: 0, warning: 0, info: 0};
    for (const f of findings) counts[f.severity] = (counts[f.severity] || 0) + 1;
    const parts = [];
    if (counts.error) parts.push(counts.error + (counts.error === 1 ? " error" : " errors"));
    if (counts.warning) parts.push(counts.warning + (counts.warning === 1 ? " warning" : " warnings"));
    if (counts.info) parts.push(counts.info + (counts.info === 1 ? " note" : " notes"));
    const verdictLine = clear($("verdict"));
    verdictLine.className = "verdict verdict-" + verdict;
    verdictLine.append(h("strong", {text: "Verdict: " + verdict}), parts.length ? " (" + parts.join(", ") + ")" : " (nothing to fix)");
    for (const f of findings) {
      const [label, mark] = SEVERITY[f.severity] || [f.severity, "•"];
      list.append(h("li", {class: "finding finding-" + f.severity},
        h("span", {class: "badge"}, h("span", {"aria-hidden": "true", text: mark + " "}), label),
        " ", h("code", {text: f.code}), " ", h("span", {text: f.message}),
        h("p", {class: "fix"}, h("strong", {text: "How to fix: "}), f.fix || config.fixes[f.code] || config.fixes.fetch_error)));
    }
    return parts.join(", ");
  }

  function describe(value) {
    if (value === null || value === undefined) return h("span", {class: "none", text: "none"});
    if (typeof value === "object") {
      const size = value.width && value.height ? " (" + value.width + "×" + value.height + ")" : "";
      return h("span", null, link(value.url, value.url), size, value.alt ? h("span", {class: "muted", text: " alt: " + value.alt}) : null);
    }
    if (HTTP_URL.test(String(value))) return link(String(value));
    return h("span", {dir: "auto", text: String(value)});
  }

  function same(a, b) {
    return JSON.stringify(a) === JSON.stringify(b);
  }

  function drawFields(fields) {
    const body = clear($("fields").tBodies[0]);
    for (const f of fields) {
      const changed = !same(f.value, f.extracted);
      const rule = f.rule
        ? h("span", null, f.rule, " ", h("code", {class: "muted", text: f.source}))
        : h("span", {class: "none", text: f.value === null ? "no rule gave a value" : changed ? "oEmbed or the image probe" : "—"});
      body.append(h("tr", {"data-field": f.field},
        h("th", {scope: "row"}, h("code", {text: f.field})),
        h("td", null, describe(f.value),
          changed ? h("p", {class: "muted"}, "The page gave: ", describe(f.extracted), " (changed by oEmbed or the image probe)") : null),
        h("td", null, rule)));
    }
  }

  const GROUPS = [
    ["opengraph", "OpenGraph"], ["twitter", "Twitter"], ["meta", "Other meta tags"],
    ["jsonld", "JSON-LD"], ["icons", "Icons"], ["links", "Links"],
  ];

  function tagRow(tag, jsonld) {
    const gave = tag.chosen && tag.chosen.length
      ? h("span", {class: "gave"}, h("span", {"aria-hidden": "true", text: "→ "}), tag.chosen.join(", "))
      : "";
    const value = jsonld
      ? h("details", null, h("summary", null, tag.valid ? "Show the block" : "Show the block (not valid JSON)"),
        h("pre", {dir: "ltr", text: tag.value}))
      : h("span", {dir: "auto", class: "value", text: tag.value});
    const extra = [tag.sizes ? " sizes " + tag.sizes : "", tag.type ? " type " + tag.type : ""].join("");
    return h("tr", {class: tag.chosen && tag.chosen.length ? "chosen" : null},
      h("th", {scope: "row"}, h("code", {text: tag.key})),
      h("td", null, value, extra ? h("span", {class: "muted", text: extra}) : null),
      h("td", null, gave));
  }

  function drawTags(tags) {
    const box = clear($("tags"));
    if (!tags) {
      box.append(h("p", {text: "The link is not an HTML page: it declares no tags."}));
      return;
    }
    const facts = h("dl", {class: "facts"});
    const title = tags.title;
    facts.append(h("dt", {text: "<title>"}), h("dd", {class: title && title.chosen.length ? "chosen" : null},
      title ? h("span", {dir: "auto", class: "value", text: title.value}) : h("span", {class: "none", text: "none"}),
      title && title.chosen.length ? h("span", {class: "gave", text: " → " + title.chosen.join(", ")}) : null));
    facts.append(h("dt", {text: "<html lang>"}), h("dd", null, describe(tags.lang)));
    if (tags.base) facts.append(h("dt", {text: "<base href>"}), h("dd", null, describe(tags.base)));
    box.append(facts);
    for (const [key, name] of GROUPS) {
      const items = tags[key] || [];
      const id = "tags-" + key;
      box.append(h("h3", {id, text: name + " (" + items.length + ")"}));
      if (!items.length) {
        box.append(h("p", {class: "none", text: "None declared."}));
        continue;
      }
      box.append(h("div", {class: "scroll"}, h("table", {"data-group": key, "aria-labelledby": id},
        h("thead", null, h("tr", null, h("th", {scope: "col", text: key === "jsonld" ? "@type" : "Name"}),
          h("th", {scope: "col", text: "Value"}), h("th", {scope: "col", text: "Gave"}))),
        h("tbody", null, items.map((tag) => tagRow(tag, key === "jsonld"))))));
    }
  }

  function when(seconds) {
    const date = new Date(seconds * 1000);
    return h("time", {datetime: date.toISOString(), text: date.toLocaleString() + " (" + date.toISOString() + ")"});
  }

  const CACHE = {
    hit: "hit: served from the cache, still fresh",
    stale: "stale: served from the cache while a refresh runs",
    miss: "miss: fetched for this request",
  };

  function drawFetch(data) {
    const dl = clear($("fetch"));
    const add = (term, ...value) => dl.append(h("dt", {text: term}), h("dd", null, ...value));
    add("Requested URL", h("span", {class: "value", dir: "ltr", text: data.requested_url}));
    add("Final URL", link(data.final_url));
    if (!data.explain) return;
    const f = data.explain.fetch;
    add("Redirects", f.redirects.length
      ? h("ol", null, f.redirects.map((url) => h("li", null, link(url))))
      : h("span", {class: "none", text: "none"}));
    add("Status", String(f.status));
    add("Content type", f.content_type || h("span", {class: "none", text: "none declared"}));
    add("Bytes read", String(f.bytes), f.complete ? "" : " (reading stopped once the card's tags were read)");
    add("Fetch time", f.elapsed_ms + " ms (first byte after " + f.ttfb_ms + " ms)");
    add("Cache", CACHE[data.cache] || data.cache, " · this answer took " + f.lookup_ms + " ms");
    add("Card fetched at", when(data.fetched_at));
    if (f.reread) add("Tags read", "from the page as it is now (the card came from the cache; Fetch again refreshes it)");
    if (f.peer) add("Address dialled", h("code", {text: f.peer}));
  }

  // --- answers to copy -------------------------------------------------------------------------

  async function copy(text, what, button) {
    try {
      await navigator.clipboard.writeText(text);
      say(what + " copied.");
    } catch (_) {
      const pre = button.parentElement.parentElement.querySelector("pre");
      const range = document.createRange();
      range.selectNodeContents(pre);
      const selection = window.getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
      say(what + " selected: press Ctrl+C (or Cmd+C) to copy.");
    }
  }

  function answerBlock(id, title) {
    const pre = h("pre", {id: "answer-" + id, dir: "ltr", tabindex: 0, "aria-label": title, text: "Loading…"});
    const button = h("button", {type: "button", class: "copy", text: "Copy " + title});
    button.disabled = true;
    const block = h("section", {class: "answer", "aria-labelledby": "answer-h-" + id},
      h("div", {class: "answer-head"}, h("h3", {id: "answer-h-" + id, text: title}), button), pre);
    return {block, pre, button, title};
  }

  function drawAnswers(url, mine) {
    const box = clear($("answers"));
    const asks = [
      ["json", "JSON", () => call("/v1/preview", {url}).then((body) => JSON.stringify(body, null, 2))],
      ["markdown", "Markdown", () => call("/v1/card", {url, format: "markdown"}, "text")],
      ["oembed", "oEmbed", () => call("/oembed", {url, format: "json"}).then((body) => JSON.stringify(body, null, 2))],
    ];
    for (const [id, title, ask] of asks) {
      const answer = answerBlock(id, title);
      box.append(answer.block);
      answer.button.addEventListener("click", () => copy(answer.pre.textContent, title, answer.button));
      ask().then((text) => {
        if (mine !== generation) return;
        answer.pre.textContent = text;
        answer.button.disabled = false;
      }, (error) => {
        if (mine !== generation) return;
        answer.pre.textContent = JSON.stringify(error.body || {error: {code: error.code, message: error.message}}, null, 2);
        answer.button.disabled = false;
      });
    }
  }

  // --- one lookup ----------------------------------------------------------------------------

  function drawFailure(url, error) {
    const v = plainView(url);
    drawCards(v);
    $("layout-note").textContent = "The page could not be read: every app shows a plain link at most.";
    const fix = config.fixes[error.code] || config.fixes.fetch_error;
    drawFindings("error", [{code: error.code, severity: "error", message: error.message, fix}]);
    clear($("fields").tBodies[0]).append(h("tr", null, h("td", {colspan: 3, text: "No card: " + error.message})));
    clear($("tags")).append(h("p", {text: "No tags: the page could not be read."}));
    const dl = clear($("fetch"));
    dl.append(h("dt", {text: "Requested URL"}), h("dd", {class: "value", dir: "ltr", text: url}));
    dl.append(h("dt", {text: "Error"}), h("dd", null, h("code", {text: error.code}), " " + error.message));
    if (error.upstream) dl.append(h("dt", {text: "Status"}), h("dd", {text: String(error.upstream)}));
  }

  async function show(url, refresh) {
    const mine = ++generation;
    current = url;
    $("url").value = url;
    $("refetch").disabled = false;
    const results = $("results");
    results.setAttribute("aria-busy", "true");
    say(refresh ? "Fetching " + url + " again…" : "Fetching " + url + "…");
    const params = {url, explain: "1", findings: "1"};
    if (refresh) params.refresh = "1";
    try {
      const data = await call("/v1/preview", params);
      if (mine !== generation) return;
      drawCards(viewOf(data));
      const summary = drawFindings(data.verdict, data.findings);
      drawFields(data.explain.fields);
      drawTags(data.explain.tags);
      drawFetch(data);
      drawAnswers(url, mine);
      results.hidden = false;
      say("Preview of " + viewOf(data).domain + " shown (cache " + data.cache + "): verdict " +
        data.verdict + (summary ? ", " + summary : "") + ".");
    } catch (error) {
      if (mine !== generation) return;
      if (error instanceof ApiFailure && error.status === 401) {
        pending = url;
        askForKey(apiKey ? "The service refused this key: enter another one." : "This service needs an API key.");
        say("An API key is needed to preview links here.");
        return;
      }
      if (!(error instanceof ApiFailure)) {
        error = new ApiFailure(0, null, "the service could not be reached (" + error.message + ")");
      }
      drawFailure(url, error);
      drawAnswers(url, mine);
      results.hidden = false;
      say("The link does not preview: " + error.code + ", " + error.message + ".");
    } finally {
      if (mine === generation) results.removeAttribute("aria-busy");
    }
  }

  function urlInAddress() {
    return new URLSearchParams(window.location.search).get("url");
  }

  function start() {
    setUpKey();
    $("lookup").addEventListener("submit", (event) => {
      event.preventDefault();
      const url = $("url").value.trim();
      if (!url) return;
      const address = "/?" + new URLSearchParams({url});
      if (url !== urlInAddress()) window.history.pushState(null, "", address);
      show(url, false);
    });
    $("refetch").addEventListener("click", () => {
      if (current) show(current, true);
    });
    window.addEventListener("popstate", () => {
      const url = urlInAddress();
      if (url) show(url, false);
    });
    const url = urlInAddress();
    if (url && config.auth && !apiKey) {
      pending = url;
      $("url").value = url;
      askForKey();
    } else if (url) {
      show(url, false);
    } else if (!config.auth || apiKey) {
      $("url").focus();
    }
  }

  start();
})();
