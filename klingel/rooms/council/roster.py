"""A body (Gremium: the council or one of its committees), its members and its quorum.

Only identified members of the body vote (requirement 1 of the council notes). The quorum is
computed from the legal size (gesetzliche Mitgliederzahl), not from the members entered:
"at_least_half" follows BW GemO § 37 (2) (at least half of all members present and entitled
to vote), "more_than_half" follows NRW GO § 49 (1) (more than half of the legal size).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal, NewType, get_args

from klingel.rooms.council.errors import CouncilCode, CouncilError, refuse_beyond
from klingel.rooms.council.text import clean_text, parse_id

__all__ = [
    "MAX_LEGAL_SIZE",
    "MAX_MEMBERS",
    "MAX_NAME_LENGTH",
    "Body",
    "Member",
    "MemberId",
    "QuorumRule",
    "Role",
    "quorum_needed",
]

MemberId = NewType("MemberId", str)
"""A member's id in the roster; a personal invitation link is bound to it."""

QuorumRule = Literal["at_least_half", "more_than_half"]
Role = Literal["chair", "member"]

MAX_NAME_LENGTH = 100
MAX_LEGAL_SIZE = 200
MAX_MEMBERS = 200


def quorum_needed(legal_size: int, rule: QuorumRule) -> int:
    """How many members must be counted for the body to decide."""
    if isinstance(legal_size, bool) or not isinstance(legal_size, int):
        raise CouncilError(CouncilCode.BAD_ROSTER, "The legal size is a whole number.")
    if not 1 <= legal_size <= MAX_LEGAL_SIZE:
        raise CouncilError(CouncilCode.BAD_ROSTER, f"A body has 1 to {MAX_LEGAL_SIZE} seats.")
    if rule == "at_least_half":
        return (legal_size + 1) // 2
    if rule == "more_than_half":
        return legal_size // 2 + 1
    raise CouncilError(CouncilCode.BAD_ROSTER, "Unknown quorum rule.")


@dataclass(frozen=True, slots=True)
class Member:
    """One member; the chair is a voting member too."""

    id: MemberId
    name: str
    faction: str = ""
    role: Role = "member"

    def __post_init__(self) -> None:
        parse_id(self.id, "member")
        object.__setattr__(self, "name", clean_text(self.name, "name", MAX_NAME_LENGTH))
        faction = clean_text(self.faction, "faction", MAX_NAME_LENGTH, empty=True)
        object.__setattr__(self, "faction", faction)
        if self.role not in get_args(Role):
            raise CouncilError(CouncilCode.BAD_ROSTER, "A member is the chair or a member.")


@dataclass(frozen=True, slots=True, init=False)
class Body:
    """The council or a committee, as the session knows it; fixed while the session runs."""

    id: str
    name: str
    legal_size: int
    rule: QuorumRule
    members: tuple[Member, ...]
    _by_id: dict[MemberId, Member] = field(init=False, repr=False, compare=False)

    def __init__(
        self, id: str, name: str, legal_size: int, rule: QuorumRule, members: Iterable[Member]
    ) -> None:
        listed: list[Member] = []
        for member in members:
            refuse_beyond(len(listed), MAX_MEMBERS, "members in a body")
            listed.append(member)
        by_id = {member.id: member for member in listed}
        if len(by_id) != len(listed):
            raise CouncilError(CouncilCode.BAD_ROSTER, "Each member id appears once.")
        if sum(member.role == "chair" for member in listed) > 1:
            raise CouncilError(CouncilCode.BAD_ROSTER, "A body has at most one chair.")
        quorum_needed(legal_size, rule)
        object.__setattr__(self, "id", parse_id(id, "body"))
        object.__setattr__(self, "name", clean_text(name, "body name", MAX_NAME_LENGTH))
        object.__setattr__(self, "legal_size", legal_size)
        object.__setattr__(self, "rule", rule)
        object.__setattr__(self, "members", tuple(listed))
        object.__setattr__(self, "_by_id", by_id)

    @property
    def quorum(self) -> int:
        return quorum_needed(self.legal_size, self.rule)

    @property
    def chair(self) -> Member | None:
        return next((member for member in self.members if member.role == "chair"), None)

    def has(self, member: str) -> bool:
        return member in self._by_id

    def member(self, member: str) -> Member:
        found = self._by_id.get(MemberId(member))
        if found is None:
            raise CouncilError(CouncilCode.UNKNOWN_MEMBER, "This person is not in the roster.")
        return found

    def names(self) -> dict[MemberId, str]:
        return {member.id: member.name for member in self.members}
