"""The room store's interface: what outlives the server process, behind one small protocol.

Every method is one atomic step. Nothing here reads a room and writes it back in two calls
without a revision check: two sockets of one room may race, and a store shared by several
machines (Redis) must give the same answers as the embedded SQLite one.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Protocol

from klingel.ids import RoomId
from klingel.store.council import CouncilStore
from klingel.store.records import RoomDates, StandingRoom

__all__ = ["RoomStore", "StoreError", "StoreErrorCode"]


class StoreErrorCode(StrEnum):
    UNAVAILABLE = "store_unavailable"
    """The store cannot be used now (closed, locked, unreadable, or written by a newer version)."""
    FULL = "store_full"
    """The disk, or the size the operator allowed, is full; what was stored before is kept."""
    READ_ONLY = "store_read_only"
    """The data directory or the store file cannot be written."""
    CORRUPT = "store_corrupt"
    """The store file is not a room store, or is damaged."""
    ROOMS_FULL = "standing_rooms_full"
    """As many rooms stand as the operator allowed: no new one is made."""


class StoreError(Exception):
    """The store failed. ``code`` is stable; the message is plain English for an operator or a
    person, and never names another room, a secret or a path inside another room."""

    def __init__(self, code: StoreErrorCode, message: str | None = None) -> None:
        text = _PLAIN_MESSAGES[code] if message is None else message
        super().__init__(text)
        self.code = code
        self.message = text


_PLAIN_MESSAGES = {
    StoreErrorCode.UNAVAILABLE: "The room store cannot be used right now.",
    StoreErrorCode.FULL: (
        "The room store is full (no space left on its disk, or the size its operator allowed):"
        " the change was not saved."
    ),
    StoreErrorCode.READ_ONLY: (
        "The room store's data directory cannot be written (no permission, or a read-only"
        " file system)."
    ),
    StoreErrorCode.CORRUPT: "The room store file is damaged or is not a Klingel room store.",
    StoreErrorCode.ROOMS_FULL: ("As many rooms stand as this server allows: no new room was made."),
}


class RoomStore(Protocol):
    """Standing rooms and their bans. Every method may raise ``StoreError``."""

    def council(self) -> CouncilStore:
        """Councils and committees, kept beside the rooms (``klingel.store.council``)."""
        ...

    async def create(self, room: StandingRoom, max_rooms: int | None = None) -> bool:
        """Store a new room; False if a room with this id stands already. Of two racing
        creates of one id, exactly one returns True. With ``max_rooms``, a room that would be
        one more than that many is refused (``StoreError`` standing_rooms_full)."""
        ...

    async def get(self, room_id: RoomId) -> StandingRoom | None:
        """The room as stored, or None."""
        ...

    async def update(self, room: StandingRoom, expected_revision: int) -> bool:
        """Compare and set: write the room's digests, settings, password and last use if its
        stored revision is still ``expected_revision``; the stored revision becomes
        ``expected_revision + 1``. False (and nothing written) if the revision moved or the
        room is gone, or was deleted and made anew (its ``created_at`` is not
        ``room.created_at``). ``room.revision`` is not read; the last use never moves
        backwards."""
        ...

    async def touch(self, room_id: RoomId, now: int) -> bool:
        """Record a use of the room at ``now`` (never backwards; the revision stays). False if
        the room does not stand."""
        ...

    async def delete(self, room_id: RoomId) -> bool:
        """Delete the room and its bans; False if it did not stand."""
        ...

    async def add_ban(
        self, room_id: RoomId, token_digest: bytes, *, banned_at: int, max_bans: int
    ) -> bool:
        """Ban a digest of a participant's token in the room (banning twice is one ban, with
        its first time). When the room then holds more than ``max_bans`` bans, the oldest
        go. False if the room does not stand."""
        ...

    async def is_banned(self, room_id: RoomId, token_digest: bytes) -> bool: ...

    async def delete_unused(self, before: int) -> int:
        """Delete every room last used before ``before`` (unix seconds), with its bans; how
        many were deleted."""
        ...

    async def count(self) -> int:
        """How many rooms stand."""
        ...

    async def dates(self) -> list[RoomDates]:
        """Every standing room's id and times, by id: what an operator may list (no digest,
        no setting)."""
        ...

    async def close(self) -> None:
        """Release the store; later calls raise ``StoreError`` (store_unavailable). Closing
        twice is harmless."""
        ...
