"""Extraction: pure functions from a page's bytes and URL to its card (no network, no state).

``charset`` decodes, ``document`` reads the page, ``rules`` list each field's sources in
precedence order, ``extractor`` runs them; ``oembed``, ``imagesize``, ``links`` and
``content`` read the other things a fetch can bring back.
"""

from ogpreview.extraction.extractor import explain, extract

__all__ = ["explain", "extract"]
