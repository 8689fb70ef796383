from __future__ import annotations

from dataclasses import replace

import pytest
from support.standing_rooms import standing_room

from klingel.ids import RoomId
from klingel.store.records import StandingRoom


@pytest.mark.parametrize(
    "changes",
    [
        {"room_id": RoomId("")},
        {"room_id": RoomId("x" * 256)},
        {"host_digest": b"short"},
        {"cohost_digest": b"x" * 33},
        {"created_at": -1},
        {"last_used_at": 2**63},
        {"revision": -1},
    ],
)
def test_a_record_that_cannot_be_stored_is_refused(changes: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        replace(standing_room(), **changes)


def test_a_record_does_not_show_its_digests() -> None:
    room = standing_room()
    shown = repr(room)
    assert room.host_digest.hex() not in shown and repr(room.host_digest) not in shown
    assert repr(room.cohost_digest) not in shown


def test_a_record_is_frozen() -> None:
    room: StandingRoom = standing_room()
    with pytest.raises(AttributeError):
        room.revision = 2  # type: ignore[misc]
