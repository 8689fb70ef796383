"""Music mode asked of one participant by a host (docs/music-mode.md). A host cannot switch
someone else's microphone: the server passes the host's wish to that participant's page, which
switches its own music mode and says so with its ``music`` message, like everyone's switch."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from klingel.protocol.objects import ParticipantRef
from klingel.protocol.wire import WireMessage

__all__ = ["MusicByHost", "MusicFor"]


@dataclass(frozen=True, slots=True)
class MusicFor(WireMessage):
    """A host or co-host switches music mode on or off for one participant."""

    TYPE: ClassVar[str] = "music_for"
    id: ParticipantRef
    on: bool


@dataclass(frozen=True, slots=True)
class MusicByHost(WireMessage):
    """To that participant only: a host switched their music mode."""

    TYPE: ClassVar[str] = "music_by_host"
    on: bool
