"""The messages of polls (docs/protocol.md, Polls), in both directions.

A poll is a quick, non-binding show of hands that a host or co-host asks of the room. The
wire only bounds what it carries; what a text may hold, which indexes a vote may name and who
may send what is the domain's (``klingel.rooms.polls``) and the hub's (``klingel.web.polls``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, ClassVar, Literal, get_args

from klingel.protocol.objects import Name
from klingel.protocol.wire import Key, Wire, WireMessage, WireObject

__all__ = [
    "MAX_OPTIONS",
    "MAX_OPTION_LENGTH",
    "MAX_QUESTION_LENGTH",
    "MAX_VOTERS",
    "MIN_OPTIONS",
    "POLL_COMMANDS",
    "PollClose",
    "PollCommand",
    "PollOption",
    "PollRemove",
    "PollRemoved",
    "PollResults",
    "PollStart",
    "PollState",
    "PollVote",
]

MAX_QUESTION_LENGTH = 200
MAX_OPTION_LENGTH = 80
MIN_OPTIONS = 2
MAX_OPTIONS = 10
MAX_VOTERS = 100_000
MAX_POLL_ID_LENGTH = 16

PollResults = Literal["live", "end"]
"""``live``: everyone sees the counts as votes come in; ``end``: once the poll is closed."""
PollId = Annotated[str, Wire(1, MAX_POLL_ID_LENGTH)]
OptionIndex = Annotated[int, Wire(0, MAX_OPTIONS - 1)]
OptionText = Annotated[str, Wire(1, MAX_OPTION_LENGTH)]


# --- client to server -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PollStart(WireMessage):
    """A host or co-host asks the room a question with 2 to 10 options."""

    TYPE: ClassVar[str] = "poll_start"
    question: Annotated[str, Wire(1, MAX_QUESTION_LENGTH)]
    options: Annotated[tuple[OptionText, ...], Wire(MIN_OPTIONS, MAX_OPTIONS)]
    anonymous: bool
    multiple: bool
    results: PollResults


@dataclass(frozen=True, slots=True)
class PollClose(WireMessage):
    """A host or co-host ends the voting; the results are shown to everyone."""

    TYPE: ClassVar[str] = "poll_close"
    id: PollId


@dataclass(frozen=True, slots=True)
class PollRemove(WireMessage):
    """A host or co-host takes the poll away: it is forgotten, votes and all."""

    TYPE: ClassVar[str] = "poll_remove"
    id: PollId


@dataclass(frozen=True, slots=True)
class PollVote(WireMessage):
    """A participant's choice: the indexes of the options, again to change it. The voter is
    the socket's participant, whatever the message might claim."""

    TYPE: ClassVar[str] = "poll_vote"
    id: PollId
    choices: Annotated[tuple[OptionIndex, ...], Wire(1, MAX_OPTIONS)]


PollCommand = PollStart | PollClose | PollRemove | PollVote
POLL_COMMANDS: tuple[type[PollCommand], ...] = get_args(PollCommand)


# --- server to client -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PollOption(WireObject):
    """One option as a receiver sees it: ``votes`` null while the results are not shown to
    them; ``names`` only in a named poll, and only when they may see who chose it."""

    NAME: ClassVar[str] = "poll option"
    text: OptionText
    votes: Annotated[int | None, Wire(0, MAX_VOTERS), Key(sent_as_null=True)] = None
    names: Annotated[tuple[Name, ...] | None, Wire(0, MAX_VOTERS)] = None


@dataclass(frozen=True, slots=True)
class PollState(WireMessage):
    """The room's poll as one receiver sees it: ``mine`` is their own choice (empty: none)."""

    TYPE: ClassVar[str] = "poll"
    id: PollId
    question: Annotated[str, Wire(1, MAX_QUESTION_LENGTH)]
    options: Annotated[tuple[PollOption, ...], Wire(MIN_OPTIONS, MAX_OPTIONS)]
    anonymous: bool
    multiple: bool
    results: PollResults
    open: bool
    voters: Annotated[int, Wire(0, MAX_VOTERS)]
    mine: Annotated[tuple[OptionIndex, ...], Wire(0, MAX_OPTIONS)]


@dataclass(frozen=True, slots=True)
class PollRemoved(WireMessage):
    """A host took the poll away (or a council began to meet in the room)."""

    TYPE: ClassVar[str] = "poll_removed"
    id: PollId
