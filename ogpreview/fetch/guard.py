"""Which addresses ogpreview may connect to: a pure policy, no I/O.

:func:`is_blocked` is checked on every address the fetcher dials (DNS answers at connect
time, IP literals before the request, the socket's peer after connecting). Everything that
is not globally routable is denied unless an allow list admits it; a block list wins over
everything. IPv6 forms that carry an IPv4 address (mapped, compatible, NAT64, 6to4, Teredo)
are judged by the IPv4 address they lead to as well.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from functools import lru_cache

__all__ = [
    "DENIED_NETWORKS",
    "AddressPolicy",
    "IPAddress",
    "embedded_ipv4",
    "is_blocked",
    "parse_ip_literal",
]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

#: IANA special-purpose ranges (RFC 6890 and successors) and other non-public space.
DENIED_NETWORKS: tuple[Network, ...] = tuple(
    ipaddress.ip_network(n)
    for n in (
        # IPv4
        "0.0.0.0/8",  # "this network", unspecified
        "10.0.0.0/8",  # private
        "100.64.0.0/10",  # carrier-grade NAT
        "127.0.0.0/8",  # loopback
        "169.254.0.0/16",  # link-local, cloud metadata (169.254.169.254)
        "172.16.0.0/12",  # private
        "192.0.0.0/24",  # IETF protocol assignments
        "192.0.2.0/24",  # documentation TEST-NET-1
        "192.31.196.0/24",  # AS112
        "192.52.193.0/24",  # AMT
        "192.88.99.0/24",  # 6to4 relay anycast
        "192.168.0.0/16",  # private
        "192.175.48.0/24",  # AS112 direct delegation
        "198.18.0.0/15",  # benchmarking
        "198.51.100.0/24",  # documentation TEST-NET-2
        "203.0.113.0/24",  # documentation TEST-NET-3
        "224.0.0.0/4",  # multicast
        "240.0.0.0/4",  # reserved, and 255.255.255.255 broadcast
        # IPv6
        "::/128",  # unspecified
        "::1/128",  # loopback
        "::ffff:0:0/96",  # IPv4-mapped (judged by the IPv4 address)
        "64:ff9b:1::/48",  # local-use NAT64
        "100::/64",  # discard-only
        "2001::/23",  # IETF protocol assignments (Teredo is judged by what it carries)
        "2001:db8::/32",  # documentation
        "3fff::/20",  # documentation
        "5f00::/16",  # SRv6 SIDs
        "fc00::/7",  # unique local
        "fe80::/10",  # link-local
        "fec0::/10",  # site-local (deprecated)
        "ff00::/8",  # multicast
    )
)

_MAPPED = ipaddress.ip_network("::ffff:0:0/96")
_COMPATIBLE = ipaddress.ip_network("::/96")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_SIX_TO_FOUR = ipaddress.ip_network("2002::/16")
_TEREDO = ipaddress.ip_network("2001::/32")


def embedded_ipv4(ip: IPAddress) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address leads to (empty for a plain address)."""
    if isinstance(ip, ipaddress.IPv4Address):
        return []
    low32 = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip in _MAPPED or ip in _NAT64:
        return [low32]
    if ip in _COMPATIBLE and int(ip) > 1:  # ::a.b.c.d (deprecated form); :: and ::1 are not
        return [low32]
    if ip in _SIX_TO_FOUR:
        return [ipaddress.IPv4Address((int(ip) >> 80) & 0xFFFFFFFF)]
    if ip in _TEREDO:
        server = ipaddress.IPv4Address((int(ip) >> 64) & 0xFFFFFFFF)
        client = ipaddress.IPv4Address(~int(ip) & 0xFFFFFFFF)  # stored inverted
        return [server, client]
    return []


def _networks(values: Iterable[str | Network]) -> tuple[Network, ...]:
    return tuple(
        v if isinstance(v, ipaddress.IPv4Network | ipaddress.IPv6Network) else
        ipaddress.ip_network(v, strict=False)
        for v in values
    )  # fmt: skip


def _denied_by_default(ip: IPAddress) -> bool:
    return not ip.is_global or _within(ip, DENIED_NETWORKS)


def _within(ip: IPAddress, networks: tuple[Network, ...]) -> bool:
    return any(ip in net for net in networks if net.version == ip.version)


def is_blocked(
    ip: IPAddress | str,
    *,
    allow: Iterable[str | Network] = (),
    block: Iterable[str | Network] = (),
) -> bool:
    """Whether connecting to ``ip`` is refused.

    Denied: every non-public range (see :data:`DENIED_NETWORKS`), unless ``allow``
    contains the address; ``block`` denies whatever it contains, allowed or not. An IPv6
    address that carries IPv4 addresses (mapped, compatible, NAT64, 6to4, Teredo) is
    judged by those: it leads wherever they lead.
    """
    return AddressPolicy.of(allow, block).blocks(ip)


class AddressPolicy:
    """:func:`is_blocked` with its allow and block lists parsed once (the fetcher holds one)."""

    __slots__ = ("allow", "block")

    def __init__(self, allow: tuple[Network, ...] = (), block: tuple[Network, ...] = ()):
        self.allow = allow
        self.block = block

    @classmethod
    def of(
        cls, allow: Iterable[str | Network] = (), block: Iterable[str | Network] = ()
    ) -> AddressPolicy:
        return cls(_networks(allow), _networks(block))

    def blocks(self, ip: IPAddress | str) -> bool:
        """Whether connecting to ``ip`` is refused (see :func:`is_blocked`)."""
        return _is_blocked(_address(ip), self.allow, self.block)


@lru_cache(maxsize=4096)
def _is_blocked(ip: IPAddress, allow: tuple[Network, ...], block: tuple[Network, ...]) -> bool:
    carried: list[IPAddress] = list(embedded_ipv4(ip))
    if any(_within(addr, block) for addr in (ip, *carried)):
        return True
    judged = carried or [ip]
    return any(_denied_by_default(addr) and not _within(addr, allow) for addr in judged)


def _address(ip: IPAddress | str) -> IPAddress:
    if isinstance(ip, ipaddress.IPv4Address | ipaddress.IPv6Address):
        return ip
    parsed = parse_ip_literal(ip)
    if parsed is None:
        raise ValueError(f"not an IP address: {ip!r}")
    return parsed


def _inet_aton_part(text: str) -> int | None:
    if not text:
        return None
    try:
        if text[:2].lower() == "0x":
            return int(text[2:], 16) if text[2:] else 0
        if len(text) > 1 and text[0] == "0":
            return int(text[1:], 8)
        return int(text, 10) if text.isdigit() else None
    except ValueError:
        return None


@lru_cache(maxsize=4096)
def parse_ip_literal(host: str) -> IPAddress | None:
    """The address a host string denotes when an OS resolver would read it as an IP.

    Understands every ``inet_aton`` spelling (``2130706433``, ``0x7f.1``, ``0177.0.0.1``,
    ``127.1``), a trailing dot, and bracketed IPv6 with a zone id. None for a host name.
    Pure, so remembered per host string: a batch asks about the same hosts again and again.
    """
    text = host.strip().rstrip(".")
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    if ":" in text:
        try:
            return ipaddress.IPv6Address(text.split("%", 1)[0])
        except ValueError:
            return None
    parts = text.split(".")
    if not 1 <= len(parts) <= 4:
        return None
    numbers = [_inet_aton_part(p) for p in parts]
    if any(n is None for n in numbers):
        return None
    values = [n for n in numbers if n is not None]
    *head, last = values
    if any(v > 0xFF for v in head) or last >= 1 << (8 * (5 - len(values))):
        return None
    value = 0
    for v in head:
        value = value << 8 | v
    value = value << (8 * (5 - len(values))) | last
    return ipaddress.IPv4Address(value)
