"""One room: its participants, their streams, its capacity, and what hosts set on it.

A room made by ``POST /api/rooms`` has host keys and stands in the room store (``record``);
a room that came into being by someone joining a name nobody created has neither, and so
never has a host.
"""

from __future__ import annotations

from collections.abc import Iterator

from klingel.ids import ParticipantId, RoomId, StreamId
from klingel.protocol.errors import ErrorCode, UserError
from klingel.protocol.objects import RoomInfo, StreamInfo
from klingel.rooms.breakouts import Breakouts
from klingel.rooms.broadcast import Broadcast
from klingel.rooms.council_room import CouncilRoom
from klingel.rooms.keys import HostKeys
from klingel.rooms.lobby import Lobby
from klingel.rooms.participant import Participant
from klingel.rooms.password_guard import PasswordGuard
from klingel.rooms.polls import Poll
from klingel.rooms.room_password import RoomPassword
from klingel.rooms.settings import RoomSettings
from klingel.store import StandingRoom

__all__ = ["Room"]


class Room:
    __slots__ = (
        "_banned_tokens",
        "_chat_sequence",
        "_participants",
        "breakouts",
        "broadcast",
        "capacity",
        "council",
        "created_at",
        "id",
        "joins_under_way",
        "keys",
        "lobby",
        "music",
        "password",
        "password_guard",
        "poll",
        "record",
        "settings",
        "was_joined",
    )

    def __init__(
        self,
        id: RoomId,
        capacity: int,
        *,
        keys: HostKeys | None = None,
        settings: RoomSettings | None = None,
        created_at: float = 0.0,
        password: RoomPassword | None = None,
        record: StandingRoom | None = None,
    ) -> None:
        self.id = id
        self.capacity = capacity
        self.keys = keys
        self.settings = settings or RoomSettings()
        self.created_at = created_at
        self.was_joined = False
        self.lobby = Lobby()
        # Every microphone in music mode (docs/music-mode.md): a host's switch for this
        # meeting, not one of the settings a standing room keeps.
        self.music = False
        self._participants: dict[ParticipantId, Participant] = {}
        self._chat_sequence = 0
        self.password = password
        # The room as the store holds it (as last read or written: the base of the next
        # compare-and-set), or None: the room does not stand and lives in memory only.
        self.record = record
        # Joins waiting for the store or a password check: the room is not forgotten under them.
        self.joins_under_way = 0
        self.password_guard = PasswordGuard(created_at)
        self._banned_tokens: set[str] = set()
        # The public side, while a host has it switched on (docs/public-viewing.md).
        self.broadcast: Broadcast | None = None
        self.council: CouncilRoom | None = None
        """The body whose sessions run here, once one of its members joined."""
        self.poll: Poll | None = None
        """A host's poll, open or closed, until a host removes it (memory only)."""
        self.breakouts: Breakouts | None = None
        """The groups a host split the room into, while they last (memory only)."""

    def __len__(self) -> int:
        return len(self._participants)

    def __iter__(self) -> Iterator[Participant]:
        return iter(list(self._participants.values()))

    def __contains__(self, participant: ParticipantId) -> bool:
        return participant in self._participants

    def __repr__(self) -> str:
        return f"Room(participants={len(self._participants)}, waiting={len(self.lobby)})"

    @property
    def is_empty(self) -> bool:
        """Nobody in the room (people may still be waiting in its lobby)."""
        return not self._participants

    @property
    def is_unused(self) -> bool:
        """Nobody in it, nobody waiting, nobody on the way in: the room may be forgotten."""
        return (
            not self._participants
            and not self.lobby
            and not self.joins_under_way
            and self.breakouts is None  # its groups still lead back here
        )

    @property
    def stands(self) -> bool:
        """Whether the room stands in the room store (its changes are written through)."""
        return self.record is not None

    def info(self) -> RoomInfo:
        settings = self.settings
        return RoomInfo(
            id=self.id,
            capacity=self.capacity,
            lobby=settings.lobby,
            locked=settings.locked,
            office_hours=settings.office_hours,
            screen_share_allowed=settings.screen_share_allowed,
            chat_allowed=settings.chat_allowed,
            unmute_allowed=settings.unmute_allowed,
            e2ee=settings.e2ee,
            music=self.music,
            has_password=self.password is not None,
        )

    # --- protection ------------------------------------------------------------------------------

    @property
    def has_password(self) -> bool:
        return self.password is not None

    def set_password(self, password: str | None) -> RoomPassword | None:
        """A host's new password (or none); its stored digest is made afterwards."""
        self.password = None if password is None else RoomPassword.of(password)
        return self.password

    def ban(self, resume_token: str) -> None:
        """A removed participant's token never brings them back while the room lives."""
        self._banned_tokens.add(resume_token)

    def is_banned(self, resume_token: str | None) -> bool:
        return resume_token is not None and resume_token in self._banned_tokens

    def moderators(self) -> list[Participant]:
        return [p for p in self._participants.values() if p.is_moderator]

    # --- participants ----------------------------------------------------------------------------

    def get(self, participant: ParticipantId) -> Participant | None:
        return self._participants.get(participant)

    def add(self, participant: Participant) -> None:
        """Admit a participant; a participant still in their resume grace period counts."""
        if len(self._participants) >= self.capacity:
            raise UserError(ErrorCode.ROOM_FULL, "This room is full.")
        self._participants[participant.id] = participant
        self.was_joined = True

    def remove(self, participant: ParticipantId) -> Participant | None:
        return self._participants.pop(participant, None)

    def others(self, participant: ParticipantId) -> list[Participant]:
        return [other for other in self._participants.values() if other.id != participant]

    def streams(self) -> list[StreamInfo]:
        return [stream for p in self._participants.values() for stream in p.stream_infos()]

    def find_stream(self, stream_id: StreamId) -> StreamInfo | None:
        return next((stream for stream in self.streams() if stream.id == stream_id), None)

    def next_chat_id(self) -> str:
        self._chat_sequence += 1
        return f"c-{self._chat_sequence}"
