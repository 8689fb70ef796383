"""The objects carried inside messages (docs/protocol.md, section Objects)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Literal, Self, cast, get_args

from klingel.ids import ParticipantId, RoomId, StreamId
from klingel.protocol.errors import ErrorCode, ProtocolError
from klingel.protocol.fields import FieldReader
from klingel.tracks import MediaKind, TrackSource

__all__ = [
    "MAX_ID_LENGTH",
    "MAX_NAME_LENGTH",
    "ROLES",
    "ROOM_SETTING_FIELDS",
    "SOURCE_KIND",
    "VIDEO_SOURCES",
    "IceServer",
    "LobbyEntry",
    "ParticipantInfo",
    "Role",
    "RoomInfo",
    "StreamInfo",
    "StreamRequest",
    "TrackAssignment",
    "TrackInfo",
    "VideoSource",
]

MAX_ID_LENGTH = 64
MAX_NAME_LENGTH = 64
MAX_MID_LENGTH = 32
MEDIA_KINDS: tuple[str, ...] = get_args(MediaKind)
TRACK_SOURCES: tuple[str, ...] = get_args(TrackSource)
Role = Literal["host", "cohost", "guest"]
"""``host`` and ``cohost`` may do every host action; only a ``host`` may hand roles out."""
ROLES: tuple[str, ...] = get_args(Role)
VideoSource = Literal["camera", "screen"]
VIDEO_SOURCES: tuple[str, ...] = get_args(VideoSource)
SOURCE_KIND: dict[TrackSource, MediaKind] = {
    "microphone": "audio",
    "camera": "video",
    "screen": "video",
}

# RFC 8843 says a mid is an RFC 4566 token; browsers use short decimal numbers.
_MID = re.compile(r"[!#$%&'*+\-.0-9A-Z^_`a-z{|}~]{1,32}")


def _required(*names: str) -> frozenset[str]:
    return frozenset(names)


def read_mid(reader: FieldReader) -> str:
    mid = reader.string("mid", 1, MAX_MID_LENGTH)
    if not _MID.fullmatch(mid):
        raise ProtocolError(ErrorCode.BAD_MESSAGE, "A mid must be an SDP token.")
    return mid


@dataclass(frozen=True, slots=True)
class ParticipantInfo:
    id: ParticipantId
    name: str
    audio: bool
    video: bool
    screen: bool
    hand: bool
    you: bool
    role: Role = "guest"
    muted_by_host: bool = False

    _FIELDS = _required(
        "id", "name", "audio", "video", "screen", "hand", "you", "role", "mutedByHost"
    )

    @classmethod
    def from_dict(cls, data: object) -> Self:
        reader = FieldReader(data, "participant", cls._FIELDS)
        return cls(
            id=ParticipantId(reader.string("id", 1, MAX_ID_LENGTH)),
            name=reader.string("name", 1, MAX_NAME_LENGTH),
            audio=reader.boolean("audio"),
            video=reader.boolean("video"),
            screen=reader.boolean("screen"),
            hand=reader.boolean("hand"),
            you=reader.boolean("you"),
            role=cast(Role, reader.choice("role", ROLES)),
            muted_by_host=reader.boolean("mutedByHost"),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "audio": self.audio,
            "video": self.video,
            "screen": self.screen,
            "hand": self.hand,
            "you": self.you,
            "role": self.role,
            "mutedByHost": self.muted_by_host,
        }


@dataclass(frozen=True, slots=True)
class LobbyEntry:
    """Someone waiting in the lobby, as hosts see them: nothing but id and name."""

    id: ParticipantId
    name: str

    _FIELDS = _required("id", "name")

    @classmethod
    def from_dict(cls, data: object) -> Self:
        reader = FieldReader(data, "lobby entry", cls._FIELDS)
        return cls(
            id=ParticipantId(reader.string("id", 1, MAX_ID_LENGTH)),
            name=reader.string("name", 1, MAX_NAME_LENGTH),
        )

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name}


@dataclass(frozen=True, slots=True)
class StreamInfo:
    id: StreamId
    participant: ParticipantId
    kind: MediaKind
    source: TrackSource

    _FIELDS = _required("id", "participant", "kind", "source")

    @classmethod
    def from_dict(cls, data: object) -> Self:
        reader = FieldReader(data, "stream", cls._FIELDS)
        return cls(
            id=StreamId(reader.string("id", 1, MAX_ID_LENGTH)),
            participant=ParticipantId(reader.string("participant", 1, MAX_ID_LENGTH)),
            kind=cast(MediaKind, reader.choice("kind", MEDIA_KINDS)),
            source=cast(TrackSource, reader.choice("source", TRACK_SOURCES)),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "participant": self.participant,
            "kind": self.kind,
            "source": self.source,
        }


@dataclass(frozen=True, slots=True)
class TrackInfo:
    """One ``sendonly`` transceiver of a publish offer."""

    mid: str
    kind: MediaKind
    source: TrackSource

    _FIELDS = _required("mid", "kind", "source")

    @classmethod
    def from_dict(cls, data: object) -> Self:
        reader = FieldReader(data, "track", cls._FIELDS)
        track = cls(
            mid=read_mid(reader),
            kind=cast(MediaKind, reader.choice("kind", MEDIA_KINDS)),
            source=cast(TrackSource, reader.choice("source", TRACK_SOURCES)),
        )
        if SOURCE_KIND[track.source] != track.kind:
            raise ProtocolError(
                ErrorCode.BAD_MESSAGE,
                f"A {track.source} track must be {SOURCE_KIND[track.source]}.",
            )
        return track

    def to_dict(self) -> dict[str, Any]:
        return {"mid": self.mid, "kind": self.kind, "source": self.source}


@dataclass(frozen=True, slots=True)
class StreamRequest:
    """Which stream the ``recvonly`` transceiver ``mid`` of a subscribe offer receives."""

    mid: str
    stream: StreamId

    _FIELDS = _required("mid", "stream")

    @classmethod
    def from_dict(cls, data: object) -> Self:
        reader = FieldReader(data, "stream request", cls._FIELDS)
        return cls(
            mid=read_mid(reader),
            stream=StreamId(reader.string("stream", 1, MAX_ID_LENGTH)),
        )

    def to_dict(self) -> dict[str, Any]:
        return {"mid": self.mid, "stream": self.stream}


@dataclass(frozen=True, slots=True)
class TrackAssignment:
    """The stream id the server gave to the track on ``mid`` (in ``publish_answer``)."""

    mid: str
    stream: StreamId

    _FIELDS = _required("mid", "stream")

    @classmethod
    def from_dict(cls, data: object) -> Self:
        reader = FieldReader(data, "track assignment", cls._FIELDS)
        return cls(
            mid=read_mid(reader),
            stream=StreamId(reader.string("stream", 1, MAX_ID_LENGTH)),
        )

    def to_dict(self) -> dict[str, Any]:
        return {"mid": self.mid, "stream": self.stream}


ROOM_SETTING_FIELDS: tuple[str, ...] = (
    "lobby",
    "locked",
    "officeHours",
    "screenShareAllowed",
    "chatAllowed",
    "unmuteAllowed",
    "e2ee",
)
"""The switches of a room that hosts set (``room_settings``), as named on the wire."""


@dataclass(frozen=True, slots=True)
class RoomInfo:
    """A room's public face: never its secrets, never its password (only whether it has one)."""

    id: RoomId
    capacity: int
    lobby: bool = False
    locked: bool = False
    office_hours: bool = False
    screen_share_allowed: bool = True
    chat_allowed: bool = True
    unmute_allowed: bool = True
    has_password: bool = False
    e2ee: bool = False
    """Everyone must encrypt their media end to end; the server cannot check that they do."""

    _FIELDS = _required("id", "capacity", "hasPassword", *ROOM_SETTING_FIELDS)

    @classmethod
    def from_dict(cls, data: object) -> Self:
        reader = FieldReader(data, "room", cls._FIELDS)
        return cls(
            id=RoomId(reader.string("id", 1, MAX_ID_LENGTH)),
            capacity=reader.integer("capacity", 1, 100_000),
            lobby=reader.boolean("lobby"),
            locked=reader.boolean("locked"),
            office_hours=reader.boolean("officeHours"),
            screen_share_allowed=reader.boolean("screenShareAllowed"),
            chat_allowed=reader.boolean("chatAllowed"),
            unmute_allowed=reader.boolean("unmuteAllowed"),
            has_password=reader.boolean("hasPassword"),
            e2ee=reader.boolean("e2ee"),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "capacity": self.capacity,
            "lobby": self.lobby,
            "locked": self.locked,
            "officeHours": self.office_hours,
            "screenShareAllowed": self.screen_share_allowed,
            "chatAllowed": self.chat_allowed,
            "unmuteAllowed": self.unmute_allowed,
            "hasPassword": self.has_password,
            "e2ee": self.e2ee,
        }


@dataclass(frozen=True, slots=True)
class IceServer:
    """One entry of ``RTCConfiguration.iceServers`` (a TURN server of our own), with the
    time-limited credentials of the one participant it is sent to."""

    urls: tuple[str, ...]
    username: str | None = None
    credential: str | None = field(default=None, repr=False)

    _FIELDS = _required("urls")
    _OPTIONAL = _required("username", "credential")

    @classmethod
    def from_dict(cls, data: object) -> Self:
        reader = FieldReader(data, "ice server", cls._FIELDS, cls._OPTIONAL)
        urls = reader.array("urls", 8)
        if not all(isinstance(url, str) for url in urls):
            raise ProtocolError(ErrorCode.BAD_MESSAGE, "ice server.urls must be strings.")
        return cls(
            urls=tuple(cast(list[str], urls)),
            username=reader.optional_string("username", 256),
            credential=reader.optional_string("credential", 256),
        )

    def to_dict(self) -> dict[str, Any]:
        result: dict[str, Any] = {"urls": list(self.urls)}
        if self.username is not None:
            result["username"] = self.username
        if self.credential is not None:
            result["credential"] = self.credential
        return result
