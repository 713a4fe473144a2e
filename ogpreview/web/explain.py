"""``GET /v1/preview?explain=1&findings=1``: a card with how it was made and what is wrong
with it, for the debugger and for anyone checking their own page.

``explain`` adds what the page declares (its tags), each card field beside the rule that
chose it, the facts of the fetch, and the presentation decisions with signed image URLs;
``findings`` adds the checker's verdict and findings, each with how to fix it. Both need
the page itself: when the card came from the cache, the page is read once more (uncached)
for them, and ``explain.fetch.reread`` says so.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from aiohttp import web

from ogpreview.card import Card, Image
from ogpreview.check.checker import Checker
from ogpreview.check.help import fix_for
from ogpreview.extraction.declared import declared, rule_label
from ogpreview.extraction.extractor import FIELDS, explain_result
from ogpreview.fetch.response import FetchResult
from ogpreview.text import scrub_surrogates
from ogpreview.web.keys import PREVIEWER_KEY, SIGNER_KEY
from ogpreview.web.present import look_of
from ogpreview.web.served import Served

__all__ = ["EXPLAIN_SCHEMA", "explained_preview"]

_NULLABLE_STRING = {"type": "string", "nullable": True}
_TAG: dict[str, Any] = {
    "type": "object",
    "required": ["key", "value", "chosen"],
    "properties": {
        "key": {"type": "string", "description": "the tag's name (og:title, icon, @type)"},
        "value": {"type": "string"},
        "chosen": {
            "type": "array",
            "items": {"type": "string"},
            "description": "the card fields this tag's value became",
        },
        "sizes": {"type": "string"},
        "type": {"type": "string"},
        "valid": {"type": "boolean", "description": "JSON-LD: whether the block is valid JSON"},
    },
}
_TAGS = {"type": "array", "items": _TAG}
#: The OpenAPI schema of ``explain`` (ogpreview.web.openapi puts it in the document).
EXPLAIN_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["fetch", "fields", "tags", "look"],
    "properties": {
        "fetch": {
            "type": "object",
            "description": "the fetch that read the page (reread: the card came from the "
            "cache and the page was read again for this explanation)",
            "properties": {
                "status": {"type": "integer"},
                "redirects": {"type": "array", "items": {"type": "string"}},
                "content_type": _NULLABLE_STRING,
                "bytes": {"type": "integer"},
                "complete": {"type": "boolean"},
                "peer": _NULLABLE_STRING,
                "elapsed_ms": {"type": "number"},
                "ttfb_ms": {"type": "number"},
                "lookup_ms": {"type": "number"},
                "reread": {"type": "boolean"},
            },
        },
        "fields": {
            "type": "array",
            "description": "each card field: the value served, the page's own value and the "
            "extraction rule that chose it",
            "items": {
                "type": "object",
                "required": ["field", "value", "extracted", "source", "rule"],
                "properties": {
                    "field": {"type": "string"},
                    "value": {},
                    "extracted": {},
                    "source": _NULLABLE_STRING,
                    "rule": _NULLABLE_STRING,
                },
            },
        },
        "tags": {
            "type": "object",
            "nullable": True,
            "description": "what the page declares (null for a link that is not HTML)",
            "properties": {
                "title": {"allOf": [_TAG], "nullable": True},
                **{group: _TAGS for group in ("opengraph", "twitter", "meta", "icons", "links")},
                "jsonld": _TAGS,
                "lang": _NULLABLE_STRING,
                "base": _NULLABLE_STRING,
            },
        },
        "look": {
            "type": "object",
            "description": "how cards show it: layout, direction, title as shown, accent "
            "colours that contrast with the light and dark card, signed image URLs",
            "properties": {
                "layout": {"type": "string", "enum": ["large", "small", "text", "image"]},
                "direction": {"type": "string", "enum": ["ltr", "rtl"]},
                "site": {"type": "string"},
                "title": {"type": "string"},
                "domain": {"type": "string"},
                "accent_light": _NULLABLE_STRING,
                "accent_dark": _NULLABLE_STRING,
                "image_src": _NULLABLE_STRING,
                "favicon_src": _NULLABLE_STRING,
            },
        },
    },
}


def _value(value: Any) -> Any:
    return value.to_dict() if isinstance(value, Image) else value


def _fields(
    served: Card, extracted: Card, sources: Mapping[str, str | None] | None
) -> list[dict[str, Any]]:
    """Each card field: the value served, the value the page gave, and the rule that chose
    it (they differ when oEmbed or the image probe changed the card after extraction)."""
    out = []
    for name in FIELDS:
        source = sources.get(name) if sources is not None else None
        out.append(
            {
                "field": name,
                "value": _value(getattr(served, name)),
                "extracted": _value(getattr(extracted, name)),
                "source": source,
                "rule": None if source is None else rule_label(source),
            }
        )
    return out


def _fetch_facts(fetch: FetchResult, *, reread: bool, lookup_ms: float) -> dict[str, Any]:
    content_type = fetch.headers.get("Content-Type")
    return {
        "status": fetch.status,
        "redirects": list(fetch.redirects),
        "content_type": None if content_type is None else scrub_surrogates(content_type),
        "bytes": len(fetch.body),
        "complete": fetch.complete,
        "peer": fetch.peer,
        "elapsed_ms": round(fetch.timings.get("total", 0.0) * 1000, 1),
        "ttfb_ms": round(fetch.timings.get("ttfb", 0.0) * 1000, 1),
        "lookup_ms": round(lookup_ms, 1),
        "reread": reread,
    }


def _look(request: web.Request, card: Card) -> dict[str, Any]:
    signer = request.app[SIGNER_KEY]
    return {
        **look_of(card).to_dict(),
        "image_src": None if card.image is None else signer.proxy_path(card.image.url),
        "favicon_src": None if card.favicon is None else signer.proxy_path(card.favicon),
    }


async def explained_preview(
    request: web.Request, url: str, *, refresh: bool, explain: bool, findings: bool
) -> dict[str, Any]:
    """The ``/v1/preview`` answer with ``explain`` and/or ``findings`` (raises
    :class:`~ogpreview.PreviewError` as the plain answer does)."""
    previewer = request.app[PREVIEWER_KEY]
    started = time.perf_counter()
    result = await previewer.lookup(url, refresh=refresh)
    lookup_ms = (time.perf_counter() - started) * 1000
    fetch = result.fetch
    if fetch is None:  # a cached card: the page is read again for what it declares
        fetch = await previewer.fetcher.fetch(url)
    extracted, sources = explain_result(fetch)
    tags = None
    if fetch.is_html:
        extracted, sources, tags = declared(
            fetch.body, fetch.url, content_type=fetch.headers.get("Content-Type")
        )
    body = result.card.to_dict()
    body.update(Served(result.cache, result.fetched_at, url, fetch.url).to_dict())
    if explain:
        body["explain"] = {
            "fetch": _fetch_facts(fetch, reread=result.fetch is None, lookup_ms=lookup_ms),
            "fields": _fields(result.card, extracted, sources),
            "tags": tags,
            "look": _look(request, result.card),
        }
    if findings:
        check = await Checker(previewer).review(
            url,
            result.card,
            fetch,
            None if sources is None else (extracted, sources),
            started=started,
        )
        body["verdict"] = check.verdict
        body["findings"] = [{**f.to_dict(), "fix": fix_for(f.code)} for f in check.findings]
    return body
