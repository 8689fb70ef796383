"""The objects carried inside messages (docs/protocol.md, section Objects)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Self, cast, get_args

from klingel.ids import ParticipantId, RoomId, StreamId
from klingel.protocol.errors import ErrorCode, ProtocolError
from klingel.protocol.fields import FieldReader
from klingel.sfu.api import MediaKind, TrackSource

__all__ = [
    "MAX_ID_LENGTH",
    "MAX_NAME_LENGTH",
    "SOURCE_KIND",
    "IceServer",
    "ParticipantInfo",
    "RoomInfo",
    "StreamInfo",
    "StreamRequest",
    "TrackAssignment",
    "TrackInfo",
]

MAX_ID_LENGTH = 64
MAX_NAME_LENGTH = 64
MAX_MID_LENGTH = 32
MEDIA_KINDS: tuple[str, ...] = get_args(MediaKind)
TRACK_SOURCES: tuple[str, ...] = get_args(TrackSource)
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

    _FIELDS = _required("id", "name", "audio", "video", "screen", "hand", "you")

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
        }


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


@dataclass(frozen=True, slots=True)
class RoomInfo:
    id: RoomId
    capacity: int

    _FIELDS = _required("id", "capacity")

    @classmethod
    def from_dict(cls, data: object) -> Self:
        reader = FieldReader(data, "room", cls._FIELDS)
        return cls(
            id=RoomId(reader.string("id", 1, MAX_ID_LENGTH)),
            capacity=reader.integer("capacity", 1, 100_000),
        )

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "capacity": self.capacity}


@dataclass(frozen=True, slots=True)
class IceServer:
    """One entry of ``RTCConfiguration.iceServers`` (a TURN server of our own)."""

    urls: tuple[str, ...]
    username: str | None = None
    credential: str | None = None

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
