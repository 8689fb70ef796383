"""The peer addresses coturn must never relay to, each with the reason it is dangerous.

A TURN relay sends wherever its client asks, from inside the town's network: without these
rules anyone with credentials could reach the server's own loopback services, the town's
internal network or the cloud provider's metadata service (CVE-2020-26262, Slack's 2017 TURN
report). coturn takes ranges as ``first-last``, not CIDR, and matches an address only against
ranges of its own family: the IPv4-mapped IPv6 form ``::ffff:127.0.0.1`` passes every IPv4
rule, so the mapped block is denied as IPv6.

coturn 4.6.1 reads a range bound at the unspecified address (``0.0.0.0``, ``::``) as no bound
at all: ``::-::ffff:ffff`` also matches every IPv4 address, and a rule of ``::`` alone matches
every address there is. So ranges are written from the address after the unspecified one;
coturn refuses the unspecified address itself on its own (since 4.5.2, CVE-2020-26262).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import TypeAlias

__all__ = [
    "DENIED_PEER_RANGES",
    "EVERY_IPV4_ADDRESS",
    "EVERY_IPV6_ADDRESS",
    "DeniedRange",
    "coturn_range",
]

_Network: TypeAlias = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True, slots=True)
class DeniedRange:
    network: str
    """In CIDR notation."""
    reason: str

    def __post_init__(self) -> None:
        ipaddress.ip_network(self.network)  # strict: host bits must be zero

    @property
    def parsed(self) -> _Network:
        return ipaddress.ip_network(self.network)


def coturn_range(network: _Network) -> str | None:
    """``network`` as coturn's ``first-last`` range (a single address stays a single one), or
    None when nothing is left once the unspecified address is taken out."""
    first, last = network.network_address, network.broadcast_address
    if first.is_unspecified:
        if first == last:
            return None
        first += 1
    return str(first) if first == last else f"{first}-{last}"


EVERY_IPV4_ADDRESS = ipaddress.IPv4Network("0.0.0.0/0")
EVERY_IPV6_ADDRESS = ipaddress.IPv6Network("::/0")

DENIED_PEER_RANGES: tuple[DeniedRange, ...] = (
    # IPv4
    DeniedRange("0.0.0.0/8", "'this network': 0.0.0.0 reaches the relay's own host"),
    DeniedRange("10.0.0.0/8", "private network (RFC 1918): the town's internal hosts"),
    DeniedRange("100.64.0.0/10", "carrier-grade NAT (RFC 6598): the provider's internal hosts"),
    DeniedRange("127.0.0.0/8", "loopback: services on the relay's own host"),
    DeniedRange(
        "169.254.0.0/16",
        "link-local (RFC 3927), including the cloud metadata service 169.254.169.254",
    ),
    DeniedRange("172.16.0.0/12", "private network (RFC 1918)"),
    DeniedRange("192.0.0.0/24", "IETF protocol assignments (RFC 6890), e.g. DS-Lite"),
    DeniedRange("192.0.2.0/24", "documentation TEST-NET-1 (RFC 5737): never a real peer"),
    DeniedRange("192.88.99.0/24", "former 6to4 relay anycast (RFC 7526): tunnels onwards"),
    DeniedRange("192.168.0.0/16", "private network (RFC 1918): home and office routers"),
    DeniedRange("198.18.0.0/15", "benchmarking (RFC 2544): lab networks"),
    DeniedRange("198.51.100.0/24", "documentation TEST-NET-2 (RFC 5737)"),
    DeniedRange("203.0.113.0/24", "documentation TEST-NET-3 (RFC 5737)"),
    DeniedRange("224.0.0.0/4", "multicast: one packet to every host of a group"),
    DeniedRange("240.0.0.0/4", "reserved (RFC 1112), with the broadcast 255.255.255.255"),
    # IPv6
    DeniedRange("::/128", "unspecified: like 0.0.0.0, reaches the relay's own host"),
    DeniedRange("::1/128", "loopback: services on the relay's own host"),
    DeniedRange(
        "::ffff:0:0/96",
        "IPv4-mapped (RFC 4291): every IPv4 address again, past the IPv4 rules",
    ),
    DeniedRange("::/96", "IPv4-compatible (deprecated, RFC 4291): IPv4 addresses again"),
    DeniedRange("64:ff9b::/96", "NAT64 (RFC 6052): a NAT64 gateway forwards to the IPv4 inside"),
    DeniedRange("64:ff9b:1::/48", "local-use NAT64 (RFC 8215): to internal IPv4 networks"),
    DeniedRange("100::/64", "discard-only (RFC 6666): never a real peer"),
    DeniedRange("2001::/23", "IETF protocol assignments, including Teredo 2001::/32 tunnels"),
    DeniedRange("2001:db8::/32", "documentation (RFC 3849)"),
    DeniedRange("2002::/16", "6to4 (RFC 3056): the IPv4 address inside is the real target"),
    DeniedRange("3fff::/20", "documentation (RFC 9637)"),
    DeniedRange("fc00::/7", "unique-local (RFC 4193): the IPv6 private networks"),
    DeniedRange("fe80::/10", "link-local: hosts on the relay's own links"),
    DeniedRange("fec0::/10", "site-local (deprecated, RFC 3879): internal networks"),
    DeniedRange("ff00::/8", "multicast: one packet to every host of a group"),
)
