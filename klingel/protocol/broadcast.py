"""Messages of a room's public side (docs/public-viewing.md) between the server and the
participants: hosts start, pause, pin and renew the viewer link; anyone may keep themselves
out of the broadcast; everyone hears how it stands and how many watch."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, ClassVar, Literal

from klingel.protocol.objects import IceServer, Name, ParticipantRef
from klingel.protocol.wire import Key, Wire, WireMessage

__all__ = [
    "MAX_VIEWER_KEY_LENGTH",
    "BroadcastAction",
    "BroadcastCommand",
    "BroadcastEnded",
    "BroadcastLive",
    "BroadcastPin",
    "BroadcastState",
    "OnStage",
    "PublicConsent",
    "Watch",
    "Watching",
]

MAX_VIEWER_KEY_LENGTH = 64
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
