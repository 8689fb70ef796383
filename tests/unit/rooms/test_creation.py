from __future__ import annotations

import pytest

from klingel.ids import RoomId
from klingel.rooms.creation import RoomCreation, RoomCreationRefused
from klingel.rooms.registry import RESERVATION_SECONDS, Registry


def refusal(creation: RoomCreation, body: bytes, now: float = 0.0) -> tuple[str, int]:
    with pytest.raises(RoomCreationRefused) as caught:
        creation.create(body, now)
    return caught.value.code, caught.value.status


def test_one_click_rooms_start_with_the_lobby_off() -> None:
    registry = Registry(capacity=5)
    created = RoomCreation(registry).create(b"", now=0.0)
    room = registry.get(created.room)
    assert room is not None and room.keys is not None
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


def test_named_rooms_start_with_the_lobby_on_and_cannot_be_made_twice() -> None:
    registry = Registry(capacity=5)
    creation = RoomCreation(registry)
    created = creation.create('{"name": "Bürgerbüro Mitte"}'.encode(), now=0.0)
    assert created.room == "buergerbuero-mitte"
    room = registry.get(RoomId("buergerbuero-mitte"))
    assert room is not None and room.settings.lobby
    assert refusal(creation, b'{"name": "buergerbuero mitte"}', now=1.0) == ("room_exists", 409)
    # After the reservation, a room nobody joined may be created anew, with new keys.
    again = creation.create(b'{"name": "Buergerbuero Mitte"}', now=RESERVATION_SECONDS)
    assert again.host_secret != created.host_secret


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
def test_bad_bodies_are_refused(body: bytes, code: str) -> None:
    registry = Registry(capacity=5)
    assert refusal(RoomCreation(registry), body) == (code, 400)
    assert registry.rooms() == []


def test_a_null_name_is_a_one_click_room() -> None:
    created = RoomCreation(Registry(capacity=5)).create(b'{"name": null}', now=0.0)
    assert len(created.room) == 26
