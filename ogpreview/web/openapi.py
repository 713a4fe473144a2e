"""The OpenAPI 3 document of the API, assembled: the paths (``ogpreview.web.openapi_paths``)
and the schemas of the answers, each generated from the type whose ``to_dict()`` writes it
(``ogpreview.web.schema``) where one does; what the handlers build by hand is written here."""

from __future__ import annotations

from typing import Any

from ogpreview.card import Card, Image
from ogpreview.check.checker import CheckResult, Finding
from ogpreview.check.jobs.base import JobStatus, JobView
from ogpreview.settings import Settings, __version__
from ogpreview.web.apierror import Problem
from ogpreview.web.explain import EXPLAIN_SCHEMA
from ogpreview.web.openapi_paths import paths
from ogpreview.web.schema import REF_PREFIX, component
from ogpreview.web.served import Served

__all__ = ["openapi_document"]


def _ref(name: str) -> dict[str, str]:
    return {"$ref": REF_PREFIX + name}


def _object(properties: dict[str, Any], *required: str) -> dict[str, Any]:
    return {"type": "object", "required": list(required), "properties": properties}


_SERVED = component(Served)
_IMAGE = component(Image)
# A size the card gives is a real one (Image.from_dict refuses 0 and negatives).
for _side in ("width", "height"):
    _IMAGE["properties"][_side]["minimum"] = 1


def _results(url: dict[str, Any], **extra: dict[str, Any]) -> dict[str, Any]:
    """A batch answer: one result per URL, with ``url`` as ``url`` describes it."""
    item = _object(
        {"url": url, "card": _ref("Card"), **_SERVED["properties"], "error": _ref("Problem")},
        "url",
    )
    item["description"] = (
        "with a card, also how it was served (cache, fetched_at, requested_url, final_url); "
        "else an error"
    )
    return _object({"results": {"type": "array", "items": item}, **extra}, "results", *extra)


#: A finding as /v1/preview?findings=1 gives it: with how to fix it.
_FIXED_FINDING = {"allOf": [_ref("Finding"), _object({"fix": {"type": "string"}}, "fix")]}
_PREVIEW = {
    "allOf": [
        _ref("Card"),
        {
            **_SERVED,
            "properties": {
                **_SERVED["properties"],
                "explain": EXPLAIN_SCHEMA,
                "verdict": component(CheckResult)["properties"]["verdict"],
                "findings": {"type": "array", "items": _FIXED_FINDING},
            },
        },
    ]
}
_CHECK_JOB = component(JobView, computed={"status": JobStatus})
#: The job's own URLs, which the handler adds to its view.
_CHECK_JOB["properties"]["links"] = _object(
    {"self": {"type": "string"}, "results": {"type": "string"}}, "self", "results"
)
_CHECK_JOB["required"].append("links")


def _schemas() -> dict[str, Any]:
    return {
        "Image": _IMAGE,
        "Card": component(Card),
        "Preview": _PREVIEW,
        "Results": _results(
            {
                "description": "the item as sent: a URL, or (with an invalid_url error) "
                "any JSON value"
            }
        ),
        "ResponseResults": _results(
            {"type": "string"},
            links_found={
                "type": "integer",
                "minimum": 0,
                "description": "distinct links found in the response (at most 1000 are looked for)",
            },
            truncated={
                "type": "boolean",
                "description": "true when more links were found than were previewed "
                "(max_batch_urls)",
            },
        ),
        "Problem": component(Problem),
        "Error": _object({"error": _ref("Problem")}, "error"),
        "OEmbed": _object(
            {
                "version": {"type": "string", "enum": ["1.0"]},
                "type": {"type": "string", "enum": ["rich", "link"]},
                "html": {"type": "string"},
                "width": {"type": "integer"},
                "height": {"type": "integer"},
                "title": {"type": "string"},
                "author_name": {"type": "string"},
                "provider_name": {"type": "string"},
            },
            "version",
            "type",
            "html",
            "width",
            "height",
        ),
        "Purged": _object(
            {
                "url": {"type": "string", "description": "the page, as keyed"},
                "purged": {
                    "type": "integer",
                    "minimum": 0,
                    "description": "cache entries deleted (one per language kept)",
                },
            },
            "url",
            "purged",
        ),
        "EmbedLinks": _object(
            {
                "url": {"type": "string"},
                "card": {"type": "string", "description": "signed /v1/card link"},
                "oembed": {"type": "string", "description": "signed /oembed link"},
                "expires": {"type": "integer", "description": "Unix time"},
            },
            "url",
            "card",
            "oembed",
            "expires",
        ),
        "CheckJob": _CHECK_JOB,
        "CheckJobResults": {
            "allOf": [
                _ref("CheckJob"),
                _object(
                    {
                        "offset": {"type": "integer"},
                        "results": {"type": "array", "items": _ref("CheckResult")},
                    },
                    "offset",
                    "results",
                ),
            ]
        },
        "CheckResult": component(CheckResult),
        "Finding": component(Finding),
        "Status": _object({"status": {"type": "string"}}, "status"),
        "Ready": _object(
            {
                "status": {"type": "string", "enum": ["ready", "degraded"]},
                "cache": {"type": "string", "enum": ["memory", "redis"]},
                "cache_ok": {"type": "boolean"},
            },
            "status",
            "cache",
            "cache_ok",
        ),
    }


def openapi_document(base_url: str, settings: Settings) -> dict[str, Any]:
    """The document for a service at ``base_url`` configured by ``settings``."""
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "ogpreview",
            "version": __version__,
            "description": "Safe, fast link previews (OpenGraph cards) over HTTP.",
        },
        "servers": [{"url": base_url}],
        "security": [{"bearer": []}] if settings.api_keys else [],
        "paths": paths(settings),
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": _schemas(),
        },
    }
