from __future__ import annotations

from support.standing_rooms import standing_room

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


def test_the_password_is_checked_but_never_shown() -> None:
    room = Room(RoomId("chor"), capacity=3)
    assert not room.has_password and not room.info().has_password
    password = room.set_password("Geige2026")
    assert room.password is password and room.info().has_password
    assert password is not None and password.stored is None  # the slow digest comes later
    assert password.quick_verdict("Geige2026") is True
    assert password.quick_verdict("geige2026") is False
    assert "Geige2026" not in repr(room.info()) and "Geige2026" not in repr(room)
    assert "Geige2026" not in repr(password)
    assert room.set_password(None) is None
    assert not room.has_password and not room.info().has_password


def test_a_room_stands_when_it_has_a_record() -> None:
    assert not Room(RoomId("chor"), capacity=3).stands
    assert Room(RoomId("chor"), capacity=3, record=standing_room("chor")).stands


def test_a_room_with_a_join_under_way_is_not_unused() -> None:
    room = Room(RoomId("chor"), capacity=3)
    assert room.is_unused
    room.joins_under_way += 1
    assert not room.is_unused


def test_banned_tokens_and_who_moderates() -> None:
    room = Room(RoomId("chor"), capacity=3)
    host = Participant(ParticipantId("p-h"), "Hanna", "t1", now=0.0, role="host")
    cohost = Participant(ParticipantId("p-c"), "Conny", "t2", now=0.0, role="cohost")
    guest = Participant(ParticipantId("p-g"), "Gustav", "t3", now=0.0)
    for participant in (host, cohost, guest):
        room.add(participant)
    assert room.moderators() == [host, cohost]
    assert guest.info().role == "guest" and host.info().role == "host"
    room.ban("t3")
    assert room.is_banned("t3") and not room.is_banned("t2") and not room.is_banned(None)
