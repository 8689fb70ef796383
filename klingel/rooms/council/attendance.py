"""Who is there, where, and whether they count: every presence of every member, with the
times picture and sound were live, kept whole for the minutes (Niederschrift).

A member in the hall counts while present (their picture and sound are the hall's). A remote
member counts only while camera and microphone are both live (BW GemO § 37a, ThürKO § 36a;
requirement 2 of the council notes): audio-only is "present, not counted". Per KV MV § 29a a
fault on a member's side does not invalidate the session but the quorum counts only who is
actually connected, hence the full media history.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal, get_args

from klingel.rooms.council.errors import CouncilCode, CouncilError, refuse_beyond
from klingel.rooms.council.roster import MemberId

__all__ = ["MAX_CHANGES_PER_MEMBER", "Attendance", "MediaChange", "Place", "Presence", "Status"]

Place = Literal["hall", "remote"]
Status = Literal["counted", "not_counted", "absent"]

MAX_CHANGES_PER_MEMBER = 2_000
"""Joins and media switched on, per member and session; leaving and switching off are always
taken, so the record never claims someone is there who went."""


@dataclass(frozen=True, slots=True)
class MediaChange:
    at: float
    camera: bool
    microphone: bool

    @property
    def live(self) -> bool:
        return self.camera and self.microphone


@dataclass(slots=True)
class Presence:
    """One stretch of a member being there; ``media`` only for remote members."""

    place: Place
    joined_at: float
    left_at: float | None = None
    media: list[MediaChange] = field(default_factory=list)

    def counted_at(self, when: float) -> bool:
        if when < self.joined_at or (self.left_at is not None and when >= self.left_at):
            return False
        if self.place == "hall":
            return True
        state = next((change for change in reversed(self.media) if change.at <= when), None)
        return state is not None and state.live


class Attendance:
    """Presence history per member of one body."""

    __slots__ = ("_changes", "_history")

    def __init__(self, members: Iterable[MemberId]) -> None:
        self._history: dict[MemberId, list[Presence]] = {member: [] for member in members}
        self._changes: dict[MemberId, int] = dict.fromkeys(self._history, 0)

    def join(
        self,
        member: MemberId,
        place: Place,
        now: float,
        *,
        camera: bool = False,
        microphone: bool = False,
    ) -> bool:
        """``member`` is there; whether that changed anything. Joining at the other place
        ends the stretch at the first (a remote member walking into the hall)."""
        if place not in get_args(Place):
            raise CouncilError(CouncilCode.BAD_VALUE, "A member is in the hall or remote.")
        current = self.presence(member)
        if current is not None and current.place == place:
            return self.set_media(member, camera, microphone, now) if place == "remote" else False
        self._count_change(member)
        if current is not None:
            current.left_at = max(now, current.joined_at)
        presence = Presence(place, now)
        if place == "remote":
            presence.media.append(MediaChange(now, camera, microphone))
        self._history[member].append(presence)
        return True

    def leave(self, member: MemberId, now: float) -> bool:
        current = self.presence(member)
        if current is None:
            return False
        current.left_at = max(now, current.joined_at)
        return True

    def set_media(self, member: MemberId, camera: bool, microphone: bool, now: float) -> bool:
        """A remote member's camera and microphone; whether that changed anything."""
        current = self.presence(member)
        if current is None or current.place != "remote":
            raise CouncilError(CouncilCode.BAD_VALUE, "Only a connected remote member has media.")
        last = current.media[-1]
        if (last.camera, last.microphone) == (camera, microphone):
            return False
        if (camera and not last.camera) or (microphone and not last.microphone):
            self._count_change(member)
        current.media.append(MediaChange(max(now, last.at), camera, microphone))
        return True

    def presence(self, member: MemberId) -> Presence | None:
        """The member's open stretch, None while away."""
        history = self.history(member)
        return history[-1] if history and history[-1].left_at is None else None

    def history(self, member: MemberId) -> tuple[Presence, ...]:
        found = self._history.get(member)
        if found is None:
            raise CouncilError(CouncilCode.UNKNOWN_MEMBER, "This person is not in the roster.")
        return tuple(found)

    def status(self, member: MemberId) -> Status:
        current = self.presence(member)
        if current is None:
            return "absent"
        if current.place == "hall" or current.media[-1].live:
            return "counted"
        return "not_counted"

    def counted(self) -> dict[MemberId, Place]:
        """Who counts now, and where they are."""
        return {
            member: presences[-1].place
            for member, presences in self._history.items()
            if self.status(member) == "counted"
        }

    def counted_at(self, when: float) -> frozenset[MemberId]:
        """Who counted at ``when``, from the history (for the minutes)."""
        return frozenset(
            member
            for member, presences in self._history.items()
            if any(presence.counted_at(when) for presence in presences)
        )

    def present(self) -> dict[MemberId, Place]:
        """Who is there now, counted or not."""
        return {
            member: presences[-1].place
            for member, presences in self._history.items()
            if presences and presences[-1].left_at is None
        }

    def would_grow(self, member: MemberId, place: Place, camera: bool, microphone: bool) -> bool:
        """Whether a join or media change would add to the record beyond closing things."""
        current = self.presence(member)
        if current is None or current.place != place:
            return True
        if place == "hall":
            return False
        last = current.media[-1]
        return (camera and not last.camera) or (microphone and not last.microphone)

    def _count_change(self, member: MemberId) -> None:
        refuse_beyond(
            self._changes[member], MAX_CHANGES_PER_MEMBER, "joins and media changes per member"
        )
        self._changes[member] += 1
