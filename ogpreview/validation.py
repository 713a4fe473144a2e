"""Checks of the Settings values that need more than a range: the service's public URL,
the Host names it answers to, CORS origins, and the plugin manifest's fields and limits.

Each returns the value as Settings keeps it (normalised) or raises ``ValueError`` naming
the field, so that ``ogpreview serve`` refuses a bad configuration at start-up with one
readable line.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import urlsplit

__all__ = [
    "DESCRIPTION_FOR_HUMAN_MAX",
    "DESCRIPTION_FOR_MODEL_MAX",
    "NAME_FOR_HUMAN_MAX",
    "NAME_FOR_MODEL_MAX",
    "absolute_url",
    "allowed_hosts",
    "cors_origins",
    "email",
    "host_entry",
    "plugin_texts",
    "public_url",
    "token",
]

#: The chat-plugin manifest's length limits (characters).
NAME_FOR_HUMAN_MAX = 20
NAME_FOR_MODEL_MAX = 50
DESCRIPTION_FOR_HUMAN_MAX = 100
DESCRIPTION_FOR_MODEL_MAX = 8000

#: A host as a Host header names it: a DNS name or IPv4 literal, or an IPv6 literal in
#: brackets; optionally a port.
_HOST = re.compile(
    r"(?P<name>[a-z0-9_](?:[a-z0-9_.-]*[a-z0-9_])?|\[[0-9a-f:.]+\])(?::(?P<port>[0-9]{1,5}))?"
)
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")
_TOKEN = re.compile(r"[\x21-\x7e]{1,512}")


def host_entry(text: str) -> tuple[str, int | None] | None:
    """``(host, port)`` of a ``host[:port]`` text, lower-cased (port None when absent);
    None when it is no host."""
    match = _HOST.fullmatch(text.strip().lower())
    if match is None:
        return None
    port = match.group("port")
    if port is not None and not 0 < int(port) < 65536:
        return None
    return match.group("name"), None if port is None else int(port)


def absolute_url(value: str | None, name: str) -> str | None:
    """An absolute http(s) URL with a host and no credentials, or None."""
    if value is None:
        return None
    text = value.strip()
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - raises for a malformed port
    except ValueError as exc:
        raise ValueError(f"{name}: {text[:100]!r} is not a URL ({exc})") from exc
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.username is not None:
        raise ValueError(f"{name}: {text[:100]!r} is not an absolute http(s) URL")
    return text


def public_url(value: str | None) -> str | None:
    """The service's public base URL, without a trailing slash; no query or fragment."""
    text = absolute_url(value, "public_url")
    if text is None:
        return None
    parts = urlsplit(text)
    if parts.query or parts.fragment:
        raise ValueError(f"public_url: {text[:100]!r} must not have a query or fragment")
    return text.rstrip("/")


def allowed_hosts(values: Iterable[str]) -> tuple[str, ...]:
    """Host names (``host`` or ``host:port``) the service may name itself by."""
    out: list[str] = []
    for item in values:
        text = str(item).strip()
        if not text:
            continue
        entry = host_entry(text)
        if entry is None:
            raise ValueError(f"allowed_hosts: {text[:100]!r} is not a host or host:port")
        host, port = entry
        out.append(host if port is None else f"{host}:{port}")
    return tuple(out)


def cors_origins(values: Iterable[str]) -> tuple[str, ...]:
    """Browser origins (``scheme://host[:port]``) allowed to call the API, or ``*``."""
    out: list[str] = []
    for item in values:
        text = str(item).strip().lower().rstrip("/")
        if not text:
            continue
        if text == "*":
            out.append(text)
            continue
        scheme, sep, rest = text.partition("://")
        if scheme not in ("http", "https") or not sep or host_entry(rest) is None:
            raise ValueError(
                f"cors_origins: {text[:100]!r} is not an origin (scheme://host[:port]) or *"
            )
        out.append(text)
    return tuple(out)


def _matching(value: str | None, pattern: re.Pattern[str], refusal: str) -> str | None:
    """``value`` stripped when ``pattern`` matches all of it; None stays None."""
    if value is None:
        return None
    text = value.strip()
    if pattern.fullmatch(text) is None:
        raise ValueError(refusal.format(shown=repr(text[:100])))
    return text


def email(value: str | None) -> str | None:
    """A contact e-mail address (one ``@``, a dotted domain, no spaces), or None."""
    return _matching(value, _EMAIL, "plugin_contact_email: {shown} is not an e-mail address")


def token(value: str | None, name: str) -> str | None:
    """A printable token without spaces, or None."""
    return _matching(value, _TOKEN, f"{name} must be 1-512 printable characters without spaces")


def plugin_texts(*, name: str, model_name: str, description: str, model_description: str) -> None:
    """The manifest's names and descriptions, within the limits chat hosts enforce."""
    limits = (
        ("plugin_name", name, NAME_FOR_HUMAN_MAX),
        ("plugin_model_name", model_name, NAME_FOR_MODEL_MAX),
        ("plugin_description", description, DESCRIPTION_FOR_HUMAN_MAX),
        ("plugin_model_description", model_description, DESCRIPTION_FOR_MODEL_MAX),
    )
    for field, text, limit in limits:
        if not text.strip():
            raise ValueError(f"{field} must not be empty")
        if len(text) > limit:
            raise ValueError(
                f"{field} is {len(text)} characters; the plugin manifest allows at most {limit}"
            )
    if re.search(r"\s", model_name):
        raise ValueError(f"plugin_model_name {model_name[:60]!r} must not contain spaces")
