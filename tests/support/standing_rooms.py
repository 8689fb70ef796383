"""Standing rooms for the store's tests."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from typing import Any

from klingel.ids import RoomId
from klingel.store import StandingRoom, StoredSettings

NOW = 1_750_000_000
"""A fixed "now" in unix seconds."""


def secret_digest(label: str) -> bytes:
    """A 32-byte digest standing in for a keyed one (the store only keeps the bytes)."""
    return hashlib.sha256(label.encode()).digest()


def standing_room(room_id: str = "musikschule-geige", **changes: Any) -> StandingRoom:
    """A room with default settings, no password, made and last used at ``NOW``."""
    room = StandingRoom(
        room_id=RoomId(room_id),
        host_digest=secret_digest(f"host of {room_id}"),
        cohost_digest=secret_digest(f"co-host of {room_id}"),
        settings=StoredSettings(),
        password=None,
        created_at=NOW,
        last_used_at=NOW,
    )
    return replace(room, **changes)
