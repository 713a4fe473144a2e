"""The chat-plugin manifest (``/.well-known/ai-plugin.json``)."""

from __future__ import annotations

from typing import Any

__all__ = ["plugin_manifest"]


def plugin_manifest(base_url: str, *, auth: bool) -> dict[str, Any]:
    """The manifest for a service reachable at ``base_url``; ``auth`` when keys are set."""
    return {
        "schema_version": "v1",
        "name_for_human": "Link previews",
        "name_for_model": "ogpreview",
        "description_for_human": "Rich previews (title, description, image) of web links.",
        "description_for_model": (
            "Get a preview card (site name, title, description, image) for a web URL, for "
            "several URLs at once, or for every link in a text or JSON document. Use it to "
            "show users what a link leads to before they open it."
        ),
        "auth": {"type": "service_http", "authorization_type": "bearer"}
        if auth
        else {"type": "none"},
        "api": {"type": "openapi", "url": f"{base_url}/openapi.json"},
        "logo_url": f"{base_url}/healthz",
        "contact_email": "ogpreview@example.invalid",
        "legal_info_url": f"{base_url}/openapi.json",
    }
