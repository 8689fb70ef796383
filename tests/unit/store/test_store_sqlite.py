"""The room store's behaviour, on real SQLite files and on a real Redis."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path

import pytest
from support.standing_rooms import NOW, secret_digest, standing_room

from klingel.ids import RoomId
from klingel.store import (
    RoomStore,
    SecretDigester,
    SqliteRoomStore,
    StoredSettings,
    StoreError,
    StoreErrorCode,
    hash_password,
)

ROOM = RoomId("musikschule-geige")
OTHER = RoomId("gemeinderat")
DAY = 86_400
BAN = {"banned_at": NOW, "max_bans": 1000}


async def test_every_field_comes_back_as_it_was_stored(store: RoomStore) -> None:
    room = standing_room(
        ROOM,
        settings=StoredSettings(
            lobby=True,
            locked=True,
            office_hours=True,
            screen_share_allowed=False,
            chat_allowed=False,
            unmute_allowed=False,
            e2ee=True,
        ),
        password=hash_password("Geige am Dienstag"),
        created_at=NOW - 7 * DAY,
        last_used_at=NOW,
        revision=3,
    )
    assert await store.create(room)
    stored = await store.get(ROOM)
    assert stored == room
    assert stored is not None and stored.password is not None
    assert stored.password.matches("Geige am Dienstag")
    assert not stored.password.matches("Geige am Mittwoch")


@pytest.mark.parametrize("switch", [name for name in StoredSettings.__dataclass_fields__])
async def test_each_switch_is_stored_on_its_own(store: RoomStore, switch: str) -> None:
    default = getattr(StoredSettings(), switch)
    room = standing_room(ROOM, settings=replace(StoredSettings(), **{switch: not default}))
    await store.create(room)
    assert await store.get(ROOM) == room


async def test_an_unknown_room_is_none(store: RoomStore) -> None:
    assert await store.get(ROOM) is None
    assert await store.count() == 0


async def test_an_id_that_stands_cannot_be_created_again(store: RoomStore) -> None:
    first = standing_room(ROOM)
    assert await store.create(first)
    squatter = standing_room(ROOM, host_digest=secret_digest("squatter"))
    assert not await store.create(squatter)
    assert await store.get(ROOM) == first


async def test_of_racing_creates_of_one_id_exactly_one_wins(store: RoomStore) -> None:
    rivals = [standing_room(ROOM, host_digest=secret_digest(f"host {n}")) for n in range(8)]
    results = await asyncio.gather(*(store.create(room) for room in rivals))
    assert results.count(True) == 1
    assert await store.get(ROOM) == rivals[results.index(True)]
    assert await store.count() == 1


async def test_an_update_writes_the_room_and_moves_its_revision(store: RoomStore) -> None:
    room = standing_room(ROOM)
    await store.create(room)
    changed = replace(
        room,
        host_digest=secret_digest("new host link"),
        cohost_digest=secret_digest("new co-host link"),
        settings=StoredSettings(lobby=True, locked=True),
        password=hash_password("Bürgerbüro"),
        last_used_at=NOW + DAY,
    )
    assert await store.update(changed, expected_revision=0)
    assert await store.get(ROOM) == replace(changed, revision=1)
    assert await store.update(replace(changed, password=None), expected_revision=1)
    assert await store.get(ROOM) == replace(changed, password=None, revision=2)


async def test_an_update_on_a_stale_revision_changes_nothing(store: RoomStore) -> None:
    room = standing_room(ROOM)
    await store.create(room)
    assert await store.update(replace(room, settings=StoredSettings(lobby=True)), 0)
    before = await store.get(ROOM)
    stale = replace(room, host_digest=secret_digest("stale"), password=hash_password("stale!!!"))
    assert not await store.update(stale, expected_revision=0)
    assert await store.get(ROOM) == before


async def test_of_racing_updates_on_one_revision_exactly_one_wins(store: RoomStore) -> None:
    room = standing_room(ROOM)
    await store.create(room)
    versions = [replace(room, host_digest=secret_digest(f"host {n}")) for n in range(8)]
    results = await asyncio.gather(*(store.update(version, 0) for version in versions))
    assert results.count(True) == 1
    assert await store.get(ROOM) == replace(versions[results.index(True)], revision=1)


async def test_an_update_of_a_room_that_is_gone_is_refused(store: RoomStore) -> None:
    assert not await store.update(standing_room(ROOM), expected_revision=0)
    assert await store.get(ROOM) is None


async def test_an_update_of_a_room_deleted_and_made_anew_is_refused(
    store: RoomStore,
) -> None:
    """Same id, same revision, but not the room the update read: its changes are not the new
    room's."""
    await store.create(standing_room(ROOM))
    assert await store.delete(ROOM)
    made_anew = standing_room(ROOM, host_digest=secret_digest("new host"), created_at=NOW + 60)
    await store.create(made_anew)
    stale = standing_room(ROOM, host_digest=secret_digest("old host, new secret"))
    assert not await store.update(stale, expected_revision=0)
    assert await store.get(ROOM) == made_anew


async def test_a_use_moves_the_last_use_forward_only(store: RoomStore) -> None:
    await store.create(standing_room(ROOM))
    assert await store.touch(ROOM, NOW + DAY)
    assert await store.touch(ROOM, NOW - DAY)  # a clock that went back moves nothing
    stored = await store.get(ROOM)
    assert stored is not None
    assert (stored.last_used_at, stored.created_at, stored.revision) == (NOW + DAY, NOW, 0)
    # An update that read the room before that use does not take it back either.
    assert await store.update(standing_room(ROOM, last_used_at=NOW), expected_revision=0)
    stored = await store.get(ROOM)
    assert stored is not None and stored.last_used_at == NOW + DAY
    assert not await store.touch(OTHER, NOW)


async def test_a_ban_holds_in_its_room_only(store: RoomStore) -> None:
    await store.create(standing_room(ROOM))
    await store.create(standing_room(OTHER))
    removed = secret_digest("resume token of the removed guest")
    assert await store.add_ban(ROOM, removed, **BAN)
    assert await store.add_ban(ROOM, removed, **BAN)  # twice is one ban
    assert await store.is_banned(ROOM, removed)
    assert not await store.is_banned(OTHER, removed)
    assert not await store.is_banned(ROOM, secret_digest("someone else"))


async def test_a_ban_in_a_room_that_does_not_stand_is_refused(store: RoomStore) -> None:
    token = secret_digest("token")
    assert not await store.add_ban(ROOM, token, **BAN)
    assert not await store.is_banned(ROOM, token)


async def test_a_ban_must_be_a_digest(store: RoomStore) -> None:
    await store.create(standing_room(ROOM))
    with pytest.raises(ValueError):
        await store.add_ban(ROOM, b"the token itself", **BAN)


async def test_deleting_a_room_deletes_its_bans(store: RoomStore) -> None:
    token = secret_digest("token")
    await store.create(standing_room(ROOM))
    await store.add_ban(ROOM, token, **BAN)
    assert await store.delete(ROOM)
    assert not await store.delete(ROOM)
    assert await store.get(ROOM) is None
    # A room made again under the name starts with no bans.
    await store.create(standing_room(ROOM))
    assert not await store.is_banned(ROOM, token)


async def test_rooms_unused_since_the_cutoff_are_deleted_with_their_bans(
    store: RoomStore,
) -> None:
    cutoff = NOW - 90 * DAY
    last_uses = {
        "long-gone": cutoff - 365 * DAY,
        "just-too-old": cutoff - 1,
        "used-at-the-cutoff": cutoff,
        "used-last-week": NOW - 7 * DAY,
        "used-today": NOW,
    }
    for name, last_use in last_uses.items():
        await store.create(standing_room(name, created_at=0, last_used_at=last_use))
        await store.add_ban(RoomId(name), secret_digest(f"ban in {name}"), **BAN)
    assert await store.delete_unused(before=cutoff) == 2
    standing = {name for name in last_uses if await store.get(RoomId(name)) is not None}
    assert standing == {"used-at-the-cutoff", "used-last-week", "used-today"}
    assert await store.count() == 3
    assert not await store.is_banned(RoomId("just-too-old"), secret_digest("ban in just-too-old"))
    assert await store.is_banned(RoomId("used-today"), secret_digest("ban in used-today"))
    assert await store.delete_unused(before=cutoff) == 0


async def test_a_reopened_store_keeps_every_room_ban_and_digest(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    digester = SecretDigester.open(data_dir)
    room = standing_room(
        ROOM,
        host_digest=digester.digest("host-secret"),
        cohost_digest=digester.digest("cohost-secret"),
        settings=StoredSettings(lobby=True, e2ee=True),
        password=hash_password("Geige am Dienstag"),
    )
    store = await SqliteRoomStore.open(data_dir)
    await store.create(room)
    await store.add_ban(ROOM, digester.digest("removed guest's token"), **BAN)
    await store.close()

    digester = SecretDigester.open(data_dir)
    store = await SqliteRoomStore.open(data_dir)
    try:
        stored = await store.get(ROOM)
        assert stored == room
        assert stored is not None and digester.matches("host-secret", stored.host_digest)
        assert digester.matches("cohost-secret", stored.cohost_digest)
        assert await store.is_banned(ROOM, digester.digest("removed guest's token"))
        assert await store.count() == 1
    finally:
        await store.close()


async def test_a_closed_store_refuses_every_call(tmp_path: Path) -> None:
    store = await SqliteRoomStore.open(tmp_path)
    await store.close()
    await store.close()  # twice is harmless
    with pytest.raises(StoreError) as caught:
        await store.get(ROOM)
    assert caught.value.code is StoreErrorCode.UNAVAILABLE


async def test_calls_made_before_closing_are_finished(tmp_path: Path) -> None:
    store = await SqliteRoomStore.open(tmp_path)
    creates = [asyncio.create_task(store.create(standing_room(f"room-{n}"))) for n in range(20)]
    await asyncio.sleep(0)  # each task makes its call
    await store.close()
    assert all(await asyncio.gather(*creates))
    reopened = await SqliteRoomStore.open(tmp_path)
    assert await reopened.count() == 20
    await reopened.close()


async def test_an_open_cancelled_half_way_leaves_the_file_usable(tmp_path: Path) -> None:
    opening = asyncio.create_task(SqliteRoomStore.open(tmp_path))
    await asyncio.sleep(0)
    opening.cancel()
    with pytest.raises(asyncio.CancelledError):
        await opening
    store = await SqliteRoomStore.open(tmp_path)
    try:
        assert await store.create(standing_room(ROOM))
    finally:
        await store.close()
