"""A council or committee in its standing room (docs/council.md, What the hub does with it):
the body's document as it was when its first member joined, the session that runs (or ran)
here, which participant each member joined as, and who is held outside.

Pure bookkeeping; ``klingel.web.council`` acts on it (media, lock, broadcast, messages).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from klingel.ids import ParticipantId
from klingel.rooms.council.document import BodyDocument, PreparedSession
from klingel.rooms.council.roster import MemberId
from klingel.rooms.council.session import CouncilSession
from klingel.rooms.participant import Participant

__all__ = ["MAX_CLOSED_SESSIONS", "ClosedSession", "CouncilRoom", "HeldReason"]

HeldReason = Literal["biased", "non_public"]
MAX_CLOSED_SESSIONS = 10
"""Closed sessions kept in memory until their minutes are fetched; the oldest go first."""


@dataclass(frozen=True, slots=True)
class ClosedSession:
    prepared: PreparedSession
    session: CouncilSession


@dataclass(slots=True)
class CouncilRoom:
    document: BodyDocument
    prepared: PreparedSession | None = None
    session: CouncilSession | None = None
    members: dict[MemberId, ParticipantId] = field(default_factory=dict)
    """The participant each connected member joined as (the latest, if they joined twice)."""
    held: dict[ParticipantId, HeldReason] = field(default_factory=dict)
    lock_before: bool | None = None
    """The room's lock as it was before a non-public part locked it; None outside one."""
    closed: list[ClosedSession] = field(default_factory=list)
    staged: tuple[bool, MemberId | None] = (False, None)
    """What the broadcast's stage last followed: whether a session ran, and who had the
    floor in it (None: nobody, so the chair)."""

    @property
    def running(self) -> CouncilSession | None:
        """The session while it is open; None before and after."""
        session = self.session
        return session if session is not None and session.phase == "open" else None

    @property
    def public_allowed(self) -> bool:
        """Whether the public and guests may follow now (no non-public item runs)."""
        running = self.running
        return running is None or running.agenda.public

    def member_of(self, participant: Participant) -> MemberId | None:
        """The member ``participant`` joined as, if they are still that member's participant."""
        member = participant.council_member
        if member is None or self.members.get(MemberId(member)) != participant.id:
            return None
        return MemberId(member)

    def may_lead(self, participant: Participant) -> bool:
        """The chair, or a member the chair made host (a deputy); never someone who is not a
        member, whatever their role in the room."""
        member = self.member_of(participant)
        if member is None:
            return False
        chair = self.document.body.chair
        return participant.role == "host" or (chair is not None and chair.id == member)

    def who_is_held(self, people: Iterable[Participant]) -> dict[ParticipantId, HeldReason]:
        """Who must be outside now: members biased for the current item, and, in a
        non-public part, everyone who is neither a member nor a host or co-host."""
        running = self.running
        if running is None:
            return {}
        biased = running.held_outside
        public = running.agenda.public
        held: dict[ParticipantId, HeldReason] = {}
        for person in people:
            member = self.member_of(person)
            if member is not None and member in biased:
                held[person.id] = "biased"
            elif not public and member is None and not person.is_moderator:
                held[person.id] = "non_public"
        return held

    def keep_closed(self) -> None:
        """The session just closed is kept for its minutes (and still shown until another
        one opens)."""
        if self.session is None or self.prepared is None:
            return
        self.closed.append(ClosedSession(self.prepared, self.session))
        del self.closed[:-MAX_CLOSED_SESSIONS]

    def floor(self) -> tuple[bool, MemberId | None]:
        """Whether a session runs, and who has the floor in it."""
        running = self.running
        turn = None if running is None else running.speakers.current
        return running is not None, None if turn is None else turn.member

    def on_stage(self, room: Iterable[Participant]) -> ParticipantId | None:
        """Whom the public sees while a session runs (council notes, point 5): the member who
        has the floor, else the chair, if they take part here by video. None (whoever
        speaks) when neither does, and outside a session."""
        running, speaker = self.floor()
        chair = self.document.body.chair
        member = speaker if speaker is not None else None if chair is None else chair.id
        if not running or member is None:
            return None
        participant = self.members.get(member)
        return participant if participant in {person.id for person in room} else None
