"""Moving a room's meeting to another node (``docs/scaling.md``, draining): which rooms may
move now, and the move itself. A move clears the room here as the end of a meeting does, but
closes its sockets as "moved" (1012) instead of saying goodbye: the pages join again, the
room is placed anew, and their secrets and seat passes let them in there as here."""

from __future__ import annotations

from typing import TYPE_CHECKING

from klingel.ids import RoomId
from klingel.web.connection import CLOSE_MOVED

if TYPE_CHECKING:
    from klingel.web.hub import SignalingHub

__all__ = ["RoomMoves", "SpeakingRooms"]


class SpeakingRooms(set[RoomId]):
    """Rooms in which someone speaks: the SFU named a speaker and has not yet said that
    nobody has spoken for 2 s."""

    def keep_only(self, rooms: set[RoomId]) -> None:
        self.intersection_update(rooms)


class RoomMoves:
    """The hub's part that moves meetings away from a draining node (one per hub)."""

    def __init__(self, hub: SignalingHub) -> None:
        self._hub = hub
        self.speaking = SpeakingRooms()

    def spoke(self, room: RoomId, speaking: bool) -> None:
        """What the SFU said of the room's speaker: someone, or nobody for 2 s."""
        if not speaking:
            self.speaking.discard(room)
            return
        self.speaking.add(room)
        registry = self._hub.registry
        if len(self.speaking) > 2 * registry.room_count + 64:  # rooms gone meanwhile
            self.speaking.keep_only({known.id for known in registry.rooms()})

    def movable_rooms(self) -> list[RoomId]:
        """Rooms whose meeting may move to another node now without anyone losing more than
        a moment: nobody is speaking, no broadcast has viewers holding its link, and no council
        session is running (its state lives here until the chair closes it), and no breakout groups
        are open."""
        rooms = self._hub.registry.rooms()
        movable = [
            room.id
            for room in rooms
            if room.id not in self.speaking and room.broadcast is None and self.may_move(room.id)
        ]
        self.speaking.keep_only({room.id for room in rooms})
        return movable

    def may_move(self, room_id: RoomId) -> bool:
        """Whether the room's meeting may move to another node at all: not while a council
        session runs, whose record would be cut in two."""
        room = self._hub.registry.get(room_id)
        if room is None or self._hub.breakouts.main_of(room) is not None:
            return False  # its groups and their passes live here until they are over
        return room.council is None or room.council.running is None

    async def move_room(self, room_id: RoomId) -> None:
        """The room's meeting leaves this node: every socket in it and in its lobby is closed
        as "moved", and its media here are released."""
        room = self._hub.registry.get(room_id)
        if room is None:
            return
        self._hub.clear_room(room, None, CLOSE_MOVED, "moved")
        await self._hub.close_media(room)
