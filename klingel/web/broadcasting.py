"""A room's public side as the participants handle it (docs/public-viewing.md): hosts and
co-hosts open it, pause, resume, stop it, pin someone on stage and replace the viewer link;
anyone keeps themselves out of it; everyone in the room always learns how it stands, and
hosts and co-hosts alone learn the viewer link's key."""

from __future__ import annotations

from typing import TYPE_CHECKING

from klingel.ids import ParticipantId
from klingel.protocol.broadcast import BroadcastCommand, BroadcastPin, BroadcastState
from klingel.protocol.errors import ErrorCode, UserError
from klingel.rooms.broadcast import Broadcast
from klingel.rooms.participant import Participant
from klingel.rooms.room import Room

if TYPE_CHECKING:
    from klingel.web.hub import SignalingHub

__all__ = ["Broadcasting"]


class Broadcasting:
    def __init__(self, hub: SignalingHub) -> None:
        self._hub = hub

    def command(self, room: Room, command: BroadcastCommand | BroadcastPin) -> None:
        """A moderator's command (the caller checked the role)."""
        if isinstance(command, BroadcastPin):
            self._pin(room, command.id)
            return
        broadcast = room.broadcast
        match command.action:
            case "start":
                if room.settings.e2ee:
                    raise UserError(
                        ErrorCode.NOT_ALLOWED,
                        "An end-to-end encrypted room is for its participants only.",
                    )
                if broadcast is not None:
                    return
                broadcast = room.broadcast = Broadcast()
                for person in room:
                    if not person.public_shown:
                        broadcast.set_shown(person.id, False)
            case "stop":
                if broadcast is None:
                    return
                room.broadcast = None
            case "pause" | "resume" | "new_link":
                if broadcast is None:
                    raise UserError(ErrorCode.NOT_ALLOWED, "The room is not public.")
                if command.action == "pause":
                    broadcast.pause()
                elif command.action == "resume":
                    broadcast.resume()
                else:
                    broadcast.renew_key()
        self.tell(room)

    def consent(self, room: Room, participant: Participant, shown: bool) -> None:
        """Whether ``participant`` may be seen and heard by the public; kept for the meeting,
        also while the room is not public."""
        if participant.public_shown == shown:
            return
        participant.public_shown = shown
        if room.broadcast is not None:
            room.broadcast.set_shown(participant.id, shown)
            self.tell(room)

    def joined(self, room: Room, participant: Participant) -> None:
        """A new or resumed participant learns how the public side stands."""
        if room.broadcast is not None:
            self.tell(room, (participant,))

    def left(self, room: Room, participant: ParticipantId) -> None:
        broadcast = room.broadcast
        if broadcast is None:
            return
        was_pinned = broadcast.pinned == participant
        was_hidden = not broadcast.is_shown(participant)
        broadcast.forget(participant)
        if was_pinned or was_hidden:
            self.tell(room)

    def tell(self, room: Room, people: tuple[Participant, ...] | None = None) -> None:
        """``broadcast_state`` to ``people`` (everyone by default)."""
        broadcast = room.broadcast
        public = BroadcastState(on=False, live=False, viewers=0)
        if broadcast is not None:
            public = BroadcastState(
                on=True,
                live=broadcast.live,
                viewers=broadcast.viewers,
                pinned=broadcast.pinned,
                hidden=tuple(p.id for p in room if not broadcast.is_shown(p.id)),
            )
        for person in people if people is not None else tuple(room):
            if broadcast is not None and person.is_moderator:
                own = BroadcastState(
                    on=public.on,
                    live=public.live,
                    viewers=public.viewers,
                    pinned=public.pinned,
                    hidden=public.hidden,
                    viewer_key=broadcast.key,
                )
                self._hub.send_to_one(person, own)
            else:
                self._hub.send_to_one(person, public)

    def _pin(self, room: Room, participant: ParticipantId | None) -> None:
        broadcast = room.broadcast
        if broadcast is None:
            raise UserError(ErrorCode.NOT_ALLOWED, "The room is not public.")
        if participant is not None and room.get(participant) is None:
            raise UserError(ErrorCode.UNKNOWN_PARTICIPANT, "There is nobody with that id.")
        broadcast.pin(participant)
        self.tell(room)
