"""The HTTP API: ``create_app(settings)`` builds the aiohttp application; ``serve_app``
(or :class:`ApiRunner`, in place of aiohttp's runner) serves it with every answer in JSON."""

from __future__ import annotations

from ogpreview.web.app import create_app
from ogpreview.web.server import ApiRunner, serve_app

__all__ = ["ApiRunner", "create_app", "serve_app"]
