"""What one client address may hold at once, and when refused messages turn into abuse.

Kept in memory only, keyed by the client address (as ``--proxy-headers`` resolves it) through
``address_key``; the address is never logged. Time is passed in, so both stay pure and testable.
"""

from __future__ import annotations

import ipaddress

from klingel.rooms.ratelimit import KeyedRateLimiter, RateLimit
from klingel.rooms.sdp_work import SdpBudget

__all__ = [
    "ADDRESS_CHAT_LIMIT",
    "ADDRESS_MESSAGE_LIMIT",
    "IPV6_PREFIX_LENGTH",
    "JOIN_LIMIT",
    "AddressLimits",
    "ConnectionSlots",
    "SustainedRefusals",
    "address_key",
]

IPV6_PREFIX_LENGTH = 64
"""One customer of an internet provider holds at least a whole /64 and may send from any of
its 2^64 addresses: per-address limits count the /64 as one address."""


def address_key(address: str) -> str:
    """The key of a client address in every per-address limit: an IPv4 address as it is
    (also when written IPv4-mapped), an IPv6 address by its /64 network; anything that is no
    IP address (a test client, a Unix socket) as it is."""
    try:
        parsed = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return address
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        network = ipaddress.IPv6Network((parsed, IPV6_PREFIX_LENGTH), strict=False)
        return str(network)
    return str(parsed)


JOIN_LIMIT = RateLimit(rate=3.0, burst=60.0)
"""Joins per client address: a school class behind one NAT gets in at once, a script does not."""
ADDRESS_MESSAGE_LIMIT = RateLimit(rate=300.0, burst=600.0)
"""All messages of all sockets of one address: far above what a full class behind one NAT
sends (a ``ping`` every 10 s each, a few clicks), far below what many flooding sockets do."""
ADDRESS_CHAT_LIMIT = RateLimit(rate=20.0, burst=60.0)
"""Chat lines of all participants of one address (each has 3/s of their own)."""


class ConnectionSlots:
    """Open signaling sockets per key, at most ``limit`` each.

    A school behind one NAT is many people on one address, so the limit is generous; it stops
    one machine from holding thousands of sockets.
    """

    __slots__ = ("_limit", "_open")

    def __init__(self, limit: int) -> None:
        if limit < 1:
            raise ValueError("the limit must be at least 1")
        self._limit = limit
        self._open: dict[str, int] = {}

    def acquire(self, key: str) -> bool:
        """Take a slot for a new socket; False when ``key`` holds ``limit`` already."""
        held = self._open.get(key, 0)
        if held >= self._limit:
            return False
        self._open[key] = held + 1
        return True

    def release(self, key: str) -> None:
        """The socket of an acquired slot ended."""
        held = self._open.get(key, 0)
        if held <= 1:
            self._open.pop(key, None)  # no entry stays behind for an address that left
        else:
            self._open[key] = held - 1

    def held(self, key: str) -> int:
        return self._open.get(key, 0)

    def __len__(self) -> int:
        """How many keys hold at least one slot."""
        return len(self._open)


class SustainedRefusals:
    """Whether a socket keeps being refused for ``limit_seconds``: one streak of refusals
    that follow each other at most ``gap_seconds`` apart.

    A flood refilled at the allowed rate still gets some messages through, so a streak is not
    broken by accepted messages, only by a pause in the refusals.
    """

    __slots__ = ("_gap", "_last", "_limit", "_since")

    def __init__(self, limit_seconds: float, gap_seconds: float = 1.0) -> None:
        self._limit = limit_seconds
        self._gap = gap_seconds
        self._since: float | None = None
        self._last: float | None = None

    def refused(self, now: float) -> bool:
        """Record one refusal; True when the streak has lasted ``limit_seconds``."""
        if self._last is None or self._since is None or now - self._last > self._gap:
            self._since = now
        self._last = now
        return now - self._since >= self._limit


class AddressLimits:
    """Everything the signaling endpoint limits per client address."""

    __slots__ = ("chats", "connections", "joins", "messages", "sdp")

    def __init__(self, connections_per_address: int) -> None:
        self.connections = ConnectionSlots(connections_per_address)
        self.joins = KeyedRateLimiter(JOIN_LIMIT)
        self.messages = KeyedRateLimiter(ADDRESS_MESSAGE_LIMIT)
        self.chats = KeyedRateLimiter(ADDRESS_CHAT_LIMIT)
        self.sdp = SdpBudget()
