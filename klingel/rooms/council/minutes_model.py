"""The minutes (Niederschrift) of a council session as data: what ``minutes.build_minutes``
draws from the event log, and what the JSON file and the PDF are written from (requirements
11 and 12 of the council notes).

Times are unix seconds (float) here; the JSON gives each as an ISO 8601 UTC string with its
unix seconds, the PDF in the town's time. A member is named by id; ``Minutes.members`` holds
each member's name, faction and role as the roster had them when the session ran.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from klingel.rooms.council.attendance import Place
from klingel.rooms.council.events import FaultSide
from klingel.rooms.council.roster import MemberId, QuorumRule, Role
from klingel.rooms.council.votes import Choice, Outcome, VoteKind

__all__ = [
    "MINUTES_FORMAT",
    "BallotEntry",
    "BallotRecord",
    "BiasRecord",
    "FaultRecord",
    "ItemCall",
    "ItemRecord",
    "MediaRecord",
    "MemberRecord",
    "Minutes",
    "PauseRecord",
    "PresenceRecord",
    "QuorumOccasion",
    "QuorumRecord",
    "SessionRecord",
    "Span",
    "Tally",
    "TurnRecord",
    "VoteRecord",
    "moment",
]

MINUTES_FORMAT = "klingel-minutes/1"

QuorumOccasion = Literal["opened", "changed", "vote"]


def moment(at: float) -> datetime | None:
    """``at`` (unix seconds) as a UTC time to the millisecond; None beyond what a datetime
    holds (a start the clerk typed far in the future)."""
    milliseconds = round(at * 1000)
    try:
        return datetime.fromtimestamp(milliseconds // 1000, UTC) + timedelta(
            milliseconds=milliseconds % 1000
        )
    except (OverflowError, OSError, ValueError):
        return None


@dataclass(frozen=True, slots=True)
class SessionRecord:
    """The body and the session: as prepared (title, start, place) and as held."""

    body_id: str
    body_name: str
    legal_size: int
    quorum_rule: QuorumRule
    quorum_needed: int
    session_id: str
    title: str
    starts_at: float
    place: str
    opened_at: float | None
    closed_at: float | None
    """None in a draft of a session not closed yet."""


@dataclass(frozen=True, slots=True)
class MemberRecord:
    id: MemberId
    name: str
    faction: str
    role: Role


@dataclass(frozen=True, slots=True)
class Span:
    """From ``start`` to ``end``; ``end`` None: still so when the record ends."""

    start: float
    end: float | None


@dataclass(frozen=True, slots=True)
class MediaRecord:
    at: float
    camera: bool
    microphone: bool


@dataclass(frozen=True, slots=True)
class PresenceRecord:
    """One stretch of a member being there. ``media``: a remote member's camera and
    microphone as they changed (none in the hall); ``live``: when picture and sound were
    both live (in the hall, the whole stretch)."""

    member: MemberId
    place: Place
    joined_at: float
    left_at: float | None
    media: tuple[MediaRecord, ...]
    live: tuple[Span, ...]


@dataclass(frozen=True, slots=True)
class QuorumRecord:
    """A snapshot: at the opening, at each change, and when a vote closed (``vote_id``)."""

    at: float
    occasion: QuorumOccasion
    counted: int
    needed: int
    legal_size: int
    reached: bool
    vote_id: str | None = None


@dataclass(frozen=True, slots=True)
class ItemRecord:
    """An agenda item with its motions as they stood when the session ended."""

    number: str
    title: str
    public: bool
    motions: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ItemCall:
    """The chair called an item; ``public_changed``: the public output stopped or resumed."""

    at: float
    item: str
    public: bool
    public_changed: bool


@dataclass(frozen=True, slots=True)
class Tally:
    yes: int
    no: int
    abstain: int


@dataclass(frozen=True, slots=True)
class BallotRecord:
    """A member's ballot as counted."""

    member: MemberId
    name: str
    choice: Choice


@dataclass(frozen=True, slots=True)
class BallotEntry:
    """A ballot as cast, in order; ``before``: the ballot it replaced."""

    at: float
    member: MemberId
    choice: Choice
    before: Choice | None


@dataclass(frozen=True, slots=True)
class VoteRecord:
    """A vote on a motion; ``opened_at`` None for one held by post afterwards."""

    vote_id: str
    item: str
    motion: int
    motion_text: str
    kind: VoteKind
    outcome: Outcome
    opened_at: float | None
    closed_at: float
    eligible: tuple[MemberId, ...]
    eligible_count: int
    biased: tuple[MemberId, ...]
    counts: Tally
    hall: Tally
    ballots: tuple[BallotRecord, ...]
    ballot_log: tuple[BallotEntry, ...]
    rule: str


@dataclass(frozen=True, slots=True)
class BiasRecord:
    at: float
    member: MemberId
    item: str
    marked: bool
    """True: marked biased; False: the mark was lifted."""


@dataclass(frozen=True, slots=True)
class TurnRecord:
    member: MemberId
    item: str | None
    started_at: float
    ended_at: float | None
    limit: float | None
    point_of_order: bool


@dataclass(frozen=True, slots=True)
class FaultRecord:
    at: float
    side: FaultSide
    member: MemberId | None
    detail: str
    remote_counted: int


@dataclass(frozen=True, slots=True)
class PauseRecord:
    at: float
    reason: str
    resumed_at: float | None


@dataclass(frozen=True, slots=True)
class Minutes:
    session: SessionRecord
    members: tuple[MemberRecord, ...]
    attendance: tuple[PresenceRecord, ...]
    quorum: tuple[QuorumRecord, ...]
    items: tuple[ItemRecord, ...]
    calls: tuple[ItemCall, ...]
    votes: tuple[VoteRecord, ...]
    bias: tuple[BiasRecord, ...]
    speakers: tuple[TurnRecord, ...]
    faults: tuple[FaultRecord, ...]
    pauses: tuple[PauseRecord, ...]

    def name(self, member: str) -> str:
        """The member's name (their id if the roster lacks them)."""
        return next((m.name for m in self.members if m.id == member), member)

    def member(self, member: str) -> MemberRecord | None:
        return next((m for m in self.members if m.id == member), None)
