"""All rooms of the server, and the resume tokens that bring a dropped socket back.

A room is created by the first join and forgotten when its last participant leaves. A
participant whose socket drops stays (media included) for a grace period, during which a join
with their resume token returns the same participant.
"""

from __future__ import annotations

from dataclasses import dataclass

from klingel.ids import ParticipantId, RoomId
from klingel.rooms.identifiers import new_participant_id, new_resume_token
from klingel.rooms.participant import Participant
from klingel.rooms.room import Room

__all__ = ["Admission", "Registry"]

RESUME_GRACE_SECONDS = 30.0


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
    __slots__ = ("_capacity", "_grace_seconds", "_rooms", "_tokens")

    def __init__(self, capacity: int, grace_seconds: float = RESUME_GRACE_SECONDS) -> None:
        self._capacity = capacity
        self._grace_seconds = grace_seconds
        self._rooms: dict[RoomId, Room] = {}
        self._tokens: dict[str, _TokenHolder] = {}

    @property
    def room_count(self) -> int:
        return len(self._rooms)

    @property
    def participant_count(self) -> int:
        return sum(len(room) for room in self._rooms.values())

    def rooms(self) -> list[Room]:
        return list(self._rooms.values())

    def get(self, room: RoomId) -> Room | None:
        return self._rooms.get(room)

    def admit(self, room_id: RoomId, name: str, resume: str | None, now: float) -> Admission:
        """Join ``room_id``: the same participant again if ``resume`` is theirs and still valid
        for this room, otherwise a new one named ``name`` (``UserError`` room_full if there is
        no place). A resumed participant keeps their name; the caller may change it.

        Every admission hands out a fresh resume token; the old one stops working.
        """
        resumed = self._resume(room_id, resume)
        if resumed is not None:
            room, participant = resumed
            participant.detached_since = None
            self._issue_token(room, participant)
            return Admission(room=room, participant=participant, resumed=True)
        room = self._rooms.get(room_id) or Room(room_id, self._capacity)
        participant = Participant(new_participant_id(), name, resume_token="", now=now)
        while participant.id in room:  # 80 random bits: practically never taken
            participant.id = new_participant_id()
        room.add(participant)
        self._rooms[room_id] = room
        self._issue_token(room, participant)
        return Admission(room=room, participant=participant, resumed=False)

    def _resume(self, room_id: RoomId, token: str | None) -> tuple[Room, Participant] | None:
        holder = self._tokens.get(token) if token else None
        if holder is None or holder.room != room_id:
            return None
        room = self._rooms.get(room_id)
        participant = room.get(holder.participant) if room else None
        if room is None or participant is None:
            return None
        return room, participant

    def _issue_token(self, room: Room, participant: Participant) -> None:
        self._tokens.pop(participant.resume_token, None)
        participant.resume_token = new_resume_token()
        self._tokens[participant.resume_token] = _TokenHolder(room.id, participant.id)

    def detach(self, participant: Participant, now: float) -> None:
        """Their socket dropped: the grace period starts."""
        participant.detached_since = now

    def remove(self, room: Room, participant: ParticipantId) -> Participant | None:
        """Take a participant out for good; the room goes when it is empty."""
        removed = room.remove(participant)
        if removed is not None:
            self._tokens.pop(removed.resume_token, None)
        if room.is_empty and self._rooms.get(room.id) is room:
            del self._rooms[room.id]
        return removed

    def expired(self, now: float) -> list[tuple[Room, Participant]]:
        """Detached participants whose grace period is over (not yet removed)."""
        deadline = now - self._grace_seconds
        return [
            (room, participant)
            for room in self._rooms.values()
            for participant in room
            if participant.detached_since is not None and participant.detached_since <= deadline
        ]
