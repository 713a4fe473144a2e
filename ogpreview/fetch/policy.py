"""Checking a URL before anything is dialled: scheme, credentials, port, host.

Pure: the same check runs on the URL a caller gives and on every redirect hop.
"""

from __future__ import annotations

import yarl

from ogpreview.errors import BlockedAddress, BlockedURL, InvalidURL
from ogpreview.fetch.guard import AddressPolicy, parse_ip_literal
from ogpreview.settings import FetchPolicy
from ogpreview.urls import MAX_URL_LENGTH

__all__ = ["MAX_URL_LENGTH", "SPECIAL_USE_SUFFIXES", "URL_MEMO_SIZE", "validate_url"]

#: URL strings whose check a caller remembers (the fetcher its policy check, the previewer
#: its check and cache key): the same links come back again and again.
URL_MEMO_SIZE = 4096
#: Names that only ever mean a local or private host (RFC 6761, RFC 8375, common intranet
#: suffixes). Refused unless the operator opened private networks with ``allow_networks``.
SPECIAL_USE_SUFFIXES = (
    "localhost",
    "local",
    "internal",
    "intranet",
    "localdomain",
    "home.arpa",
    "lan",
    "corp",
    "private",
)


def _special_use(host: str) -> bool:
    return "." not in host or any(
        host == suffix or host.endswith("." + suffix) for suffix in SPECIAL_USE_SUFFIXES
    )


def validate_url(
    url: str | yarl.URL, rules: FetchPolicy, policy: AddressPolicy | None = None
) -> yarl.URL:
    """The URL, parsed and normalised, if policy allows fetching it; raises otherwise.

    :class:`InvalidURL` when it is not an absolute http(s)-shaped URL at all;
    :class:`BlockedURL` for a refused scheme, credentials, port or host name;
    :class:`BlockedAddress` for an IP literal (in any spelling) in a refused network.
    ``rules`` is the fetch policy (``settings.policy``); ``policy`` its address policy,
    pre-parsed (callers on a hot path pass it).
    """
    text = str(url)
    if len(text) > MAX_URL_LENGTH:
        raise InvalidURL(f"URL longer than {MAX_URL_LENGTH} characters", url=text[:200])
    try:
        parsed = url if isinstance(url, yarl.URL) else yarl.URL(text.strip())
        host = parsed.raw_host  # IDNA-encoded, lower-cased by yarl
        port = parsed.port
    except (ValueError, TypeError, UnicodeError) as exc:
        raise InvalidURL(f"malformed URL: {exc}", url=text[:200]) from exc
    if parsed.scheme and parsed.scheme not in ("http", "https"):
        raise BlockedURL(f"scheme {parsed.scheme!r} is not allowed", url=text)
    if not parsed.absolute or not parsed.scheme:
        raise InvalidURL("not an absolute URL", url=text[:200])
    if parsed.user is not None or parsed.password is not None:
        raise BlockedURL("URLs with credentials are not fetched", url=text)
    if not host:
        raise InvalidURL("URL has no host", url=text)
    host = host.rstrip(".").lower()
    if not host:
        raise InvalidURL("URL has no host", url=text)
    if port == 0:  # no server listens there: a mistake, not a site that failed
        raise BlockedURL("port 0 is not a port a server listens on", url=text)
    if port is None or (rules.allowed_ports is not None and port not in rules.allowed_ports):
        # One message for every surface: the CLI's flag and the service's setting.
        raise BlockedURL(
            f"port {port} is not allowed (allow it with --allow-port {port} "
            "or OGPREVIEW_ALLOWED_PORTS)",
            url=text,
        )
    ip = parse_ip_literal(host)
    if ip is not None:
        policy = policy or AddressPolicy.of(rules.allow_networks, rules.block_networks)
        if policy.blocks(ip):
            raise BlockedAddress(f"address {ip} is not allowed", url=text)
        # Fetch by the canonical spelling so nothing downstream re-reads "0x7f.1".
        if str(ip) != host:
            parsed = parsed.with_host(str(ip))
    elif _special_use(host) and not rules.allow_networks:
        raise BlockedURL(f"host name {host!r} is not a public name", url=text)
    return parsed.with_fragment(None) if parsed.raw_fragment else parsed
