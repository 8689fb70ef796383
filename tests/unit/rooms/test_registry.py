from __future__ import annotations

import pytest
from support.standing_rooms import standing_room

from klingel.ids import RoomId
from klingel.protocol.errors import ErrorCode, UserError
from klingel.rooms.keys import HostKeys, new_host_keys
from klingel.rooms.lobby import WaitingPerson
from klingel.rooms.registry import (
    MAX_RESERVATIONS_PER_ADDRESS,
    RESERVATION_SECONDS,
    Registry,
    RoomExists,
    TooManyReservations,
    TooManyRooms,
)
from klingel.rooms.room import Room
from klingel.rooms.room_password import RoomPassword
from klingel.rooms.settings import RoomSettings
from klingel.rooms.standing import RestoredRoom
from klingel.store import SecretDigester, StoredSettings, hash_password

ROOM = RoomId("musikschule-geige")
OTHER = RoomId("gemeinderat")
DIGESTER = SecretDigester(bytes(32))


def create(
    registry: Registry, room_id: RoomId, *, lobby: bool, now: float, address: str = ""
) -> Room:
    return registry.create(
        room_id, new_host_keys(DIGESTER), RoomSettings(lobby=lobby), now, address
    )


def restored(room_id: RoomId) -> RestoredRoom:
    """A standing room as the store gives it back: digests, settings, a password digest."""
    record = standing_room(room_id, settings=StoredSettings(lobby=True, locked=True))
    return RestoredRoom(
        keys=HostKeys.of_digests(DIGESTER, record.host_digest, record.cohost_digest),
        settings=RoomSettings(lobby=True, locked=True),
        password=RoomPassword.from_store(hash_password("Geige am Dienstag")),
        record=record,
    )


def test_a_room_exists_while_someone_is_in_it() -> None:
    registry = Registry(capacity=5)
    first = registry.admit(ROOM, "Anna", None, now=0.0)
    second = registry.admit(ROOM, "Ben", None, now=0.0)
    assert first.room is second.room
    assert (registry.room_count, registry.participant_count) == (1, 2)
    registry.remove(first.room, first.participant.id)
    registry.remove(second.room, second.participant.id)
    assert registry.get(ROOM) is None
    assert registry.room_count == 0


def test_capacity_counts_everyone_including_detached() -> None:
    registry = Registry(capacity=2)
    anna = registry.admit(ROOM, "Anna", None, now=0.0)
    registry.admit(ROOM, "Ben", None, now=0.0)
    registry.detach(anna.participant, now=1.0)
    with pytest.raises(UserError) as caught:
        registry.admit(ROOM, "Cem", None, now=2.0)
    assert caught.value.code is ErrorCode.ROOM_FULL
    assert registry.admit(OTHER, "Cem", None, now=2.0).room.id == OTHER


def test_resume_returns_the_same_participant_with_a_fresh_token() -> None:
    registry = Registry(capacity=5)
    anna = registry.admit(ROOM, "Anna", None, now=0.0)
    old_token = anna.participant.resume_token
    registry.detach(anna.participant, now=1.0)
    again = registry.admit(ROOM, "Anna B.", old_token, now=5.0)
    assert again.resumed and again.participant is anna.participant
    assert again.participant.name == "Anna"
    assert again.participant.detached_since is None
    assert again.participant.resume_token != old_token
    assert registry.participant_count == 1
    # The old token is spent: using it again makes a new participant.
    third = registry.admit(ROOM, "Anna", old_token, now=6.0)
    assert not third.resumed and third.participant is not anna.participant


@pytest.mark.parametrize("token", [None, "", "made-up"])
def test_unknown_tokens_make_new_participants(token: str | None) -> None:
    registry = Registry(capacity=5)
    registry.admit(ROOM, "Anna", None, now=0.0)
    assert not registry.admit(ROOM, "Ben", token, now=0.0).resumed


def test_a_token_is_valid_only_for_its_room() -> None:
    registry = Registry(capacity=5)
    anna = registry.admit(ROOM, "Anna", None, now=0.0)
    elsewhere = registry.admit(OTHER, "Anna", anna.participant.resume_token, now=1.0)
    assert not elsewhere.resumed


def test_grace_period_expiry() -> None:
    registry = Registry(capacity=5, grace_seconds=30.0)
    anna = registry.admit(ROOM, "Anna", None, now=0.0)
    ben = registry.admit(ROOM, "Ben", None, now=0.0)
    registry.detach(anna.participant, now=10.0)
    assert registry.expired(now=39.9) == []
    assert registry.expired(now=40.0) == [(anna.room, anna.participant)]
    token = anna.participant.resume_token
    registry.remove(anna.room, anna.participant.id)
    assert not registry.admit(ROOM, "Anna", token, now=41.0).resumed
    assert ben.participant in list(ben.room)


def test_participant_ids_are_unique_in_a_room() -> None:
    registry = Registry(capacity=50)
    ids = {registry.admit(ROOM, f"P{i}", None, now=0.0).participant.id for i in range(50)}
    assert len(ids) == 50


def test_created_rooms_are_reserved_then_forgotten() -> None:
    registry = Registry(capacity=5)
    room = create(registry, ROOM, lobby=True, now=0.0)
    assert registry.get(ROOM) is room and registry.room_count == 0
    with pytest.raises(RoomExists):
        create(registry, ROOM, lobby=False, now=RESERVATION_SECONDS - 1)
    assert registry.expire_reservations(now=RESERVATION_SECONDS - 1) == 0
    assert registry.expire_reservations(now=RESERVATION_SECONDS) == 1
    assert registry.get(ROOM) is None


def test_a_joined_room_is_kept_while_used_and_not_re_created() -> None:
    registry = Registry(capacity=5)
    room = create(registry, ROOM, lobby=False, now=0.0)
    anna = registry.admit(ROOM, "Anna", None, now=1.0)
    assert anna.room is room and anna.participant.role == "guest"
    assert registry.expire_reservations(now=RESERVATION_SECONDS * 2) == 0
    with pytest.raises(RoomExists):
        create(registry, ROOM, lobby=False, now=RESERVATION_SECONDS * 2)
    registry.remove(room, anna.participant.id)
    assert registry.get(ROOM) is None
    assert create(registry, ROOM, lobby=False, now=RESERVATION_SECONDS * 2) is not room


def test_reserved_rooms_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("klingel.rooms.registry.MAX_RESERVED_ROOMS", 3)
    registry = Registry(capacity=5)
    for n in range(3):
        create(registry, RoomId(f"raum-{n}"), lobby=False, now=0.0)
    with pytest.raises(TooManyRooms):
        create(registry, RoomId("raum-3"), lobby=False, now=1.0)
    # Once reservations are over, there is room again.
    assert create(registry, RoomId("raum-3"), lobby=False, now=RESERVATION_SECONDS).id == "raum-3"


def test_a_room_with_people_waiting_stays() -> None:
    registry = Registry(capacity=5)
    room = registry.open(ROOM, now=0.0)
    anna = registry.enter(room, "Anna", now=0.0)
    room.lobby.add(WaitingPerson(registry.new_waiting_id(room), "Ben"))
    registry.remove(room, anna.id)
    assert registry.get(ROOM) is room
    for person in room.lobby:
        room.lobby.take(person.id)
    registry.forget_if_unused(room)
    assert registry.get(ROOM) is None


def test_closing_a_room_forgets_everyone_and_their_tokens() -> None:
    registry = Registry(capacity=5)
    anna = registry.admit(ROOM, "Anna", None, now=0.0)
    token = anna.participant.resume_token
    assert registry.close(anna.room) == [anna.participant]
    assert registry.get(ROOM) is None
    assert registry.resumable(ROOM, token) is None


def test_rooms_per_server_are_capped_and_reservations_never_fill_them() -> None:
    registry = Registry(capacity=5, max_rooms=2)
    registry.admit(ROOM, "Anna", None, now=0.0)
    for index in range(MAX_RESERVATIONS_PER_ADDRESS):
        create(registry, RoomId(f"reserviert-{index}"), lobby=False, now=0.0, address="a")
    # Reservations are not rooms in use: a second meeting still fits...
    assert registry.admit(OTHER, "Ben", None, now=1.0).room.id == OTHER
    # ...but then the server is full, for joins and creations alike.
    with pytest.raises(UserError) as caught:
        registry.admit(RoomId("dritter"), "Cem", None, now=1.0)
    assert caught.value.code is ErrorCode.SERVER_FULL
    with pytest.raises(TooManyRooms):
        create(registry, RoomId("vierter"), lobby=False, now=1.0, address="b")
    assert registry.admit(ROOM, "Dana", None, now=1.0).room.id == ROOM  # existing rooms fill up
    # The first participant of a reservation needs a place too.
    with pytest.raises(UserError):
        registry.admit(RoomId("reserviert-0"), "Emil", None, now=1.0)


def test_reservations_per_address_are_capped_and_end_sooner() -> None:
    registry = Registry(capacity=5)
    for index in range(MAX_RESERVATIONS_PER_ADDRESS):
        create(registry, RoomId(f"raum-{index}"), lobby=False, now=0.0, address="a")
    assert registry.reservations_of("a") == MAX_RESERVATIONS_PER_ADDRESS
    with pytest.raises(TooManyReservations):
        create(registry, RoomId("noch-einer"), lobby=False, now=1.0, address="a")
    assert create(registry, RoomId("anderer"), lobby=False, now=1.0, address="b").id == "anderer"
    # A joined room is no reservation any more: the address may create another.
    registry.admit(RoomId("raum-0"), "Anna", None, now=2.0)
    assert registry.reservations_of("a") == MAX_RESERVATIONS_PER_ADDRESS - 1
    assert create(registry, RoomId("noch-einer"), lobby=False, now=2.0, address="a").id
    # Unused reservations end after minutes, not a quarter of an hour.
    assert RESERVATION_SECONDS <= 5 * 60
    assert (
        registry.expire_reservations(now=RESERVATION_SECONDS + 2)
        == MAX_RESERVATIONS_PER_ADDRESS + 1
    )
    assert registry.reservations_of("a") == 0


def test_a_standing_room_is_brought_back_with_what_it_keeps() -> None:
    registry = Registry(capacity=5)
    back = restored(ROOM)
    room = registry.open(ROOM, now=0.0, restored=back)
    assert registry.get(ROOM) is room and room.stands
    assert (room.keys, room.settings, room.password, room.record) == (
        back.keys,
        back.settings,
        back.password,
        back.record,
    )
    # A room in memory is the live state: what the store says again changes nothing.
    assert registry.open(ROOM, now=1.0, restored=restored(ROOM)) is room


def test_a_standing_room_nobody_got_into_is_forgotten_not_reserved() -> None:
    registry = Registry(capacity=5)
    room = registry.open(ROOM, now=0.0, restored=restored(ROOM))
    room.joins_under_way += 1
    registry.forget_if_unused(room)
    assert registry.get(ROOM) is room, "a join is still on its way in"
    room.joins_under_way -= 1
    registry.forget_if_unused(room)
    assert registry.get(ROOM) is None


def test_a_standing_room_is_never_taken_for_a_reservation_that_ran_out() -> None:
    registry = Registry(capacity=5)
    room = registry.open(ROOM, now=0.0, restored=restored(ROOM))
    room.joins_under_way += 1
    later = RESERVATION_SECONDS * 2
    assert registry.open(ROOM, now=later) is room
    assert registry.expire_reservations(now=later) == 0
    with pytest.raises(RoomExists) as caught:
        create(registry, ROOM, lobby=False, now=later)
    assert caught.value.stands


def test_a_room_joined_by_a_name_nobody_created_does_not_stand() -> None:
    registry = Registry(capacity=5)
    anna = registry.admit(ROOM, "Anna", None, now=0.0)
    assert anna.room.keys is None and not anna.room.stands
    with pytest.raises(RoomExists) as caught:
        create(registry, ROOM, lobby=False, now=1.0)
    assert not caught.value.stands
