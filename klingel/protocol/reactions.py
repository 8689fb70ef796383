"""Reactions: a participant shows a short feeling on their tile (applause, a thumbs up, a
laugh, a heart, surprise) without speaking or writing. The server relays it with the sender it
knows from the socket; nothing of it is kept."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, ClassVar, Literal, get_args

from klingel.protocol.objects import ParticipantRef
from klingel.protocol.wire import Key, WireMessage

__all__ = ["REACTIONS", "React", "ReactionKind", "ReactionShown"]

ReactionKind = Literal["applause", "thumbs_up", "laugh", "heart", "surprise"]
REACTIONS: tuple[ReactionKind, ...] = get_args(ReactionKind)


@dataclass(frozen=True, slots=True)
class React(WireMessage):
    TYPE: ClassVar[str] = "react"
    reaction: ReactionKind


@dataclass(frozen=True, slots=True)
class ReactionShown(WireMessage):
    """One participant's reaction, to everyone in the room, the sender included."""

    TYPE: ClassVar[str] = "reaction"
    sender: Annotated[ParticipantRef, Key("from")]
    reaction: ReactionKind
