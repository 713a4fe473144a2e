"""The address policy (pure) and the IP literal parser."""

from __future__ import annotations

import ipaddress

import pytest

from ogpreview.fetch.guard import embedded_ipv4, is_blocked, parse_ip_literal

DENIED = [
    "127.0.0.1",
    "127.255.255.254",
    "0.0.0.0",
    "10.1.2.3",
    "172.16.0.1",
    "172.31.255.255",
    "192.168.1.1",
    "100.64.0.1",
    "169.254.169.254",
    "192.0.0.8",
    "192.0.2.1",
    "198.18.0.1",
    "198.51.100.7",
    "203.0.113.9",
    "224.0.0.251",
    "239.255.255.250",
    "240.0.0.1",
    "255.255.255.255",
    "::",
    "::1",
    "fe80::1",
    "fc00::1",
    "fd12:3456::1",
    "fec0::1",
    "ff02::1",
    "2001:db8::1",
    "100::1",
    "64:ff9b:1::1",
    "::ffff:127.0.0.1",
    "::ffff:10.0.0.1",
    "::127.0.0.1",
    "64:ff9b::7f00:1",
    "64:ff9b::a9fe:a9fe",
    "2002:7f00:1::",
    "2002:a00:1::1",
    "2001:0:4136:e378:8000:63bf:80ff:fffe",
]
ALLOWED = [
    "93.184.216.34",
    "8.8.8.8",
    "1.1.1.1",
    "2606:4700:4700::1111",
    "::ffff:8.8.8.8",
    "64:ff9b::808:808",
    "2002:808:808::1",
]


@pytest.mark.parametrize("ip", DENIED)
def test_non_public_addresses_are_blocked(ip: str) -> None:
    """Every non-public range, in every IPv6 wrapping, is refused by default."""
    assert is_blocked(ip) is True


@pytest.mark.parametrize("ip", ALLOWED)
def test_public_addresses_are_allowed(ip: str) -> None:
    """Public addresses, and IPv6 wrappings of public IPv4 addresses, are allowed."""
    assert is_blocked(ip) is False


def test_allow_list_admits_a_denied_address() -> None:
    """allow_networks opens a private range on purpose (tests, intranets)."""
    assert is_blocked("127.0.0.1", allow=["127.0.0.0/8"]) is False


def test_allow_list_covers_wrapped_forms_of_the_address() -> None:
    """An allowed IPv4 address is allowed in its IPv6-mapped spelling too."""
    assert is_blocked("::ffff:127.0.0.1", allow=["127.0.0.0/8"]) is False


def test_allow_list_does_not_open_other_ranges() -> None:
    """Allowing loopback does not allow the metadata address."""
    assert is_blocked("169.254.169.254", allow=["127.0.0.0/8"]) is True


def test_block_list_wins_over_everything() -> None:
    """block_networks refuses public and allowed addresses alike."""
    assert (
        is_blocked("8.8.8.8", block=["8.8.0.0/16"]),
        is_blocked("127.0.0.1", allow=["127.0.0.0/8"], block=["127.0.0.1/32"]),
        is_blocked("::ffff:8.8.8.8", block=["8.8.8.8/32"]),
    ) == (True, True, True)


def test_teredo_carries_server_and_client() -> None:
    """A Teredo address leads to its server and its (inverted) client address."""
    ip = ipaddress.IPv6Address("2001:0:4136:e378:8000:63bf:80ff:fffe")
    assert embedded_ipv4(ip) == [
        ipaddress.IPv4Address("65.54.227.120"),
        ipaddress.IPv4Address("127.0.0.1"),
    ]


@pytest.mark.parametrize(
    ("host", "ip"),
    [
        ("127.0.0.1", "127.0.0.1"),
        ("2130706433", "127.0.0.1"),
        ("0x7f000001", "127.0.0.1"),
        ("0177.0.0.1", "127.0.0.1"),
        ("0x7f.0.0.1", "127.0.0.1"),
        ("0x7f.1", "127.0.0.1"),
        ("127.1", "127.0.0.1"),
        ("127.0.1", "127.0.0.1"),
        ("017700000001", "127.0.0.1"),
        ("127.0.0.1.", "127.0.0.1"),
        ("[::1]", "::1"),
        ("[fe80::1%eth0]", "fe80::1"),
        ("::ffff:7f00:1", "::ffff:7f00:1"),
        ("0", "0.0.0.0"),
    ],
)
def test_every_ip_spelling_is_recognised(host: str, ip: str) -> None:
    """Hosts that a resolver would read as an address are parsed as that address."""
    assert parse_ip_literal(host) == ipaddress.ip_address(ip)


@pytest.mark.parametrize(
    "host", ["example.com", "1.2.3.4.5", "256.1.1.1", "0x100000000", "1..2", "08.1.1.1", ""]
)
def test_names_and_malformed_numbers_are_not_addresses(host: str) -> None:
    """Host names and out-of-range numbers are not IP literals."""
    assert parse_ip_literal(host) is None
