"""One person in a room, as the server knows them."""

from __future__ import annotations

from klingel.ids import ParticipantId, StreamId
from klingel.protocol.objects import SOURCE_KIND, ParticipantInfo, Role, StreamInfo, VideoSource
from klingel.rooms.ratelimit import RateLimit, TokenBucket
from klingel.sfu.api import TrackSource

__all__ = ["CHAT_LIMIT", "Participant"]

CHAT_LIMIT = RateLimit(rate=3.0, burst=10.0)


class Participant:
    """Mutable state of one participant. ``detached_since`` is set while their socket is gone
    and they may still resume.

    ``muted_by_host``: a host muted them; their microphone is not forwarded until they unmute,
    which they may only when the room allows it or a host let them (``may_unmute``).
    ``stopped_sources``: video a host stopped; it stays unforwarded until they end that track.
    """

    __slots__ = (
        "audio",
        "chat_bucket",
        "council_member",
        "detached_since",
        "hand",
        "id",
        "may_unmute",
        "music",
        "muted_by_host",
        "name",
        "public_shown",
        "resume_token",
        "role",
        "stopped_sources",
        "streams",
        "video",
    )

    def __init__(
        self,
        id: ParticipantId,
        name: str,
        resume_token: str,
        now: float,
        role: Role = "guest",
    ) -> None:
        self.id = id
        self.name = name
        # Their own choice: may the public see and hear them when the room is broadcast.
        self.public_shown = True
        self.council_member: str | None = None
        """The member of the council or committee whose personal link this participant
        joined by; None for everyone else (guests never vote, never count)."""
        self.resume_token = resume_token
        self.role: Role = role
        self.muted_by_host = False
        self.may_unmute = False
        self.stopped_sources: set[VideoSource] = set()
        self.audio = False
        self.video = False
        self.hand = False
        self.music = False
        self.streams: dict[TrackSource, StreamId] = {}
        self.detached_since: float | None = None
        # Kept with the participant, not the socket: reconnecting does not refill it.
        self.chat_bucket = TokenBucket(CHAT_LIMIT, now)

    @property
    def is_moderator(self) -> bool:
        """Hosts and co-hosts may do every host action."""
        return self.role != "guest"

    @property
    def screen(self) -> bool:
        return "screen" in self.streams

    def info(self, viewer: ParticipantId | None = None) -> ParticipantInfo:
        """How ``viewer`` sees this participant (``you`` is true only in their own entry)."""
        return ParticipantInfo(
            id=self.id,
            name=self.name,
            audio=self.audio,
            video=self.video,
            screen=self.screen,
            hand=self.hand,
            you=viewer == self.id,
            role=self.role,
            muted_by_host=self.muted_by_host,
            music=self.music,
        )

    def stream_infos(self) -> list[StreamInfo]:
        return [
            StreamInfo(id=stream_id, participant=self.id, kind=SOURCE_KIND[source], source=source)
            for source, stream_id in self.streams.items()
        ]
