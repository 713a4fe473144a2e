"""What a chat host reads besides the API: the plugin manifest, the lean model-facing
spec it names, and the logo."""

from __future__ import annotations

from importlib import resources

import orjson
from aiohttp import web

from ogpreview.web.apierror import ApiError
from ogpreview.web.keys import SETTINGS_KEY
from ogpreview.web.manifest import LOGO_PATH, MODEL_SPEC_PATH, missing_fields, plugin_manifest
from ogpreview.web.modelspec import model_spec
from ogpreview.web.origin import base_url

__all__ = ["LOGO", "routes"]

routes = web.RouteTableDef()

#: The logo shipped in the package (512x512 PNG).
LOGO = resources.files("ogpreview.web").joinpath("static", "logo.png").read_bytes()
LOGO_CACHE_CONTROL = "public, max-age=86400"


def _json(body: object) -> web.Response:
    return web.Response(body=orjson.dumps(body), content_type="application/json")


@routes.get("/.well-known/ai-plugin.json")
async def manifest(request: web.Request) -> web.Response:
    """The chat-plugin manifest, once its contact address and legal page are configured."""
    settings = request.app[SETTINGS_KEY]
    base = base_url(request)  # a Host that names nothing allowed is refused first
    missing = missing_fields(settings.plugin)
    if missing:
        raise ApiError(
            "plugin_not_configured",
            f"no plugin manifest until {' and '.join(missing)} are set",
        )
    return _json(plugin_manifest(base, settings.plugin, auth=bool(settings.api_keys)))


@routes.get(MODEL_SPEC_PATH)
async def openapi_for_models(request: web.Request) -> web.Response:
    """The lean OpenAPI document the manifest names (``ogpreview.web.modelspec``)."""
    return _json(model_spec(base_url(request), request.app[SETTINGS_KEY]))


@routes.get(LOGO_PATH)
async def logo(request: web.Request) -> web.Response:
    return web.Response(
        body=LOGO,
        content_type="image/png",
        headers={"Cache-Control": LOGO_CACHE_CONTROL, "X-Content-Type-Options": "nosniff"},
    )
