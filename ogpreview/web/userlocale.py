"""The language a request's user reads: what the chat host or the browser says."""

from __future__ import annotations

from aiohttp import web

from ogpreview.locale import UserLocale

__all__ = ["LOCALE_HEADERS", "REGION_HEADER", "request_locale"]

#: The chat host's header naming the user's country and subdivision (``US-CA``).
REGION_HEADER = "openai-subdivision-1-iso-code"
#: The request headers a localised answer depends on (its ``Vary``).
LOCALE_HEADERS = f"Accept-Language, {REGION_HEADER}"


def request_locale(request: web.Request) -> UserLocale | None:
    """The user's language: the chat host's country first (it is the user's, where a
    host's own ``Accept-Language`` may be its HTTP library's), else the caller's
    ``Accept-Language``; None (the default language) when neither names one CLDR knows.
    Either header is a hint: one that names nothing is ignored, never an error."""
    region = request.headers.get(REGION_HEADER)
    if region:
        found = UserLocale.for_region(region)
        if found is not None:
            return found
    accept = request.headers.get("Accept-Language")
    return UserLocale.from_accept_language(accept) if accept else None
