"""A room's poll (docs/protocol.md, Polls): the question a host asked, who chose what while it
is open, and what each receiver may see of it.

A poll lives in memory only, in its room, and is gone when a host removes it or the room
ends. In an anonymous poll a ballot keeps no name: the voter's id is the key only so that they
can change their choice, and no view ever pairs an id or a name with a choice but the voter's
own (``mine``). Pure: no sockets, no clock of its own.
"""

from __future__ import annotations

import math
import secrets
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from klingel.ids import ParticipantId
from klingel.protocol.errors import ErrorCode, ProtocolError, UserError
from klingel.protocol.polls import (
    MAX_OPTION_LENGTH,
    MAX_OPTIONS,
    MAX_QUESTION_LENGTH,
    MIN_OPTIONS,
    PollOption,
    PollResults,
    PollStart,
    PollState,
)

__all__ = ["Ballot", "Poll", "PollSetup", "UpdatePacer", "parse_poll"]

_FORBIDDEN_CATEGORIES = frozenset({"Cc", "Zl", "Zp", "Cs"})
"""Line breaks and control characters: a question and its options are one line each. Format
characters (a soft hyphen, a zero-width joiner in an emoji) are typed by people and stay."""
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
"""Bidi overrides could make an option read as another one."""


def _one_line(text: str, limit: int, what: str) -> str:
    line = text.strip()
    if not 1 <= len(line) <= limit:
        raise UserError(ErrorCode.BAD_POLL, f"{what} has 1 to {limit} characters.")
    for char in line:
        if unicodedata.category(char) in _FORBIDDEN_CATEGORIES or char in _BIDI_CONTROLS:
            raise UserError(ErrorCode.BAD_POLL, f"{what} may not hold control characters.")
    return line


@dataclass(frozen=True, slots=True)
class PollSetup:
    """What a host asked: a question, its options, and how the poll is run."""

    question: str
    options: tuple[str, ...]
    anonymous: bool
    multiple: bool
    results: PollResults


def parse_poll(start: PollStart) -> PollSetup:
    """The poll as it will be shown: trimmed, one line each, options told apart."""
    question = _one_line(start.question, MAX_QUESTION_LENGTH, "A question")
    options = tuple(_one_line(text, MAX_OPTION_LENGTH, "An option") for text in start.options)
    if not MIN_OPTIONS <= len(options) <= MAX_OPTIONS:
        raise UserError(ErrorCode.BAD_POLL, f"A poll has {MIN_OPTIONS} to {MAX_OPTIONS} options.")
    if len({option.casefold() for option in options}) != len(options):
        raise UserError(ErrorCode.BAD_POLL, "Two options say the same.")
    return PollSetup(question, options, start.anonymous, start.multiple, start.results)


@dataclass(frozen=True, slots=True)
class Ballot:
    """One voter's choice; ``name`` is None in an anonymous poll."""

    choices: tuple[int, ...]
    name: str | None


class UpdatePacer:
    """At most one room-wide update per ``interval`` seconds while votes come in: a room of
    50 that all vote at once gets a few frames each, not 50."""

    __slots__ = ("_interval", "_last", "pending")

    def __init__(self, interval: float) -> None:
        self._interval = interval
        self._last = -math.inf
        self.pending = False
        """An update is owed and scheduled."""

    def request(self, now: float) -> float | None:
        """A vote changed the counts: in how many seconds to send (0: now), or None when an
        update is already scheduled."""
        if self.pending:
            return None
        self.pending = True
        return max(0.0, self._last + self._interval - now)

    def sent(self, now: float) -> None:
        self._last = now
        self.pending = False


class Poll:
    __slots__ = ("_ballots", "_counted", "_named", "id", "is_open", "pacer", "setup")

    def __init__(self, setup: PollSetup, pacer: UpdatePacer, poll_id: str | None = None) -> None:
        self.id = poll_id if poll_id is not None else f"p-{secrets.token_hex(4)}"
        self.setup = setup
        self.is_open = True
        self.pacer = pacer
        self._ballots: dict[ParticipantId, Ballot] = {}
        # Counted once per change, not once per person an update goes to.
        self._counted: list[int] | None = None
        self._named: list[tuple[str, ...]] | None = None

    def __repr__(self) -> str:
        return f"Poll(open={self.is_open}, voters={len(self._ballots)})"

    @property
    def voters(self) -> int:
        return len(self._ballots)

    def vote(self, voter: ParticipantId, name: str, choices: Iterable[int]) -> None:
        """Record (or replace) ``voter``'s choice. Indexes must name options, each once; a
        single-choice poll takes exactly one."""
        if not self.is_open:
            raise UserError(ErrorCode.POLL_CLOSED, "This poll is closed.")
        picked = tuple(choices)
        if not picked:
            raise ProtocolError(ErrorCode.BAD_MESSAGE, "A vote names at least one option.")
        if len(set(picked)) != len(picked):
            raise ProtocolError(ErrorCode.BAD_MESSAGE, "A vote names an option once.")
        if any(not 0 <= index < len(self.setup.options) for index in picked):
            raise ProtocolError(ErrorCode.BAD_MESSAGE, "A vote names an option that is not there.")
        if not self.setup.multiple and len(picked) != 1:
            raise ProtocolError(ErrorCode.BAD_MESSAGE, "This poll takes one option.")
        ballot = Ballot(tuple(sorted(picked)), None if self.setup.anonymous else name)
        self._ballots[voter] = ballot
        self._counted = self._named = None

    def withdraw(self, voter: ParticipantId) -> bool:
        """``voter`` left the room while the poll is open: their vote no longer counts (who
        comes back, from a breakout group or a reload, is a new participant and may vote
        again). A closed poll keeps its result. True if a vote went."""
        if not self.is_open or self._ballots.pop(voter, None) is None:
            return False
        self._counted = self._named = None
        return True

    def close(self) -> None:
        self.is_open = False

    def counts(self) -> list[int]:
        if self._counted is None:
            counts = [0] * len(self.setup.options)
            for ballot in self._ballots.values():
                for index in ballot.choices:
                    counts[index] += 1
            self._counted = counts
        return list(self._counted)

    def _names(self) -> list[tuple[str, ...]]:
        if self._named is None:
            names: list[list[str]] = [[] for _ in self.setup.options]
            for ballot in self._ballots.values():
                if ballot.name is not None:
                    for index in ballot.choices:
                        names[index].append(ballot.name)
            self._named = [tuple(sorted(group, key=str.casefold)) for group in names]
        return self._named

    def view(self, viewer: ParticipantId, moderator: bool) -> PollState:
        """The poll as ``viewer`` sees it. Counts: to everyone when results are live or the
        poll is closed, to hosts and co-hosts always (they decide when to close). Names (a
        named poll only): to everyone once closed, to hosts and co-hosts live."""
        setup = self.setup
        counts_shown = moderator or not self.is_open or setup.results == "live"
        names_shown = not setup.anonymous and (moderator or not self.is_open)
        counts = self.counts() if counts_shown else None
        names = self._names() if names_shown else None
        options = tuple(
            PollOption(
                text=text,
                votes=None if counts is None else counts[index],
                names=None if names is None else names[index],
            )
            for index, text in enumerate(setup.options)
        )
        own = self._ballots.get(viewer)
        return PollState(
            id=self.id,
            question=setup.question,
            options=options,
            anonymous=setup.anonymous,
            multiple=setup.multiple,
            results=setup.results,
            open=self.is_open,
            voters=len(self._ballots),
            mine=() if own is None else own.choices,
        )
