"""The redirect rule, with addresses: no redirect leads a fetch from the internet into a local network."""

from __future__ import annotations

import pytest

from newsletter.feeds.netguard import is_internal, redirect_refusal

INTERNAL = [
    "127.0.0.1",
    "127.8.9.10",
    "10.1.2.3",
    "172.16.0.1",
    "172.31.255.254",
    "192.168.1.1",
    "169.254.169.254",  # cloud metadata services
    "100.64.0.1",  # carrier-grade NAT
    "0.0.0.0",  # reaches this machine on Linux
    "255.255.255.255",
    "224.0.0.1",
    "192.0.2.10",
    "::1",
    "::",
    "fe80::1",
    "fe80::1%eth0",
    "fc00::1",
    "fd12:3456::1",
    "::ffff:127.0.0.1",  # IPv4-mapped
    "::ffff:10.0.0.1",
    "64:ff9b::a00:1",  # NAT64 of 10.0.0.1
    "2002:c0a8:101::1",  # 6to4 of 192.168.1.1
    "ff02::1",
    "not-an-address",
]
PUBLIC = ["8.8.8.8", "1.1.1.1", "203.0.114.1", "2606:4700:4700::1111", "::ffff:8.8.8.8", "64:ff9b::808:808"]


@pytest.mark.parametrize("address", INTERNAL)
def test_internal_addresses(address: str) -> None:
    assert is_internal(address)


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses(address: str) -> None:
    assert not is_internal(address)


@pytest.mark.parametrize(
    ("origin", "peer", "allowed"),
    [
        # From the internet: anywhere else on the internet, never into a local network.
        (("93.184.215.14", 443), ("151.101.1.140", 443), True),
        (("93.184.215.14", 443), ("127.0.0.1", 80), False),
        (("93.184.215.14", 443), ("10.0.0.5", 443), False),
        (("93.184.215.14", 443), ("169.254.169.254", 80), False),
        (("93.184.215.14", 443), ("::ffff:192.168.0.1", 80), False),
        (("2606:2800:220:1::1", 443), ("fd00::1", 443), False),
        # A source the editor configured on an internal address: its own address and port only.
        (("127.0.0.1", 8080), ("127.0.0.1", 8080), True),
        (("127.0.0.1", 8080), ("::ffff:127.0.0.1", 8080), True),
        (("127.0.0.1", 8080), ("127.0.0.1", 6379), False),
        (("10.0.0.5", 80), ("10.0.0.6", 80), False),
        (("10.0.0.5", 80), ("93.184.215.14", 443), True),
        # Where the configured URL connected is unknown: internal addresses are refused.
        (None, ("127.0.0.1", 8080), False),
        (None, ("8.8.8.8", 443), True),
    ],
)
def test_redirect_rule(origin: tuple[str, int] | None, peer: tuple[str, int], allowed: bool) -> None:
    why = redirect_refusal(origin, peer)
    assert (why is None) == allowed
    if why is not None:
        assert peer[0] in why and str(peer[1]) in why
