"""Names a town keeps for itself (``--reserved-name``): nobody creates them from the start
page, and nobody joins one before the town made it stand (``klingel rooms create``).

Without this, a pupil who opens "Gemeinderat" first would create the council's room, or, by
joining the bare name, hold a room without a host under the town's name.
"""

from __future__ import annotations

from collections.abc import Iterable

from klingel.ids import RoomId
from klingel.rooms.naming import is_room_id, slugify

__all__ = ["ReservedNames"]


class ReservedNames:
    """The slugs of the reserved names, made as the start page makes a typed name's."""

    __slots__ = ("_slugs",)

    def __init__(self, names: Iterable[str] = ()) -> None:
        slugs = set()
        for name in names:
            slug = slugify(name)
            if not is_room_id(slug):
                raise ValueError(f"not a room name: {name!r}")
            slugs.add(RoomId(slug))
        self._slugs = frozenset(slugs)

    def __contains__(self, room: object) -> bool:
        return room in self._slugs

    def __len__(self) -> int:
        return len(self._slugs)
