"""All rooms in memory, and the resume tokens that bring a dropped socket back.

A room comes into memory in one of three ways. ``create`` (``POST /api/rooms``) puts a room
that was just made to stand in the room store there, with its host keys, and keeps it reserved
for a while so that its creator can arrive; re-creating a room that is in memory is refused,
so re-creating never makes anyone host. A join of a standing room that is not in memory brings
it back from the store (``open`` with its ``RestoredRoom``). A join of a name that does not
stand makes a room without keys, which never has a host. A room is forgotten when nobody is
in it, nobody waits and nobody is on the way in (a standing room stays in the store). A
participant whose socket drops stays (media included) for a grace period, during which a join
with their resume token returns the same participant.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from klingel.ids import ParticipantId, RoomId
from klingel.protocol.errors import ErrorCode, UserError
from klingel.protocol.objects import Role
from klingel.rooms.identifiers import new_participant_id, new_resume_token
from klingel.rooms.keys import HostKeys
from klingel.rooms.participant import Participant
from klingel.rooms.room import Room
from klingel.rooms.seat_passes import SeatPasses
from klingel.rooms.settings import RoomSettings
from klingel.rooms.standing import RestoredRoom
from klingel.store import StandingRoom

__all__ = [
    "MAX_RESERVATIONS_PER_ADDRESS",
    "MAX_RESERVED_ROOMS",
    "MAX_ROOMS",
    "RESERVATION_SECONDS",
    "Admission",
    "Registry",
    "RoomExists",
    "TooManyReservations",
    "TooManyRooms",
]

RESUME_GRACE_SECONDS = 30.0
RESERVATION_SECONDS = 5 * 60.0
"""How long a created room waits for its first participant."""
MAX_RESERVED_ROOMS = 10_000
"""Created rooms nobody joined yet, at most: memory stays bounded whatever the callers do.
They do not count towards ``max_rooms``: reservations never keep anyone out of a meeting."""
MAX_RESERVATIONS_PER_ADDRESS = 20
"""Created rooms nobody joined yet per client address (a teacher making rooms for a few groups
fits; one address cannot hold the server's reservations)."""
MAX_ROOMS = 500
"""Rooms in use (someone in them or waiting) the server holds at most."""


class RoomExists(Exception):
    """The room is in use or reserved: creating it again is refused. ``stands``: it is a
    standing room (someone created it), not one joined by a name nobody created."""

    def __init__(self, room: Room) -> None:
        super().__init__(room.id)
        self.stands = room.stands


class TooManyReservations(Exception):
    """This client address holds as many rooms nobody joined yet as it may."""


class TooManyRooms(Exception):
    """The server holds as many rooms as it may, or too many created rooms wait for their
    first participant."""


@dataclass(frozen=True, slots=True)
class Admission:
    room: Room
    participant: Participant
    resumed: bool


@dataclass(frozen=True, slots=True)
class _TokenHolder:
    room: RoomId
    participant: ParticipantId


class Registry:
    __slots__ = (
        "_capacity",
        "_grace_seconds",
        "_max_rooms",
        "_passes",
        "_reservations",
        "_reservations_by_address",
        "_rooms",
        "_tokens",
    )

    def __init__(
        self,
        capacity: int,
        grace_seconds: float = RESUME_GRACE_SECONDS,
        max_rooms: int = MAX_ROOMS,
        passes: SeatPasses | None = None,
    ) -> None:
        """``passes``: the resume tokens of standing rooms are seat passes made by these."""
        self._capacity = capacity
        self._passes = passes
        self._grace_seconds = grace_seconds
        self._max_rooms = max_rooms
        self._rooms: dict[RoomId, Room] = {}
        self._tokens: dict[str, _TokenHolder] = {}
        # Created rooms nobody joined yet, with the address that created each.
        self._reservations: dict[RoomId, str] = {}
        self._reservations_by_address: Counter[str] = Counter()

    @property
    def room_count(self) -> int:
        """Rooms with at least one participant (not those reserved or with a lobby only)."""
        return sum(not room.is_empty for room in self._rooms.values())

    @property
    def participant_count(self) -> int:
        return sum(len(room) for room in self._rooms.values())

    def rooms(self) -> list[Room]:
        return list(self._rooms.values())

    def get(self, room: RoomId) -> Room | None:
        return self._rooms.get(room)

    # --- creating rooms --------------------------------------------------------------------------

    def check_creatable(self, room_id: RoomId, now: float, address: str = "") -> None:
        """Raise what ``create`` would raise now: ``RoomExists`` if the room is in memory and
        not a reservation that ran out, ``TooManyReservations``, ``TooManyRooms``."""
        existing = self._rooms.get(room_id)
        if existing is not None:
            if not self._reservation_over(existing, now):
                raise RoomExists(existing)
            self._forget(existing)
        if self._no_place_to_create(address):
            self.expire_reservations(now)
            if self._reservations_by_address[address] >= MAX_RESERVATIONS_PER_ADDRESS:
                raise TooManyReservations()
            if self._no_place_to_create(address):
                raise TooManyRooms()

    def create(
        self,
        room_id: RoomId,
        keys: HostKeys,
        settings: RoomSettings,
        now: float,
        address: str = "",
        record: StandingRoom | None = None,
    ) -> Room:
        """A new room with ``keys`` (refused as ``check_creatable`` says), held for
        ``address`` until someone joins it or ``RESERVATION_SECONDS`` are over. ``record``: the
        room as it was made to stand."""
        self.check_creatable(room_id, now, address)
        room = Room(
            room_id, self._capacity, keys=keys, settings=settings, created_at=now, record=record
        )
        self._rooms[room_id] = room
        self._reservations[room_id] = address
        self._reservations_by_address[address] += 1
        return room

    def _reservation_over(self, room: Room, now: float) -> bool:
        return (
            room.id in self._reservations
            and not room.was_joined
            and room.is_unused
            and now - room.created_at >= RESERVATION_SECONDS
        )

    def _no_place_to_create(self, address: str) -> bool:
        return (
            self._rooms_in_use() >= self._max_rooms
            or len(self._reservations) >= MAX_RESERVED_ROOMS
            or self._reservations_by_address[address] >= MAX_RESERVATIONS_PER_ADDRESS
        )

    def _rooms_in_use(self) -> int:
        return len(self._rooms) - len(self._reservations)

    def reservations_of(self, address: str) -> int:
        """Created rooms nobody joined yet that ``address`` holds."""
        return self._reservations_by_address[address]

    def expire_reservations(self, now: float) -> int:
        """Forget created rooms nobody joined in time; returns how many."""
        over = [
            room
            for room_id in self._reservations
            if (room := self._rooms.get(room_id)) is not None and self._reservation_over(room, now)
        ]
        for room in over:
            self._forget(room)
        return len(over)

    def _forget(self, room: Room) -> None:
        if self._rooms.get(room.id) is room:
            del self._rooms[room.id]
        self._end_reservation(room.id)

    def _end_reservation(self, room_id: RoomId) -> None:
        address = self._reservations.pop(room_id, None)
        if address is not None:
            self._reservations_by_address[address] -= 1
            if self._reservations_by_address[address] <= 0:
                del self._reservations_by_address[address]

    def open(self, room_id: RoomId, now: float, restored: RestoredRoom | None = None) -> Room:
        """The room to join: the one in memory; else the standing room ``restored`` brought
        back; else a new one without host keys. ``UserError`` server_full when the server
        holds as many rooms as it may."""
        room = self._rooms.get(room_id)
        if room is not None and not room.stands and self._reservation_over(room, now):
            # (A standing room whose creator did not come in time is still the room.)
            self._forget(room)
            room = None
        if room is None and self._rooms_in_use() >= self._max_rooms:
            raise UserError(ErrorCode.SERVER_FULL, "No more meetings fit on this server now.")
        if room is None:
            room = Room(room_id, self._capacity, created_at=now)
            if restored is not None:
                room.keys, room.settings = restored.keys, restored.settings
                room.password, room.record = restored.password, restored.record
            self._rooms[room_id] = room
        elif room.id in self._reservations and self._rooms_in_use() >= self._max_rooms:
            # Its first participant would make one room in use too many.
            raise UserError(ErrorCode.SERVER_FULL, "No more meetings fit on this server now.")
        return room

    # --- joining ---------------------------------------------------------------------------------

    def admit(self, room_id: RoomId, name: str, resume: str | None, now: float) -> Admission:
        """Join ``room_id``: the same participant again if ``resume`` is theirs and still valid
        for this room, otherwise a new guest named ``name`` (``UserError`` room_full if there
        is no place). A resumed participant keeps their name; the caller may change it.

        Every admission hands out a fresh resume token; the old one stops working.
        """
        resumable = self.resumable(room_id, resume)
        if resumable is not None:
            return Admission(room=resumable[0], participant=self.resume(*resumable), resumed=True)
        room = self.open(room_id, now)
        try:
            participant = self.enter(room, name, now)
        finally:
            self.forget_if_unused(room)
        return Admission(room=room, participant=participant, resumed=False)

    def resumable(self, room_id: RoomId, token: str | None) -> tuple[Room, Participant] | None:
        """The room and participant ``token`` brings back, if it is valid for ``room_id``."""
        holder = self._tokens.get(token) if token else None
        if holder is None or holder.room != room_id:
            return None
        room = self._rooms.get(room_id)
        participant = room.get(holder.participant) if room else None
        if room is None or participant is None:
            return None
        return room, participant

    def resume(self, room: Room, participant: Participant) -> Participant:
        participant.detached_since = None
        self._issue_token(room, participant)
        return participant

    def enter(
        self,
        room: Room,
        name: str,
        now: float,
        role: Role = "guest",
        id: ParticipantId | None = None,
    ) -> Participant:
        """A new participant in ``room`` (``UserError`` room_full if there is no place)."""
        participant = Participant(id or new_participant_id(), name, "", now=now, role=role)
        while participant.id in room:  # 80 random bits: practically never taken
            participant.id = new_participant_id()
        room.add(participant)
        self._end_reservation(room.id)
        self._issue_token(room, participant)
        return participant

    def new_waiting_id(self, room: Room) -> ParticipantId:
        """An id for someone entering the lobby; they keep it when admitted."""
        person = new_participant_id()
        while person in room or person in room.lobby:
            person = new_participant_id()
        return person

    def _issue_token(self, room: Room, participant: Participant) -> None:
        self._tokens.pop(participant.resume_token, None)
        passes = self._passes
        # A seat pass outlives this process; a room that does not stand has nothing to outlive.
        participant.resume_token = (
            passes.issue(room.id) if passes is not None and room.stands else new_resume_token()
        )
        self._tokens[participant.resume_token] = _TokenHolder(room.id, participant.id)

    # --- leaving ---------------------------------------------------------------------------------

    def detach(self, participant: Participant, now: float) -> None:
        """Their socket dropped: the grace period starts."""
        participant.detached_since = now

    def remove(self, room: Room, participant: ParticipantId) -> Participant | None:
        """Take a participant out for good; the room goes when nobody is in it or waits."""
        removed = room.remove(participant)
        if removed is not None:
            self._tokens.pop(removed.resume_token, None)
        self.forget_if_unused(room)
        return removed

    def forget_if_unused(self, room: Room) -> None:
        """Forget a room that nobody is in, waits for or is joining (a reserved room nobody
        joined yet stays until its reservation is over)."""
        waits_for_its_creator = room.id in self._reservations and not room.was_joined
        if room.is_unused and not waits_for_its_creator and self._rooms.get(room.id) is room:
            self._forget(room)

    def close(self, room: Room) -> list[Participant]:
        """The meeting ended: everyone is out and the room is gone. Returns who was in it."""
        participants = list(room)
        for participant in participants:
            room.remove(participant.id)
            self._tokens.pop(participant.resume_token, None)
        for person in room.lobby:
            room.lobby.take(person.id)
        self._forget(room)
        return participants

    def expired(self, now: float) -> list[tuple[Room, Participant]]:
        """Detached participants whose grace period is over (not yet removed)."""
        deadline = now - self._grace_seconds
        return [
            (room, participant)
            for room in self._rooms.values()
            for participant in room
            if participant.detached_since is not None and participant.detached_since <= deadline
        ]
