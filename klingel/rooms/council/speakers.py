"""The speaker list (Wortmeldungen) under the chair's control: raised hands in order, points
of order (Geschäftsordnungsanträge) ahead of ordinary requests, optional speaking time, and a
record of who spoke on which item from when to when for the minutes.

Serves requirements 5 and 8 of the council notes and NRW DigiSiVO § 2 (4) (whoever speaks is
seen and heard, so the hub knows whom to put on screen).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from klingel.rooms.council.errors import CouncilCode, CouncilError, refuse_beyond
from klingel.rooms.council.roster import MemberId

__all__ = [
    "MAX_SPEAKING_TIME",
    "MAX_TURNS",
    "MAX_WAITING",
    "Request",
    "RequestKind",
    "SpeakerList",
    "Turn",
]

RequestKind = Literal["ordinary", "point_of_order"]

MAX_WAITING = 200
MAX_TURNS = 5_000
"""Turns recorded in one session."""
MAX_SPEAKING_TIME = 3_600.0


@dataclass(frozen=True, slots=True)
class Request:
    member: MemberId
    kind: RequestKind
    raised_at: float


@dataclass(slots=True)
class Turn:
    """One member holding the floor; ``limit`` in seconds, None: no limit."""

    member: MemberId
    item: str | None
    started_at: float
    limit: float | None = None
    ended_at: float | None = None

    def remaining(self, now: float) -> float | None:
        """Speaking time left (never below 0), None without a limit."""
        if self.limit is None:
            return None
        until = self.ended_at if self.ended_at is not None else now
        return max(0.0, self.started_at + self.limit - until)


class SpeakerList:
    """One waiting list; a member is on it at most once for each kind of request."""

    __slots__ = ("_allowed", "_current", "_turns", "_waiting")

    def __init__(self, allowed: Iterable[MemberId]) -> None:
        self._allowed = frozenset(allowed)
        self._waiting: list[Request] = []
        self._current: Turn | None = None
        self._turns: list[Turn] = []

    @property
    def waiting(self) -> tuple[Request, ...]:
        """In the order the chair calls them: points of order first, each lane by time."""
        return tuple(self._waiting)

    @property
    def current(self) -> Turn | None:
        return self._current

    @property
    def turns(self) -> tuple[Turn, ...]:
        """Everyone who held the floor, the current speaker last."""
        return tuple(self._turns)

    def raise_hand(self, member: MemberId, now: float, *, point_of_order: bool = False) -> int:
        """Puts ``member`` on the list; their place in it (0: next)."""
        self._check(member)
        kind: RequestKind = "point_of_order" if point_of_order else "ordinary"
        if any(request.member == member and request.kind == kind for request in self._waiting):
            raise CouncilError(CouncilCode.ALREADY_LISTED, "This request is already listed.")
        refuse_beyond(len(self._waiting), MAX_WAITING, "requests to speak")
        place = len(self._waiting)
        if point_of_order:
            place = sum(request.kind == "point_of_order" for request in self._waiting)
        self._waiting.insert(place, Request(member, kind, now))
        return place

    def withdraw(self, member: MemberId) -> None:
        """Takes every request of ``member`` off the list."""
        kept = [request for request in self._waiting if request.member != member]
        if len(kept) == len(self._waiting):
            raise CouncilError(CouncilCode.NOT_LISTED, "This member is not on the list.")
        self._waiting = kept

    def give_floor(
        self,
        now: float,
        item: str | None,
        *,
        member: MemberId | None = None,
        limit: float | None = None,
    ) -> tuple[Turn | None, Turn]:
        """The chair gives the floor to the next on the list, or to ``member`` (who leaves
        the list if on it). Returns the turn that ended (if any) and the new one."""
        if limit is not None and not 1.0 <= limit <= MAX_SPEAKING_TIME:
            raise CouncilError(CouncilCode.BAD_VALUE, "Speaking time is 1 s to 1 h.")
        if member is None:
            if not self._waiting:
                raise CouncilError(CouncilCode.NO_SPEAKER, "Nobody is waiting to speak.")
            member = self._waiting[0].member
        self._check(member)
        refuse_beyond(len(self._turns), MAX_TURNS, "turns to speak")
        position = next((i for i, r in enumerate(self._waiting) if r.member == member), None)
        if position is not None:
            del self._waiting[position]
        ended = self.finish(now)
        self._current = Turn(member, item, now, limit)
        self._turns.append(self._current)
        return ended, self._current

    def finish(self, now: float) -> Turn | None:
        """Ends the current turn; the turn that ended, None if nobody spoke."""
        ended, self._current = self._current, None
        if ended is not None:
            ended.ended_at = max(now, ended.started_at)
        return ended

    def clear(self) -> None:
        """Empties the waiting list (a new item starts a new list)."""
        self._waiting.clear()

    def _check(self, member: MemberId) -> None:
        if member not in self._allowed:
            raise CouncilError(CouncilCode.UNKNOWN_MEMBER, "Only members of the body speak here.")
