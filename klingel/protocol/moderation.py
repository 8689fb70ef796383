"""The messages of hosts, the lobby and office hours (docs/protocol.md), in both directions.

Host commands name participants only by the ids the server gave them; the server checks the
sender's role, never anything the client claims about itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, ClassVar

from klingel.protocol.errors import ErrorCode, ProtocolError
from klingel.protocol.objects import (
    LobbyEntry,
    ParticipantRef,
    Role,
    RoomInfo,
    VideoSource,
)
from klingel.protocol.wire import Key, Wire, WireMessage, wire_names

__all__ = [
    "MAX_DENIAL_LENGTH",
    "MAX_LOBBY_SIZE",
    "MAX_PASSWORD_LENGTH",
    "ROOM_SETTING_FIELDS",
    "Admit",
    "AllowUnmute",
    "ConversationEnded",
    "DeleteRoom",
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
    "RenewSecrets",
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

Switch = Annotated[bool | None, Key(null=False)]
"""A room switch a host may change: left out (None) it stays as it is; null is no boolean."""
Denial = Annotated[str | None, Wire(0, MAX_DENIAL_LENGTH)]


# --- client to server -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RoomSettingsChange(WireMessage):
    """Switches a host changes; a switch left out stays as it is."""

    TYPE: ClassVar[str] = "room_settings"
    lobby: Switch = None
    locked: Switch = None
    office_hours: Switch = None
    screen_share_allowed: Switch = None
    chat_allowed: Switch = None
    unmute_allowed: Switch = None
    e2ee: Switch = None
    music: Switch = None

    def check(self) -> None:
        if self == RoomSettingsChange():
            raise ProtocolError(ErrorCode.BAD_MESSAGE, "room_settings changes nothing.")


ROOM_SETTING_FIELDS: tuple[str, ...] = wire_names(RoomSettingsChange)
"""The switches of a room that hosts set (``room_settings``), as named on the wire."""


@dataclass(frozen=True, slots=True)
class SetPassword(WireMessage):
    """A host sets the room's password, or removes it with null."""

    TYPE: ClassVar[str] = "set_password"
    password: Annotated[str | None, Wire(1, MAX_PASSWORD_LENGTH)]


@dataclass(frozen=True, slots=True)
class Admit(WireMessage):
    TYPE: ClassVar[str] = "admit"
    id: ParticipantRef


@dataclass(frozen=True, slots=True)
class Deny(WireMessage):
    TYPE: ClassVar[str] = "deny"
    id: ParticipantRef
    message: Annotated[Denial, Key(sent_as_null=True)] = None


@dataclass(frozen=True, slots=True)
class EndConversation(WireMessage):
    TYPE: ClassVar[str] = "end_conversation"
    id: ParticipantRef


@dataclass(frozen=True, slots=True)
class Mute(WireMessage):
    TYPE: ClassVar[str] = "mute"
    id: ParticipantRef


@dataclass(frozen=True, slots=True)
class MuteAll(WireMessage):
    TYPE: ClassVar[str] = "mute_all"


@dataclass(frozen=True, slots=True)
class AllowUnmute(WireMessage):
    TYPE: ClassVar[str] = "allow_unmute"
    id: ParticipantRef


@dataclass(frozen=True, slots=True)
class Unmute(WireMessage):
    """A participant muted by a host asks to be heard again."""

    TYPE: ClassVar[str] = "unmute"


@dataclass(frozen=True, slots=True)
class StopVideo(WireMessage):
    TYPE: ClassVar[str] = "stop_video"
    id: ParticipantRef
    source: VideoSource


@dataclass(frozen=True, slots=True)
class Remove(WireMessage):
    TYPE: ClassVar[str] = "remove"
    id: ParticipantRef


@dataclass(frozen=True, slots=True)
class SetRole(WireMessage):
    TYPE: ClassVar[str] = "set_role"
    id: ParticipantRef
    role: Role


@dataclass(frozen=True, slots=True)
class EndMeeting(WireMessage):
    TYPE: ClassVar[str] = "end_meeting"


@dataclass(frozen=True, slots=True)
class RenewSecrets(WireMessage):
    """A host makes new host and co-host secrets: every link given out before stops giving
    a role."""

    TYPE: ClassVar[str] = "renew_secrets"


@dataclass(frozen=True, slots=True)
class DeleteRoom(WireMessage):
    """A host ends the meeting and deletes the room: its name and links are free."""

    TYPE: ClassVar[str] = "delete_room"


# --- server to client -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Waiting(WireMessage):
    """The answer to ``join`` when the lobby is on: nothing about the room or anyone in it."""

    TYPE: ClassVar[str] = "waiting"
    v: Annotated[int, Wire(1, 1)]
    office_hours: bool


@dataclass(frozen=True, slots=True)
class LobbyChanged(WireMessage):
    """Everyone waiting, in order of arrival (the queue in office hours); to hosts only."""

    TYPE: ClassVar[str] = "lobby"
    waiting: Annotated[tuple[LobbyEntry, ...], Wire(0, MAX_LOBBY_SIZE)]


@dataclass(frozen=True, slots=True)
class LobbyRing(WireMessage):
    """Someone new rang: host clients play the doorbell."""

    TYPE: ClassVar[str] = "lobby_ring"
    id: ParticipantRef


@dataclass(frozen=True, slots=True)
class QueuePosition(WireMessage):
    TYPE: ClassVar[str] = "queue_position"
    position: Annotated[int, Wire(1, MAX_LOBBY_SIZE)]
    length: Annotated[int, Wire(1, MAX_LOBBY_SIZE)]

    def check(self) -> None:
        if self.position > self.length:
            raise ProtocolError(ErrorCode.BAD_MESSAGE, "queue_position.position is beyond length.")


@dataclass(frozen=True, slots=True)
class Denied(WireMessage):
    TYPE: ClassVar[str] = "denied"
    message: Denial


@dataclass(frozen=True, slots=True)
class HostSecrets(WireMessage):
    """To one host or co-host only: the secret their page joins with from now on, and the
    room's current co-host secret (for the co-host link). Sent when a hand-over, a removal or
    a demotion made the secrets they held worthless."""

    TYPE: ClassVar[str] = "host_secrets"
    secret: Annotated[str, Wire(16, 128)] = field(repr=False)
    cohost_secret: Annotated[str, Wire(16, 128)] = field(repr=False)


@dataclass(frozen=True, slots=True)
class PasswordGuessing(WireMessage):
    """To hosts: so many wrong passwords came that the lobby switched itself on."""

    TYPE: ClassVar[str] = "password_guessing"


@dataclass(frozen=True, slots=True)
class RoomUpdated(WireMessage):
    TYPE: ClassVar[str] = "room_updated"
    room: RoomInfo


@dataclass(frozen=True, slots=True)
class MutedByHost(WireMessage):
    TYPE: ClassVar[str] = "muted_by_host"


@dataclass(frozen=True, slots=True)
class UnmuteAllowed(WireMessage):
    TYPE: ClassVar[str] = "unmute_allowed"


@dataclass(frozen=True, slots=True)
class VideoStopped(WireMessage):
    TYPE: ClassVar[str] = "video_stopped"
    source: VideoSource


@dataclass(frozen=True, slots=True)
class Removed(WireMessage):
    TYPE: ClassVar[str] = "removed"


@dataclass(frozen=True, slots=True)
class ConversationEnded(WireMessage):
    TYPE: ClassVar[str] = "conversation_ended"


@dataclass(frozen=True, slots=True)
class MeetingEnded(WireMessage):
    """The meeting is over for everyone. ``deleted`` is true when a host deleted the room as
    well, and left out otherwise (never false: one way to say each)."""

    TYPE: ClassVar[str] = "meeting_ended"
    deleted: Annotated[bool | None, Key(null=False)] = None

    def check(self) -> None:
        if self.deleted is False:
            raise ProtocolError(ErrorCode.BAD_MESSAGE, "meeting_ended.deleted is true or absent.")
