"""One class per message type of docs/protocol.md, in both directions.

Every class reads itself from a decoded JSON object (``from_dict``, refusing fields it does not
define) and writes itself back (``to_dict``). ``parse_client_message`` and
``parse_server_message`` pick the class by the ``type`` field.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Self, TypeVar

from klingel.ids import ParticipantId, StreamId
from klingel.protocol.e2ee import E2eeFrom, E2eeTo
from klingel.protocol.errors import ErrorCode, KlingelError, ProtocolError
from klingel.protocol.fields import FieldReader
from klingel.protocol.layers import PublishLayers, SetLayers
from klingel.protocol.moderation import (
    MAX_PASSWORD_LENGTH,
    Admit,
    AllowUnmute,
    ConversationEnded,
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
from klingel.protocol.objects import (
    MAX_ID_LENGTH,
    IceServer,
    ParticipantInfo,
    RoomInfo,
    StreamInfo,
    StreamRequest,
    TrackAssignment,
    TrackInfo,
)
from klingel.protocol.shapes import BareMessage, ParticipantMessage

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


def _fields(*names: str) -> frozenset[str]:
    return frozenset(names)


def _items(reader: FieldReader, key: str, limit: int, parse: Callable[[object], _T]) -> list[_T]:
    return [parse(item) for item in reader.array(key, limit)]


def _offer_sdp(reader: FieldReader) -> str:
    """The SDP offer of ``publish`` or ``subscribe``; the SFU checks it in depth."""
    sdp = reader.string("sdp", 1, MAX_SDP_LENGTH)
    if not sdp.startswith("v=0"):
        raise ProtocolError(ErrorCode.BAD_SDP, "The offer is not SDP.")
    # With BUNDLE, Chromium repeats the same candidates in every m-section: count each once.
    candidates = len({line for line in sdp.splitlines() if line.startswith("a=candidate")})
    if candidates > MAX_CANDIDATES:
        raise ProtocolError(
            ErrorCode.TOO_MANY_CANDIDATES, f"More than {MAX_CANDIDATES} candidates in the offer."
        )
    return sdp


def _unique_mids(mids: list[str]) -> None:
    if len(set(mids)) != len(mids):
        raise ProtocolError(ErrorCode.BAD_MESSAGE, "The same mid is listed twice.")


# --- client to server -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Join:
    TYPE: ClassVar[str] = "join"
    v: int
    room: str
    name: str
    resume: str | None = None
    host_secret: str | None = None
    password: str | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> Self:
        # The version is looked at first: a page of another version may send other fields.
        version = data.get("v")
        is_number = isinstance(version, int) and not isinstance(version, bool)
        if is_number and version != PROTOCOL_VERSION:
            raise ProtocolError(
                ErrorCode.UNSUPPORTED_VERSION, "This page is out of date: reload it."
            )
        reader = FieldReader(
            data,
            cls.TYPE,
            _fields("type", "v", "room", "name"),
            _fields("resume", "hostSecret", "password"),
        )
        return cls(
            v=reader.integer("v", PROTOCOL_VERSION, PROTOCOL_VERSION),
            room=reader.string("room", 0, MAX_ROOM_FIELD_LENGTH),
            name=reader.string("name", 0, MAX_ROOM_FIELD_LENGTH),
            resume=reader.optional_string("resume", MAX_RESUME_LENGTH),
            host_secret=reader.optional_string("hostSecret", MAX_SECRET_LENGTH),
            password=reader.optional_string("password", MAX_PASSWORD_LENGTH),
        )

    def to_dict(self) -> dict[str, Any]:
        result: dict[str, Any] = {
            "type": self.TYPE,
            "v": self.v,
            "room": self.room,
            "name": self.name,
            "resume": self.resume,
        }
        # Left out when unused, so that a join without them reads as it always did.
        if self.host_secret is not None:
            result["hostSecret"] = self.host_secret
        if self.password is not None:
            result["password"] = self.password
        return result

    def __repr__(self) -> str:
        # A join is never printed with its secrets, not even in a debug log.
        return f"Join(v={self.v}, room=..., name=..., secrets=...)"


@dataclass(frozen=True, slots=True)
class Publish:
    TYPE: ClassVar[str] = "publish"
    sdp: str
    tracks: tuple[TrackInfo, ...]

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> Self:
        reader = FieldReader(data, cls.TYPE, _fields("type", "sdp", "tracks"))
        tracks = _items(reader, "tracks", 3, TrackInfo.from_dict)
        _unique_mids([track.mid for track in tracks])
        if len({track.source for track in tracks}) != len(tracks):
            raise ProtocolError(ErrorCode.BAD_MESSAGE, "At most one track per source.")
        return cls(sdp=_offer_sdp(reader), tracks=tuple(tracks))

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": self.TYPE,
            "sdp": self.sdp,
            "tracks": [track.to_dict() for track in self.tracks],
        }


@dataclass(frozen=True, slots=True)
class Subscribe:
    TYPE: ClassVar[str] = "subscribe"
    sdp: str
    streams: tuple[StreamRequest, ...]

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> Self:
        reader = FieldReader(data, cls.TYPE, _fields("type", "sdp", "streams"))
        streams = _items(reader, "streams", MAX_SUBSCRIPTIONS, StreamRequest.from_dict)
        _unique_mids([request.mid for request in streams])
        return cls(sdp=_offer_sdp(reader), streams=tuple(streams))

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": self.TYPE,
            "sdp": self.sdp,
            "streams": [request.to_dict() for request in self.streams],
        }


@dataclass(frozen=True, slots=True)
class MediaState:
    TYPE: ClassVar[str] = "media_state"
    audio: bool
    video: bool

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> Self:
        reader = FieldReader(data, cls.TYPE, _fields("type", "audio", "video"))
        return cls(audio=reader.boolean("audio"), video=reader.boolean("video"))

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.TYPE, "audio": self.audio, "video": self.video}


@dataclass(frozen=True, slots=True)
class Chat:
    TYPE: ClassVar[str] = "chat"
    text: str

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> Self:
        reader = FieldReader(data, cls.TYPE, _fields("type", "text"))
        return cls(text=reader.string("text", 1, MAX_CHAT_LENGTH))

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.TYPE, "text": self.text}


@dataclass(frozen=True, slots=True)
class Hand:
    TYPE: ClassVar[str] = "hand"
    raised: bool

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> Self:
        reader = FieldReader(data, cls.TYPE, _fields("type", "raised"))
        return cls(raised=reader.boolean("raised"))

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.TYPE, "raised": self.raised}


@dataclass(frozen=True, slots=True)
class Ping(BareMessage):
    TYPE: ClassVar[str] = "ping"


@dataclass(frozen=True, slots=True)
class Leave(BareMessage):
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
    | StopVideo
    | Remove
    | SetRole
    | EndMeeting
)
HOST_COMMANDS: tuple[type[HostCommand], ...] = (
    RoomSettingsChange,
    SetPassword,
    Admit,
    Deny,
    EndConversation,
    Mute,
    MuteAll,
    AllowUnmute,
    StopVideo,
    Remove,
    SetRole,
    EndMeeting,
)

ClientMessage = (
    Join
    | Publish
    | Subscribe
    | SetLayers
    | MediaState
    | Chat
    | Hand
    | Ping
    | Leave
    | Unmute
    | E2eeTo
    | HostCommand
)


# --- server to client -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Joined:
    TYPE: ClassVar[str] = "joined"
    v: int
    you: ParticipantInfo
    resume: str
    resumed: bool
    room: RoomInfo
    participants: tuple[ParticipantInfo, ...]
    streams: tuple[StreamInfo, ...]
    ice_servers: tuple[IceServer, ...] = ()

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> Self:
        reader = FieldReader(
            data,
            cls.TYPE,
            _fields(
                "type", "v", "you", "resume", "resumed", "room", "participants", "streams",
                "iceServers",
            ),
        )  # fmt: skip
        return cls(
            v=reader.integer("v", PROTOCOL_VERSION, PROTOCOL_VERSION),
            you=ParticipantInfo.from_dict(reader.value("you")),
            resume=reader.string("resume", 1, MAX_RESUME_LENGTH),
            resumed=reader.boolean("resumed"),
            room=RoomInfo.from_dict(reader.value("room")),
            participants=tuple(_items(reader, "participants", 100_000, ParticipantInfo.from_dict)),
            streams=tuple(_items(reader, "streams", 300_000, StreamInfo.from_dict)),
            ice_servers=tuple(_items(reader, "iceServers", 8, IceServer.from_dict)),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": self.TYPE,
            "v": self.v,
            "you": self.you.to_dict(),
            "resume": self.resume,
            "resumed": self.resumed,
            "room": self.room.to_dict(),
            "participants": [participant.to_dict() for participant in self.participants],
            "streams": [stream.to_dict() for stream in self.streams],
            "iceServers": [server.to_dict() for server in self.ice_servers],
        }


@dataclass(frozen=True, slots=True)
class ParticipantJoined:
    TYPE: ClassVar[str] = "participant_joined"
    participant: ParticipantInfo

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> Self:
        reader = FieldReader(data, cls.TYPE, _fields("type", "participant"))
        return cls(participant=ParticipantInfo.from_dict(reader.value("participant")))

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.TYPE, "participant": self.participant.to_dict()}


@dataclass(frozen=True, slots=True)
class ParticipantUpdated:
    TYPE: ClassVar[str] = "participant_updated"
    participant: ParticipantInfo

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> Self:
        reader = FieldReader(data, cls.TYPE, _fields("type", "participant"))
        return cls(participant=ParticipantInfo.from_dict(reader.value("participant")))

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.TYPE, "participant": self.participant.to_dict()}


@dataclass(frozen=True, slots=True)
class ParticipantLeft(ParticipantMessage):
    TYPE: ClassVar[str] = "participant_left"
    id: ParticipantId


@dataclass(frozen=True, slots=True)
class StreamAdded:
    TYPE: ClassVar[str] = "stream_added"
    stream: StreamInfo

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> Self:
        reader = FieldReader(data, cls.TYPE, _fields("type", "stream"))
        return cls(stream=StreamInfo.from_dict(reader.value("stream")))

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.TYPE, "stream": self.stream.to_dict()}


@dataclass(frozen=True, slots=True)
class StreamRemoved:
    TYPE: ClassVar[str] = "stream_removed"
    id: StreamId

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> Self:
        reader = FieldReader(data, cls.TYPE, _fields("type", "id"))
        return cls(id=StreamId(reader.string("id", 1, MAX_ID_LENGTH)))

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.TYPE, "id": self.id}


@dataclass(frozen=True, slots=True)
class PublishAnswer:
    TYPE: ClassVar[str] = "publish_answer"
    sdp: str
    tracks: tuple[TrackAssignment, ...]

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> Self:
        reader = FieldReader(data, cls.TYPE, _fields("type", "sdp", "tracks"))
        return cls(
            sdp=reader.string("sdp", 1),
            tracks=tuple(_items(reader, "tracks", 3, TrackAssignment.from_dict)),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": self.TYPE,
            "sdp": self.sdp,
            "tracks": [track.to_dict() for track in self.tracks],
        }


@dataclass(frozen=True, slots=True)
class SubscribeAnswer:
    TYPE: ClassVar[str] = "subscribe_answer"
    sdp: str

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> Self:
        reader = FieldReader(data, cls.TYPE, _fields("type", "sdp"))
        return cls(sdp=reader.string("sdp", 1))

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.TYPE, "sdp": self.sdp}


@dataclass(frozen=True, slots=True)
class ChatLine:
    """A chat line as the server relays it: sender and time are set by the server."""

    TYPE: ClassVar[str] = "chat"
    id: str
    sender: ParticipantId
    name: str
    text: str
    ts: int

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> Self:
        reader = FieldReader(data, cls.TYPE, _fields("type", "id", "from", "name", "text", "ts"))
        return cls(
            id=reader.string("id", 1, MAX_ID_LENGTH),
            sender=ParticipantId(reader.string("from", 1, MAX_ID_LENGTH)),
            name=reader.string("name", 1, MAX_ROOM_FIELD_LENGTH),
            text=reader.string("text", 1, MAX_CHAT_LENGTH),
            ts=reader.integer("ts", 0, 2**53 - 1),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": self.TYPE,
            "id": self.id,
            "from": self.sender,
            "name": self.name,
            "text": self.text,
            "ts": self.ts,
        }


@dataclass(frozen=True, slots=True)
class ActiveSpeakerChanged:
    TYPE: ClassVar[str] = "active_speaker"
    id: ParticipantId | None

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> Self:
        reader = FieldReader(data, cls.TYPE, _fields("type", "id"))
        speaker = reader.optional_string("id", MAX_ID_LENGTH)
        return cls(id=None if speaker is None else ParticipantId(speaker))

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.TYPE, "id": self.id}


@dataclass(frozen=True, slots=True)
class MediaReset(BareMessage):
    TYPE: ClassVar[str] = "media_reset"


@dataclass(frozen=True, slots=True)
class Pong(BareMessage):
    TYPE: ClassVar[str] = "pong"


@dataclass(frozen=True, slots=True)
class Error:
    TYPE: ClassVar[str] = "error"
    code: ErrorCode
    message: str
    ref: str | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> Self:
        reader = FieldReader(data, cls.TYPE, _fields("type", "code", "message"), _fields("ref"))
        code = reader.choice("code", tuple(ErrorCode))
        return cls(
            code=ErrorCode(code),
            message=reader.string("message", 0, 1000),
            ref=reader.optional_string("ref", MAX_ID_LENGTH),
        )

    @classmethod
    def of(cls, error: KlingelError) -> Self:
        return cls(code=error.code, message=error.message, ref=error.ref)

    def to_dict(self) -> dict[str, Any]:
        result: dict[str, Any] = {
            "type": self.TYPE,
            "code": str(self.code),
            "message": self.message,
        }
        if self.ref is not None:
            result["ref"] = self.ref
        return result


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
    | VideoStopped
    | Removed
    | ConversationEnded
    | MeetingEnded
    | HostSecrets
    | PasswordGuessing
    | E2eeFrom
)

CLIENT_MESSAGES: Mapping[str, type[ClientMessage]] = {
    cls.TYPE: cls
    for cls in (
        Join,
        Publish,
        Subscribe,
        SetLayers,
        MediaState,
        Chat,
        Hand,
        Ping,
        Leave,
        Unmute,
        E2eeTo,
        *HOST_COMMANDS,
    )
}
SERVER_MESSAGES: Mapping[str, type[ServerMessage]] = {
    cls.TYPE: cls
    for cls in (
        Joined,
        ParticipantJoined,
        ParticipantUpdated,
        ParticipantLeft,
        StreamAdded,
        StreamRemoved,
        PublishAnswer,
        SubscribeAnswer,
        ChatLine,
        ActiveSpeakerChanged,
        PublishLayers,
        MediaReset,
        Pong,
        Error,
        Waiting,
        LobbyChanged,
        LobbyRing,
        QueuePosition,
        Denied,
        RoomUpdated,
        MutedByHost,
        UnmuteAllowed,
        VideoStopped,
        Removed,
        ConversationEnded,
        MeetingEnded,
        HostSecrets,
        PasswordGuessing,
        E2eeFrom,
    )
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
