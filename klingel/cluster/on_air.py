"""What the town's nodes keep of the public broadcasts on air, so that a broadcast comes back
with its room when the room's node is lost (``docs/scaling.md``, node loss).

The holder announces each broadcast with every beat: the keyed digest of its viewer key leads
viewers to the room (``live:``), and the key itself, sealed (``klingel.cluster.at_rest``),
waits for the node the room comes to next (``air:``). Both expire 30 s after the last beat,
and go at once when the broadcast ends. The node where the room comes back opens the sealed
key and restores the broadcast, paused: its hosts resume it when they are ready.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Coroutine, Iterable
from typing import Any

from klingel.cluster.at_rest import SecretsAtRest
from klingel.cluster.directory import NodeDirectory
from klingel.cluster.seal import ForwardingSeal
from klingel.ids import RoomId
from klingel.store import StoreError

__all__ = ["BroadcastsOnAir"]


class BroadcastsOnAir:
    def __init__(
        self, directory: NodeDirectory, at_rest: SecretsAtRest, seal: ForwardingSeal
    ) -> None:
        self._directory = directory
        self._at_rest = at_rest
        self._seal = seal
        self._tasks: set[asyncio.Task[None]] = set()

    def announcements(self, on_air: Iterable[tuple[RoomId, str]]) -> list[tuple[str, RoomId, str]]:
        """For the beat: each room with a broadcast on, by its viewer key."""
        return [
            (self._seal.viewer_key_digest(key), room, self._at_rest.seal(key, room))
            for room, key in on_air
        ]

    async def recall(self, room: RoomId) -> str | None:
        """The viewer key of ``room``'s broadcast, if it was on air when its node was lost."""
        try:
            sealed = await self._directory.sealed_viewer_key(room)
        except StoreError:
            return None
        return None if sealed is None else self._at_rest.open(sealed, room)

    def announce(self, room: RoomId, key: str) -> None:
        """``room``'s broadcast is on with viewer key ``key``: announced at once, not with the
        next beat, so that a viewer who follows the link at once finds it from any node."""
        self._in_background(self._directory.announce_live(self.announcements([(room, key)])))

    def forget(self, room: RoomId, key: str) -> None:
        """``room``'s broadcast with viewer key ``key`` ended."""
        self._in_background(self._directory.off_air(room, self._seal.viewer_key_digest(key)))

    def _in_background(self, work: Coroutine[Any, Any, None]) -> None:
        async def run() -> None:
            with contextlib.suppress(StoreError):  # else the beat does it, or they expire
                await work

        task = asyncio.get_running_loop().create_task(run())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
