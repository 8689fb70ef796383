from __future__ import annotations

import ipaddress

import pytest

from klingel.turn.peer_ranges import DENIED_PEER_RANGES, DeniedRange, coturn_range

REQUIRED = [
    "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
    "172.16.0.0/12", "192.0.0.0/24", "192.0.2.0/24", "192.168.0.0/16", "198.18.0.0/15",
    "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4",
    "::/128", "::1/128", "::ffff:0:0/96", "64:ff9b::/96", "2001::/23", "2001:db8::/32",
    "2002::/16", "fc00::/7", "fe80::/10", "ff00::/8",
]  # fmt: skip


@pytest.mark.parametrize("network", REQUIRED)
def test_required_range_is_denied(network: str) -> None:
    assert network in {denied.network for denied in DENIED_PEER_RANGES}


@pytest.mark.parametrize(
    "address",
    ["169.254.169.254", "255.255.255.255", "::ffff:127.0.0.1", "::ffff:10.0.0.1",
     "::ffff:169.254.169.254", "2001:0:4136:e378::1", "64:ff9b::a9fe:a9fe"],
)  # fmt: skip
def test_notorious_addresses_fall_in_a_denied_range(address: str) -> None:
    parsed = ipaddress.ip_address(address)
    assert any(parsed in denied.parsed for denied in DENIED_PEER_RANGES)


@pytest.mark.parametrize("address", ["8.8.8.8", "2606:4700:4700::1111", "193.99.144.80"])
def test_ordinary_public_addresses_fall_in_no_named_range(address: str) -> None:
    parsed = ipaddress.ip_address(address)
    assert not any(parsed in denied.parsed for denied in DENIED_PEER_RANGES)


def test_every_range_has_a_reason() -> None:
    assert all(len(denied.reason) > 10 for denied in DENIED_PEER_RANGES)


def test_host_bits_are_refused() -> None:
    with pytest.raises(ValueError):
        DeniedRange("10.0.0.1/8", "wrong")


@pytest.mark.parametrize(
    ("network", "rule"),
    [
        ("10.0.0.0/8", "10.0.0.0-10.255.255.255"),
        ("169.254.169.254/32", "169.254.169.254"),
        ("fe80::/10", "fe80::-febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff"),
        ("::ffff:0:0/96", "::ffff:0:0-::ffff:ffff:ffff"),
        # coturn takes a bound at the unspecified address as no bound at all.
        ("0.0.0.0/8", "0.0.0.1-0.255.255.255"),
        ("::/96", "::1-::ffff:ffff"),
        ("::/0", "::1-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"),
        ("::/128", None),
    ],
)
def test_coturn_range(network: str, rule: str | None) -> None:
    assert coturn_range(ipaddress.ip_network(network)) == rule


def test_no_rendered_rule_starts_at_the_unspecified_address() -> None:
    for denied in DENIED_PEER_RANGES:
        rule = coturn_range(denied.parsed)
        if rule is not None:
            assert not ipaddress.ip_address(rule.split("-")[0]).is_unspecified
