"""What the store holds at most: standing rooms up to the operator's cap, and a room's bans up
to their cap, the oldest giving way; and the list of rooms an operator sees."""

from __future__ import annotations

import asyncio

import pytest
from support.standing_rooms import NOW, secret_digest, standing_room

from klingel.ids import RoomId
from klingel.store import RoomDates, RoomStore, StoreError, StoreErrorCode

ROOM = RoomId("musikschule-geige")


async def test_no_room_beyond_the_cap_and_nothing_else_changes(store: RoomStore) -> None:
    for name in ("gemeinderat", "buergerbuero"):
        assert await store.create(standing_room(name), max_rooms=2)
    with pytest.raises(StoreError) as caught:
        await store.create(standing_room("musikschule-geige"), max_rooms=2)
    assert caught.value.code is StoreErrorCode.ROOMS_FULL
    assert str(caught.value) == "As many rooms stand as this server allows: no new room was made."
    assert await store.count() == 2
    assert await store.get(ROOM) is None
    # A name that stands is still "taken", not "full"; without a cap the store takes more.
    assert not await store.create(standing_room("gemeinderat"), max_rooms=2)
    assert await store.create(standing_room("musikschule-geige"))
    # Once rooms are gone, there is room again.
    assert await store.delete(RoomId("gemeinderat")) and await store.delete(ROOM)
    assert await store.create(standing_room("gemeinderat"), max_rooms=2)


async def test_racing_creates_never_pass_the_cap(store: RoomStore) -> None:
    rivals = [standing_room(f"raum-{n}") for n in range(8)]
    results = await asyncio.gather(
        *(store.create(room, max_rooms=3) for room in rivals), return_exceptions=True
    )
    assert results.count(True) == 3
    assert all(
        isinstance(result, StoreError) and result.code is StoreErrorCode.ROOMS_FULL
        for result in results
        if result is not True
    )
    assert await store.count() == 3


async def test_the_oldest_ban_gives_way_at_the_cap(store: RoomStore) -> None:
    await store.create(standing_room(ROOM))
    await store.create(standing_room("gemeinderat"))
    digests = [secret_digest(f"removed {n}") for n in range(4)]
    # Made out of order: the time decides which is oldest, not the order of the calls.
    for digest, banned_at in zip(digests, (NOW + 2, NOW, NOW + 1, NOW + 3), strict=True):
        assert await store.add_ban(ROOM, digest, banned_at=banned_at, max_bans=3)
    assert [await store.is_banned(ROOM, digest) for digest in digests] == [True, False, True, True]
    # Banning someone again keeps the first time: it does not make the ban young again.
    assert await store.add_ban(ROOM, digests[2], banned_at=NOW + 10, max_bans=3)
    assert await store.add_ban(ROOM, secret_digest("newest"), banned_at=NOW + 11, max_bans=3)
    assert not await store.is_banned(ROOM, digests[2])
    assert await store.is_banned(ROOM, digests[0]) and await store.is_banned(ROOM, digests[3])
    # Another room's bans are not counted against this one's, nor touched.
    assert await store.add_ban(RoomId("gemeinderat"), digests[1], banned_at=NOW, max_bans=1)
    assert await store.is_banned(RoomId("gemeinderat"), digests[1])
    assert await store.is_banned(ROOM, secret_digest("newest"))
    with pytest.raises(ValueError):
        await store.add_ban(ROOM, digests[1], banned_at=NOW, max_bans=0)


async def test_the_dates_of_every_room_by_id_and_nothing_more(store: RoomStore) -> None:
    assert await store.dates() == []
    await store.create(standing_room("musikschule-geige", created_at=NOW - 5, last_used_at=NOW))
    await store.create(standing_room("gemeinderat", created_at=NOW - 9, last_used_at=NOW - 1))
    assert await store.dates() == [
        RoomDates(RoomId("gemeinderat"), NOW - 9, NOW - 1),
        RoomDates(RoomId("musikschule-geige"), NOW - 5, NOW),
    ]
    assert {name for name in RoomDates.__dataclass_fields__} == {
        "room_id",
        "created_at",
        "last_used_at",
    }
