"""How the fetcher connects: the guarded resolver and socket factory that check every
address dialled against the policy, and the one :class:`aiohttp.ClientSession` built on
them. A refusal inside aiohttp's connector travels out as :class:`Refused`."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Callable

import aiohttp
from aiohappyeyeballs import AddrInfoType
from aiohttp.abc import AbstractResolver, ResolveResult

from ogpreview.errors import BlockedAddress, DNSError, FetchTimeout, PreviewError
from ogpreview.fetch.guard import AddressPolicy
from ogpreview.fetch.resolver import Resolver
from ogpreview.fetch.slots import UpstreamSlots
from ogpreview.settings import Settings

__all__ = ["GuardedResolver", "Refused", "guarded_socket", "open_session", "peer_ip"]


class Refused(OSError):
    """Raised inside aiohttp's connector (which only passes OSError through) to carry
    a policy refusal out to :meth:`Fetcher.fetch`."""

    def __init__(self, error: PreviewError) -> None:
        super().__init__(error.message)
        self.error = error


class GuardedResolver(AbstractResolver):
    """aiohttp resolver that returns only checked addresses: the ones then dialled."""

    def __init__(
        self, resolver: Resolver, policy: AddressPolicy, timeout: float | None = None
    ) -> None:
        self._resolver = resolver
        self.policy = policy
        self._timeout = timeout

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        try:
            # The connect timeout bounds resolving here, not aiohttp's "connect" timeout:
            # that one also counts the wait for a pooled connection (see open_session).
            async with asyncio.timeout(self._timeout):
                ips = await self._resolver.resolve(host, port)
        except TimeoutError as exc:
            raise Refused(
                FetchTimeout(f"resolving {host} took longer than {self._timeout} s")
            ) from exc
        results: list[ResolveResult] = []
        for text in ips:
            try:
                ip = ipaddress.ip_address(text.split("%", 1)[0])
            except ValueError as exc:
                raise Refused(DNSError(f"{host} resolved to a non-address {text!r}")) from exc
            # One refused answer refuses the name: a mix of public and private answers is
            # how DNS rebinding slips a private address in.
            if self.policy.blocks(ip):
                raise Refused(BlockedAddress(f"{host} resolves to a refused address {ip}"))
            results.append(
                {
                    "hostname": host,
                    "host": str(ip),
                    "port": port,
                    "family": socket.AF_INET6 if ip.version == 6 else socket.AF_INET,
                    "proto": 0,
                    "flags": socket.AI_NUMERICHOST,
                }
            )
        return results

    async def close(self) -> None:
        return None


def guarded_socket(policy: AddressPolicy, addr_info: AddrInfoType) -> socket.socket:
    """Every socket is made here, for the very address it will dial (IP literals
    included, which bypass the resolver): the last check before connect()."""
    family, type_, proto, _, sockaddr = addr_info
    ip = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
    if policy.blocks(ip):
        raise Refused(BlockedAddress(f"refused to connect to {ip}"))
    return socket.socket(family=family, type=type_, proto=proto)


def open_session(
    settings: Settings,
    slots: UpstreamSlots,
    resolver: GuardedResolver,
    socket_factory: Callable[[AddrInfoType], socket.socket],
    accept: str,
) -> aiohttp.ClientSession:
    """The fetcher's session: connections only through ``resolver`` and
    ``socket_factory``, no cookies, no environment proxy, ``accept`` by default."""
    s = settings
    connector = aiohttp.TCPConnector(
        resolver=resolver,
        socket_factory=socket_factory,
        use_dns_cache=False,  # every new connection is resolved, and so checked, again
        # The slots keep to these; the connector's own limits are the backstop.
        limit=slots.total,
        limit_per_host=slots.per_host,
        enable_cleanup_closed=True,
    )
    return aiohttp.ClientSession(
        connector=connector,
        cookie_jar=aiohttp.DummyCookieJar(),
        trust_env=False,  # an environment proxy must not switch the checks off
        auto_decompress=True,
        # Not aiohttp's "connect" timeout: it counts the wait for a free pooled
        # connection, our own queueing, against the site (the slots time that wait).
        timeout=aiohttp.ClientTimeout(total=None, connect=None, sock_connect=s.connect_timeout),
        max_line_size=s.max_header_bytes,
        max_field_size=s.max_header_bytes,
        max_headers=s.max_headers,
        headers={
            "User-Agent": s.user_agent,
            "Accept-Language": s.accept_language,
            "Accept-Encoding": "gzip, deflate, br",
            # Pages are most fetches; other purposes override it per request.
            "Accept": accept,
        },
    )


def peer_ip(response: aiohttp.ClientResponse) -> str | None:
    """The address the response came from, for reports. A small body may already have
    handed its connection back to the pool, so the protocol is asked as a fallback."""
    conn = response.connection
    transport = conn.transport if conn is not None else None
    if transport is None:
        protocol = getattr(response, "_protocol", None)
        transport = getattr(protocol, "transport", None)
    peer = transport.get_extra_info("peername") if transport is not None else None
    return str(peer[0]) if peer else None
