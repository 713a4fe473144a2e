"""JSON-LD blocks read leniently: strict JSON first, extruct's reader for the rest.

Pages' JSON-LD is often not quite JSON (comments, trailing commas, CDATA wrappers);
extruct's reader tolerates what browsers' consumers do, and a block that still fails is
skipped alone.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Iterator
from functools import cache
from typing import Any

import lxml.etree
import orjson

__all__ = ["preload_lenient_jsonld", "read_jsonld"]

log = logging.getLogger(__name__)

_CDATA = re.compile(r"<!\[CDATA\[|\]\]>")


@cache
def _lenient_jsonld() -> Any:
    """extruct's JSON-LD reader, for the blocks strict JSON refuses. Imported on first
    use: importing extruct loads every syntax it knows (microformats, RDFa, html5lib),
    over a third of a command's start-up, and nearly every page's JSON-LD is strict."""
    from extruct.jsonld import JsonLdExtractor

    return JsonLdExtractor()


def preload_lenient_jsonld() -> None:
    """Import the lenient JSON-LD reader now (a server does it before its first request,
    so no request pays for the import)."""
    _lenient_jsonld()


def read_jsonld(texts: Iterable[str]) -> list[dict[str, Any]]:
    """The JSON-LD objects of script texts (top-level and ``@graph`` members), in order.

    CDATA wrappers are removed first; well-formed JSON (nearly every block) skips
    extruct's lxml round trip; a block that still fails is skipped alone.
    """
    objects: list[dict[str, Any]] = []
    for raw in texts:
        text = _CDATA.sub("", raw)
        try:
            data = orjson.loads(text)
            items = data if isinstance(data, list) else [data]
        except orjson.JSONDecodeError:
            try:
                # (lxml refuses text with characters XML forbids: that block alone fails.)
                node = lxml.etree.Element("script", type="application/ld+json")
                node.text = text
                items = _lenient_jsonld().extract_items(node)
            except Exception as exc:  # extruct raises whatever its JSON parsers raise
                log.debug("skipping malformed JSON-LD block: %s", exc)
                continue
        for item in items:
            objects.extend(_flatten_graph(item))
    return objects


def _flatten_graph(item: Any, depth: int = 0) -> Iterator[dict[str, Any]]:
    if isinstance(item, list):
        for sub in item:
            yield from _flatten_graph(sub, depth)
        return
    if not isinstance(item, dict):
        return
    yield item
    graph = item.get("@graph")
    if depth < 2 and isinstance(graph, list):
        for sub in graph:
            yield from _flatten_graph(sub, depth + 1)
