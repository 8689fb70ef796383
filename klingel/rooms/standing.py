"""Standing rooms: the rooms that outlive the server process, as the room domain sees them.

The registry in memory holds the live state of every room; a room created with
``POST /api/rooms`` also stands in the room store (``klingel.store``) until it has been unused
for a while. ``StandingRooms`` is the domain's one way to the store: it opens it, and deletes
the rooms nobody used for ``unused_room_days``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path

from klingel.store import RoomStore, SecretDigester, SqliteRoomStore

__all__ = ["SECONDS_PER_DAY", "StandingRooms"]

logger = logging.getLogger(__name__)

SECONDS_PER_DAY = 86_400


class StandingRooms:
    """The room store and the digester of its secrets, for the room domain."""

    __slots__ = ("_digester", "_store", "_wall_clock")

    def __init__(
        self,
        store: RoomStore,
        digester: SecretDigester,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self._store = store
        self._digester = digester
        self._wall_clock = wall_clock

    @classmethod
    async def open(cls, data_dir: Path) -> StandingRooms:
        """The embedded store in ``data_dir`` (made if missing); raises ``StoreError``.

        The store binds to no event loop (its calls run on a thread of its own), so it may be
        opened before the server's loop runs.
        """
        digester = SecretDigester.open(data_dir)
        return cls(await SqliteRoomStore.open(data_dir), digester)

    def now(self) -> int:
        """The wall-clock time the store keeps, in unix seconds."""
        return int(self._wall_clock())

    async def delete_unused(self, unused_days: int) -> int:
        """Delete every room unused for ``unused_days``, with its bans; how many were."""
        deleted = await self._store.delete_unused(self.now() - unused_days * SECONDS_PER_DAY)
        if deleted:
            logger.info("Deleted %d standing rooms unused for %d days", deleted, unused_days)
        return deleted

    async def close(self) -> None:
        """Release the store; closing twice is harmless."""
        await self._store.close()
