"""This node's part among several: it beats, says which rooms it holds, gives up those that
left its memory, and drains when told to.

Which rooms a node holds: those in its registry (participants, the lobby, detached people in
their grace period) and those that a signaling socket served here is joining right now, so a
placement is never given up between placing a room and opening it. A beat that fails (Redis
away) is logged once until one succeeds again; the meetings here go on, and the node's entry
expires elsewhere, so that new rooms go to nodes that still beat.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator

from klingel.cluster.directory import BEAT_SECONDS, NodeDirectory, Placement
from klingel.ids import RoomId
from klingel.store import StoreError

__all__ = ["ClusterNode", "RoomMover"]

logger = logging.getLogger(__name__)

RoomMover = Callable[[RoomId], Awaitable[None]]
"""Ends a room's meeting here with a "move" to its pages, which join again and are placed anew."""


class ClusterNode:
    """One node's entry in the directory, kept alive while the server runs."""

    def __init__(
        self,
        directory: NodeDirectory,
        node_id: str,
        url: str,
        *,
        held_rooms: Callable[[], list[RoomId]],
        live_broadcasts: Callable[[], list[tuple[str, RoomId, str]]],
        load: Callable[[], int],
        move_room: RoomMover,
        movable_rooms: Callable[[], list[RoomId]],
        may_move: Callable[[RoomId], bool],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.directory = directory
        self.node_id = node_id
        self.url = url
        self._held_rooms = held_rooms
        self._live_broadcasts = live_broadcasts
        self._load = load
        self._move_room = move_room
        self._movable_rooms = movable_rooms
        self._may_move = may_move
        self._clock = clock
        self._joining: Counter[RoomId] = Counter()
        self._held: set[RoomId] = set()
        self._draining = False
        self._moved_all = False
        self._beat_failing = False
        self._task: asyncio.Task[None] | None = None

    @property
    def draining(self) -> bool:
        return self._draining

    async def start(self) -> None:
        """The first beat (it ends a drain of an earlier run of this id), then one a second;
        raises ``StoreError`` if Redis does not answer the first."""
        await self.directory.beat(self.node_id, self.url, self._load(), [], fresh=True)
        self._task = asyncio.create_task(self._beat_forever())
        logger.info("This node beats in the directory of nodes")

    async def stop(self) -> None:
        """Stop beating and give up the rooms held here (a clean stop: the pages join again
        on other nodes at once instead of waiting for this node's entry to expire)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        for room in sorted(self._held):
            with contextlib.suppress(StoreError):
                await self.directory.release(room, self.node_id, moved=True)

    async def home_of(self, room: RoomId, *, unreachable: str = "") -> Placement:
        return await self.directory.place(room, unreachable=unreachable)

    @contextlib.contextmanager
    def joining(self, room: RoomId) -> Iterator[None]:
        """A socket served here is in ``room`` (or on its way in) while this is entered."""
        self._joining[room] += 1
        self._held.add(room)
        try:
            yield
        finally:
            self._joining[room] -= 1
            if self._joining[room] <= 0:
                del self._joining[room]

    async def beat_once(self) -> None:
        held = set(self._held_rooms()) | set(self._joining)
        for room in sorted(self._held - held):
            await self.directory.release(room, self.node_id)
        self._held = held
        draining, move_now = await self.directory.beat(
            self.node_id, self.url, self._load(), sorted(held)
        )
        await self.directory.announce_live(self._live_broadcasts())
        if draining and not self._draining:
            logger.info("This node drains: it takes no new rooms")
        self._draining = draining
        if move_now and not self._moved_all:
            self._moved_all = True
            await self.move_all()
        elif draining:
            # At a quiet moment, each room on its own: nobody is cut off mid-sentence.
            for room in self._movable_rooms():
                await self._move(room)

    async def move_all(self) -> None:
        """Send the pages of every room held here to join again elsewhere, but for a running
        council session's (it moves once the chair has closed it and all is quiet)."""
        rooms = [room for room in sorted(set(self._held_rooms())) if self._may_move(room)]
        for room in rooms:
            await self._move(room)
        logger.info("Moved %d rooms to other nodes", len(rooms))

    async def _move(self, room: RoomId) -> None:
        with contextlib.suppress(StoreError):
            await self.directory.release(room, self.node_id, moved=True)
        await self._move_room(room)

    async def _beat_forever(self) -> None:
        while True:
            await asyncio.sleep(BEAT_SECONDS)
            try:
                await self.beat_once()
            except StoreError as error:
                if not self._beat_failing:
                    logger.error("The node's beat failed: %s", error.code)
                self._beat_failing = True
                continue
            except Exception as error:  # keep beating: one fault must not kill the node's entry
                logger.error("The node's beat failed: %s", type(error).__name__)
                logger.debug("Fault details", exc_info=True)
                continue
            if self._beat_failing:
                logger.info("The node's beat succeeds again")
                self._beat_failing = False
