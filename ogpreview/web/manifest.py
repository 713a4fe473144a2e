"""The chat-plugin manifest (``/.well-known/ai-plugin.json``), from the plugin settings.

Its texts are checked against the limits chat hosts enforce when the settings are made
(``ogpreview.validation``), so a service that starts serves a manifest a host accepts.
It names a contact address and a legal page only the operator can give: until both are
set there is no manifest (404 ``plugin_not_configured``), never a placeholder.
"""

from __future__ import annotations

from typing import Any

from ogpreview.settings import PluginSettings

__all__ = ["LOGO_PATH", "MODEL_SPEC_PATH", "missing_fields", "plugin_manifest"]

#: The lean, model-facing OpenAPI document the manifest's ``api.url`` names.
MODEL_SPEC_PATH = "/openapi.model.json"
#: The logo this service serves itself (the manifest's default ``logo_url``).
LOGO_PATH = "/logo.png"


def missing_fields(plugin: PluginSettings) -> list[str]:
    """The variables that must be set before a manifest can be served."""
    needed = {
        "OGPREVIEW_PLUGIN_CONTACT_EMAIL": plugin.plugin_contact_email,
        "OGPREVIEW_PLUGIN_LEGAL_URL": plugin.plugin_legal_url,
    }
    return [name for name, value in needed.items() if value is None]


def plugin_manifest(base_url: str, plugin: PluginSettings, *, auth: bool) -> dict[str, Any]:
    """The manifest for a service reachable at ``base_url``; ``auth`` when keys are set
    (then ``service_http`` bearer, with the verification token when one is configured)."""
    assert plugin.plugin_contact_email is not None and plugin.plugin_legal_url is not None
    authentication: dict[str, Any] = {"type": "none"}
    if auth:
        authentication = {"type": "service_http", "authorization_type": "bearer"}
        if plugin.plugin_verification_token is not None:
            authentication["verification_tokens"] = {"openai": plugin.plugin_verification_token}
    return {
        "schema_version": "v1",
        "name_for_human": plugin.plugin_name,
        "name_for_model": plugin.plugin_model_name,
        "description_for_human": plugin.plugin_description,
        "description_for_model": plugin.plugin_model_description,
        "auth": authentication,
        "api": {"type": "openapi", "url": f"{base_url}{MODEL_SPEC_PATH}"},
        "logo_url": plugin.plugin_logo_url or f"{base_url}{LOGO_PATH}",
        "contact_email": plugin.plugin_contact_email,
        "legal_info_url": plugin.plugin_legal_url,
    }
