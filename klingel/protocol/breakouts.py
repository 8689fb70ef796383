"""Breakout rooms ("Gruppenräume", docs/breakouts.md): a host splits the room into groups for a
while and calls everyone back. The messages in both directions; the rules live in
``klingel.rooms.breakouts``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, ClassVar, Literal

from klingel.protocol.errors import ErrorCode, ProtocolError
from klingel.protocol.objects import ParticipantRef
from klingel.protocol.wire import Key, Wire, WireMessage, WireObject

__all__ = [
    "MAX_BREAKOUT_GROUPS",
    "MAX_BREAKOUT_MINUTES",
    "MAX_BREAKOUT_PASS_LENGTH",
    "MAX_BREAKOUT_TEXT_LENGTH",
    "BreakoutCommand",
    "BreakoutGroupInfo",
    "BreakoutMemberInfo",
    "BreakoutMessage",
    "BreakoutYou",
    "BreakoutsState",
]

MAX_BREAKOUT_GROUPS = 20
MAX_GROUP_SIZE = 100
MAX_BREAKOUT_MINUTES = 240
MAX_BREAKOUT_TEXT_LENGTH = 500
MAX_BREAKOUT_PASS_LENGTH = 64

BreakoutAction = Literal["open", "message", "close"]
GroupNumber = Annotated[int, Wire(0, MAX_BREAKOUT_GROUPS)]
"""0 is the main room, 1 to 20 the groups."""
BreakoutPass = Annotated[str, Wire(1, MAX_BREAKOUT_PASS_LENGTH)]
Name = Annotated[str, Wire(1, 256)]
Group = Annotated[tuple[ParticipantRef, ...], Wire(0, MAX_GROUP_SIZE)]


@dataclass(frozen=True, slots=True)
class BreakoutCommand(WireMessage):
    """A host's (or co-host's): ``open`` (``groups``: who goes where, by participant id of the
    main room, 1-20 groups; ``minutes``: 0 for no timer; ``auto``: move everyone at once),
    ``message`` (``text``, to everyone in every group and the main room), ``close`` (call
    everyone back)."""

    TYPE: ClassVar[str] = "breakouts"
    action: BreakoutAction
    groups: Annotated[tuple[Group, ...] | None, Wire(1, MAX_BREAKOUT_GROUPS), Key(null=False)] = (
        None
    )
    minutes: Annotated[int | None, Wire(0, MAX_BREAKOUT_MINUTES), Key(null=False)] = None
    auto: Annotated[bool | None, Key(null=False)] = None
    text: Annotated[str | None, Wire(1, MAX_BREAKOUT_TEXT_LENGTH), Key(null=False)] = None

    def check(self) -> None:
        wanted = {"open": ("groups", "minutes", "auto"), "message": ("text",), "close": ()}
        given = {
            name
            for name in ("groups", "minutes", "auto", "text")
            if getattr(self, name) is not None
        }
        if given != set(wanted[self.action]):
            raise ProtocolError(
                ErrorCode.BAD_MESSAGE, f"'{self.action}' takes {', '.join(wanted[self.action])}."
            )
        if self.groups is not None:
            listed = [person for group in self.groups for person in group]
            if len(set(listed)) != len(listed):
                raise ProtocolError(ErrorCode.BAD_MESSAGE, "Someone is in two groups.")


@dataclass(frozen=True, slots=True)
class BreakoutMemberInfo(WireObject):
    NAME: ClassVar[str] = "breakout member"
    name: Name
    here: bool
    """In this group now."""


@dataclass(frozen=True, slots=True)
class BreakoutGroupInfo(WireObject):
    NAME: ClassVar[str] = "breakout group"
    number: Annotated[int, Wire(1, MAX_BREAKOUT_GROUPS)]
    members: Annotated[tuple[BreakoutMemberInfo, ...], Wire(0, 500)]


@dataclass(frozen=True, slots=True)
class BreakoutYou(WireObject):
    """What the receiver needs to move: their pass (only ever sent to them) and their group
    (null: they stay in the main room)."""

    NAME: ClassVar[str] = "breakout you"
    pass_: Annotated[BreakoutPass, Key("pass")] = field(repr=False)
    group: Annotated[int | None, Wire(1, MAX_BREAKOUT_GROUPS)]
    moderator: bool
    """Hosts and co-hosts may visit every group."""


@dataclass(frozen=True, slots=True)
class BreakoutsState(WireMessage):
    """The groups as the receiver sees them: to everyone in the main room and in every group,
    at each change (and with ``open`` and ``closing`` false once they are over)."""

    TYPE: ClassVar[str] = "breakouts"
    open: bool
    closing: bool
    """A host called everyone back (or the time ran out): go back to the main room now."""
    seconds_left: Annotated[int | None, Wire(0, MAX_BREAKOUT_MINUTES * 60)]
    auto: bool
    groups: Annotated[tuple[BreakoutGroupInfo, ...], Wire(0, MAX_BREAKOUT_GROUPS)]
    in_main: Annotated[tuple[Name, ...], Wire(0, 500)]
    you: BreakoutYou | None


@dataclass(frozen=True, slots=True)
class BreakoutMessage(WireMessage):
    """A host's message to every group, with the sender the server knows."""

    TYPE: ClassVar[str] = "breakout_message"
    name: Name
    text: Annotated[str, Wire(1, MAX_BREAKOUT_TEXT_LENGTH)]
