"""SSRF: refused addresses are never dialled. Each test proves it with a loopback listener
that must see zero connections (never by sending traffic anywhere but loopback)."""

from __future__ import annotations

import socket
from collections.abc import Callable

import pytest

from ogpreview import BlockedAddress, BlockedURL, Fetcher, PreviewError, Settings
from ogpreview.fetch.connect import GuardedResolver
from ogpreview.fetch.guard import AddressPolicy
from ogpreview.fetch.resolver import StaticResolver
from tests.servers import origin_server, raw_listener

#: Default address policy; any port, so only the address decides.
DEFAULT_ANY_PORT = Settings(allowed_ports=None)

SPELLINGS = [
    "127.0.0.1",
    "2130706433",
    "0x7f000001",
    "017700000001",
    "0177.0.0.1",
    "0x7f.0.0.1",
    "0x7f.1",
    "127.1",
    "127.0.1",
    "127.0.0.1.",
    "[::ffff:127.0.0.1]",
    "[::ffff:7f00:1]",
    "[::127.0.0.1]",
    "[2002:7f00:1::]",
    "[64:ff9b::7f00:1]",
    "[2001:0:4136:e378:8000:63bf:80ff:fffe]",
]


@pytest.mark.parametrize("host", SPELLINGS)
async def test_no_spelling_of_loopback_reaches_the_listener(host: str) -> None:
    """With default settings, no IP spelling of 127.0.0.1 opens a connection to it."""
    async with raw_listener() as listener, Fetcher(DEFAULT_ANY_PORT) as fetcher:
        with pytest.raises(BlockedAddress) as info:
            await fetcher.fetch(f"http://{host}:{listener.port}/")
    assert (info.value.code, listener.accepted) == ("blocked_address", 0)


async def test_localhost_name_is_refused_before_any_lookup() -> None:
    """'localhost' is a special-use name: blocked_url, and nothing is dialled."""
    async with raw_listener() as listener, Fetcher(DEFAULT_ANY_PORT) as fetcher:
        with pytest.raises(BlockedURL) as info:
            await fetcher.fetch(f"http://localhost:{listener.port}/")
    assert (info.value.code, listener.accepted) == ("blocked_url", 0)


async def test_ipv6_loopback_is_refused() -> None:
    """[::1] is refused with zero connections on an IPv6 loopback listener."""
    try:
        probe = socket.socket(socket.AF_INET6)
        probe.close()
    except OSError:
        pytest.skip("no IPv6 on this machine")
    async with raw_listener("::1") as listener, Fetcher(DEFAULT_ANY_PORT) as fetcher:
        with pytest.raises(BlockedAddress):
            await fetcher.fetch(f"http://[::1]:{listener.port}/")
    assert listener.accepted == 0


@pytest.mark.parametrize(
    "answers",
    [["127.0.0.1"], ["127.0.0.1", "93.184.216.34"], ["93.184.216.34", "127.0.0.1"]],
    ids=["private", "private-then-public", "public-then-private"],
)
async def test_a_name_with_any_refused_answer_is_refused(answers: list[str]) -> None:
    """A DNS answer holding a refused address refuses the name: nothing is dialled."""
    resolver = StaticResolver({"rebind.test": answers})
    async with raw_listener() as listener, Fetcher(DEFAULT_ANY_PORT, resolver=resolver) as f:
        with pytest.raises(BlockedAddress):
            await f.fetch(f"http://rebind.test:{listener.port}/")
    assert listener.accepted == 0


async def test_mixed_answer_with_an_allowed_address_is_still_refused() -> None:
    """Allowed loopback plus a private address: refused as a whole, zero connections."""
    settings = DEFAULT_ANY_PORT.replace(allow_networks=["127.0.0.0/8"])
    resolver = StaticResolver({"mixed.test": ["127.0.0.1", "10.0.0.1"]})
    async with raw_listener() as listener, Fetcher(settings, resolver=resolver) as fetcher:
        with pytest.raises(BlockedAddress):
            await fetcher.fetch(f"http://mixed.test:{listener.port}/")
    assert listener.accepted == 0


async def test_changing_answer_is_checked_again() -> None:
    """A name that answered an allowed address, then a refused one, is refused the
    second time: every new connection is resolved and checked anew."""
    answers = iter([["127.0.0.1"], ["127.0.0.2"]])
    resolver = StaticResolver({"flip.test": lambda: next(answers)})
    settings = DEFAULT_ANY_PORT.replace(allow_networks=["127.0.0.1/32"])
    async with origin_server("127.0.0.1") as first, raw_listener("127.0.0.2") as second:
        # Both servers on one port number would be ideal; the hop needs the same
        # URL, so the second listener's port is used for both fetches.
        url = f"http://flip.test:{first.port}/page"
        async with Fetcher(settings, resolver=resolver) as fetcher:
            await fetcher.fetch(url)
        async with Fetcher(settings, resolver=resolver) as fetcher:
            with pytest.raises(BlockedAddress):
                await fetcher.fetch(f"http://flip.test:{second.port}/")
    assert (first.requests, second.accepted) == (["/page"], 0)


async def test_redirect_to_a_refused_address_is_not_followed() -> None:
    """An allowed server redirecting to a refused address: the target sees nothing."""
    settings = DEFAULT_ANY_PORT.replace(allow_networks=["127.0.0.1/32"])
    async with (
        origin_server("127.0.0.1") as origin,
        raw_listener("127.0.0.2") as target,
        Fetcher(settings) as fetcher,
    ):
        with pytest.raises(BlockedAddress):
            await fetcher.fetch(origin.url(f"/to?target={target.url('/')}"))
    assert (origin.requests, target.accepted) == ([f"/to?target={target.url('/')}"], 0)


async def test_redirect_to_a_refused_name_is_not_followed() -> None:
    """A redirect to a name resolving to a refused address is refused before connect."""
    settings = DEFAULT_ANY_PORT.replace(allow_networks=["127.0.0.1/32"])
    async with origin_server("127.0.0.1") as origin, raw_listener("127.0.0.2") as target:
        resolver = StaticResolver({"inside.test": ["127.0.0.2"]})
        async with Fetcher(settings, resolver=resolver) as fetcher:
            with pytest.raises(BlockedAddress):
                await fetcher.fetch(origin.url(f"/to?target=http://inside.test:{target.port}/"))
    assert target.accepted == 0


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("http://user:pass@127.0.0.1/", "blocked_url"),
        ("ftp://127.0.0.1/", "blocked_url"),
        ("file:///etc/passwd", "blocked_url"),
        ("http://127.0.0.1:22/", "blocked_url"),
        ("not a url", "invalid_url"),
        ("http:///nohost", "invalid_url"),
        ("http://[::1/", "invalid_url"),
    ],
)
async def test_refused_urls_have_their_codes(url: str, code: str) -> None:
    """Scheme, credentials and port are refused by URL policy with stable codes."""
    async with Fetcher(Settings(allow_networks=["127.0.0.0/8"])) as fetcher:
        with pytest.raises(PreviewError) as info:
            await fetcher.fetch(url)
    assert info.value.code == code


async def test_block_list_refuses_an_allowed_network() -> None:
    """block_networks wins over allow_networks, with zero connections."""
    settings = DEFAULT_ANY_PORT.replace(
        allow_networks=["127.0.0.0/8"], block_networks=["127.0.0.1/32"]
    )
    async with raw_listener() as listener, Fetcher(settings) as fetcher:
        with pytest.raises(BlockedAddress):
            await fetcher.fetch(listener.url("/"))
    assert listener.accepted == 0


@pytest.mark.parametrize(
    ("answers", "refused"),
    [
        (["93.184.216.34"], False),
        (["2606:4700:4700::1111"], False),
        (["169.254.169.254"], True),
        (["93.184.216.34", "10.1.1.1"], True),
        (["100.64.0.1"], True),
    ],
)
async def test_connect_time_resolver_decides_on_every_answer(
    answers: list[str], refused: bool
) -> None:
    """The connector's resolver passes public answers (without dialling them here) and
    refuses a name if any answer is refused."""
    guard = GuardedResolver(StaticResolver({"name.test": answers}), AddressPolicy())
    outcome: Callable[[], object]
    try:
        results = await guard.resolve("name.test", 443)
        outcome = lambda: [r["host"] for r in results]  # noqa: E731
    except OSError:
        outcome = lambda: "refused"  # noqa: E731
    assert outcome() == ("refused" if refused else answers)
