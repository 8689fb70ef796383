"""How fast reactions may come: each person a few in a row and then about one a second, a
whole room at most ten a second. A class that applauds together is shown; a flood is not."""

from __future__ import annotations

from enum import Enum

from klingel.ids import ParticipantId, RoomId
from klingel.rooms.ratelimit import KeyedRateLimiter, RateLimit

__all__ = ["PERSON_PACE", "ROOM_PACE", "Pace", "ReactionPace"]

PERSON_PACE = RateLimit(rate=1.0, burst=4.0)
ROOM_PACE = RateLimit(rate=10.0, burst=20.0)
"""Each reaction goes to everyone in the room: 50 people at this pace are 500 frames a second."""


class Pace(Enum):
    SHOWN = "shown"
    TOO_FAST = "too_fast"
    """The person reacts faster than anyone clicks by hand: refused."""
    ROOM_BUSY = "room_busy"
    """The room as a whole reacts faster than anyone could follow: not shown, not refused."""


class ReactionPace:
    """Buckets in memory only, forgotten least recently used first."""

    def __init__(self, max_keys: int = 50_000) -> None:
        self._people = KeyedRateLimiter(PERSON_PACE, max_keys)
        self._rooms = KeyedRateLimiter(ROOM_PACE, max_keys)

    def judge(self, room: RoomId, person: ParticipantId, now: float) -> Pace:
        if not self._people.take(f"{room}\n{person}", now):
            return Pace.TOO_FAST
        if not self._rooms.take(room, now):
            return Pace.ROOM_BUSY
        return Pace.SHOWN
