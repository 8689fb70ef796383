"""Messages of a room's public side (docs/public-viewing.md) between the server and the
participants: hosts start, pause, pin and renew the viewer link; anyone may keep themselves
out of the broadcast; everyone hears how it stands and how many watch."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, ClassVar, Literal

from klingel.protocol.objects import IceServer, Name, ParticipantRef
from klingel.protocol.wire import Key, Wire, WireMessage, WireObject

__all__ = [
    "MAX_QUESTION_TEXT",
    "MAX_VIEWER_KEY_LENGTH",
    "AnswerQuestion",
    "Ask",
    "BroadcastAction",
    "BroadcastCommand",
    "BroadcastEnded",
    "BroadcastLive",
    "BroadcastPin",
    "BroadcastState",
    "InviteViewer",
    "Invited",
    "OnStage",
    "PublicConsent",
    "QuestionItem",
    "QuestionReceived",
    "Questions",
    "ShowQuestion",
    "ShownQuestion",
    "Watch",
    "Watching",
]

MAX_VIEWER_KEY_LENGTH = 64
MAX_QUESTION_TEXT = 500
MAX_QUESTION_ID_LENGTH = 16
MAX_INVITATION_LENGTH = 64
MAX_QUESTIONS_LISTED = 200
QuestionId = Annotated[str, Wire(1, MAX_QUESTION_ID_LENGTH)]
ViewerKey = Annotated[str, Wire(16, MAX_VIEWER_KEY_LENGTH)]

BroadcastAction = Literal["start", "stop", "pause", "resume", "new_link"]

# --- client to server -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BroadcastCommand(WireMessage):
    """A host or co-host opens the room to the public, pauses, resumes or stops that, or
    replaces the viewer link."""

    TYPE: ClassVar[str] = "broadcast"
    action: BroadcastAction


@dataclass(frozen=True, slots=True)
class BroadcastPin(WireMessage):
    """A host or co-host puts one participant on stage; null: whoever speaks."""

    TYPE: ClassVar[str] = "broadcast_pin"
    id: ParticipantRef | None


@dataclass(frozen=True, slots=True)
class PublicConsent(WireMessage):
    """A participant's own choice whether the public may see and hear them."""

    TYPE: ClassVar[str] = "public_consent"
    shown: bool


@dataclass(frozen=True, slots=True)
class Watch(WireMessage):
    """A viewer's first message: the key of the viewer link. The socket then only watches."""

    TYPE: ClassVar[str] = "watch"
    v: Annotated[int, Wire(1, 1)]
    key: ViewerKey = field(repr=False)


@dataclass(frozen=True, slots=True)
class Ask(WireMessage):
    """A viewer's question to the hosts; ``name`` only if they want to give one."""

    TYPE: ClassVar[str] = "question"
    text: Annotated[str, Wire(1, MAX_QUESTION_TEXT)]
    name: Annotated[Name | None, Key(sent_as_null=True)] = None


@dataclass(frozen=True, slots=True)
class AnswerQuestion(WireMessage):
    """A host or co-host marks a question answered."""

    TYPE: ClassVar[str] = "answer_question"
    id: QuestionId


@dataclass(frozen=True, slots=True)
class ShowQuestion(WireMessage):
    """A host or co-host shows a question to the viewers; null: shows none."""

    TYPE: ClassVar[str] = "show_question"
    id: QuestionId | None


@dataclass(frozen=True, slots=True)
class InviteViewer(WireMessage):
    """A host or co-host invites the viewer who asked a question into the meeting."""

    TYPE: ClassVar[str] = "invite_viewer"
    id: QuestionId


# --- server to client -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BroadcastState(WireMessage):
    """How the room's public side stands, to every participant; the viewer key to hosts and
    co-hosts only."""

    TYPE: ClassVar[str] = "broadcast_state"
    on: bool
    live: bool
    viewers: Annotated[int, Wire(0, 1_000_000)]
    pinned: Annotated[ParticipantRef | None, Key(sent_as_null=True)] = None
    hidden: Annotated[tuple[str, ...], Wire(0, 100_000)] = ()
    """Participant ids of those who keep themselves out of the broadcast."""
    viewer_key: Annotated[str | None, Wire(16, MAX_VIEWER_KEY_LENGTH)] = field(
        default=None, repr=False
    )


@dataclass(frozen=True, slots=True)
class Watching(WireMessage):
    """The answer to ``watch``: nothing about the meeting but whether it is live."""

    TYPE: ClassVar[str] = "watching"
    v: Annotated[int, Wire(1, 1)]
    live: bool
    ice_servers: Annotated[tuple[IceServer, ...], Wire(0, 8)] = ()


@dataclass(frozen=True, slots=True)
class OnStage(WireMessage):
    """To viewers: whose camera and whose screen the programme shows, by display name (null:
    nobody's)."""

    TYPE: ClassVar[str] = "stage"
    camera: Annotated[Name | None, Key(sent_as_null=True)] = None
    screen: Annotated[Name | None, Key(sent_as_null=True)] = None


@dataclass(frozen=True, slots=True)
class BroadcastLive(WireMessage):
    """To viewers: a host paused (false) or resumed (true) the broadcast."""

    TYPE: ClassVar[str] = "broadcast_live"
    live: bool


@dataclass(frozen=True, slots=True)
class BroadcastEnded(WireMessage):
    """To viewers: the broadcast stopped, its link was replaced, or the room ended; the socket
    closes."""

    TYPE: ClassVar[str] = "broadcast_ended"


@dataclass(frozen=True, slots=True)
class QuestionReceived(WireMessage):
    """To the viewer who asked: the question reached the hosts."""

    TYPE: ClassVar[str] = "question_received"
    id: QuestionId


@dataclass(frozen=True, slots=True)
class QuestionItem(WireObject):
    """One question of the hosts' inbox; ``invitable`` while the viewer who asked watches."""

    NAME: ClassVar[str] = "question"
    id: QuestionId
    text: Annotated[str, Wire(1, MAX_QUESTION_TEXT)]
    name: Name | None
    answered: bool
    invitable: bool


@dataclass(frozen=True, slots=True)
class Questions(WireMessage):
    """To hosts and co-hosts: the viewers' questions, oldest first, and which one is shown."""

    TYPE: ClassVar[str] = "questions"
    items: Annotated[tuple[QuestionItem, ...], Wire(0, MAX_QUESTIONS_LISTED)]
    shown: Annotated[QuestionId | None, Key(sent_as_null=True)] = None


@dataclass(frozen=True, slots=True)
class ShownQuestion(WireMessage):
    """To viewers: the question a host shows now (both null: none)."""

    TYPE: ClassVar[str] = "shown_question"
    text: Annotated[str | None, Wire(1, MAX_QUESTION_TEXT), Key(sent_as_null=True)] = None
    name: Annotated[Name | None, Key(sent_as_null=True)] = None


@dataclass(frozen=True, slots=True)
class Invited(WireMessage):
    """To one viewer: a host invites them in. The room page at ``/r/<room>`` joins with
    ``invitation`` once, as a guest, past the lobby, lock and password."""

    TYPE: ClassVar[str] = "invited"
    room: Annotated[str, Wire(1, 256)]
    invitation: Annotated[str, Wire(16, MAX_INVITATION_LENGTH)] = field(repr=False)
