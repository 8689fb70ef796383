"""How a room's password is guarded against guessing.

Two limits, both kept inside the room so that they end with it (a room created again under the
same name starts with fresh ones):

- per client address (an IPv6 /64 counts as one address): ten wrong tries, then one every ten
  seconds;
- per room, from all addresses together: after ``ROOM_WRONG_PASSWORDS.burst`` wrong tries
  (refilled at ``ROOM_WRONG_PASSWORDS.rate`` per second) the room's lobby switches on by
  itself. Guessing from many addresses then leads, even with the right password, only to the
  doorbell, where a host decides; honest guests are never locked out.

A password must have at least ``MIN_PASSWORD_LENGTH`` characters: with the per-address limit
one address can try 360 passwords an hour, and the room-wide limit turns the lobby on long
before a botnet has tried a noticeable share of eight characters.
"""

from __future__ import annotations

from klingel.rooms.ratelimit import KeyedRateLimiter, RateLimit, TokenBucket

__all__ = [
    "ADDRESS_WRONG_PASSWORDS",
    "MIN_PASSWORD_LENGTH",
    "ROOM_WRONG_PASSWORDS",
    "PasswordGuard",
]

MIN_PASSWORD_LENGTH = 8
ADDRESS_WRONG_PASSWORDS = RateLimit(rate=0.1, burst=10.0)
"""Wrong passwords per client address in one room: ten tries, then one every ten seconds."""
ROOM_WRONG_PASSWORDS = RateLimit(rate=30.0 / 3600.0, burst=30.0)
"""Wrong passwords in one room from all addresses: thirty, refilled at thirty an hour."""
MAX_ADDRESSES = 1_000
"""Addresses with wrong tries remembered per room (least recently used forgotten)."""


class PasswordGuard:
    """The wrong-password counts of one room, in memory, gone with the room."""

    __slots__ = ("_by_address", "_room")

    def __init__(self, now: float) -> None:
        self._by_address = KeyedRateLimiter(ADDRESS_WRONG_PASSWORDS, max_keys=MAX_ADDRESSES)
        self._room = TokenBucket(ROOM_WRONG_PASSWORDS, now)

    def allows(self, address: str, now: float) -> bool:
        """Whether this address may try a password now."""
        return self._by_address.allows(address, now)

    def wrong(self, address: str, now: float) -> bool:
        """Count a wrong try; True when the room has seen too many and should close its door."""
        self._by_address.take(address, now)
        return not self._room.take(now)

    @property
    def addresses(self) -> int:
        """How many addresses' wrong tries are remembered (for the "what is stored" panel)."""
        return len(self._by_address)
