"""This service's own origin, for every absolute URL it writes (the manifest, the specs,
oEmbed answers, signed links).

``OGPREVIEW_PUBLIC_URL`` names it when set. Otherwise it is the request's, but only when
the request's Host is one ``OGPREVIEW_ALLOWED_HOSTS`` lists (by default the loopback
names): any other Host is answered 400 ``host_not_allowed`` rather than written into a
manifest (``Host: evil.example`` must not make the manifest name evil.example) or
replaced by a listed host (which would hide a proxy that sends the wrong one).
"""

from __future__ import annotations

from aiohttp import web

from ogpreview.validation import host_entry
from ogpreview.web.apierror import ApiError
from ogpreview.web.keys import SETTINGS_KEY

__all__ = ["base_url"]

#: Schemes a trusted proxy may say the client used.
_SCHEMES = ("http", "https")


def _listed(host: str, port: int | None, allowed: tuple[str, ...]) -> bool:
    for item in allowed:
        entry = host_entry(item)
        if entry is not None and entry[0] == host and entry[1] in (None, port):
            return True
    return False


def base_url(request: web.Request) -> str:
    """The service's origin (and base path) as clients reach it, without a trailing slash.

    Raises :class:`ApiError` 400: ``bad_request`` for a Host that is no host name,
    ``host_not_allowed`` for one the operator did not list (when no public URL is set).
    """
    settings = request.app[SETTINGS_KEY]
    if settings.public_url is not None:
        return settings.public_url
    scheme = request.scheme
    if settings.trust_forwarded_for:
        forwarded = request.headers.get("X-Forwarded-Proto", "").split(",", 1)[0].strip()
        if forwarded in _SCHEMES:
            scheme = forwarded
    entry = host_entry(request.host)
    if entry is None:
        raise ApiError("bad_request", "the Host header is not a host name")
    host, port = entry
    if not _listed(host, port, settings.allowed_hosts):
        raise ApiError(
            "host_not_allowed",
            "the Host header names a host this service was not told it has: set "
            "OGPREVIEW_PUBLIC_URL, or list the host in OGPREVIEW_ALLOWED_HOSTS",
        )
    return f"{scheme}://{host}" if port is None else f"{scheme}://{host}:{port}"
