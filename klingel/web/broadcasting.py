"""A room's public side (docs/public-viewing.md). Hosts and co-hosts open it, pause, resume,
stop it, pin someone on stage and replace the viewer link; anyone keeps themselves out of it;
everyone in the room always learns how it stands and how many watch, and hosts and co-hosts
alone learn the viewer link's key. Viewers come by that key on a socket of their own, are
counted, hear when it pauses, resumes or ends, and never reach the meeting."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from klingel.config import DEFAULT_MAX_VIEWERS
from klingel.ids import ParticipantId
from klingel.protocol.broadcast import (
    BroadcastCommand,
    BroadcastEnded,
    BroadcastLive,
    BroadcastPin,
    BroadcastState,
    Watch,
    Watching,
)
from klingel.protocol.errors import ErrorCode, UserError
from klingel.rooms.abuse import address_key
from klingel.rooms.broadcast import Broadcast
from klingel.rooms.participant import Participant
from klingel.rooms.room import Room
from klingel.web.connection import CLOSE_ENDED, Connection

if TYPE_CHECKING:
    from klingel.web.hub import SignalingHub

__all__ = [
    "DEFAULT_MAX_VIEWERS",
    "VIEWERS_PER_ADDRESS",
    "VIEWER_COUNT_INTERVAL_SECONDS",
    "Broadcasting",
    "Viewer",
]

VIEWERS_PER_ADDRESS = 50
VIEWER_COUNT_INTERVAL_SECONDS = 1.0
"""Participants hear the audience's size at most this often, however many come and go."""


@dataclass(eq=False, slots=True)
class Viewer:
    """One viewer socket: which room it watches, from which address (as the per-address
    limits key it)."""

    room: Room
    connection: Connection
    address: str
    gone: bool = field(default=False)


class Broadcasting:
    def __init__(self, hub: SignalingHub, max_viewers: int = DEFAULT_MAX_VIEWERS) -> None:
        self._hub = hub
        self._max_viewers = max_viewers
        self._rooms_by_key: dict[str, Room] = {}
        self._viewers: dict[Room, set[Viewer]] = {}
        self._per_address: dict[str, int] = {}
        self._count_pending: set[Room] = set()

    @property
    def viewer_count(self) -> int:
        return sum(len(viewers) for viewers in self._viewers.values())

    # --- viewers ------------------------------------------------------------------------

    def watch(self, connection: Connection, message: Watch, address: str) -> Viewer:
        """A viewer socket's ``watch``: counted and told whether it is live, or refused."""
        room = self._rooms_by_key.get(message.key)
        broadcast = None if room is None else room.broadcast
        if room is None or broadcast is None or not broadcast.opens_with(message.key):
            raise UserError(ErrorCode.UNKNOWN_BROADCAST, "There is no such broadcast.")
        if self.viewer_count >= self._max_viewers:
            raise UserError(ErrorCode.SERVER_FULL, "No more viewers fit on this server now.")
        if self._per_address.get(address_key(address), 0) >= VIEWERS_PER_ADDRESS:
            raise UserError(ErrorCode.RATE_LIMITED, "Too many viewers from one address.")
        viewer = Viewer(room, connection, address_key(address))
        self._viewers.setdefault(room, set()).add(viewer)
        self._per_address[viewer.address] = self._per_address.get(viewer.address, 0) + 1
        broadcast.viewer_came()
        connection.send(Watching(v=1, live=broadcast.live))
        self._count_changed(room)
        return viewer

    def viewer_gone(self, viewer: Viewer) -> None:
        """The viewer's socket closed (or it was sent away)."""
        if viewer.gone:
            return
        viewer.gone = True
        viewers = self._viewers.get(viewer.room)
        if viewers is not None:
            viewers.discard(viewer)
            if not viewers:
                del self._viewers[viewer.room]
        left = self._per_address.get(viewer.address, 1) - 1
        if left > 0:
            self._per_address[viewer.address] = left
        else:
            self._per_address.pop(viewer.address, None)
        broadcast = viewer.room.broadcast
        if broadcast is not None and broadcast.viewers > 0:
            broadcast.viewer_left()
            self._count_changed(viewer.room)

    def _send_viewers_away(self, room: Room) -> None:
        for viewer in list(self._viewers.get(room, ())):
            viewer.connection.send(BroadcastEnded())
            viewer.connection.close(CLOSE_ENDED, BroadcastEnded.TYPE)
            self.viewer_gone(viewer)

    def _tell_viewers(self, room: Room, live: bool) -> None:
        for viewer in self._viewers.get(room, ()):
            viewer.connection.send(BroadcastLive(live))

    def _count_changed(self, room: Room) -> None:
        """The audience's size reaches the participants once per interval at most."""
        if room in self._count_pending:
            return
        self._count_pending.add(room)
        asyncio.get_running_loop().call_later(
            VIEWER_COUNT_INTERVAL_SECONDS, self._announce_count, room
        )

    def _announce_count(self, room: Room) -> None:
        self._count_pending.discard(room)
        if room.broadcast is not None and len(room) > 0:
            self.tell(room)

    # --- participants -------------------------------------------------------------------

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
                self._rooms_by_key[broadcast.key] = room
                for person in room:
                    if not person.public_shown:
                        broadcast.set_shown(person.id, False)
            case "stop":
                if broadcast is None:
                    return
                self._end(room)
            case "pause" | "resume" | "new_link":
                if broadcast is None:
                    raise UserError(ErrorCode.NOT_ALLOWED, "The room is not public.")
                if command.action == "new_link":
                    # Whoever watched by the old link is sent away with it.
                    self._send_viewers_away(room)
                    self._rooms_by_key.pop(broadcast.key, None)
                    self._rooms_by_key[broadcast.renew_key()] = room
                elif broadcast.pause() if command.action == "pause" else broadcast.resume():
                    self._tell_viewers(room, broadcast.live)
        self.tell(room)

    def room_ended(self, room: Room) -> None:
        """The meeting ended for everyone (or the room was deleted): so does its broadcast."""
        self._end(room)
        self._count_pending.discard(room)

    def _end(self, room: Room) -> None:
        broadcast = room.broadcast
        if broadcast is None:
            return
        self._send_viewers_away(room)
        self._rooms_by_key.pop(broadcast.key, None)
        room.broadcast = None

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
        if len(room) == 0:
            self._end(room)  # the room ends, and its broadcast with it
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
        everyone = people if people is not None else tuple(room)
        if broadcast is None:
            self._hub.send_to(everyone, public)
            return
        # One frame for the guests and one for the moderators, each encoded once.
        self._hub.send_to([p for p in everyone if not p.is_moderator], public)
        own = replace(public, viewer_key=broadcast.key)
        self._hub.send_to([p for p in everyone if p.is_moderator], own)

    def _pin(self, room: Room, participant: ParticipantId | None) -> None:
        broadcast = room.broadcast
        if broadcast is None:
            raise UserError(ErrorCode.NOT_ALLOWED, "The room is not public.")
        if participant is not None and room.get(participant) is None:
            raise UserError(ErrorCode.UNKNOWN_PARTICIPANT, "There is nobody with that id.")
        broadcast.pin(participant)
        self.tell(room)
