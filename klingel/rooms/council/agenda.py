"""The agenda (Tagesordnung) that drives a session: numbered items, each public or not, each
with its motions (Beschlussvorschläge), and which item is current since when.

Serves requirements 6 and 7 of the council notes: the current item is shown to all, and
moving between a public and a non-public item must cut the public output (BW GemO § 35,
NRW DigiSiVO § 3 (3): excluding the public must work reliably).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable
from dataclasses import dataclass

from klingel.rooms.council.errors import CouncilCode, CouncilError, refuse_beyond
from klingel.rooms.council.text import clean_text

__all__ = [
    "MAX_ITEMS",
    "MAX_MOTIONS",
    "MAX_MOTION_LENGTH",
    "MAX_TITLE_LENGTH",
    "Agenda",
    "AgendaItem",
]

MAX_ITEMS = 100
MAX_MOTIONS = 50
"""Per item."""
MAX_TITLE_LENGTH = 200
MAX_MOTION_LENGTH = 2000

# "1", "3.2", "12a", "4.1.3": what printed agendas use
_NUMBER = re.compile(r"[0-9]{1,3}[a-z]?(?:\.[0-9]{1,3}[a-z]?){0,3}")


@dataclass(frozen=True, slots=True)
class AgendaItem:
    number: str
    title: str
    public: bool
    motions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.number, str) or _NUMBER.fullmatch(self.number) is None:
            raise CouncilError(CouncilCode.BAD_TEXT, 'An item number looks like "3" or "3.2".')
        object.__setattr__(self, "title", clean_text(self.title, "title", MAX_TITLE_LENGTH))
        if len(self.motions) > MAX_MOTIONS:
            raise CouncilError(CouncilCode.TOO_MANY, f"At most {MAX_MOTIONS} motions an item.")
        motions = tuple(_motion_text(motion) for motion in self.motions)
        object.__setattr__(self, "motions", motions)
        object.__setattr__(self, "public", bool(self.public))


class Agenda:
    """The items in their order and the current one (None before the first is called)."""

    __slots__ = ("_current", "_items", "current_since")

    def __init__(self, items: Iterable[AgendaItem]) -> None:
        self._items: dict[str, AgendaItem] = {}
        for item in items:
            refuse_beyond(len(self._items), MAX_ITEMS, "agenda items")
            if item.number in self._items:
                raise CouncilError(CouncilCode.BAD_VALUE, f"Item {item.number} appears twice.")
            self._items[item.number] = item
        self._current: str | None = None
        self.current_since: float | None = None
        """When the current item was called, for the item timer."""

    @property
    def items(self) -> tuple[AgendaItem, ...]:
        return tuple(self._items.values())

    def item(self, number: str) -> AgendaItem:
        found = self._items.get(number)
        if found is None:
            raise CouncilError(CouncilCode.UNKNOWN_ITEM, "There is no such agenda item.")
        return found

    @property
    def current(self) -> AgendaItem | None:
        return None if self._current is None else self._items[self._current]

    @property
    def public(self) -> bool:
        """Whether the public may follow now; a session opens in public (BW GemO § 35 (1))."""
        current = self.current
        return True if current is None else current.public

    def move_to(self, number: str, now: float) -> bool:
        """Calls item ``number``; whether that switched between public and non-public."""
        was_public = self.public
        self._current = self.item(number).number
        self.current_since = now
        return was_public != self.public

    def elapsed(self, now: float) -> float:
        """Seconds on the current item (0 before the first)."""
        return 0.0 if self.current_since is None else max(0.0, now - self.current_since)

    def add_motion(self, number: str, text: str) -> int:
        """A motion raised in the session (an amendment, say); its index on the item."""
        item = self.item(number)
        refuse_beyond(len(item.motions), MAX_MOTIONS, "motions an item")
        motions = (*item.motions, _motion_text(text))
        self._items[number] = dataclasses.replace(item, motions=motions)
        return len(motions) - 1

    def motion(self, number: str, index: int) -> str:
        motions = self.item(number).motions
        if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < len(motions):
            raise CouncilError(CouncilCode.UNKNOWN_MOTION, "This item has no such motion.")
        return motions[index]


def _motion_text(text: str) -> str:
    return clean_text(text, "motion", MAX_MOTION_LENGTH, lines=True)
