"""The paths of the OpenAPI document, with their prose: each operation's parameters and
answers (the schemas they name are in ``ogpreview.web.openapi``; error answers come from
the code -> status table through ``ogpreview.web.openapi_errors``)."""

from __future__ import annotations

from typing import Any

from ogpreview.settings import Settings
from ogpreview.web.openapi_errors import (
    API_CODES,
    BODY_CODES,
    HOST_CODES,
    SIGNATURE_CODES,
    SITE_CODES,
    error_responses,
)
from ogpreview.web.schema import REF_PREFIX

__all__ = ["paths"]


def _param(
    name: str,
    schema: dict[str, Any],
    description: str | None = None,
    *,
    where: str = "query",
    required: bool = False,
) -> dict[str, Any]:
    param = {"name": name, "in": where, "required": required, "schema": schema}
    if description is not None:
        param["description"] = description
    return param


_URL_PARAM = _param("url", {"type": "string"}, "absolute http(s) URL of the page", required=True)


def _boolean_param(name: str, description: str) -> dict[str, Any]:
    return _param(name, {"type": "string", "enum": ["0", "1", "true", "false"]}, description)


#: The user's language (see README "The user's language"): the chat host's country first.
_LOCALE_PARAMS = [
    _param(
        "openai-subdivision-1-iso-code",
        {"type": "string"},
        "the user's country and subdivision (ISO 3166-2, e.g. US-CA), as a "
        "chat host sends it: the page is asked for in the country's languages (CLDR)",
        where="header",
    ),
    _param(
        "Accept-Language",
        {"type": "string"},
        "without the header above: the page is asked for in the first "
        "language of this list that CLDR knows",
        where="header",
    ),
]
#: A signed embed link's query (from /v1/embed): it stands for the API key.
_EMBED_SIGNATURE_PARAMS = [
    _param(
        "exp",
        {"type": "string", "pattern": "^[0-9]{1,12}$"},
        "with sig: when the signed link expires (Unix time), from /v1/embed",
    ),
    _param(
        "sig",
        {"type": "string"},
        "the signature of a link from /v1/embed: no API key needed with it",
    ),
]


def _plugin_paths() -> dict[str, Any]:
    """The operations a chat host and a browser client use besides the previews."""
    return {
        "/v1/embed": {
            "get": {
                "operationId": "getEmbedLinks",
                "summary": "Signed links to a URL's card page and oEmbed answer, usable "
                "without the API key (an iframe's source) until they expire",
                "parameters": [_URL_PARAM],
                "responses": {
                    "200": _json_ok("the signed links", "EmbedLinks"),
                    **error_responses((*API_CODES, *HOST_CODES)),
                },
            }
        },
        "/openapi.model.json": {
            "get": {
                "operationId": "getModelOpenapi",
                "summary": "The lean document for a model's context (the manifest's api.url): "
                "previewUrl and previewLinks only",
                "security": [],
                "responses": {
                    "200": _plain("the document", "application/json", {}),
                    **error_responses(HOST_CODES),
                },
            }
        },
        "/logo.png": {
            "get": {
                "operationId": "getLogo",
                "summary": "The service's logo (the manifest's default logo_url)",
                "security": [],
                "responses": {
                    "200": _plain(
                        "a 512x512 PNG", "image/png", {"type": "string", "format": "binary"}
                    )
                },
            }
        },
    }


def _json_ok(description: str, ref: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": REF_PREFIX + ref}}},
    }


def _plain(description: str, media: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "content": {media: {"schema": schema}}}


def _urls_body(item: dict[str, Any], **limits: int) -> dict[str, Any]:
    """A request body ``{"urls": [...]}`` of items like ``item``, within ``limits``."""
    urls = {"type": "array", "items": item, **limits}
    schema = {"type": "object", "required": ["urls"], "properties": {"urls": urls}}
    return {"required": True, "content": {"application/json": {"schema": schema}}}


def paths(settings: Settings) -> dict[str, Any]:
    """Every operation of the API, as configured by ``settings`` (its batch limits)."""
    return {
        "/v1/preview": {
            "get": {
                "operationId": "getPreview",
                "summary": "The preview card of one URL",
                "description": (
                    "An HTML page gives its card; an image previews as itself; any other "
                    "file (a PDF, JSON, text, an archive) a plain card: its file name as "
                    "title, the site's name and icon."
                ),
                "parameters": [
                    _URL_PARAM,
                    _boolean_param("refresh", "1 to fetch again instead of using the cache"),
                    _boolean_param(
                        "explain",
                        "1 to add `explain` (the page's tags, each field's rule, the "
                        "fetch, the layout) and requested_url/final_url",
                    ),
                    _boolean_param(
                        "findings",
                        "1 to add the checker's `verdict` and `findings` (each with a "
                        "`fix`) and requested_url/final_url",
                    ),
                    {
                        "name": "enrich",
                        "in": "query",
                        "required": False,
                        "description": (
                            "`background`: a card not cached comes back after the page alone "
                            "(image unsized, no oEmbed values) while oEmbed and the image probe "
                            "complete it into the cache; the answer then has `enrichment`: "
                            "`pending` (or `complete`, when there was nothing to wait for). "
                            "`wait` (default): after both. Ignored with explain or findings"
                        ),
                        "schema": {"type": "string", "enum": ["wait", "background"]},
                    },
                    *_LOCALE_PARAMS,
                ],
                "responses": {
                    "200": _json_ok("the card", "Preview"),
                    **error_responses(API_CODES, site_codes=SITE_CODES),
                },
            },
            "delete": {
                "operationId": "purgePreview",
                "summary": "Delete a page's cached card, in every language, from the cache "
                "(with Redis, for every instance sharing it)",
                "parameters": [_URL_PARAM],
                "responses": {
                    "200": _json_ok("what was purged", "Purged"),
                    **error_responses((*API_CODES, "cache_unavailable")),
                },
            },
        },
        "/v1/previews": {
            "post": {
                "operationId": "postPreviews",
                "summary": "Cards of several URLs, in request order",
                "parameters": _LOCALE_PARAMS,
                "requestBody": _urls_body({"type": "string"}, maxItems=settings.max_batch_urls),
                "responses": {
                    "200": _json_ok("one result per item, in order", "Results"),
                    **error_responses(BODY_CODES),
                },
            }
        },
        "/v1/previews/response": {
            "post": {
                "operationId": "postResponsePreviews",
                "summary": "Cards of the first max_batch_urls links in a plugin's response, "
                "in their order",
                "parameters": _LOCALE_PARAMS,
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {"schema": {}},
                        "text/plain": {"schema": {"type": "string"}},
                    },
                },
                "responses": {
                    "200": _json_ok(
                        "one result per link previewed, and whether links were left out",
                        "ResponseResults",
                    ),
                    **error_responses(BODY_CODES),
                },
            }
        },
        "/v1/card": {
            "get": {
                "operationId": "getCard",
                "summary": "The card as a self-contained HTML page or as Markdown",
                "parameters": [
                    _URL_PARAM,
                    _param("format", {"type": "string", "enum": ["html", "markdown"]}),
                    *_EMBED_SIGNATURE_PARAMS,
                    *_LOCALE_PARAMS,
                ],
                "responses": {
                    "200": {
                        "description": "the card",
                        "content": {
                            "text/html": {"schema": {"type": "string"}},
                            "text/markdown": {"schema": {"type": "string"}},
                        },
                    },
                    **error_responses((*API_CODES, *SIGNATURE_CODES), site_codes=SITE_CODES),
                },
            }
        },
        "/v1/image": {
            "get": {
                "operationId": "getImage",
                "summary": "A card image through the signed proxy (SVG is refused)",
                "security": [],
                "parameters": [
                    _URL_PARAM,
                    _param(
                        "exp",
                        {"type": "string", "pattern": "^[0-9]{1,12}$"},
                        "when the signed URL expires (Unix time), as put in card pages",
                        required=True,
                    ),
                    _param(
                        "sig",
                        {"type": "string"},
                        "hex HMAC-SHA256 of image|exp|url, as put in card pages",
                        required=True,
                    ),
                ],
                "responses": {
                    "200": _plain(
                        "the image (raster types only)",
                        "image/*",
                        {"type": "string", "format": "binary"},
                    ),
                    **error_responses(
                        (*API_CODES, *SIGNATURE_CODES),
                        site_codes=(*SITE_CODES, "unsupported_content"),
                    ),
                },
            }
        },
        "/oembed": {
            "get": {
                "operationId": "getOembed",
                "summary": "oEmbed provider endpoint (type rich, the card HTML)",
                "parameters": [
                    _URL_PARAM,
                    _param(
                        "format",
                        {"type": "string", "enum": ["json"]},
                        "json only; others answer 501 as oEmbed asks",
                    ),
                    _param("maxwidth", {"type": "integer", "minimum": 1}),
                    _param("maxheight", {"type": "integer", "minimum": 1}),
                    *_EMBED_SIGNATURE_PARAMS,
                    *_LOCALE_PARAMS,
                ],
                "responses": {
                    "200": _json_ok("the oEmbed document", "OEmbed"),
                    **error_responses(
                        (*API_CODES, *SIGNATURE_CODES, *HOST_CODES, "format_not_supported"),
                        site_codes=SITE_CODES,
                    ),
                },
            }
        },
        "/v1/checks": {
            "post": {
                "operationId": "postChecks",
                "summary": "Queue a batch link check; results come from /v1/checks/{id}",
                "requestBody": _urls_body(
                    {"type": "string", "pattern": "\\S"},
                    minItems=1,
                    maxItems=settings.check_max_urls,
                ),
                "responses": {
                    "202": _json_ok("the job, queued", "CheckJob"),
                    **error_responses((*BODY_CODES, "jobs_busy", "jobs_unavailable")),
                },
            }
        },
        "/v1/checks/{id}": {
            "get": {
                "operationId": "getCheck",
                "summary": "A check job's progress and results",
                "parameters": [
                    _param("id", {"type": "string"}, where="path", required=True),
                    _param(
                        "format",
                        {"type": "string", "enum": ["json", "jsonl"]},
                        "json (progress and a page of results) or jsonl "
                        "(one result per line, streamed until the job is done)",
                    ),
                    _param("offset", {"type": "integer", "minimum": 0}, "results to skip"),
                    _param(
                        "limit",
                        {"type": "integer", "minimum": 0},
                        "results per page (json; at most 10000)",
                    ),
                    _param(
                        "follow",
                        {"type": "string", "enum": ["0", "1"]},
                        "jsonl: 0 to end the stream at the results so far",
                    ),
                ],
                "responses": {
                    "200": {
                        "description": "progress and results",
                        "content": {
                            "application/json": {
                                "schema": {"$ref": REF_PREFIX + "CheckJobResults"}
                            },
                            "application/x-ndjson": {"schema": {"type": "string"}},
                        },
                    },
                    **error_responses((*API_CODES, "job_not_found", "jobs_unavailable")),
                },
            }
        },
        "/.well-known/ai-plugin.json": {
            "get": {
                "operationId": "getPluginManifest",
                "security": [],
                "responses": {
                    "200": _plain("the manifest", "application/json", {}),
                    **error_responses((*HOST_CODES, "plugin_not_configured")),
                },
            }
        },
        **_plugin_paths(),
        "/openapi.json": {
            "get": {
                "operationId": "getOpenapi",
                "security": [],
                "responses": {
                    "200": _plain("this document", "application/json", {}),
                    **error_responses(HOST_CODES),
                },
            }
        },
        "/healthz": {
            "get": {
                "operationId": "getHealth",
                "security": [],
                "responses": {"200": _json_ok("the process is alive", "Status")},
            }
        },
        "/readyz": {
            "get": {
                "operationId": "getReady",
                "security": [],
                "responses": {"200": _json_ok("ready (or degraded: Redis down)", "Ready")},
            }
        },
        "/metrics": {
            "get": {
                "operationId": "getMetrics",
                "security": [],
                "responses": {
                    "200": _plain("Prometheus text format", "text/plain", {"type": "string"})
                },
            }
        },
    }
