"""Reactions in a meeting: relayed at once to everyone in the room with the sender the socket
speaks for, at a pace a room can follow (``klingel.rooms.reaction_pace``), and kept nowhere."""

from __future__ import annotations

from typing import TYPE_CHECKING

from klingel.protocol.errors import ErrorCode, ProtocolError
from klingel.protocol.reactions import ReactionKind, ReactionShown
from klingel.rooms.reaction_pace import Pace, ReactionPace

if TYPE_CHECKING:
    from klingel.web.hub import Seat, SignalingHub

__all__ = ["RoomReactions"]


class RoomReactions:
    def __init__(self, hub: SignalingHub) -> None:
        self._hub = hub
        self._pace = ReactionPace()

    def react(self, seat: Seat, reaction: ReactionKind) -> None:
        room, participant = seat.room, seat.participant
        council = self._hub.council
        council.refuse_if_held(room, participant)
        pace = self._pace.judge(room.id, participant.id, self._hub.clock())
        if pace is Pace.TOO_FAST:
            raise ProtocolError(ErrorCode.RATE_LIMITED, "Too many reactions.")
        if pace is Pace.ROOM_BUSY:
            return
        shown = ReactionShown(sender=participant.id, reaction=reaction)
        self._hub.send_to(council.inside(room), shown)
