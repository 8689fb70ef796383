"""Breakout rooms in the hub (docs/breakouts.md): a host's commands, the joins that carry a
pass, and the groups' state for everyone in the main room and every group.

The rules of who may go where live in ``klingel.rooms.breakouts``; this module turns them into
rooms, seats and messages. A group is an ordinary room in the registry under an id nobody can
type, so everything a room does (media, chat, hands, reactions, end-to-end encryption) works
there unchanged.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from typing import TYPE_CHECKING

from klingel.ids import ParticipantId, RoomId
from klingel.protocol.breakouts import BreakoutCommand, BreakoutMessage
from klingel.protocol.errors import ErrorCode, UserError
from klingel.protocol.messages import Join
from klingel.rooms.breakouts import (
    MAIN,
    NO_BREAKOUTS,
    Breakouts,
    group_room_id,
    main_room_of,
    split,
)
from klingel.rooms.participant import Participant
from klingel.rooms.room import Room
from klingel.web.connection import CLOSE_MOVED, Connection

if TYPE_CHECKING:
    from klingel.web.hub import Seat, SignalingHub

__all__ = ["BreakoutRooms"]

logger = logging.getLogger(__name__)


class BreakoutRooms:
    def __init__(self, hub: SignalingHub) -> None:
        self._hub = hub

    # --- where a room belongs ---------------------------------------------------------------

    def main_of(self, room: Room) -> Room | None:
        """The main room whose groups ``room`` belongs to (itself if it has groups)."""
        if room.breakouts is not None:
            return room
        main_id = main_room_of(room.id)
        main = self._hub.registry.get(main_id) if main_id is not None else None
        return main if main is not None and main.breakouts is not None else None

    def rooms_of(self, main: Room) -> Iterator[Room]:
        """The main room and the groups that are in memory now."""
        yield main
        if main.breakouts is None:
            return
        for room_id in main.breakouts.rooms():
            group = self._hub.registry.get(room_id)
            if group is not None:
                yield group

    # --- a host's commands ------------------------------------------------------------------

    def command(self, seat: Seat, command: BreakoutCommand) -> None:
        """A moderator's command (the caller checked the role)."""
        room, actor = seat.room, seat.participant
        if command.action == "open":
            self._open(room, command)
            return
        main = self.main_of(room)
        if main is None or main.breakouts is None:
            raise UserError(ErrorCode.NO_BREAKOUTS, "There are no groups now.")
        if command.action == "message":
            assert command.text is not None  # checked by the message
            message = BreakoutMessage(name=actor.name, text=command.text)
            for each in self.rooms_of(main):
                self._hub.send_to(each, message)
        elif main.breakouts.close(self._hub.clock()):
            logger.info("Breakout groups were called back")
            self.tell(main)

    def _open(self, room: Room, command: BreakoutCommand) -> None:
        if room.breakouts is not None and room.breakouts.is_open:
            raise UserError(ErrorCode.BREAKOUTS_RUNNING, "Groups are open already.")
        if main_room_of(room.id) is not None:
            raise UserError(ErrorCode.BREAKOUTS_NOT_HERE, "Groups are opened in the main room.")
        if room.council is not None or room.broadcast is not None:
            raise UserError(
                ErrorCode.BREAKOUTS_NOT_HERE, "Not while a council meets or the room is public."
            )
        assert command.groups is not None and command.minutes is not None  # checked
        listed = [person for group in command.groups for person in group]
        if any(person not in room for person in listed):
            raise UserError(ErrorCode.UNKNOWN_PARTICIPANT, "Someone listed is not here.")
        now = self._hub.clock()
        breakouts = Breakouts(
            room.id,
            len(command.groups),
            minutes=command.minutes,
            auto=bool(command.auto),
            now=now,
        )
        if room.breakouts is not None:
            # Called back a moment ago: the new groups take the place of the old.
            self._finish(room, room.breakouts.rooms())
        assigned = split([person.id for person in room], command.groups)
        for person in room:
            breakouts.issue(person.id, person.name, person.role, assigned.get(person.id))
        room.breakouts = breakouts
        logger.info("Breakout groups opened: %d", breakouts.groups)
        self.tell(room)

    # --- joining with a pass ----------------------------------------------------------------

    async def enter(
        self, connection: Connection, message: Join, main_id: RoomId, name: str
    ) -> Seat:
        """A join with a pass: into the holder's group (or, for a host, any group) or back
        into the main room, past its lobby, lock and password."""
        hub = self._hub
        registry = hub.registry
        main = registry.get(main_id)
        breakouts = main.breakouts if main is not None else None
        held = breakouts.by_token(message.breakout or "") if breakouts is not None else None
        if main is None or breakouts is None or held is None:
            raise UserError(ErrorCode.BREAKOUT_OVER, "These groups are over.")
        number = message.group or MAIN
        now = hub.clock()
        if not breakouts.may_enter(held, number, now):
            if number == MAIN or not breakouts.is_open:
                raise UserError(ErrorCode.BREAKOUT_OVER, "These groups are over.")
            raise UserError(ErrorCode.NOT_YOUR_GROUP, "This group is not yours.")
        target = main if number == MAIN else self._group(main, number)
        resumable = registry.resumable(target.id, message.resume)
        if resumable is not None:
            room, participant = resumable
            registry.resume(room, participant)
            breakouts.seated(held, number, participant.id)
            return hub.seat_again(connection, room, participant, name)
        participant = registry.enter(target, name, now, held.role)
        held.name = name
        breakouts.seated(held, number, participant.id)
        return hub.seat_new(connection, target, participant)

    def _group(self, main: Room, number: int) -> Room:
        """The group's room, made when its first person comes."""
        group = self._hub.registry.open(group_room_id(main.id, number), self._hub.clock())
        if not group.was_joined and len(group) == 0:
            group.capacity = main.capacity
            group.settings = main.settings.changed(lobby=False, locked=False, office_hours=False)
            group.music = main.music  # a music lesson's groups play in music mode too
        return group

    # --- following people -------------------------------------------------------------------

    def seated(self, room: Room, participant: Participant) -> None:
        """Someone sat down in ``room`` (new, resumed, or come with a pass): a newcomer of the
        main room gets a pass of their own; everyone hears who is where now."""
        main = self.main_of(room)
        if main is None or main.breakouts is None:
            return
        breakouts = main.breakouts
        if main.council is not None:
            # A council member came in: its sessions belong in one room, so everyone comes back.
            breakouts.close(self._hub.clock())
        if room is main and breakouts.of(participant.id) is None:
            issued = breakouts.issue(participant.id, participant.name, participant.role, None)
            breakouts.seated(issued, MAIN, participant.id)
        self.tell(main)

    def left(self, room: Room, participant: ParticipantId) -> None:
        main = self.main_of(room)
        if main is None or main.breakouts is None:
            return
        if main.breakouts.left(participant, self._hub.clock()):
            self.tell(main)

    def cleared(self, room: Room) -> None:
        """The main room's meeting ended (or moved): its groups end with it."""
        breakouts, room.breakouts = room.breakouts, None
        if breakouts is None:
            return
        for room_id in breakouts.rooms():
            group = self._hub.registry.get(room_id)
            if group is not None:
                self._end_group(group)

    def tell(self, main: Room) -> None:
        """Each person in the main room and the groups gets the groups as they see them."""
        breakouts = main.breakouts
        if breakouts is None:
            return
        now = self._hub.clock()
        for room in self.rooms_of(main):
            for person in room:
                self._hub.send_to_one(person, breakouts.state_for(person.id, now))

    # --- time -------------------------------------------------------------------------------

    def tick(self) -> None:
        """Called every second or so: groups whose time ran out are called back; groups
        closed long enough ago end, and whoever still sits in one is sent on."""
        now = self._hub.clock()
        for main in self._hub.registry.rooms():
            breakouts = main.breakouts
            if breakouts is None:
                continue
            if breakouts.due(now) and breakouts.close(now):
                self.tell(main)
            elif breakouts.over(now):
                self._finish(main, breakouts.rooms())
                self._hub.send_to(main, NO_BREAKOUTS)
                self._hub.registry.forget_if_unused(main)

    def _finish(self, main: Room, groups: list[RoomId]) -> None:
        """The groups are over: their passes lead nowhere, whoever still sits in one goes."""
        main.breakouts = None
        for room_id in groups:
            group = self._hub.registry.get(room_id)
            if group is not None:
                self._end_group(group)

    def _end_group(self, group: Room) -> None:
        """Whoever still sits in a group that is over is sent back: their page joins anew."""
        self._hub.send_to(group, NO_BREAKOUTS)
        self._hub.clear_room(group, None, CLOSE_MOVED, "breakout_over")
        self._hub.keep_task(asyncio.create_task(self._hub.close_media(group)))

