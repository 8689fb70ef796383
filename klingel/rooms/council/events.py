"""The session's event log: typed, timestamped entries the minutes (Niederschrift) are drawn
from, with attendance and join/leave times, quorum snapshots, items, votes with names and
results, and disruptions (requirements 11 and 12 of the council notes; KV MV § 29a for the
fault record, NRW DigiSiVO § 2 (3) for who is connected when).

The log is bounded. Requests (a join, a vote, a hand) stop a reserve short of the bound, so
the facts that wind a session down (someone leaves, media go off, a fault, a pause, closing)
always find room and the record never claims someone is there who went.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from klingel.rooms.council.attendance import Place
from klingel.rooms.council.errors import CouncilCode, CouncilError
from klingel.rooms.council.roster import MemberId
from klingel.rooms.council.votes import Choice, Counts, VoteKind, VoteResult

__all__ = [
    "MAX_EVENTS",
    "RESERVE",
    "BallotCast",
    "BiasLifted",
    "BiasMarked",
    "Event",
    "EventLog",
    "FaultRecorded",
    "FaultSide",
    "FloorEnded",
    "FloorGiven",
    "HallCountsSet",
    "ItemSwitched",
    "MediaChanged",
    "MemberJoined",
    "MemberLeft",
    "Paused",
    "PublicOutputChanged",
    "QuorumChanged",
    "QuorumSnapshot",
    "Resumed",
    "SessionClosed",
    "SessionOpened",
    "VoteClosed",
    "VoteOpened",
]

MAX_EVENTS = 20_000
RESERVE = 2_000
"""Kept for winding down: at most 200 members can each leave, lose media and be logged as
changing the quorum, plus a fault, a pause and closing."""
_ENTRIES_PER_ACTION = 5
"""The most entries one session action writes (switching items writes four)."""

FaultSide = Literal["member", "server"]


@dataclass(frozen=True, slots=True)
class QuorumSnapshot:
    counted: int
    needed: int
    legal_size: int

    @property
    def reached(self) -> bool:
        return self.counted >= self.needed


@dataclass(frozen=True, slots=True)
class SessionOpened:
    at: float
    quorum: QuorumSnapshot


@dataclass(frozen=True, slots=True)
class SessionClosed:
    at: float


@dataclass(frozen=True, slots=True)
class ItemSwitched:
    at: float
    item: str
    public: bool


@dataclass(frozen=True, slots=True)
class PublicOutputChanged:
    """The public output stops (guests leave) or resumes with a (non-)public item."""

    at: float
    allowed: bool
    item: str


@dataclass(frozen=True, slots=True)
class MemberJoined:
    at: float
    member: MemberId
    place: Place
    camera: bool
    microphone: bool


@dataclass(frozen=True, slots=True)
class MemberLeft:
    at: float
    member: MemberId


@dataclass(frozen=True, slots=True)
class MediaChanged:
    at: float
    member: MemberId
    camera: bool
    microphone: bool


@dataclass(frozen=True, slots=True)
class QuorumChanged:
    at: float
    quorum: QuorumSnapshot


@dataclass(frozen=True, slots=True)
class BiasMarked:
    at: float
    member: MemberId
    item: str


@dataclass(frozen=True, slots=True)
class BiasLifted:
    at: float
    member: MemberId
    item: str


@dataclass(frozen=True, slots=True)
class FloorGiven:
    """``point_of_order``: the member had asked for the floor on a point of order."""

    at: float
    member: MemberId
    item: str | None
    limit: float | None
    point_of_order: bool = False


@dataclass(frozen=True, slots=True)
class FloorEnded:
    at: float
    member: MemberId
    item: str | None


@dataclass(frozen=True, slots=True)
class VoteOpened:
    at: float
    vote_id: str
    item: str
    motion: int
    kind: VoteKind
    eligible: tuple[MemberId, ...]


@dataclass(frozen=True, slots=True)
class BallotCast:
    """``before`` is the member's earlier ballot when they changed it."""

    at: float
    vote_id: str
    member: MemberId
    choice: Choice
    before: Choice | None


@dataclass(frozen=True, slots=True)
class HallCountsSet:
    at: float
    vote_id: str
    counts: Counts


@dataclass(frozen=True, slots=True)
class VoteClosed:
    at: float
    result: VoteResult
    quorum: QuorumSnapshot


@dataclass(frozen=True, slots=True)
class Paused:
    at: float
    reason: str


@dataclass(frozen=True, slots=True)
class Resumed:
    at: float


@dataclass(frozen=True, slots=True)
class FaultRecorded:
    """``remote_counted``: remote members still counted then; while one still works, a fault
    is presumed not the town's (KV MV § 29a)."""

    at: float
    side: FaultSide
    member: MemberId | None
    detail: str
    remote_counted: int


Event = (
    SessionOpened
    | SessionClosed
    | ItemSwitched
    | PublicOutputChanged
    | MemberJoined
    | MemberLeft
    | MediaChanged
    | QuorumChanged
    | BiasMarked
    | BiasLifted
    | FloorGiven
    | FloorEnded
    | VoteOpened
    | BallotCast
    | HallCountsSet
    | VoteClosed
    | Paused
    | Resumed
    | FaultRecorded
)


class EventLog:
    """Entries in the order they happened."""

    __slots__ = ("_entries",)

    def __init__(self) -> None:
        self._entries: list[Event] = []

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def entries(self) -> tuple[Event, ...]:
        return tuple(self._entries)

    def make_room(self, *, essential: bool = False) -> None:
        """Refuses an action before it changes anything if the log could not take all of
        its entries; ``essential``: the action winds something down."""
        limit = MAX_EVENTS if essential else MAX_EVENTS - RESERVE
        if len(self._entries) + _ENTRIES_PER_ACTION > limit:
            raise CouncilError(CouncilCode.TOO_MANY, "The session's record is full.")

    def add(self, event: Event) -> None:
        if len(self._entries) >= MAX_EVENTS:
            raise CouncilError(CouncilCode.TOO_MANY, "The session's record is full.")
        self._entries.append(event)
