"""``POST /api/rooms``: a fresh one-click room, or a room with a typed name, and its secrets.

Re-creating a room that exists (someone is in it, or it was created a short while ago and
waits for its first participant) is refused: creating a room is the only way to be its host.
Named rooms start with the lobby on (a typed name is guessable); one-click rooms with it off.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from klingel.ids import RoomId
from klingel.rooms.naming import is_room_id, new_room_id, slugify
from klingel.rooms.registry import Registry, RoomExists, TooManyReservations, TooManyRooms

__all__ = ["CreatedRoom", "RoomCreation", "RoomCreationRefused"]

MAX_TYPED_NAME_LENGTH = 200


class RoomCreationRefused(Exception):
    """``code`` is the stable error of the HTTP answer, ``status`` its status."""

    def __init__(self, code: str, status: int) -> None:
        super().__init__(code)
        self.code = code
        self.status = status


@dataclass(frozen=True, slots=True)
class CreatedRoom:
    room: RoomId
    host_secret: str = field(repr=False)
    cohost_secret: str = field(repr=False)

    def to_dict(self) -> dict[str, Any]:
        return {
            "room": self.room,
            "hostSecret": self.host_secret,
            "cohostSecret": self.cohost_secret,
        }


def _typed_name(body: bytes) -> str | None:
    """The ``name`` of an optional JSON body ``{"name": "..."}``; None without one."""
    if not body.strip():
        return None
    try:
        data = json.loads(body)
    except ValueError:
        raise RoomCreationRefused("bad_json", 400) from None
    if not isinstance(data, dict) or not set(data) <= {"name"}:
        raise RoomCreationRefused("bad_json", 400)
    name = data.get("name")
    if name is None:
        return None
    if not isinstance(name, str) or not 1 <= len(name) <= MAX_TYPED_NAME_LENGTH:
        raise RoomCreationRefused("bad_room", 400)
    return name


class RoomCreation:
    __slots__ = ("_registry",)

    def __init__(self, registry: Registry) -> None:
        self._registry = registry

    def create(self, body: bytes, now: float, address: str = "") -> CreatedRoom:
        name = _typed_name(body)
        if name is None:
            room_id, lobby = new_room_id(), False
        else:
            slug = slugify(name)
            if not is_room_id(slug):
                raise RoomCreationRefused("bad_room", 400)
            room_id, lobby = RoomId(slug), True
        try:
            room = self._registry.create(room_id, lobby=lobby, now=now, address=address)
        except RoomExists:
            raise RoomCreationRefused("room_exists", 409) from None
        except TooManyReservations:
            raise RoomCreationRefused("too_many_rooms", 429) from None
        except TooManyRooms:
            raise RoomCreationRefused("busy", 503) from None
        assert room.keys is not None  # create always makes keys
        return CreatedRoom(room.id, room.keys.host, room.keys.cohost)
