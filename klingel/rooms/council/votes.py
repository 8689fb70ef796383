"""Votes on a motion of the current item: open (each ballot visible to all as it comes, NRW
DigiSiVO § 4 (1)), by roll call (namentlich), or secret (in the hall only).

Decided by simple majority of the votes cast (BW GemO § 37 (6), NRW GO § 50 (1)): adopted if
yes outnumber no; abstentions are not votes cast; a tie rejects. Secret votes are refused
while a remote member is eligible (BW GemO § 37a as of 2025: remote members take no part in
elections; NRW DigiSiVO § 4 (2): only if confidential and verifiable); the chair may instead
have it held by post afterwards, recorded as an outcome of its own.

A member may change their ballot until the vote closes: in the hall a raised hand can be
corrected until the chair announces the result, and every change is visible and logged, so
it hides nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal, get_args

from klingel.rooms.council.agenda import MAX_MOTION_LENGTH
from klingel.rooms.council.attendance import Place
from klingel.rooms.council.errors import CouncilCode, CouncilError
from klingel.rooms.council.roster import MemberId
from klingel.rooms.council.text import clean_text

__all__ = [
    "MAJORITY_RULE",
    "Choice",
    "Counts",
    "Motion",
    "Outcome",
    "Vote",
    "VoteKind",
    "VoteResult",
    "by_post",
]

VoteKind = Literal["open", "roll_call", "secret"]
Choice = Literal["yes", "no", "abstain"]
Outcome = Literal["adopted", "rejected", "by_post"]

MAJORITY_RULE = (
    "Simple majority of the votes cast: adopted if yes outnumber no; abstentions are not "
    "votes cast; a tie rejects the motion (BW GemO § 37 (6), NRW GO § 50 (1))."
)


@dataclass(frozen=True, slots=True)
class Motion:
    """What is voted on: a motion of an agenda item, never a poll without one."""

    item: str
    index: int
    text: str

    def __post_init__(self) -> None:
        if not self.item or isinstance(self.index, bool) or self.index < 0:
            raise CouncilError(CouncilCode.UNKNOWN_MOTION, "A vote is on a motion of an item.")
        object.__setattr__(
            self, "text", clean_text(self.text, "motion", MAX_MOTION_LENGTH, lines=True)
        )


@dataclass(frozen=True, slots=True)
class Counts:
    yes: int = 0
    no: int = 0
    abstain: int = 0

    def __post_init__(self) -> None:
        for count in (self.yes, self.no, self.abstain):
            if isinstance(count, bool) or not isinstance(count, int) or count < 0:
                raise CouncilError(CouncilCode.BAD_VALUE, "A count is a whole number, 0 or more.")

    @property
    def cast(self) -> int:
        """Votes cast: abstentions are not among them."""
        return self.yes + self.no

    @property
    def total(self) -> int:
        return self.yes + self.no + self.abstain

    def __add__(self, other: Counts) -> Counts:
        return Counts(self.yes + other.yes, self.no + other.no, self.abstain + other.abstain)


@dataclass(frozen=True, slots=True)
class VoteResult:
    """A closed vote as the minutes state it; ``ballots`` by name (member, name, choice)."""

    vote_id: str
    motion: Motion
    kind: VoteKind
    outcome: Outcome
    counts: Counts
    hall: Counts
    ballots: tuple[tuple[MemberId, str, Choice], ...]
    eligible: int
    closed_at: float
    rule: str = MAJORITY_RULE


class Vote:
    """One running vote; who may vote is fixed when it opens."""

    __slots__ = (
        "_ballots",
        "_biased",
        "_closed",
        "_eligible",
        "_hall",
        "_names",
        "id",
        "kind",
        "motion",
    )

    def __init__(
        self,
        vote_id: str,
        motion: Motion,
        kind: VoteKind,
        eligible: Mapping[MemberId, Place],
        biased: Iterable[MemberId],
        names: Mapping[MemberId, str],
    ) -> None:
        if not isinstance(motion, Motion) or kind not in get_args(VoteKind):
            raise CouncilError(CouncilCode.BAD_VALUE, "A vote is open, roll call or secret.")
        self._biased = frozenset(biased)
        self._eligible = {m: place for m, place in eligible.items() if m not in self._biased}
        if kind == "secret" and "remote" in self._eligible.values():
            raise CouncilError(
                CouncilCode.SECRET_WITH_REMOTE,
                "Remote members cannot vote secretly: hold it in the hall without them, "
                "or by post afterwards.",
            )
        self.id = vote_id
        self.motion = motion
        self.kind: VoteKind = kind
        self._names = dict(names)
        self._ballots: dict[MemberId, Choice] = {}
        self._hall = Counts()
        self._closed = False

    @property
    def eligible(self) -> frozenset[MemberId]:
        return frozenset(self._eligible)

    @property
    def ballots(self) -> tuple[tuple[MemberId, Choice], ...]:
        """Each ballot so far, visible to all in an open or roll-call vote."""
        return tuple(self._ballots.items())

    @property
    def hall(self) -> Counts:
        return self._hall

    def cast(self, member: MemberId, choice: Choice) -> Choice | None:
        """Records ``member``'s ballot; their ballot before, if they change it."""
        self._require_running()
        if choice not in get_args(Choice):
            raise CouncilError(CouncilCode.BAD_VALUE, "A ballot is yes, no or abstain.")
        if self.kind == "secret":
            raise CouncilError(CouncilCode.SECRET_BALLOT, "A secret vote is counted in the hall.")
        if member in self._biased:
            raise CouncilError(CouncilCode.BIASED, "A biased member does not vote on this item.")
        if member not in self._eligible:
            raise CouncilError(
                CouncilCode.NOT_ELIGIBLE, "Only members counted when the vote opened may vote."
            )
        if member not in self._ballots and self._eligible[member] == "hall":
            self._check_hall(self._hall, extra=1)
        before = self._ballots.get(member)
        self._ballots[member] = choice
        return before

    def set_hall_counts(self, counts: Counts) -> None:
        """The chair's count of hands in the hall, for hall members who did not vote in the
        system; replaces an earlier count (a recount)."""
        self._require_running()
        if self.kind == "roll_call":
            raise CouncilError(CouncilCode.HALL_COUNTS, "A roll call records each member by name.")
        self._check_hall(counts, extra=0)
        self._hall = counts

    def close(self, now: float) -> VoteResult:
        """The result; the vote takes nothing more after it."""
        self._require_running()
        self._closed = True
        system = Counts(
            *(sum(c == kind for c in self._ballots.values()) for kind in get_args(Choice))
        )
        counts = system + self._hall
        ballots = sorted(
            ((m, self._names.get(m, m), c) for m, c in self._ballots.items()),
            key=lambda ballot: (ballot[1].casefold(), ballot[0]),
        )
        outcome: Outcome = "adopted" if counts.yes > counts.no else "rejected"
        return VoteResult(
            self.id,
            self.motion,
            self.kind,
            outcome,
            counts,
            self._hall,
            tuple(ballots),
            len(self._eligible),
            now,
        )

    def _require_running(self) -> None:
        if self._closed:
            raise CouncilError(CouncilCode.VOTE_CLOSED, "This vote is closed.")

    def _check_hall(self, hall: Counts, extra: int) -> None:
        in_hall = sum(place == "hall" for place in self._eligible.values())
        voted = sum(self._eligible[m] == "hall" for m in self._ballots) + extra
        if hall.total + voted > in_hall:
            raise CouncilError(
                CouncilCode.HALL_COUNTS,
                f"{in_hall} eligible members are in the hall and {voted} voted in the system.",
            )


def by_post(vote_id: str, motion: Motion, eligible: int, now: float) -> VoteResult:
    """The chair's choice to have a secret vote held by post afterwards."""
    return VoteResult(vote_id, motion, "secret", "by_post", Counts(), Counts(), (), eligible, now)
