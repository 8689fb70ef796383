"""The messages of hosts, the lobby and office hours (docs/protocol.md), in both directions.

Host commands name participants only by the ids the server gave them; the server checks the
sender's role, never anything the client claims about itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Self, cast

from klingel.ids import ParticipantId
from klingel.protocol.errors import ErrorCode, ProtocolError
from klingel.protocol.fields import FieldReader
from klingel.protocol.objects import (
    ROLES,
    ROOM_SETTING_FIELDS,
    VIDEO_SOURCES,
    LobbyEntry,
    Role,
    RoomInfo,
    VideoSource,
)
from klingel.protocol.shapes import BareMessage, ParticipantMessage, participant_id

__all__ = [
    "MAX_DENIAL_LENGTH",
    "MAX_LOBBY_SIZE",
    "MAX_PASSWORD_LENGTH",
    "Admit",
    "AllowUnmute",
    "ConversationEnded",
    "Denied",
    "Deny",
    "EndConversation",
    "EndMeeting",
    "HostSecrets",
    "LobbyChanged",
    "LobbyRing",
    "MeetingEnded",
    "Mute",
    "MuteAll",
    "MutedByHost",
    "PasswordGuessing",
    "QueuePosition",
    "Remove",
    "Removed",
    "RoomSettingsChange",
    "RoomUpdated",
    "SetPassword",
    "SetRole",
    "StopVideo",
    "Unmute",
    "UnmuteAllowed",
    "VideoStopped",
    "Waiting",
]

MAX_DENIAL_LENGTH = 200
MAX_PASSWORD_LENGTH = 64
MAX_LOBBY_SIZE = 100
"""Most people waiting in one room's lobby; more are refused with ``room_full``."""


def _fields(*names: str) -> frozenset[str]:
    return frozenset(names)


# --- client to server -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RoomSettingsChange:
    """Switches a host changes; a switch left out stays as it is."""

    TYPE: ClassVar[str] = "room_settings"
    lobby: bool | None = None
    locked: bool | None = None
    office_hours: bool | None = None
    screen_share_allowed: bool | None = None
    chat_allowed: bool | None = None
    unmute_allowed: bool | None = None
    e2ee: bool | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> Self:
        reader = FieldReader(data, cls.TYPE, _fields("type"), frozenset(ROOM_SETTING_FIELDS))
        if len(data) < 2:
            raise ProtocolError(ErrorCode.BAD_MESSAGE, "room_settings changes nothing.")
        return cls(
            lobby=reader.optional_boolean("lobby"),
            locked=reader.optional_boolean("locked"),
            office_hours=reader.optional_boolean("officeHours"),
            screen_share_allowed=reader.optional_boolean("screenShareAllowed"),
            chat_allowed=reader.optional_boolean("chatAllowed"),
            unmute_allowed=reader.optional_boolean("unmuteAllowed"),
            e2ee=reader.optional_boolean("e2ee"),
        )

    def to_dict(self) -> dict[str, Any]:
        values = (
            self.lobby,
            self.locked,
            self.office_hours,
            self.screen_share_allowed,
            self.chat_allowed,
            self.unmute_allowed,
            self.e2ee,
        )
        changes = {k: v for k, v in zip(ROOM_SETTING_FIELDS, values, strict=True) if v is not None}
        return {"type": self.TYPE, **changes}


@dataclass(frozen=True, slots=True)
class SetPassword:
    """A host sets the room's password, or removes it with null."""

    TYPE: ClassVar[str] = "set_password"
    password: str | None

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> Self:
        reader = FieldReader(data, cls.TYPE, _fields("type", "password"))
        if reader.value("password") is None:
            return cls(password=None)
        return cls(password=reader.string("password", 1, MAX_PASSWORD_LENGTH))

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.TYPE, "password": self.password}


@dataclass(frozen=True, slots=True)
class Admit(ParticipantMessage):
    TYPE: ClassVar[str] = "admit"
    id: ParticipantId


@dataclass(frozen=True, slots=True)
class Deny:
    TYPE: ClassVar[str] = "deny"
    id: ParticipantId
    message: str | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> Self:
        reader = FieldReader(data, cls.TYPE, _fields("type", "id"), _fields("message"))
        return cls(
            id=participant_id(reader), message=reader.optional_string("message", MAX_DENIAL_LENGTH)
        )

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.TYPE, "id": self.id, "message": self.message}


@dataclass(frozen=True, slots=True)
class EndConversation(ParticipantMessage):
    TYPE: ClassVar[str] = "end_conversation"
    id: ParticipantId


@dataclass(frozen=True, slots=True)
class Mute(ParticipantMessage):
    TYPE: ClassVar[str] = "mute"
    id: ParticipantId


@dataclass(frozen=True, slots=True)
class MuteAll(BareMessage):
    TYPE: ClassVar[str] = "mute_all"


@dataclass(frozen=True, slots=True)
class AllowUnmute(ParticipantMessage):
    TYPE: ClassVar[str] = "allow_unmute"
    id: ParticipantId


@dataclass(frozen=True, slots=True)
class Unmute(BareMessage):
    """A participant muted by a host asks to be heard again."""

    TYPE: ClassVar[str] = "unmute"


@dataclass(frozen=True, slots=True)
class StopVideo:
    TYPE: ClassVar[str] = "stop_video"
    id: ParticipantId
    source: VideoSource

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> Self:
        reader = FieldReader(data, cls.TYPE, _fields("type", "id", "source"))
        return cls(
            id=participant_id(reader),
            source=cast(VideoSource, reader.choice("source", VIDEO_SOURCES)),
        )

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.TYPE, "id": self.id, "source": self.source}


@dataclass(frozen=True, slots=True)
class Remove(ParticipantMessage):
    TYPE: ClassVar[str] = "remove"
    id: ParticipantId


@dataclass(frozen=True, slots=True)
class SetRole:
    TYPE: ClassVar[str] = "set_role"
    id: ParticipantId
    role: Role

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> Self:
        reader = FieldReader(data, cls.TYPE, _fields("type", "id", "role"))
        return cls(id=participant_id(reader), role=cast(Role, reader.choice("role", ROLES)))

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.TYPE, "id": self.id, "role": self.role}


@dataclass(frozen=True, slots=True)
class EndMeeting(BareMessage):
    TYPE: ClassVar[str] = "end_meeting"


# --- server to client -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Waiting:
    """The answer to ``join`` when the lobby is on: nothing about the room or anyone in it."""

    TYPE: ClassVar[str] = "waiting"
    v: int
    office_hours: bool

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> Self:
        reader = FieldReader(data, cls.TYPE, _fields("type", "v", "officeHours"))
        return cls(v=reader.integer("v", 1, 1), office_hours=reader.boolean("officeHours"))

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.TYPE, "v": self.v, "officeHours": self.office_hours}


@dataclass(frozen=True, slots=True)
class LobbyChanged:
    """Everyone waiting, in order of arrival (the queue in office hours); to hosts only."""

    TYPE: ClassVar[str] = "lobby"
    waiting: tuple[LobbyEntry, ...]

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> Self:
        reader = FieldReader(data, cls.TYPE, _fields("type", "waiting"))
        entries = reader.array("waiting", MAX_LOBBY_SIZE)
        return cls(waiting=tuple(LobbyEntry.from_dict(entry) for entry in entries))

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.TYPE, "waiting": [entry.to_dict() for entry in self.waiting]}


@dataclass(frozen=True, slots=True)
class LobbyRing(ParticipantMessage):
    """Someone new rang: host clients play the doorbell."""

    TYPE: ClassVar[str] = "lobby_ring"
    id: ParticipantId


@dataclass(frozen=True, slots=True)
class QueuePosition:
    TYPE: ClassVar[str] = "queue_position"
    position: int
    length: int

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> Self:
        reader = FieldReader(data, cls.TYPE, _fields("type", "position", "length"))
        length = reader.integer("length", 1, MAX_LOBBY_SIZE)
        return cls(position=reader.integer("position", 1, length), length=length)

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.TYPE, "position": self.position, "length": self.length}


@dataclass(frozen=True, slots=True)
class Denied:
    TYPE: ClassVar[str] = "denied"
    message: str | None

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> Self:
        reader = FieldReader(data, cls.TYPE, _fields("type", "message"))
        return cls(message=reader.optional_string("message", MAX_DENIAL_LENGTH))

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.TYPE, "message": self.message}


@dataclass(frozen=True, slots=True)
class HostSecrets:
    """To one host or co-host only: the secret their page joins with from now on, and the
    room's current co-host secret (for the co-host link). Sent when a hand-over, a removal or
    a demotion made the secrets they held worthless."""

    TYPE: ClassVar[str] = "host_secrets"
    secret: str = field(repr=False)
    cohost_secret: str = field(repr=False)

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> Self:
        reader = FieldReader(data, cls.TYPE, _fields("type", "secret", "cohostSecret"))
        return cls(
            secret=reader.string("secret", 16, 128),
            cohost_secret=reader.string("cohostSecret", 16, 128),
        )

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.TYPE, "secret": self.secret, "cohostSecret": self.cohost_secret}


@dataclass(frozen=True, slots=True)
class PasswordGuessing(BareMessage):
    """To hosts: so many wrong passwords came that the lobby switched itself on."""

    TYPE: ClassVar[str] = "password_guessing"


@dataclass(frozen=True, slots=True)
class RoomUpdated:
    TYPE: ClassVar[str] = "room_updated"
    room: RoomInfo

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> Self:
        reader = FieldReader(data, cls.TYPE, _fields("type", "room"))
        return cls(room=RoomInfo.from_dict(reader.value("room")))

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.TYPE, "room": self.room.to_dict()}


@dataclass(frozen=True, slots=True)
class MutedByHost(BareMessage):
    TYPE: ClassVar[str] = "muted_by_host"


@dataclass(frozen=True, slots=True)
class UnmuteAllowed(BareMessage):
    TYPE: ClassVar[str] = "unmute_allowed"


@dataclass(frozen=True, slots=True)
class VideoStopped:
    TYPE: ClassVar[str] = "video_stopped"
    source: VideoSource

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> Self:
        reader = FieldReader(data, cls.TYPE, _fields("type", "source"))
        return cls(source=cast(VideoSource, reader.choice("source", VIDEO_SOURCES)))

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.TYPE, "source": self.source}


@dataclass(frozen=True, slots=True)
class Removed(BareMessage):
    TYPE: ClassVar[str] = "removed"


@dataclass(frozen=True, slots=True)
class ConversationEnded(BareMessage):
    TYPE: ClassVar[str] = "conversation_ended"


@dataclass(frozen=True, slots=True)
class MeetingEnded(BareMessage):
    TYPE: ClassVar[str] = "meeting_ended"
