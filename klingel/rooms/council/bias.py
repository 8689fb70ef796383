"""Bias (Befangenheit, BW GemO § 18, NRW GO § 31): the chair marks a member biased for an
item; while that item is current the member waits outside, unable to see or hear, and takes
no part in its vote (requirement 10 of the council notes). Marks are kept for the minutes.
"""

from __future__ import annotations

from klingel.rooms.council.errors import refuse_beyond
from klingel.rooms.council.roster import MemberId

__all__ = ["MAX_MARKS", "BiasMarks"]

MAX_MARKS = 2_000


class BiasMarks:
    """Which members are biased for which item (by item number)."""

    __slots__ = ("_marks",)

    def __init__(self) -> None:
        self._marks: set[tuple[str, MemberId]] = set()

    def mark(self, member: MemberId, item: str) -> bool:
        """Whether ``member`` was not marked for ``item`` before."""
        if (item, member) in self._marks:
            return False
        refuse_beyond(len(self._marks), MAX_MARKS, "bias marks")
        self._marks.add((item, member))
        return True

    def lift(self, member: MemberId, item: str) -> bool:
        if (item, member) not in self._marks:
            return False
        self._marks.discard((item, member))
        return True

    def biased(self, item: str | None) -> frozenset[MemberId]:
        """Who is biased for ``item`` (nobody for None, before the first item)."""
        return frozenset(member for marked, member in self._marks if marked == item)

    def is_biased(self, member: MemberId, item: str | None) -> bool:
        return (item, member) in self._marks if item is not None else False

    def marks(self) -> tuple[tuple[str, MemberId], ...]:
        return tuple(sorted(self._marks))
