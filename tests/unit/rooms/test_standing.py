"""Standing rooms between the room domain and a real store: what is written, when, and what
happens when the store refuses or another write comes first."""

from __future__ import annotations

import asyncio
from dataclasses import fields, replace
from pathlib import Path

import pytest
from support.standing_rooms import NOW

from klingel.ids import RoomId
from klingel.protocol.errors import ErrorCode, UserError
from klingel.rooms.registry import Registry
from klingel.rooms.room import Room
from klingel.rooms.settings import RoomSettings
from klingel.rooms.standing import (
    SECONDS_PER_DAY,
    USE_RECORDED_EVERY_SECONDS,
    StandingRooms,
    StoredPart,
    room_settings,
    stored_settings,
)
from klingel.store import SecretDigester, SqliteRoomStore, StandingRoom, StoredSettings

ROOM = RoomId("musikschule-geige")


class Wall:
    def __init__(self) -> None:
        self.now = float(NOW)

    def __call__(self) -> float:
        return self.now


async def standing_in(
    tmp_path: Path, store: SqliteRoomStore | None = None, wall: Wall | None = None
) -> StandingRooms:
    return StandingRooms(
        store or await SqliteRoomStore.open(tmp_path), SecretDigester.open(tmp_path), wall or Wall()
    )


async def made(standing: StandingRooms, settings: RoomSettings | None = None) -> Room:
    """A created room in memory, as ``POST /api/rooms`` leaves it."""
    keys, settings = standing.new_keys(), settings or RoomSettings(lobby=True)
    record = await standing.create(ROOM, keys, settings)
    assert record is not None
    return Registry(capacity=5).create(ROOM, keys, settings, 0.0, record=record)


def test_the_settings_and_their_stored_form_have_the_same_switches() -> None:
    assert [f.name for f in fields(RoomSettings)] == [f.name for f in fields(StoredSettings)]
    odd = RoomSettings(lobby=True, office_hours=True, chat_allowed=False, e2ee=True)
    assert room_settings(stored_settings(odd)) == odd


async def test_a_created_room_stands_with_digests_and_times(standing: StandingRooms) -> None:
    room = await made(standing)
    assert room.record is not None
    assert (room.record.created_at, room.record.revision) == (
        room.record.last_used_at,
        0,
    )
    assert await standing.create(ROOM, standing.new_keys(), RoomSettings()) is None
    found = await standing.find(ROOM)
    assert found is not None and found.record == room.record
    assert found.settings == room.settings and found.password is None


async def test_changes_are_written_through_and_come_back(standing: StandingRooms) -> None:
    room = await made(standing)
    assert room.keys is not None
    room.settings = room.settings.changed(office_hours=True, chat_allowed=False)
    await standing.save(room, StoredPart.SETTINGS)
    room.keys = room.keys.with_new_host_secret().with_new_cohost_secret()
    await standing.save(room, StoredPart.HOST_SECRET | StoredPart.COHOST_SECRET)
    room.set_password("Geige am Dienstag")
    await standing.save_password(room, "Geige am Dienstag")
    await standing.ban(room, "the removed pupil's resume token")
    assert room.record is not None and room.record.revision == 3

    found = await standing.find(ROOM)
    assert found is not None
    assert found.settings == room.settings
    assert found.keys.role_for(room.keys.host) == "host"
    assert found.keys.role_for(room.keys.cohost) == "cohost"
    assert found.password is not None and found.password.stored is not None
    assert found.password.stored.matches("Geige am Dienstag")
    assert await standing.is_banned(ROOM, "the removed pupil's resume token")
    assert not await standing.is_banned(ROOM, "someone else's token")

    room.set_password(None)
    await standing.save_password(room, None)
    found = await standing.find(ROOM)
    assert found is not None and found.password is None


async def test_a_write_that_lost_a_race_reads_again_and_keeps_both_changes(
    standing: StandingRooms,
) -> None:
    room = await made(standing)
    assert room.record is not None and room.keys is not None
    read_before = room.record
    room.settings = room.settings.changed(locked=True)
    await standing.save(room, StoredPart.SETTINGS)  # the other write: revision 1
    room.record = read_before  # this write read the room before that one
    room.keys = room.keys.with_new_host_secret()
    await standing.save(room, StoredPart.HOST_SECRET)
    found = await standing.find(ROOM)
    assert found is not None and found.record.revision == 2
    assert found.keys.role_for(room.keys.host) == "host"
    assert found.settings == room.settings
    assert room.record is not None and room.record.revision == 2


class _AlwaysLate(SqliteRoomStore):
    """A store where another write always comes first."""

    async def update(self, room: StandingRoom, expected_revision: int) -> bool:
        await super().update(replace(room, settings=StoredSettings()), expected_revision)
        return False


async def test_a_write_that_keeps_losing_is_not_saved(tmp_path: Path) -> None:
    standing = await standing_in(tmp_path, await _AlwaysLate.open(tmp_path))
    try:
        room = await made(standing)
        room.settings = room.settings.changed(locked=True)
        with pytest.raises(UserError) as caught:
            await standing.save(room, StoredPart.SETTINGS)
        assert caught.value.code is ErrorCode.NOT_SAVED
        assert room.settings.locked, "the live change holds"
    finally:
        await standing.close()


async def test_a_failing_store_refuses_writes_as_not_saved_and_reads_as_unavailable(
    standing: StandingRooms,
) -> None:
    room = await made(standing)
    await standing.close()
    for write in (
        standing.save(room, StoredPart.SETTINGS),
        standing.ban(room, "token"),
        standing.save_password(room, None),
    ):
        with pytest.raises(UserError) as caught:
            await write
        assert caught.value.code is ErrorCode.NOT_SAVED
    for read in (standing.find(ROOM), standing.is_banned(ROOM, "token")):
        with pytest.raises(UserError) as caught:
            await read
        assert caught.value.code is ErrorCode.STORE_UNAVAILABLE
        assert caught.value.closes


async def test_a_room_that_does_not_stand_writes_nothing(standing: StandingRooms) -> None:
    room = Registry(capacity=5).open(ROOM, now=0.0)
    room.set_password("Geige am Dienstag")
    await standing.save(room, StoredPart.SETTINGS)
    await standing.save_password(room, "Geige am Dienstag")
    await standing.ban(room, "token")
    standing.note_use(room)
    standing.save_later(room, StoredPart.SETTINGS)
    assert await standing.find(ROOM) is None


async def test_a_password_changed_while_it_was_hashed_is_left_to_its_own_save(
    standing: StandingRooms,
) -> None:
    room = await made(standing)
    room.set_password("first password")
    first = asyncio.create_task(standing.save_password(room, "first password"))
    await asyncio.sleep(0)  # the first hash is under way
    room.set_password("second password")
    await standing.save_password(room, "second password")
    await first
    found = await standing.find(ROOM)
    assert found is not None and found.password is not None and found.password.stored
    assert found.password.stored.matches("second password")


async def test_a_use_is_recorded_without_waiting_and_finished_at_close(tmp_path: Path) -> None:
    wall = Wall()
    standing = await standing_in(tmp_path, wall=wall)
    room = await made(standing)
    wall.now += SECONDS_PER_DAY
    standing.note_use(room)
    await standing.close()
    reopened = await standing_in(tmp_path)
    try:
        found = await reopened.find(ROOM)
        assert found is not None
        assert found.record.last_used_at == NOW + SECONDS_PER_DAY
    finally:
        await reopened.close()


class _CountingTouches(SqliteRoomStore):
    """The real store, counting the uses written to it."""

    touches = 0

    async def touch(self, room_id: RoomId, now: int) -> bool:
        self.touches += 1
        return await super().touch(room_id, now)


async def test_a_use_is_written_at_most_once_an_hour(tmp_path: Path) -> None:
    wall, store = Wall(), await _CountingTouches.open(tmp_path)
    standing = await standing_in(tmp_path, store, wall)
    room = await made(standing)
    wall.now += 600
    standing.note_use(room)  # creating it was a use ten minutes ago
    wall.now += USE_RECORDED_EVERY_SECONDS
    used = int(wall.now)
    for _ in range(30):  # a class joining
        standing.note_use(room)
        wall.now += 1
    assert room.record is not None and room.record.last_used_at == used
    room.settings = room.settings.changed(locked=True)
    await standing.save(room, StoredPart.SETTINGS)  # carries the use along, never undoes it
    await standing.close()  # after the writes under way
    assert store.touches == 1
    assert await last_use(tmp_path) == used


async def test_a_room_brought_back_writes_its_first_use(tmp_path: Path) -> None:
    wall = Wall()
    standing = await standing_in(tmp_path, wall=wall)
    await made(standing)
    await standing.close()
    wall.now += 7 * SECONDS_PER_DAY  # next week's lesson
    store = await _CountingTouches.open(tmp_path)
    standing = await standing_in(tmp_path, store, wall)
    found = await standing.find(ROOM)
    assert found is not None
    room = Registry(capacity=5).open(ROOM, 0.0, found)
    standing.note_use(room)
    standing.note_use(room)
    await standing.close()
    assert store.touches == 1
    assert await last_use(tmp_path) == int(wall.now)


async def last_use(data_dir: Path) -> int:
    """The room's last use as the store in ``data_dir`` holds it."""
    store = await SqliteRoomStore.open(data_dir)
    try:
        found = await store.get(ROOM)
    finally:
        await store.close()
    assert found is not None
    return found.last_used_at


async def test_rooms_unused_for_the_configured_days_are_deleted(tmp_path: Path) -> None:
    wall = Wall()
    standing = await standing_in(tmp_path, wall=wall)
    try:
        await made(standing)
        wall.now += 90 * SECONDS_PER_DAY
        assert await standing.delete_unused(90) == 0
        wall.now += 1
        assert await standing.delete_unused(91) == 0
        assert await standing.delete_unused(90) == 1
        assert await standing.find(ROOM) is None
    finally:
        await standing.close()


async def test_a_change_to_a_room_made_anew_meanwhile_does_not_write_over_it(
    tmp_path: Path,
) -> None:
    """Deleted from the store (``klingel rooms delete``) and made again under its name while
    the old room was still in use here: the old room's changes are not the new room's."""
    wall = Wall()
    standing = await standing_in(tmp_path, wall=wall)
    try:
        room = await made(standing)
        assert await standing.delete(ROOM)
        wall.now += 60
        keys = standing.new_keys()
        assert await standing.create(ROOM, keys, RoomSettings())
        assert room.keys is not None
        room.keys = room.keys.with_new_host_secret()
        with pytest.raises(UserError) as caught:
            await standing.save(room, StoredPart.HOST_SECRET)
        assert caught.value.code is ErrorCode.NOT_SAVED and not room.stands
        found = await standing.find(ROOM)
        assert found is not None and keys.host is not None
        assert found.keys.role_for(keys.host) == "host"
        assert found.keys.role_for(room.keys.host or "") == "guest"
        await standing.save(room, StoredPart.SETTINGS)  # no longer standing: nothing written
    finally:
        await standing.close()
