"""What a standing room keeps between meetings, and nothing more.

A standing room outlives the server process: its id, digests of its host and co-host secrets,
its settings and password digest, and two times. Never names, chat, addresses or who was
there. The store does not know the room domain; the domain converts to and from these records.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from klingel.ids import RoomId
from klingel.store.passwords import PasswordDigest

__all__ = ["DIGEST_BYTES", "MAX_ROOM_ID_LENGTH", "RoomDates", "StandingRoom", "StoredSettings"]

DIGEST_BYTES = 32
"""The length of a keyed digest of a secret (HMAC-SHA256)."""
MAX_ROOM_ID_LENGTH = 255


@dataclass(frozen=True, slots=True)
class StoredSettings:
    """The switches a host sets on a room, as stored (the same ones as the room's settings)."""

    lobby: bool = False
    locked: bool = False
    office_hours: bool = False
    screen_share_allowed: bool = True
    chat_allowed: bool = True
    unmute_allowed: bool = True
    e2ee: bool = False


@dataclass(frozen=True, slots=True)
class StandingRoom:
    """One standing room. Times are unix seconds.

    ``revision`` counts the room's updates: an update names the revision it read, and is
    refused if another one came first (``RoomStore.update``).
    """

    room_id: RoomId
    host_digest: bytes = field(repr=False)
    cohost_digest: bytes = field(repr=False)
    settings: StoredSettings
    password: PasswordDigest | None = field(repr=False)
    created_at: int
    last_used_at: int
    revision: int = 0

    def __post_init__(self) -> None:
        if not 0 < len(self.room_id) <= MAX_ROOM_ID_LENGTH:
            raise ValueError("a room id is 1 to 255 characters")
        check_digest(self.host_digest)
        check_digest(self.cohost_digest)
        if not all(0 <= n < 2**63 for n in (self.created_at, self.last_used_at, self.revision)):
            raise ValueError("times and revision are whole numbers from 0 to 2**63 - 1")


@dataclass(frozen=True, slots=True)
class RoomDates:
    """A standing room's id and times (unix seconds), and nothing else: a list of rooms for
    an operator."""

    room_id: RoomId
    created_at: int
    last_used_at: int


def check_digest(digest: bytes) -> None:
    """A keyed digest of a secret, or ValueError."""
    if len(digest) != DIGEST_BYTES:
        raise ValueError(f"a secret's digest is {DIGEST_BYTES} bytes")


def check_ban(token_digest: bytes, max_bans: int) -> None:
    """What ``RoomStore.add_ban`` takes, or ValueError."""
    check_digest(token_digest)
    if max_bans < 1:
        raise ValueError("a room keeps at least one ban")
