"""The lean OpenAPI document a chat host puts into the model's context (the manifest's
``api.url``): only what a model needs, preview a URL and preview the links in a text,
with short descriptions, because every byte of it costs context. ``/openapi.json`` is
the whole API, for people and tools.
"""

from __future__ import annotations

from typing import Any

from ogpreview.card import Card, Image
from ogpreview.settings import Settings, __version__
from ogpreview.web.schema import REF_PREFIX, component

__all__ = ["MAX_MODEL_SPEC_BYTES", "model_spec"]

#: The document's size limit, as served (compact JSON).
MAX_MODEL_SPEC_BYTES = 4000


def _ref(name: str) -> dict[str, str]:
    return {"$ref": REF_PREFIX + name}


def _ok(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def model_spec(base_url: str, settings: Settings) -> dict[str, Any]:
    """The model-facing document for a service at ``base_url``."""
    failed = _ok("error", _ref("Error"))
    return {
        "openapi": "3.0.3",
        "info": {
            "title": settings.plugin_name,
            "version": __version__,
            "description": "Preview cards (title, description, image) of web links.",
        },
        "servers": [{"url": base_url}],
        "security": [{"bearer": []}] if settings.api_keys else [],
        "paths": {
            "/v1/preview": {
                "get": {
                    "operationId": "previewUrl",
                    "summary": "Preview card of one web page",
                    "parameters": [
                        {
                            "name": "url",
                            "in": "query",
                            "required": True,
                            "description": "absolute http(s) URL",
                            "schema": {"type": "string"},
                        }
                    ],
                    "responses": {"200": _ok("the card", _ref("Card")), "default": failed},
                }
            },
            "/v1/previews/response": {
                "post": {
                    "operationId": "previewLinks",
                    "summary": "Preview cards of the links in a text, in order",
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "required": ["text"],
                                    "properties": {
                                        "text": {
                                            "type": "string",
                                            "description": "text or Markdown with links",
                                        }
                                    },
                                }
                            }
                        },
                    },
                    "responses": {
                        "200": _ok(
                            "one result per link",
                            {
                                "type": "object",
                                "properties": {
                                    "results": {
                                        "type": "array",
                                        "items": {
                                            "type": "object",
                                            "properties": {
                                                "url": {"type": "string"},
                                                "card": _ref("Card"),
                                                "error": _ref("Problem"),
                                            },
                                        },
                                    }
                                },
                            },
                        ),
                        "default": failed,
                    },
                }
            },
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Card": component(Card),
                "Image": component(Image),
                "Problem": {
                    "type": "object",
                    "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
                },
                "Error": {"type": "object", "properties": {"error": _ref("Problem")}},
            },
        },
    }
