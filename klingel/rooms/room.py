"""One room: its participants, their streams, and its capacity."""

from __future__ import annotations

from collections.abc import Iterator

from klingel.ids import ParticipantId, RoomId, StreamId
from klingel.protocol.errors import ErrorCode, UserError
from klingel.protocol.objects import RoomInfo, StreamInfo
from klingel.rooms.participant import Participant

__all__ = ["Room"]


class Room:
    __slots__ = ("_chat_sequence", "_participants", "capacity", "id")

    def __init__(self, id: RoomId, capacity: int) -> None:
        self.id = id
        self.capacity = capacity
        self._participants: dict[ParticipantId, Participant] = {}
        self._chat_sequence = 0

    def __len__(self) -> int:
        return len(self._participants)

    def __iter__(self) -> Iterator[Participant]:
        return iter(list(self._participants.values()))

    def __contains__(self, participant: ParticipantId) -> bool:
        return participant in self._participants

    @property
    def is_empty(self) -> bool:
        return not self._participants

    def info(self) -> RoomInfo:
        return RoomInfo(id=self.id, capacity=self.capacity)

    def get(self, participant: ParticipantId) -> Participant | None:
        return self._participants.get(participant)

    def add(self, participant: Participant) -> None:
        """Admit a participant; a participant still in their resume grace period counts."""
        if len(self._participants) >= self.capacity:
            raise UserError(ErrorCode.ROOM_FULL, "This room is full.")
        self._participants[participant.id] = participant

    def remove(self, participant: ParticipantId) -> Participant | None:
        return self._participants.pop(participant, None)

    def others(self, participant: ParticipantId) -> list[Participant]:
        return [other for other in self._participants.values() if other.id != participant]

    def streams(self) -> list[StreamInfo]:
        return [stream for p in self._participants.values() for stream in p.stream_infos()]

    def find_stream(self, stream_id: StreamId) -> StreamInfo | None:
        return next((stream for stream in self.streams() if stream.id == stream_id), None)

    def next_chat_id(self) -> str:
        self._chat_sequence += 1
        return f"c-{self._chat_sequence}"
