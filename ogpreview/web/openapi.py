"""The OpenAPI 3 document of the API, as data; it describes exactly the routes in handlers."""

from __future__ import annotations

from typing import Any

from ogpreview.card import TEXT_FIELDS
from ogpreview.settings import Settings, __version__
from ogpreview.web.explain import EXPLAIN_SCHEMA

__all__ = ["openapi_document"]


def _nullable(kind: str, **extra: Any) -> dict[str, Any]:
    return {"type": kind, "nullable": True, **extra}


_IMAGE = {
    "type": "object",
    "required": ["url", "width", "height", "alt", "type"],
    "properties": {
        "url": {"type": "string"},
        "width": _nullable("integer", minimum=1),
        "height": _nullable("integer", minimum=1),
        "alt": _nullable("string"),
        "type": _nullable("string"),
    },
}
_CARD: dict[str, Any] = {
    "type": "object",
    "required": ["url", "image", *TEXT_FIELDS],
    "properties": {
        "url": {"type": "string"},
        "image": {"allOf": [{"$ref": "#/components/schemas/Image"}], "nullable": True},
        **{name: _nullable("string") for name in TEXT_FIELDS},
    },
}
_ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "status": {"type": "integer", "description": "the upstream HTTP status"},
                "retry_after": {
                    "type": "integer",
                    "description": "with busy: seconds to wait before trying again",
                },
            },
        }
    },
}


#: How a card was served: beside the card in every answer that has one.
_SERVED_FIELDS: dict[str, Any] = {
    "cache": {"type": "string", "enum": ["hit", "miss", "stale"]},
    "fetched_at": {"type": "number", "description": "when the card was fetched (Unix time)"},
    "requested_url": {
        "type": "string",
        "description": "the URL asked for, as checked and normalised (where the fetch starts)",
    },
    "final_url": _nullable(
        "string",
        description="where the redirects of the fetch that made the card ended (kept with "
        "the card in the cache; null only for a card cached by an older version)",
    ),
}


def _results(url: dict[str, Any], **extra: dict[str, Any]) -> dict[str, Any]:
    """A batch answer: one result per URL, with ``url`` as ``url`` describes it."""
    return {
        "type": "object",
        "required": ["results", *extra],
        "properties": {
            "results": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["url"],
                    "description": "with a card, also how it was served (cache, fetched_at, "
                    "requested_url, final_url); else an error",
                    "properties": {
                        "url": url,
                        "card": {"$ref": "#/components/schemas/Card"},
                        **_SERVED_FIELDS,
                        "error": {"$ref": "#/components/schemas/Error/properties/error"},
                    },
                },
            },
            **extra,
        },
    }


_RESULTS = _results(
    {"description": "the item as sent: a URL, or (with an invalid_url error) any JSON value"}
)
_RESPONSE_RESULTS = _results(
    {"type": "string"},
    links_found={
        "type": "integer",
        "minimum": 0,
        "description": "distinct links found in the response (at most 1000 are looked for)",
    },
    truncated={
        "type": "boolean",
        "description": "true when more links were found than were previewed (max_batch_urls)",
    },
)

_VERDICT = {"type": "string", "enum": ["ok", "warning", "error"]}
_FINDING = {
    "type": "object",
    "required": ["code", "severity", "message"],
    "properties": {
        "code": {"type": "string"},
        "severity": {"type": "string", "enum": ["error", "warning", "info"]},
        "message": {"type": "string"},
    },
}
_CHECK_JOB = {
    "type": "object",
    "required": ["id", "status", "total", "done", "counts", "created_at", "finished_at", "links"],
    "properties": {
        "id": {"type": "string"},
        "status": {"type": "string", "enum": ["queued", "running", "done"]},
        "total": {"type": "integer"},
        "done": {"type": "integer"},
        "counts": {
            "type": "object",
            "required": ["ok", "warning", "error"],
            "properties": {v: {"type": "integer"} for v in ("ok", "warning", "error")},
        },
        "created_at": {"type": "number"},
        "finished_at": _nullable("number"),
        "links": {
            "type": "object",
            "required": ["self", "results"],
            "properties": {"self": {"type": "string"}, "results": {"type": "string"}},
        },
    },
}
_CHECK_RESULT = {
    "type": "object",
    "required": ["url", "final_url", "verdict", "findings", "card", "status", "elapsed_ms"],
    "properties": {
        "url": {"type": "string"},
        "final_url": _nullable("string"),
        "verdict": _VERDICT,
        "findings": {"type": "array", "items": _FINDING},
        "card": {"allOf": [{"$ref": "#/components/schemas/Card"}], "nullable": True},
        "status": _nullable("integer"),
        "elapsed_ms": {"type": "number"},
    },
}


def _error(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


_URL_PARAM = {
    "name": "url",
    "in": "query",
    "required": True,
    "description": "absolute http(s) URL of the page",
    "schema": {"type": "string"},
}
_API_ERRORS = {
    "400": _error(
        "invalid or blocked URL (invalid_url, blocked_url, blocked_address), or a bad or "
        "malformed request (bad_request)"
    ),
    "401": _error("missing or wrong API key (unauthorized)"),
    "408": _error("the request's head or body did not arrive in time (request_timeout)"),
    "413": _error("request body or batch too large (too_large, too_many_urls)"),
    "414": _error("URL over max_url_length, or request line over 8190 bytes (url_too_long)"),
    "429": _error("rate limited (rate_limited); see Retry-After"),
    "431": _error("a header field over 8192 bytes, or over 128 fields (headers_too_large)"),
}
#: The answers of the operations that read a request body.
_BODY_ERRORS = {
    **_API_ERRORS,
    "415": {
        **_error(
            "a Content-Encoding other than gzip, deflate, br or identity "
            "(unsupported_encoding); Accept-Encoding lists those"
        ),
        "headers": {"Accept-Encoding": {"schema": {"type": "string"}}},
    },
}
_UPSTREAM_ERRORS = {
    "502": _error(
        "the site failed: dns_error, connect_error, http_status, too_large, "
        "too_many_redirects, unsupported_content"
    ),
    "503": _error(
        "this service's connections to the site are all in use (busy); not cached, see Retry-After"
    ),
    "504": _error("the site did not answer in time (timeout)"),
}


def _boolean_param(name: str, description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": {"type": "string", "enum": ["0", "1", "true", "false"]},
    }


#: The user's language (see README "The user's language"): the chat host's country first.
_LOCALE_PARAMS = [
    {
        "name": "openai-subdivision-1-iso-code",
        "in": "header",
        "required": False,
        "description": "the user's country and subdivision (ISO 3166-2, e.g. US-CA), as a "
        "chat host sends it: the page is asked for in the country's languages (CLDR)",
        "schema": {"type": "string"},
    },
    {
        "name": "Accept-Language",
        "in": "header",
        "required": False,
        "description": "without the header above: the page is asked for in the first "
        "language of this list that CLDR knows",
        "schema": {"type": "string"},
    },
]
#: A signed embed link's query (from /v1/embed): it stands for the API key.
_EMBED_SIGNATURE_PARAMS = [
    {
        "name": "exp",
        "in": "query",
        "required": False,
        "description": "with sig: when the signed link expires (Unix time), from /v1/embed",
        "schema": {"type": "string", "pattern": "^[0-9]{1,12}$"},
    },
    {
        "name": "sig",
        "in": "query",
        "required": False,
        "description": "the signature of a link from /v1/embed: no API key needed with it",
        "schema": {"type": "string"},
    },
]
_SIGNATURE_ERRORS = {
    "403": _error(
        "a sig this service did not make for this URL (bad_signature), or an expired one "
        "(signature_expired)"
    )
}
_HOST_ERROR = _error(
    "the Host is no host name (bad_request) or one OGPREVIEW_ALLOWED_HOSTS does not list "
    "while OGPREVIEW_PUBLIC_URL is unset (host_not_allowed)"
)


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
                    **_API_ERRORS,
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
                    "400": _HOST_ERROR,
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
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}},
    }


def _plain(description: str, media: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "content": {media: {"schema": schema}}}


def openapi_document(base_url: str, settings: Settings) -> dict[str, Any]:
    """The document for a service at ``base_url`` configured by ``settings``."""
    security: list[dict[str, list[str]]] = [{"bearer": []}] if settings.api_keys else []
    fetching = {**_API_ERRORS, **_UPSTREAM_ERRORS}
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "ogpreview",
            "version": __version__,
            "description": "Safe, fast link previews (OpenGraph cards) over HTTP.",
        },
        "servers": [{"url": base_url}],
        "security": security,
        "paths": {
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
                                "`background`: a card not cached comes back after the page "
                                "alone (image unsized, no oEmbed values) while oEmbed and "
                                "the image probe complete it into the cache; the answer "
                                "then has `enrichment`: `pending` (or `complete`, when "
                                "there was nothing to wait for). `wait` (default): after "
                                "both. Ignored with explain or findings"
                            ),
                            "schema": {"type": "string", "enum": ["wait", "background"]},
                        },
                        *_LOCALE_PARAMS,
                    ],
                    "responses": {"200": _json_ok("the card", "Preview"), **fetching},
                },
                "delete": {
                    "operationId": "purgePreview",
                    "summary": "Delete a page's cached card, in every language, from the cache "
                    "(with Redis, for every instance sharing it)",
                    "parameters": [_URL_PARAM],
                    "responses": {
                        "200": _json_ok("what was purged", "Purged"),
                        **_API_ERRORS,
                        "503": _error(
                            "the shared cache (Redis) is unreachable: nothing was purged "
                            "(cache_unavailable)"
                        ),
                    },
                },
            },
            "/v1/previews": {
                "post": {
                    "operationId": "postPreviews",
                    "summary": "Cards of several URLs, in request order",
                    "parameters": _LOCALE_PARAMS,
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "required": ["urls"],
                                    "properties": {
                                        "urls": {
                                            "type": "array",
                                            "items": {"type": "string"},
                                            "maxItems": settings.max_batch_urls,
                                        }
                                    },
                                }
                            }
                        },
                    },
                    "responses": {
                        "200": _json_ok("one result per item, in order", "Results"),
                        **_BODY_ERRORS,
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
                        **_BODY_ERRORS,
                    },
                }
            },
            "/v1/card": {
                "get": {
                    "operationId": "getCard",
                    "summary": "The card as a self-contained HTML page or as Markdown",
                    "parameters": [
                        _URL_PARAM,
                        {
                            "name": "format",
                            "in": "query",
                            "required": False,
                            "schema": {"type": "string", "enum": ["html", "markdown"]},
                        },
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
                        **fetching,
                        **_SIGNATURE_ERRORS,
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
                        {
                            "name": "exp",
                            "in": "query",
                            "required": True,
                            "description": "when the signed URL expires (Unix time), as put "
                            "in card pages",
                            "schema": {"type": "string", "pattern": "^[0-9]{1,12}$"},
                        },
                        {
                            "name": "sig",
                            "in": "query",
                            "required": True,
                            "description": "hex HMAC-SHA256 of image|exp|url, as put in card pages",
                            "schema": {"type": "string"},
                        },
                    ],
                    "responses": {
                        "200": _plain(
                            "the image (raster types only)",
                            "image/*",
                            {"type": "string", "format": "binary"},
                        ),
                        "403": _error(
                            "not signed by this service (bad_signature), or expired "
                            "(signature_expired)"
                        ),
                        **fetching,
                    },
                }
            },
            "/oembed": {
                "get": {
                    "operationId": "getOembed",
                    "summary": "oEmbed provider endpoint (type rich, the card HTML)",
                    "parameters": [
                        _URL_PARAM,
                        {
                            "name": "format",
                            "in": "query",
                            "required": False,
                            "description": "json only; others answer 501 as oEmbed asks",
                            "schema": {"type": "string", "enum": ["json"]},
                        },
                        {
                            "name": "maxwidth",
                            "in": "query",
                            "required": False,
                            "schema": {"type": "integer", "minimum": 1},
                        },
                        {
                            "name": "maxheight",
                            "in": "query",
                            "required": False,
                            "schema": {"type": "integer", "minimum": 1},
                        },
                        *_EMBED_SIGNATURE_PARAMS,
                        *_LOCALE_PARAMS,
                    ],
                    "responses": {
                        "200": _json_ok("the oEmbed document", "OEmbed"),
                        "501": _error("format other than json (format_not_supported)"),
                        **fetching,
                        **_SIGNATURE_ERRORS,
                    },
                }
            },
            "/v1/checks": {
                "post": {
                    "operationId": "postChecks",
                    "summary": "Queue a batch link check; results come from /v1/checks/{id}",
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "required": ["urls"],
                                    "properties": {
                                        "urls": {
                                            "type": "array",
                                            "items": {"type": "string", "pattern": "\\S"},
                                            "minItems": 1,
                                            "maxItems": settings.check_max_urls,
                                        }
                                    },
                                }
                            }
                        },
                    },
                    "responses": {
                        "202": _json_ok("the job, queued", "CheckJob"),
                        **_BODY_ERRORS,
                        "503": _error(
                            "too many URLs queued (jobs_busy, see Retry-After) or the job "
                            "store (Redis) is unavailable (jobs_unavailable)"
                        ),
                    },
                }
            },
            "/v1/checks/{id}": {
                "get": {
                    "operationId": "getCheck",
                    "summary": "A check job's progress and results",
                    "parameters": [
                        {
                            "name": "id",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string"},
                        },
                        {
                            "name": "format",
                            "in": "query",
                            "required": False,
                            "description": "json (progress and a page of results) or jsonl "
                            "(one result per line, streamed until the job is done)",
                            "schema": {"type": "string", "enum": ["json", "jsonl"]},
                        },
                        {
                            "name": "offset",
                            "in": "query",
                            "required": False,
                            "description": "results to skip",
                            "schema": {"type": "integer", "minimum": 0},
                        },
                        {
                            "name": "limit",
                            "in": "query",
                            "required": False,
                            "description": "results per page (json; at most 10000)",
                            "schema": {"type": "integer", "minimum": 0},
                        },
                        {
                            "name": "follow",
                            "in": "query",
                            "required": False,
                            "description": "jsonl: 0 to end the stream at the results so far",
                            "schema": {"type": "string", "enum": ["0", "1"]},
                        },
                    ],
                    "responses": {
                        "200": {
                            "description": "progress and results",
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/CheckJobResults"}
                                },
                                "application/x-ndjson": {"schema": {"type": "string"}},
                            },
                        },
                        **_API_ERRORS,
                        "404": _error("no such job, or it expired (job_not_found)"),
                        "503": _error("the job store (Redis) is unavailable (jobs_unavailable)"),
                    },
                }
            },
            "/.well-known/ai-plugin.json": {
                "get": {
                    "operationId": "getPluginManifest",
                    "security": [],
                    "responses": {
                        "200": _plain("the manifest", "application/json", {}),
                        "400": _HOST_ERROR,
                        "404": _error(
                            "OGPREVIEW_PLUGIN_CONTACT_EMAIL or OGPREVIEW_PLUGIN_LEGAL_URL is "
                            "not set (plugin_not_configured)"
                        ),
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
                        "400": _HOST_ERROR,
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
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Image": _IMAGE,
                "Card": _CARD,
                "Preview": {
                    "allOf": [
                        {"$ref": "#/components/schemas/Card"},
                        {
                            "type": "object",
                            "required": list(_SERVED_FIELDS),
                            "properties": {
                                **_SERVED_FIELDS,
                                "explain": EXPLAIN_SCHEMA,
                                "verdict": _VERDICT,
                                "findings": {
                                    "type": "array",
                                    "items": {
                                        "allOf": [
                                            _FINDING,
                                            {
                                                "type": "object",
                                                "required": ["fix"],
                                                "properties": {"fix": {"type": "string"}},
                                            },
                                        ]
                                    },
                                },
                            },
                        },
                    ]
                },
                "Results": _RESULTS,
                "ResponseResults": _RESPONSE_RESULTS,
                "Error": _ERROR,
                "OEmbed": {
                    "type": "object",
                    "required": ["version", "type", "html", "width", "height"],
                    "properties": {
                        "version": {"type": "string", "enum": ["1.0"]},
                        "type": {"type": "string", "enum": ["rich", "link"]},
                        "html": {"type": "string"},
                        "width": {"type": "integer"},
                        "height": {"type": "integer"},
                        "title": {"type": "string"},
                        "author_name": {"type": "string"},
                        "provider_name": {"type": "string"},
                    },
                },
                "Purged": {
                    "type": "object",
                    "required": ["url", "purged"],
                    "properties": {
                        "url": {"type": "string", "description": "the page, as keyed"},
                        "purged": {
                            "type": "integer",
                            "minimum": 0,
                            "description": "cache entries deleted (one per language kept)",
                        },
                    },
                },
                "EmbedLinks": {
                    "type": "object",
                    "required": ["url", "card", "oembed", "expires"],
                    "properties": {
                        "url": {"type": "string"},
                        "card": {"type": "string", "description": "signed /v1/card link"},
                        "oembed": {"type": "string", "description": "signed /oembed link"},
                        "expires": {"type": "integer", "description": "Unix time"},
                    },
                },
                "CheckJob": _CHECK_JOB,
                "CheckJobResults": {
                    "allOf": [
                        {"$ref": "#/components/schemas/CheckJob"},
                        {
                            "type": "object",
                            "required": ["offset", "results"],
                            "properties": {
                                "offset": {"type": "integer"},
                                "results": {
                                    "type": "array",
                                    "items": {"$ref": "#/components/schemas/CheckResult"},
                                },
                            },
                        },
                    ]
                },
                "CheckResult": _CHECK_RESULT,
                "Status": {
                    "type": "object",
                    "required": ["status"],
                    "properties": {"status": {"type": "string"}},
                },
                "Ready": {
                    "type": "object",
                    "required": ["status", "cache", "cache_ok"],
                    "properties": {
                        "status": {"type": "string", "enum": ["ready", "degraded"]},
                        "cache": {"type": "string", "enum": ["memory", "redis"]},
                        "cache_ok": {"type": "boolean"},
                    },
                },
            },
        },
    }
