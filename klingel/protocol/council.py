"""Messages of the council mode (docs/council.md, docs/protocol.md "Council sessions"): the
chair leads with ``council`` commands, members raise hands and vote with the same message,
everyone in the room hears ``council_state``, viewers ``council_public``, and a member held
outside (biased for the item) or a guest sent out of a non-public part hears ``council_held``.

The server checks who may do what from the member a personal link named, never from what a
client claims. The values here mirror the council domain (``klingel.rooms.council``), which
the protocol does not import.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, ClassVar, Literal

from klingel.protocol.objects import Name, ParticipantRef
from klingel.protocol.wire import Key, Wire, WireMessage, WireObject

__all__ = [
    "CouncilAction",
    "CouncilBallot",
    "CouncilCommand",
    "CouncilCounts",
    "CouncilFault",
    "CouncilHeld",
    "CouncilItem",
    "CouncilMember",
    "CouncilPublic",
    "CouncilQuorum",
    "CouncilRequest",
    "CouncilResult",
    "CouncilSessionRef",
    "CouncilSpeaker",
    "CouncilState",
    "CouncilVote",
]

CouncilAction = Literal[
    # the chair
    "open",
    "close",
    "pause",
    "resume",
    "item",
    "floor",
    "end_floor",
    "vote",
    "close_vote",
    "hall_counts",
    "by_post",
    "bias",
    "hall",
    # every member
    "hand",
    "withdraw",
    "ballot",
]
VoteKind = Literal["open", "roll_call", "secret"]
Choice = Literal["yes", "no", "abstain"]
Outcome = Literal["adopted", "rejected", "by_post"]
Phase = Literal["prepared", "open", "closed"]
HeldReason = Literal["biased", "non_public"]

MAX_MEMBERS = 200
MAX_MOTIONS = 50
MAX_RESULTS = 500
MAX_SESSIONS = 60
MAX_FAULTS = 100
"""The latest faults of a session that the screens show; the minutes keep them all."""
MemberRef = Annotated[str, Wire(1, 64)]
ItemNumber = Annotated[str, Wire(1, 24)]
Title = Annotated[str, Wire(1, 200)]
MotionText = Annotated[str, Wire(1, 2000)]
Count = Annotated[int, Wire(0, 1_000)]
Seconds = Annotated[int, Wire(0, 2**40)]
OptionalSwitch = Annotated[bool | None, Key(null=False)]


# --- client to server -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CouncilCommand(WireMessage):
    """One step of a session. The chair's actions and what each needs: ``open`` (``session``),
    ``close``, ``pause`` (``reason``), ``resume``, ``item`` (``item``), ``floor`` (optional
    ``member``, ``limit``), ``end_floor``, ``vote`` (``motion``, ``kind``), ``close_vote``,
    ``hall_counts`` (``yes``, ``no``, ``abstain``), ``by_post`` (``motion``), ``bias``
    (``member``, ``item``, ``on``), ``hall`` (``member``, ``on``: present in the hall).
    A member's: ``hand`` (optional ``pointOfOrder``), ``withdraw``, ``ballot`` (``choice``)."""

    TYPE: ClassVar[str] = "council"
    action: CouncilAction
    session: Annotated[str | None, Wire(1, 64)] = None
    item: Annotated[ItemNumber | None, Key(null=False)] = None
    member: Annotated[MemberRef | None, Key(null=False)] = None
    motion: Annotated[int | None, Wire(0, MAX_MOTIONS - 1), Key(null=False)] = None
    kind: Annotated[VoteKind | None, Key(null=False)] = None
    choice: Annotated[Choice | None, Key(null=False)] = None
    yes: Annotated[Count | None, Key(null=False)] = None
    no: Annotated[Count | None, Key(null=False)] = None
    abstain: Annotated[Count | None, Key(null=False)] = None
    limit: Annotated[int | None, Wire(10, 3_600), Key(null=False)] = None
    """Speaking time in seconds; left out: no limit."""
    reason: Annotated[str | None, Wire(1, 200), Key(null=False)] = None
    on: OptionalSwitch = None
    point_of_order: OptionalSwitch = None


# --- server to client -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CouncilSessionRef(WireObject):
    NAME: ClassVar[str] = "council session"
    id: Annotated[str, Wire(1, 64)]
    title: Title
    starts_at: Seconds


@dataclass(frozen=True, slots=True)
class CouncilItem(WireObject):
    NAME: ClassVar[str] = "council item"
    number: ItemNumber
    title: Title
    public: bool
    motions: Annotated[tuple[str, ...], Wire(0, MAX_MOTIONS)]


@dataclass(frozen=True, slots=True)
class CouncilMember(WireObject):
    """A member of the body as everyone in the room sees them: whether counted for the
    quorum, where, with which participant (null: not connected), whether held outside, and
    whether their socket is connected now (false while it is being resumed)."""

    NAME: ClassVar[str] = "council member"
    id: MemberRef
    name: Name
    faction: Annotated[str, Wire(0, 100)]
    role: Literal["chair", "member"]
    status: Literal["counted", "not_counted", "absent"]
    place: Literal["hall", "remote"] | None
    participant: ParticipantRef | None
    held: bool
    connected: bool


@dataclass(frozen=True, slots=True)
class CouncilPerson(WireObject):
    """A member as the public sees them: office holders, by name and faction, so that a roll
    call names who voted how (NRW DigiSiVO § 4 (1))."""

    NAME: ClassVar[str] = "council person"
    id: MemberRef
    name: Name
    faction: Annotated[str, Wire(0, 100)]


@dataclass(frozen=True, slots=True)
class CouncilQuorum(WireObject):
    NAME: ClassVar[str] = "council quorum"
    counted: Count
    needed: Count
    legal_size: Count
    reached: bool


@dataclass(frozen=True, slots=True)
class CouncilSpeaker(WireObject):
    """Who has the floor; ``left``: seconds of speaking time left when sent (null: no limit)."""

    NAME: ClassVar[str] = "council speaker"
    member: MemberRef
    name: Name
    faction: Annotated[str, Wire(0, 100)]
    left: Annotated[int | None, Wire(0, 3_600)]


@dataclass(frozen=True, slots=True)
class CouncilRequest(WireObject):
    NAME: ClassVar[str] = "council request"
    member: MemberRef
    point_of_order: bool


@dataclass(frozen=True, slots=True)
class CouncilBallot(WireObject):
    NAME: ClassVar[str] = "council ballot"
    member: MemberRef
    choice: Choice


@dataclass(frozen=True, slots=True)
class CouncilCounts(WireObject):
    NAME: ClassVar[str] = "council counts"
    yes: Count
    no: Count
    abstain: Count


@dataclass(frozen=True, slots=True)
class CouncilVote(WireObject):
    """A running vote: each ballot by name as it comes (NRW DigiSiVO § 4 (1))."""

    NAME: ClassVar[str] = "council vote"
    id: Annotated[str, Wire(1, 16)]
    item: ItemNumber
    motion: Annotated[int, Wire(0, MAX_MOTIONS - 1)]
    text: MotionText
    kind: VoteKind
    eligible: Annotated[tuple[str, ...], Wire(0, MAX_MEMBERS)]
    ballots: Annotated[tuple[CouncilBallot, ...], Wire(0, MAX_MEMBERS)]
    hall: CouncilCounts


@dataclass(frozen=True, slots=True)
class CouncilResult(WireObject):
    """A closed vote, with the majority rule it was decided by."""

    NAME: ClassVar[str] = "council result"
    id: Annotated[str, Wire(1, 16)]
    item: ItemNumber
    motion: Annotated[int, Wire(0, MAX_MOTIONS - 1)]
    text: MotionText
    kind: VoteKind
    outcome: Outcome
    counts: CouncilCounts
    hall: CouncilCounts
    ballots: Annotated[tuple[CouncilBallot, ...], Wire(0, MAX_MEMBERS)]
    eligible: Count
    rule: Annotated[str, Wire(1, 500)]


@dataclass(frozen=True, slots=True)
class CouncilFault(WireObject):
    """A lost line in the session: a member's (``member``) or the server's, when, and how
    many remote members were still counted then (KV MV § 29a)."""

    NAME: ClassVar[str] = "council fault"
    at: Seconds
    side: Literal["member", "server"]
    member: MemberRef | None
    remote_counted: Count


@dataclass(frozen=True, slots=True)
class CouncilState(WireMessage):
    """The session as every screen in the room shows it (not to someone held outside).
    ``itemSeconds``: time on the current item when sent; ``paused``: the reason, or null."""

    TYPE: ClassVar[str] = "council_state"
    body: Name
    legal_size: Count
    sessions: Annotated[tuple[CouncilSessionRef, ...], Wire(0, MAX_SESSIONS)]
    session: CouncilSessionRef | None
    phase: Phase
    paused: Annotated[str | None, Wire(1, 200)]
    item: CouncilItem | None
    item_seconds: Seconds
    items: Annotated[tuple[CouncilItem, ...], Wire(0, 100)]
    public: bool
    quorum: CouncilQuorum
    chair_alert: bool
    members: Annotated[tuple[CouncilMember, ...], Wire(0, MAX_MEMBERS)]
    speaker: CouncilSpeaker | None
    waiting: Annotated[tuple[CouncilRequest, ...], Wire(0, MAX_MEMBERS)]
    vote: CouncilVote | None
    results: Annotated[tuple[CouncilResult, ...], Wire(0, MAX_RESULTS)]
    faults: Annotated[tuple[CouncilFault, ...], Wire(0, MAX_FAULTS)]


@dataclass(frozen=True, slots=True)
class CouncilPublic(WireMessage):
    """To viewers and the hall view: the item, who speaks, the quorum, a running vote with its
    ballots and the last result, and the members' names that the ballots refer to. Nothing of
    a non-public part: while one runs, ``public`` is false and the rest is empty."""

    TYPE: ClassVar[str] = "council_public"
    body: Name
    public: bool
    item: CouncilItem | None
    speaker: CouncilSpeaker | None
    vote: CouncilVote | None
    result: CouncilResult | None
    quorum: CouncilQuorum | None
    members: Annotated[tuple[CouncilPerson, ...], Wire(0, MAX_MEMBERS)]


@dataclass(frozen=True, slots=True)
class CouncilHeld(WireMessage):
    """To one participant: held outside (``held`` true: their media are closed, they see and
    hear nothing of the item) or let back in (false: publish and subscribe anew)."""

    TYPE: ClassVar[str] = "council_held"
    held: bool
    reason: Annotated[HeldReason | None, Key(sent_as_null=True)] = None
    item: Annotated[ItemNumber | None, Key(sent_as_null=True)] = None
