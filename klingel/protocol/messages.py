"""One class per message type of docs/protocol.md, in both directions.

Every class declares its fields once (see ``klingel.protocol.wire``), from which it reads itself
from a decoded JSON object (``from_dict``, refusing fields it does not define) and writes itself
back (``to_dict``). ``parse_client_message`` and ``parse_server_message`` pick the class by the
``type`` field.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, ClassVar, Self, TypeVar, get_args

from klingel.ids import ParticipantId
from klingel.protocol.breakouts import (
    MAX_BREAKOUT_GROUPS,
    MAX_BREAKOUT_PASS_LENGTH,
    BreakoutCommand,
    BreakoutMessage,
    BreakoutsState,
)
from klingel.protocol.broadcast import (
    MAX_INVITATION_LENGTH,
    AnswerQuestion,
    Ask,
    BroadcastCommand,
    BroadcastEnded,
    BroadcastLive,
    BroadcastPin,
    BroadcastState,
    Invited,
    InviteViewer,
    OnStage,
    PublicConsent,
    QuestionReceived,
    Questions,
    ShownQuestion,
    ShowQuestion,
    Watch,
    Watching,
)
from klingel.protocol.council import CouncilCommand, CouncilHeld, CouncilPublic, CouncilState
from klingel.protocol.e2ee import E2eeFrom, E2eeTo
from klingel.protocol.errors import ErrorCode, KlingelError, ProtocolError
from klingel.protocol.layers import PublishLayers, SetLayers
from klingel.protocol.moderation import (
    MAX_PASSWORD_LENGTH,
    Admit,
    AllowUnmute,
    ConversationEnded,
    DeleteRoom,
    Denied,
    Deny,
    EndConversation,
    EndMeeting,
    HostSecrets,
    LobbyChanged,
    LobbyRing,
    MeetingEnded,
    Mute,
    MuteAll,
    MutedByHost,
    PasswordGuessing,
    QueuePosition,
    Remove,
    Removed,
    RenewSecrets,
    RoomSettingsChange,
    RoomUpdated,
    SetPassword,
    SetRole,
    StopVideo,
    Unmute,
    UnmuteAllowed,
    VideoStopped,
    Waiting,
)
from klingel.protocol.music import MusicByHost, MusicFor
from klingel.protocol.objects import (
    MAX_ID_LENGTH,
    IceServer,
    ParticipantInfo,
    ParticipantRef,
    RoomInfo,
    StreamInfo,
    StreamRef,
    StreamRequest,
    TrackAssignment,
    TrackInfo,
)
from klingel.protocol.polls import (
    PollClose,
    PollRemove,
    PollRemoved,
    PollStart,
    PollState,
    PollVote,
)
from klingel.protocol.reactions import React, ReactionShown
from klingel.protocol.wire import Key, Wire, WireMessage, read_wire

__all__ = [
    "CLIENT_MESSAGES",
    "HOST_COMMANDS",
    "MAX_CANDIDATES",
    "MAX_CHAT_LENGTH",
    "MAX_SUBSCRIPTIONS",
    "PROTOCOL_VERSION",
    "SERVER_MESSAGES",
    "ActiveSpeakerChanged",
    "Chat",
    "ChatLine",
    "ClientMessage",
    "Error",
    "Hand",
    "HostCommand",
    "Join",
    "Joined",
    "Leave",
    "MediaReset",
    "MediaState",
    "Music",
    "ParticipantJoined",
    "ParticipantLeft",
    "ParticipantUpdated",
    "Ping",
    "Pong",
    "Publish",
    "PublishAnswer",
    "ServerMessage",
    "StreamAdded",
    "StreamRemoved",
    "Subscribe",
    "SubscribeAnswer",
    "client_message_type",
    "parse_client_message",
    "parse_server_message",
]

PROTOCOL_VERSION = 1
MAX_CHAT_LENGTH = 2000
MAX_SUBSCRIPTIONS = 100
MAX_CANDIDATES = 32
MAX_ROOM_FIELD_LENGTH = 256
"""Room and name fields are checked by the domain; this only bounds what it is handed."""
MAX_RESUME_LENGTH = 128
MAX_SECRET_LENGTH = 128
MAX_SDP_LENGTH = 250_000
"""What a frame of ``MAX_FRAME_BYTES`` (256 KiB) holds besides the message around the SDP and its
stream requests; the SFU bounds the SDP itself again (``klingel.sfu.sdp.MAX_SDP_BYTES``)."""

_T = TypeVar("_T")

Version = Annotated[int, Wire(PROTOCOL_VERSION, PROTOCOL_VERSION)]
RoomField = Annotated[str, Wire(0, MAX_ROOM_FIELD_LENGTH)]
Offer = Annotated[str, Wire(1, MAX_SDP_LENGTH)]
"""The SDP offer of ``publish`` or ``subscribe``; ``_check_offer`` looks at it, the SFU in depth."""
Answer = Annotated[str, Wire(1)]
ChatText = Annotated[str, Wire(1, MAX_CHAT_LENGTH)]


def _check_offer(sdp: str) -> None:
    if not sdp.startswith("v=0"):
        raise ProtocolError(ErrorCode.BAD_SDP, "The offer is not SDP.")
    # With BUNDLE, Chromium repeats the same candidates in every m-section: count each once.
    candidates = len({line for line in sdp.splitlines() if line.startswith("a=candidate")})
    if candidates > MAX_CANDIDATES:
        raise ProtocolError(
            ErrorCode.TOO_MANY_CANDIDATES, f"More than {MAX_CANDIDATES} candidates in the offer."
        )


def _check_unique_mids(mids: list[str]) -> None:
    if len(set(mids)) != len(mids):
        raise ProtocolError(ErrorCode.BAD_MESSAGE, "The same mid is listed twice.")


# --- client to server -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Join(WireMessage):
    TYPE: ClassVar[str] = "join"
    v: Version
    room: RoomField
    name: RoomField
    # Sent as null when unused, as it always was; the secrets are left out, so that a join
    # without them reads as it always did.
    resume: Annotated[str | None, Wire(0, MAX_RESUME_LENGTH), Key(sent_as_null=True)] = None
    host_secret: Annotated[str | None, Wire(0, MAX_SECRET_LENGTH)] = None
    password: Annotated[str | None, Wire(0, MAX_PASSWORD_LENGTH)] = None
    invitation: Annotated[str | None, Wire(0, MAX_INVITATION_LENGTH)] = field(
        default=None, repr=False
    )
    """From an invited viewer (``invited``): lets them in once, past lobby, lock, password."""
    member: Annotated[str | None, Wire(0, MAX_SECRET_LENGTH)] = field(default=None, repr=False)
    """A council member's personal link: names the member, past lobby, lock and password."""
    breakout: Annotated[str | None, Wire(1, MAX_BREAKOUT_PASS_LENGTH), Key(null=False)] = field(
        default=None, repr=False
    )
    """The holder's pass while a room has breakout groups: into ``group`` of ``room``."""
    group: Annotated[int | None, Wire(0, MAX_BREAKOUT_GROUPS), Key(null=False)] = None
    """With ``breakout``: 0 for the main room, else the group's number."""

    @classmethod
    def from_dict(cls, data: object) -> Self:
        # The version is looked at first: a page of another version may send other fields.
        version = data.get("v") if isinstance(data, Mapping) else None
        is_number = isinstance(version, int) and not isinstance(version, bool)
        if is_number and version != PROTOCOL_VERSION:
            raise ProtocolError(
                ErrorCode.UNSUPPORTED_VERSION, "This page is out of date: reload it."
            )
        return read_wire(cls, data)

    def check(self) -> None:
        if self.group is not None and self.breakout is None:
            raise ProtocolError(ErrorCode.BAD_MESSAGE, "A group is entered with a pass.")
        if self.breakout is not None and (self.member is not None or self.invitation is not None):
            raise ProtocolError(ErrorCode.BAD_MESSAGE, "A pass is not joined with another key.")

    def __repr__(self) -> str:
        # A join is never printed with its secrets, not even in a debug log.
        return f"Join(v={self.v}, room=..., name=..., secrets=...)"


@dataclass(frozen=True, slots=True)
class Publish(WireMessage):
    TYPE: ClassVar[str] = "publish"
    sdp: Offer
    tracks: Annotated[tuple[TrackInfo, ...], Wire(0, 3)]

    def check(self) -> None:
        _check_unique_mids([track.mid for track in self.tracks])
        if len({track.source for track in self.tracks}) != len(self.tracks):
            raise ProtocolError(ErrorCode.BAD_MESSAGE, "At most one track per source.")
        _check_offer(self.sdp)


@dataclass(frozen=True, slots=True)
class Subscribe(WireMessage):
    TYPE: ClassVar[str] = "subscribe"
    sdp: Offer
    streams: Annotated[tuple[StreamRequest, ...], Wire(0, MAX_SUBSCRIPTIONS)]

    def check(self) -> None:
        _check_unique_mids([request.mid for request in self.streams])
        _check_offer(self.sdp)


@dataclass(frozen=True, slots=True)
class MediaState(WireMessage):
    TYPE: ClassVar[str] = "media_state"
    audio: bool
    video: bool


@dataclass(frozen=True, slots=True)
class Chat(WireMessage):
    TYPE: ClassVar[str] = "chat"
    text: ChatText


@dataclass(frozen=True, slots=True)
class Hand(WireMessage):
    TYPE: ClassVar[str] = "hand"
    raised: bool


@dataclass(frozen=True, slots=True)
class Music(WireMessage):
    """Music mode for the sender's own microphone (docs/music-mode.md)."""

    TYPE: ClassVar[str] = "music"
    on: bool


@dataclass(frozen=True, slots=True)
class Ping(WireMessage):
    TYPE: ClassVar[str] = "ping"


@dataclass(frozen=True, slots=True)
class Leave(WireMessage):
    TYPE: ClassVar[str] = "leave"


HostCommand = (
    RoomSettingsChange
    | SetPassword
    | Admit
    | Deny
    | EndConversation
    | Mute
    | MuteAll
    | AllowUnmute
    | MusicFor
    | StopVideo
    | Remove
    | SetRole
    | EndMeeting
    | RenewSecrets
    | DeleteRoom
    | BroadcastCommand
    | BroadcastPin
    | AnswerQuestion
    | ShowQuestion
    | InviteViewer
    | BreakoutCommand
)
HOST_COMMANDS: tuple[type[HostCommand], ...] = get_args(HostCommand)

ClientMessage = (
    Join
    | Publish
    | Subscribe
    | SetLayers
    | MediaState
    | Chat
    | Hand
    | Music
    | React
    | Ping
    | Leave
    | Unmute
    | E2eeTo
    | PublicConsent
    | Watch
    | Ask
    | CouncilCommand
    | HostCommand
    | PollStart
    | PollClose
    | PollRemove
    | PollVote
)


# --- server to client -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Joined(WireMessage):
    TYPE: ClassVar[str] = "joined"
    v: Version
    you: ParticipantInfo
    resume: Annotated[str, Wire(1, MAX_RESUME_LENGTH)]
    resumed: bool
    room: RoomInfo
    participants: Annotated[tuple[ParticipantInfo, ...], Wire(0, 100_000)]
    streams: Annotated[tuple[StreamInfo, ...], Wire(0, 300_000)]
    ice_servers: Annotated[tuple[IceServer, ...], Wire(0, 8)] = ()


@dataclass(frozen=True, slots=True)
class ParticipantJoined(WireMessage):
    TYPE: ClassVar[str] = "participant_joined"
    participant: ParticipantInfo


@dataclass(frozen=True, slots=True)
class ParticipantUpdated(WireMessage):
    TYPE: ClassVar[str] = "participant_updated"
    participant: ParticipantInfo


@dataclass(frozen=True, slots=True)
class ParticipantLeft(WireMessage):
    TYPE: ClassVar[str] = "participant_left"
    id: ParticipantRef


@dataclass(frozen=True, slots=True)
class StreamAdded(WireMessage):
    TYPE: ClassVar[str] = "stream_added"
    stream: StreamInfo


@dataclass(frozen=True, slots=True)
class StreamRemoved(WireMessage):
    TYPE: ClassVar[str] = "stream_removed"
    id: StreamRef


@dataclass(frozen=True, slots=True)
class PublishAnswer(WireMessage):
    TYPE: ClassVar[str] = "publish_answer"
    sdp: Answer
    tracks: Annotated[tuple[TrackAssignment, ...], Wire(0, 3)]


@dataclass(frozen=True, slots=True)
class SubscribeAnswer(WireMessage):
    TYPE: ClassVar[str] = "subscribe_answer"
    sdp: Answer


@dataclass(frozen=True, slots=True)
class ChatLine(WireMessage):
    """A chat line as the server relays it: sender and time are set by the server."""

    TYPE: ClassVar[str] = "chat"
    id: Annotated[str, Wire(1, MAX_ID_LENGTH)]
    sender: Annotated[ParticipantRef, Key("from")]
    name: Annotated[str, Wire(1, MAX_ROOM_FIELD_LENGTH)]
    text: ChatText
    ts: Annotated[int, Wire(0, 2**53 - 1)]


@dataclass(frozen=True, slots=True)
class ActiveSpeakerChanged(WireMessage):
    TYPE: ClassVar[str] = "active_speaker"
    id: Annotated[ParticipantId | None, Wire(0, MAX_ID_LENGTH)]


@dataclass(frozen=True, slots=True)
class MediaReset(WireMessage):
    TYPE: ClassVar[str] = "media_reset"


@dataclass(frozen=True, slots=True)
class Pong(WireMessage):
    TYPE: ClassVar[str] = "pong"


@dataclass(frozen=True, slots=True)
class Error(WireMessage):
    TYPE: ClassVar[str] = "error"
    code: ErrorCode
    message: Annotated[str, Wire(0, 1000)]
    ref: Annotated[str | None, Wire(0, MAX_ID_LENGTH)] = None

    @classmethod
    def of(cls, error: KlingelError) -> Self:
        return cls(code=error.code, message=error.message, ref=error.ref)


ServerMessage = (
    Joined
    | ParticipantJoined
    | ParticipantUpdated
    | ParticipantLeft
    | StreamAdded
    | StreamRemoved
    | PublishAnswer
    | SubscribeAnswer
    | ChatLine
    | ReactionShown
    | BreakoutsState
    | BreakoutMessage
    | ActiveSpeakerChanged
    | PublishLayers
    | MediaReset
    | Pong
    | Error
    | Waiting
    | LobbyChanged
    | LobbyRing
    | QueuePosition
    | Denied
    | RoomUpdated
    | MutedByHost
    | UnmuteAllowed
    | MusicByHost
    | VideoStopped
    | Removed
    | ConversationEnded
    | MeetingEnded
    | HostSecrets
    | PasswordGuessing
    | E2eeFrom
    | BroadcastState
    | Watching
    | OnStage
    | BroadcastLive
    | BroadcastEnded
    | QuestionReceived
    | Questions
    | ShownQuestion
    | Invited
    | CouncilState
    | CouncilPublic
    | CouncilHeld
    | PollState
    | PollRemoved
)

# Each union lists its classes once: the tables by type are made from it.
CLIENT_MESSAGES: Mapping[str, type[ClientMessage]] = {
    cls.TYPE: cls for cls in get_args(ClientMessage)
}
SERVER_MESSAGES: Mapping[str, type[ServerMessage]] = {
    cls.TYPE: cls for cls in get_args(ServerMessage)
}


def client_message_type(data: Mapping[str, object]) -> str | None:
    """The ``type`` of a decoded frame if it names a client message, for an error's ``ref``."""
    kind = data.get("type")
    return kind if isinstance(kind, str) and kind in CLIENT_MESSAGES else None


def _parse(data: Mapping[str, object], classes: Mapping[str, type[_T]]) -> _T:
    kind = data.get("type")
    if not isinstance(kind, str) or kind not in classes:
        raise ProtocolError(ErrorCode.UNKNOWN_TYPE, "Unknown message type.")
    cls: Any = classes[kind]
    try:
        message: _T = cls.from_dict(data)
    except KlingelError as error:
        raise error.with_ref(kind) from None
    return message


def parse_client_message(data: Mapping[str, object]) -> ClientMessage:
    """The message a client sent; errors carry the message type as ``ref``."""
    return _parse(data, CLIENT_MESSAGES)


def parse_server_message(data: Mapping[str, object]) -> ServerMessage:
    """The message the server sent (used by test clients and tools)."""
    return _parse(data, SERVER_MESSAGES)
