"""Name resolution behind a small seam, so tests and deployments can choose the answers."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable, Iterable, Mapping
from typing import Protocol

__all__ = ["Resolver", "StaticResolver", "SystemResolver"]


class Resolver(Protocol):
    """Anything that turns a host name into IP address strings (raise OSError if none)."""

    async def resolve(self, host: str, port: int) -> list[str]: ...


class SystemResolver:
    """The operating system's resolver (getaddrinfo), run off the event loop."""

    async def resolve(self, host: str, port: int) -> list[str]:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
        seen: dict[str, None] = {}
        for _family, _type, _proto, _canon, sockaddr in infos:
            seen.setdefault(str(sockaddr[0]), None)
        if not seen:
            raise socket.gaierror(socket.EAI_NONAME, f"no address for {host}")
        return list(seen)


class StaticResolver:
    """Fixed answers per host name: a list of IPs, or a callable giving the next answer.

    Useful in tests (public, private, mixed or changing answers) and to pin names in
    deployments. A name it does not know fails like an unknown DNS name.
    """

    def __init__(self, answers: Mapping[str, Iterable[str] | Callable[[], Iterable[str]]]):
        self._answers = {host.lower().rstrip("."): value for host, value in answers.items()}
        self.calls: list[str] = []

    async def resolve(self, host: str, port: int) -> list[str]:
        key = host.lower().rstrip(".")
        self.calls.append(key)
        answer = self._answers.get(key)
        if answer is None:
            raise socket.gaierror(socket.EAI_NONAME, f"unknown host {host}")
        ips = list(answer() if callable(answer) else answer)
        if not ips:
            raise socket.gaierror(socket.EAI_NONAME, f"no address for {host}")
        return ips
