"""The HTTP API: ``create_app(settings)`` builds the aiohttp application."""

from __future__ import annotations

from ogpreview.web.app import create_app

__all__ = ["create_app"]
