from __future__ import annotations

from klingel.ids import ParticipantId, RoomId, StreamId
from klingel.protocol.objects import StreamInfo
from klingel.rooms.participant import Participant
from klingel.rooms.room import Room


def test_streams_and_participant_views() -> None:
    room = Room(RoomId("chor"), capacity=3)
    anna = Participant(ParticipantId("p-a"), "Anna", "t1", now=0.0)
    ben = Participant(ParticipantId("p-b"), "Ben", "t2", now=0.0)
    room.add(anna)
    room.add(ben)
    anna.streams = {"microphone": StreamId("s-1"), "screen": StreamId("s-2")}
    assert room.find_stream(StreamId("s-2")) == StreamInfo(
        StreamId("s-2"), ParticipantId("p-a"), "video", "screen"
    )
    assert room.find_stream(StreamId("s-9")) is None
    assert len(room.streams()) == 2
    assert anna.info().screen and not ben.info().screen
    assert anna.info(anna.id).you and not anna.info(ben.id).you
    assert [p.id for p in room.others(anna.id)] == [ben.id]


def test_chat_ids_count_up_per_room() -> None:
    room = Room(RoomId("chor"), capacity=3)
    assert [room.next_chat_id() for _ in range(3)] == ["c-1", "c-2", "c-3"]
