"""The objects carried inside messages (docs/protocol.md, section Objects)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Annotated, ClassVar, Literal, get_args

from klingel.ids import ParticipantId, RoomId, StreamId
from klingel.protocol.errors import ErrorCode, ProtocolError
from klingel.protocol.wire import TextFormat, Wire, WireObject
from klingel.tracks import MediaKind, TrackSource

__all__ = [
    "MAX_ID_LENGTH",
    "MAX_NAME_LENGTH",
    "ROLES",
    "SOURCE_KIND",
    "VIDEO_SOURCES",
    "IceServer",
    "LobbyEntry",
    "Mid",
    "ParticipantInfo",
    "ParticipantRef",
    "Role",
    "RoomInfo",
    "StreamInfo",
    "StreamRef",
    "StreamRequest",
    "TrackAssignment",
    "TrackInfo",
    "VideoSource",
]

MAX_ID_LENGTH = 64
MAX_NAME_LENGTH = 64
MAX_MID_LENGTH = 32
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

ParticipantRef = Annotated[ParticipantId, Wire(1, MAX_ID_LENGTH)]
StreamRef = Annotated[StreamId, Wire(1, MAX_ID_LENGTH)]
Name = Annotated[str, Wire(1, MAX_NAME_LENGTH)]
# RFC 8843 says a mid is an RFC 4566 token; browsers use short decimal numbers.
Mid = Annotated[
    str,
    Wire(1, MAX_MID_LENGTH, text_format=TextFormat(
        re.compile(r"[!#$%&'*+\-.0-9A-Z^_`a-z{|}~]+"), "an SDP token"
    )),
]  # fmt: skip


@dataclass(frozen=True, slots=True)
class ParticipantInfo(WireObject):
    NAME: ClassVar[str] = "participant"
    id: ParticipantRef
    name: Name
    audio: bool
    video: bool
    screen: bool
    hand: bool
    you: bool
    role: Role = "guest"
    muted_by_host: bool = False
    music: bool = False
    """They switched music mode on for their own microphone (docs/music-mode.md)."""


@dataclass(frozen=True, slots=True)
class LobbyEntry(WireObject):
    """Someone waiting in the lobby, as hosts see them: nothing but id and name."""

    NAME: ClassVar[str] = "lobby entry"
    id: ParticipantRef
    name: Name


@dataclass(frozen=True, slots=True)
class StreamInfo(WireObject):
    NAME: ClassVar[str] = "stream"
    id: StreamRef
    participant: ParticipantRef
    kind: MediaKind
    source: TrackSource


@dataclass(frozen=True, slots=True)
class TrackInfo(WireObject):
    """One ``sendonly`` transceiver of a publish offer."""

    NAME: ClassVar[str] = "track"
    mid: Mid
    kind: MediaKind
    source: TrackSource

    def check(self) -> None:
        if SOURCE_KIND[self.source] != self.kind:
            raise ProtocolError(
                ErrorCode.BAD_MESSAGE,
                f"A {self.source} track must be {SOURCE_KIND[self.source]}.",
            )


@dataclass(frozen=True, slots=True)
class StreamRequest(WireObject):
    """Which stream the ``recvonly`` transceiver ``mid`` of a subscribe offer receives."""

    NAME: ClassVar[str] = "stream request"
    mid: Mid
    stream: StreamRef


@dataclass(frozen=True, slots=True)
class TrackAssignment(WireObject):
    """The stream id the server gave to the track on ``mid`` (in ``publish_answer``)."""

    NAME: ClassVar[str] = "track assignment"
    mid: Mid
    stream: StreamRef


@dataclass(frozen=True, slots=True)
class RoomInfo(WireObject):
    """A room's public face: never its secrets, never its password (only whether it has one)."""

    NAME: ClassVar[str] = "room"
    id: Annotated[RoomId, Wire(1, MAX_ID_LENGTH)]
    capacity: Annotated[int, Wire(1, 100_000)]
    lobby: bool = False
    locked: bool = False
    office_hours: bool = False
    screen_share_allowed: bool = True
    chat_allowed: bool = True
    unmute_allowed: bool = True
    has_password: bool = False
    e2ee: bool = False
    """Everyone must encrypt their media end to end; the server cannot check that they do."""
    music: bool = False
    """A host switched music mode on for everyone's microphone (docs/music-mode.md)."""


@dataclass(frozen=True, slots=True)
class IceServer(WireObject):
    """One entry of ``RTCConfiguration.iceServers`` (a TURN server of our own), with the
    time-limited credentials of the one participant it is sent to."""

    NAME: ClassVar[str] = "ice server"
    urls: Annotated[tuple[str, ...], Wire(0, 8)]
    username: Annotated[str | None, Wire(0, 256)] = None
    credential: Annotated[str | None, Wire(0, 256)] = field(default=None, repr=False)
