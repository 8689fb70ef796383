from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from klingel.ids import RoomId
from klingel.rooms.creation import RoomCreation, RoomCreationRefused
from klingel.rooms.registry import RESERVATION_SECONDS, Registry
from klingel.rooms.standing import StandingRooms
from klingel.store import SecretDigester, SqliteRoomStore, StandingRoom

NAMED = b'{"name": "B\\u00fcrgerb\\u00fcro Mitte"}'


async def refusal(creation: RoomCreation, body: bytes, now: float = 0.0) -> tuple[str, int]:
    with pytest.raises(RoomCreationRefused) as caught:
        await creation.create(body, now)
    return caught.value.code, caught.value.status


async def test_one_click_rooms_start_with_the_lobby_off_and_stand(
    standing: StandingRooms,
) -> None:
    registry = Registry(capacity=5)
    created = await RoomCreation(registry, standing).create(b"", now=0.0)
    room = registry.get(created.room)
    assert room is not None and room.keys is not None and room.stands
    assert (room.settings.lobby, room.keys.host, room.keys.cohost) == (
        False,
        created.host_secret,
        created.cohost_secret,
    )
    assert created.to_dict() == {
        "room": created.room,
        "hostSecret": created.host_secret,
        "cohostSecret": created.cohost_secret,
    }
    assert created.host_secret not in repr(created)
    # What stands: digests that the secrets match, never the secrets.
    found = await standing.find(created.room)
    assert found is not None and found.record == room.record
    assert found.keys.role_for(created.host_secret) == "host"
    assert found.keys.role_for(created.cohost_secret) == "cohost"
    assert (found.keys.host, found.keys.cohost) == (None, None)
    assert not found.settings.lobby and found.password is None


async def test_a_named_room_stands_and_is_nobody_elses_to_create(
    standing: StandingRooms,
) -> None:
    registry = Registry(capacity=5)
    creation = RoomCreation(registry, standing)
    created = await creation.create(NAMED, now=0.0)
    assert created.room == "buergerbuero-mitte"
    room = registry.get(RoomId("buergerbuero-mitte"))
    assert room is not None and room.settings.lobby
    assert await refusal(creation, b'{"name": "buergerbuero mitte"}', now=1.0) == (
        "room_taken",
        409,
    )
    # Its reservation over and gone from memory, it still stands: still nobody else's.
    assert registry.expire_reservations(now=RESERVATION_SECONDS) == 1
    assert registry.get(RoomId("buergerbuero-mitte")) is None
    assert await refusal(creation, b'{"name": "Buergerbuero Mitte"}', RESERVATION_SECONDS) == (
        "room_taken",
        409,
    )
    found = await standing.find(RoomId("buergerbuero-mitte"))
    assert found is not None and found.keys.role_for(created.host_secret) == "host"


async def test_a_name_people_joined_without_creating_it_is_in_use(
    standing: StandingRooms,
) -> None:
    registry = Registry(capacity=5)
    registry.admit(RoomId("elternabend"), "Anna", None, now=0.0)
    creation = RoomCreation(registry, standing)
    assert await refusal(creation, b'{"name": "Elternabend"}') == ("room_exists", 409)
    assert await standing.find(RoomId("elternabend")) is None


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"{", "bad_json"),
        (b"[]", "bad_json"),
        (b'"name"', "bad_json"),
        (b'{"name": "x", "lobby": false}', "bad_json"),
        (b'{"name": 7}', "bad_room"),
        (b'{"name": ""}', "bad_room"),
        (b'{"name": "!!!"}', "bad_room"),
        (b'{"name": "' + b"x" * 201 + b'"}', "bad_room"),
    ],
)
async def test_bad_bodies_are_refused(standing: StandingRooms, body: bytes, code: str) -> None:
    registry = Registry(capacity=5)
    assert await refusal(RoomCreation(registry, standing), body) == (code, 400)
    assert registry.rooms() == []


async def test_a_null_name_is_a_one_click_room(standing: StandingRooms) -> None:
    created = await RoomCreation(Registry(capacity=5), standing).create(b'{"name": null}', 0.0)
    assert len(created.room) == 26


async def test_a_store_that_fails_refuses_the_room_and_memory_holds_nothing(
    standing: StandingRooms,
) -> None:
    registry = Registry(capacity=5)
    await standing.close()
    assert await refusal(RoomCreation(registry, standing), NAMED) == ("store_unavailable", 503)
    assert registry.rooms() == []


class _JoinWhileWriting(SqliteRoomStore):
    """The real store, with a join of the same name arriving while a room is written."""

    async def create(self, room: StandingRoom, max_rooms: int | None = None) -> bool:
        made = await super().create(room, max_rooms)
        await self.joined_meanwhile(room.room_id)
        return made

    async def joined_meanwhile(self, room_id: RoomId) -> None:
        pass


async def racing(tmp_path: Path, join: Callable[[RoomId], Awaitable[None]]) -> StandingRooms:
    store = await _JoinWhileWriting.open(tmp_path)
    store.joined_meanwhile = join  # type: ignore[method-assign]
    return StandingRooms(store, SecretDigester.open(tmp_path))


async def test_a_name_joined_without_keys_while_it_was_written_does_not_stand(
    tmp_path: Path,
) -> None:
    """The join read the store before the room stood, and opened the name without keys."""
    registry = Registry(capacity=5)

    async def join_without_keys(room_id: RoomId) -> None:
        registry.admit(room_id, "Anna", None, now=0.0)

    standing = await racing(tmp_path, join_without_keys)
    try:
        creation = RoomCreation(registry, standing)
        assert await refusal(creation, b'{"name": "Elternabend"}') == ("room_exists", 409)
        assert await standing.find(RoomId("elternabend")) is None
    finally:
        await standing.close()


async def test_a_room_a_join_brought_back_while_it_was_written_is_the_creators(
    tmp_path: Path,
) -> None:
    """The join read what was just written, and brought the room back before memory held it."""
    registry = Registry(capacity=5)

    async def join_that_reads_the_new_room(room_id: RoomId) -> None:
        room = registry.open(room_id, 0.0, await standing.find(room_id))
        room.joins_under_way += 1  # still on its way in

    standing = await racing(tmp_path, join_that_reads_the_new_room)
    try:
        created = await RoomCreation(registry, standing).create(b'{"name": "Gemeinderat"}', 0.0)
        room = registry.get(created.room)
        assert room is not None and room.keys is not None and room.stands
        assert (room.keys.host, room.keys.cohost) == (created.host_secret, created.cohost_secret)
        assert room.keys.role_for(created.host_secret) == "host"
    finally:
        await standing.close()
