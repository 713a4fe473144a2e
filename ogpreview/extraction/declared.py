"""What a page declares, tag by tag, beside the card made from it (``explain=1``, the
debugger): its OpenGraph, Twitter and other meta tags, ``<title>``, icons and links, and
JSON-LD blocks, each marked with the card fields it gave. Pure, like the extractor."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import orjson

from ogpreview.card import Card, Image
from ogpreview.extraction.extractor import explain_page
from ogpreview.extraction.rules import ICON_RELS, PRECEDENCE, RULE_LABELS, Context
from ogpreview.text import truncate

__all__ = ["MAX_TAGS_PER_GROUP", "declared", "rule_label"]

#: Bounds on what is shown of a page (the whole answer stays small on any page).
MAX_TAGS_PER_GROUP = 200
MAX_VALUE_CHARS = 2_000
MAX_JSONLD_CHARS = 20_000
#: Prefixes of the OpenGraph protocol's properties (and Facebook's and App Links').
_OPENGRAPH = ("og:", "article:", "book:", "profile:", "music:", "video:", "fb:", "al:")
_LINK_RELS = ("canonical", "image_src", "alternate")
#: The meta keys each non-``meta:`` rule reads.
_RULE_KEYS: Mapping[str, tuple[str, ...]] = {
    "og_images": ("og:image", "og:image:url", "og:image:secure_url"),
    "twitter_images": ("twitter:image", "twitter:image:src"),
    "og_url": ("og:url",),
    "itemprop_images": ("image",),
    "theme_color": ("theme-color",),
    "article_author": ("article:author",),
}
_RULE_RELS: Mapping[str, tuple[str, ...]] = {
    "favicons": ICON_RELS,
    "canonical_link": ("canonical",),
    "link_image_src": ("image_src",),
    "oembed_links": ("alternate",),
}


def rule_label(source: str) -> str:
    """A rule's name as people say it (its label, see ``ogpreview.extraction.rules``; a
    ``meta:`` rule without one is called by its tag names: ``meta:og:title`` is
    ``og:title``)."""
    label = RULE_LABELS.get(source)
    if label is not None and label != source:
        return label
    kind, _, keys = source.partition(":")
    if kind in ("meta", "named") and keys:
        return keys.replace(",", ", ")
    if kind == "handle" and keys:
        return f"the {keys} handle"
    return source


def _keys_of(source: str | None) -> tuple[str, ...]:
    if source is None:
        return ()
    kind, _, keys = source.partition(":")
    if kind in ("meta", "named", "handle") and keys:
        return tuple(keys.split(","))
    return _RULE_KEYS.get(source, ())


def _value_of(value: Any) -> Any:
    return value.url if isinstance(value, Image) else value


def _gives(ctx: Context, name: str, raw: str, chosen: Any, *, url: bool = False) -> bool:
    """Whether the tag value ``raw`` is where field ``name``'s value came from."""
    if url or name in ("image", "favicon", "url", "oembed_url"):
        return bool(ctx.resolve(raw) == _value_of(chosen))
    try:
        value = PRECEDENCE[name].accept(ctx, raw.strip().lstrip("@"))
    except Exception:  # a validator that refuses this value refuses it
        return False
    return bool(value is not None and value == chosen)


def _cap(value: str, limit: int = MAX_VALUE_CHARS) -> str:
    return truncate(value, limit)


def _metas(ctx: Context, card: Card, sources: Mapping[str, str | None]) -> dict[str, Any]:
    groups: dict[str, list[dict[str, Any]]] = {"opengraph": [], "twitter": [], "meta": []}
    wanted = {name: _keys_of(source) for name, source in sources.items() if source}
    for key, value, _ in ctx.page.metas:
        group = groups[
            "twitter"
            if key.startswith("twitter:")
            else "opengraph"
            if key.startswith(_OPENGRAPH)
            else "meta"
        ]
        if len(group) >= MAX_TAGS_PER_GROUP:
            continue
        chosen = [
            name
            for name, keys in wanted.items()
            if key in keys and _gives(ctx, name, value, getattr(card, name))
        ]
        for name in chosen:  # the first tag that gave a value is the one
            del wanted[name]
        group.append({"key": key, "value": _cap(value), "chosen": chosen})
    return groups


def _links(
    ctx: Context, card: Card, sources: Mapping[str, str | None], rels: Iterable[str]
) -> list[dict[str, Any]]:
    wanted = {
        name: _RULE_RELS[source]
        for name, source in sources.items()
        if source is not None and source in _RULE_RELS
    }
    out: list[dict[str, Any]] = []
    for attrs in ctx.page.links_with_rel(*rels):
        if len(out) >= MAX_TAGS_PER_GROUP:
            break
        rel = " ".join((attrs.get("rel") or "").lower().split())
        href = attrs.get("href") or ""
        chosen = [
            name
            for name, name_rels in wanted.items()
            if set(rel.split()) & set(name_rels)
            and _gives(ctx, name, href, getattr(card, name), url=True)
        ]
        for name in chosen:
            del wanted[name]
        entry = {"key": rel, "value": _cap(ctx.resolve(href) or href), "chosen": chosen}
        for extra in ("sizes", "type"):
            if attrs.get(extra):
                entry[extra] = _cap(attrs[extra], 200)
        out.append(entry)
    return out


def _jsonld(ctx: Context, card: Card, sources: Mapping[str, str | None]) -> list[dict[str, Any]]:
    names = [n for n, s in sources.items() if s and s.startswith("jsonld")]
    blocks: list[dict[str, Any]] = []
    for text in ctx.page.jsonld_texts:
        try:
            data = orjson.loads(text.strip().removeprefix("<![CDATA[").removesuffix("]]>"))
            shown, valid = orjson.dumps(data, option=orjson.OPT_INDENT_2).decode(), True
            kind = data.get("@type") if isinstance(data, dict) else None
        except orjson.JSONDecodeError:
            shown, valid, kind = text.strip(), False, None
        key = kind if isinstance(kind, str) else "JSON-LD"
        blocks.append({"key": key, "value": _cap(shown, MAX_JSONLD_CHARS), "valid": valid})
    for block in blocks:
        block["chosen"] = []
    for name in names:  # the first block that holds the value gave it
        value = _value_of(getattr(card, name))
        holder = next(
            (b for b in blocks if isinstance(value, str) and value in b["value"]),
            blocks[0] if blocks else None,
        )
        if holder is not None:
            holder["chosen"].append(name)
    return blocks


def declared(
    html: bytes | str, url: str, *, content_type: str | None = None
) -> tuple[Card, dict[str, str | None], dict[str, Any]]:
    """The card as extracted, each field's source rule, and what the page declares:
    ``{"title", "opengraph", "twitter", "meta", "icons", "links", "jsonld", "lang",
    "base"}``. Each tag is ``{"key", "value", "chosen"}`` (``chosen``: the card fields its
    value became); values are capped in length, and groups at :data:`MAX_TAGS_PER_GROUP`."""
    card, sources, ctx = explain_page(html, url, content_type=content_type)
    page = ctx.page
    title = None
    if page.title is not None:
        chosen = [
            name
            for name, rule in (("title", "html_title"), ("site_name", "title_segment_naming_host"))
            if sources[name] == rule
        ]
        title = {"key": "title", "value": _cap(page.title), "chosen": chosen}
    tags = {
        "title": title,
        **_metas(ctx, card, sources),
        "icons": _links(ctx, card, sources, ICON_RELS),
        "links": _links(ctx, card, sources, _LINK_RELS),
        "jsonld": _jsonld(ctx, card, sources),
        "lang": page.lang,
        "base": page.base_href,
    }
    return card, sources, tags
