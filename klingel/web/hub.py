"""What happens in rooms: joins, the lobby, leaves, media, chat, and who hears about it.

The hub owns the registry of rooms, the sockets of joined participants and of people waiting
in lobbies, and the ways to the SFU and to the room store. Everything it relays carries the
sender the hub knows from the socket, never one a client claims. Roles come only from a room's
host keys; ``klingel.web.door`` decides who enters, as what. It runs on one event loop; after
each ``await`` it checks again that the participant (or, in a join, the room) is still there.

Host commands are in ``klingel.web.moderation``; they use the hub's sending and removal. The
hub's parts: what browsers offer the SFU (``klingel.web.media_offers``), public broadcasts
(``klingel.web.broadcasting``), council sessions (``klingel.web.council``) and moving rooms to
another node (``klingel.web.room_moves``).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from klingel.ids import ParticipantId, RoomId, StreamId
from klingel.protocol.codec import encode_frame
from klingel.protocol.e2ee import E2eeFrom, E2eeTo
from klingel.protocol.errors import (
    ErrorCode,
    ProtocolError,
    UserError,
)
from klingel.protocol.messages import (
    PROTOCOL_VERSION,
    ChatLine,
    Join,
    Joined,
    ParticipantJoined,
    ParticipantLeft,
    ParticipantUpdated,
    ServerMessage,
    StreamRemoved,
)
from klingel.protocol.moderation import (
    MAX_LOBBY_SIZE,
    HostSecrets,
    LobbyChanged,
    LobbyRing,
    PasswordGuessing,
    QueuePosition,
    RoomUpdated,
    Waiting,
)
from klingel.protocol.objects import IceServer, Role
from klingel.rooms.lobby import WaitingPerson
from klingel.rooms.naming import parse_display_name, parse_room_id
from klingel.rooms.participant import Participant
from klingel.rooms.ratelimit import KeyedRateLimiter, RateLimit
from klingel.rooms.registry import Registry
from klingel.rooms.reserved import ReservedNames
from klingel.rooms.room import Room
from klingel.rooms.standing import StandingRooms, StoredPart
from klingel.sfu.api import (
    MediaBackend,
    MediaEvent,
)
from klingel.turn.ice_servers import TurnRelay
from klingel.web.breakouts import BreakoutRooms
from klingel.web.broadcasting import DEFAULT_MAX_VIEWERS, Broadcasting
from klingel.web.connection import (
    CLOSE_ENDED,
    CLOSE_MOVED,
    CLOSE_NORMAL,
    CLOSE_REPLACED,
    Connection,
)
from klingel.web.council import CouncilMode
from klingel.web.door import RoomDoor
from klingel.web.media_events import MediaEvents
from klingel.web.media_offers import MediaOffers
from klingel.web.media_requests import media_unavailable
from klingel.web.polls import RoomPolls
from klingel.web.publish_layers import PublishedLayers
from klingel.web.reactions import RoomReactions
from klingel.web.room_moves import RoomMoves

__all__ = ["E2EE_LIMIT", "LobbyTicket", "Seat", "SignalingHub"]

logger = logging.getLogger(__name__)

E2EE_LIMIT = RateLimit(rate=5.0, burst=40.0)
"""Key messages per participant: a join or a key change takes a few; nothing needs a stream."""

JOIN_ATTEMPTS = 3
"""A join looks again when the room ended or went from memory while it waited; more than
twice in a row means something keeps ending it."""


@dataclass(frozen=True, slots=True)
class Seat:
    """A joined socket's place: which participant in which room it speaks for."""

    room: Room
    participant: Participant


class LobbyTicket:
    """A socket waiting in a room's lobby. ``seat`` is set when a host lets them in."""

    __slots__ = ("connection", "person", "room", "seat")

    def __init__(self, room: Room, person: WaitingPerson, connection: Connection) -> None:
        self.room = room
        self.person = person
        self.connection = connection
        self.seat: Seat | None = None


class SignalingHub:
    def __init__(
        self,
        registry: Registry,
        media: MediaBackend,
        standing: StandingRooms,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        turn: TurnRelay | None = None,
        reserved: ReservedNames | None = None,
        max_viewers: int = DEFAULT_MAX_VIEWERS,
    ) -> None:
        self._registry = registry
        self._reserved = reserved or ReservedNames()
        self._media = media
        self._standing = standing
        self._clock = clock
        self._wall_clock = wall_clock
        self._turn = turn
        self._connections: dict[ParticipantId, Connection] = {}
        self._tickets: dict[ParticipantId, LobbyTicket] = {}
        self._publish_layers = PublishedLayers()
        self.broadcasting = Broadcasting(self, media, max_viewers)
        self.council = CouncilMode(self, standing, wall_clock)
        self.polls = RoomPolls(self, clock)
        self.moves = RoomMoves(self)
        self.reactions = RoomReactions(self)
        self.breakouts = BreakoutRooms(self)
        self.offers = MediaOffers(self, media, self._publish_layers)
        self._media_events = MediaEvents(self, self._publish_layers)
        self._tasks: set[asyncio.Task[None]] = set()
        self._e2ee_messages = KeyedRateLimiter(E2EE_LIMIT)
        self._door = RoomDoor(registry, standing, self._close_door_after_guessing, clock)

    @property
    def registry(self) -> Registry:
        return self._registry

    @property
    def standing(self) -> StandingRooms:
        return self._standing

    @property
    def clock(self) -> Callable[[], float]:
        return self._clock

    # --- joining and leaving ------------------------------------------------------------------

    async def join(
        self, connection: Connection, message: Join, address: str = ""
    ) -> Seat | LobbyTicket:
        """Admit the socket's participant (new or resumed), or put them in the lobby, and tell
        everyone who needs to know. A standing room that is not in memory is brought back from
        the store first."""
        room_id = parse_room_id(message.room)
        name = parse_display_name(message.name)
        if message.breakout is not None:
            return await self.breakouts.enter(connection, message, room_id, name)
        for _ in range(JOIN_ATTEMPTS):
            place = await self._try_join(connection, message, room_id, name, address)
            if place is not None:
                return place
        raise UserError(ErrorCode.INTERNAL, "The room changed while you joined; try again.")

    async def _try_join(
        self, connection: Connection, message: Join, room_id: RoomId, name: str, address: str
    ) -> Seat | LobbyTicket | None:
        """One attempt; None if the room ended or went from memory while the attempt waited
        (for the store, or for a password check): then look again."""
        existing = self._registry.get(room_id)
        if existing is not None and existing.is_banned(message.resume):
            raise UserError(ErrorCode.REMOVED, "You were removed from this room.")
        resumable = self._registry.resumable(room_id, message.resume)
        if resumable is not None:
            room, participant = resumable
            # The role on record: a secret the page still holds never undoes a demotion or a
            # hand-over that happened meanwhile.
            self._registry.resume(room, participant)
            # A member's name is the roster's, whatever the page sends.
            if participant.council_member is not None:
                name = participant.name
            changed = participant.name != name
            participant.name = name
            return self._seat(connection, room, participant, resumed=True, changed=changed)
        restored = None
        if existing is None:
            restored = await self._standing.find(room_id)
            if self._registry.get(room_id) is not None:
                return None  # another join brought it into memory meanwhile
        stands = existing.stands if existing is not None else restored is not None
        if room_id in self._reserved and not stands:
            # Never a room without a host under the town's name: it waits until the town
            # makes it stand. (Of one deleted in a meeting, those in it may still resume.)
            raise UserError(ErrorCode.ROOM_RESERVED, "This room name is reserved.")
        room = self._registry.open(room_id, self._clock(), restored)
        room.joins_under_way += 1
        try:
            if len(room) == 0:
                await self.broadcasting.come_back(room)
            return await self._enter(connection, room, message, name, address)
        finally:
            room.joins_under_way -= 1
            self._registry.forget_if_unused(room)

    async def _enter(
        self, connection: Connection, room: Room, message: Join, name: str, address: str
    ) -> Seat | LobbyTicket | None:
        if message.member is not None:
            return await self._enter_as_member(connection, room, message.member)
        entry = await self._door.entry(room, message, address)
        if entry is None:
            return None
        if entry.lobby:
            ticket = self._ring(connection, room, name)
            self._standing.note_use(room)
            return ticket
        participant = self._registry.enter(room, name, self._clock(), entry.role)
        if entry.returning and message.resume is not None:
            self._standing.passes.spend(message.resume)
        self._standing.note_use(room)
        return self._seat(connection, room, participant, resumed=False)

    async def _enter_as_member(
        self, connection: Connection, room: Room, secret: str
    ) -> Seat | None:
        """A council member's personal link: past lobby, lock and password, under the
        roster's name; the chair as host."""
        member = await self.council.member_entry(room, secret)
        if self._registry.get(room.id) is not room:
            return None
        role: Role = "host" if member.member.role == "chair" else "guest"
        participant = self._registry.enter(room, member.member.name, self._clock(), role)
        self.council.member_joined(room, participant, member)
        self._standing.note_use(room)
        return self._seat(connection, room, participant, resumed=False)

    def _close_door_after_guessing(self, room: Room) -> None:
        """Too many wrong passwords from everywhere: from now on a host decides who comes in."""
        logger.info("A room's lobby switched on after many wrong passwords")
        room.settings = room.settings.changed(lobby=True)
        self._standing.save_later(room, StoredPart.SETTINGS)
        self.room_changed(room)
        self.send_to(room.moderators(), PasswordGuessing())

    def _seat(
        self,
        connection: Connection,
        room: Room,
        participant: Participant,
        *,
        resumed: bool,
        changed: bool = False,
    ) -> Seat:
        previous = self._connections.get(participant.id)
        replaced = previous is not None and previous is not connection
        if previous is not None and replaced:
            previous.close(CLOSE_REPLACED, "replaced")
            if resumed:
                # The page came back before the server noticed its line was gone (a network
                # switch leaves the old socket half open): the line was lost all the same.
                self.council.line_lost(room, participant)
        self._connections[participant.id] = connection
        connection.send(
            Joined(
                v=PROTOCOL_VERSION,
                you=participant.info(participant.id),
                resume=participant.resume_token,
                resumed=resumed,
                room=room.info(),
                participants=tuple(
                    other.info(participant.id) for other in room.others(participant.id)
                ),
                streams=tuple(room.streams()),
                ice_servers=self.ice_servers(),
            )
        )
        if participant.is_moderator:
            # Right after ``joined``: secrets may have been replaced meanwhile (while this
            # socket was gone, or by a co-host while a host was away); the page keeps the ones
            # that work now, and its co-host link button never hands out a dead link.
            self.send_secrets(room, (participant,))
        if resumed:
            # Nobody else noticed the socket drop; only a new name or role is news.
            if changed:
                self.announce_update(room, participant)
            for message in self._publish_layers.again(participant):
                connection.send(message)
        else:
            self.send_to(room.others(participant.id), ParticipantJoined(participant.info()))
        if participant.is_moderator and room.lobby:
            connection.send(LobbyChanged(room.lobby.entries()))
        self.broadcasting.joined(room, participant)
        self.council.seated(room, participant)
        self.polls.seated(room, participant)
        self.breakouts.seated(room, participant)
        return Seat(room, participant)

    def seat_again(
        self, connection: Connection, room: Room, participant: Participant, name: str
    ) -> Seat:
        """A resumed participant (whose resume the caller accepted) on this socket."""
        changed = participant.name != name
        participant.name = name
        return self._seat(connection, room, participant, resumed=True, changed=changed)

    def seat_new(self, connection: Connection, room: Room, participant: Participant) -> Seat:
        """A participant the caller entered into ``room`` on this socket."""
        self._standing.note_use(room)
        return self._seat(connection, room, participant, resumed=False)

    def send_secrets(self, room: Room, people: Iterable[Participant]) -> None:
        """Each of ``people`` who is a host or co-host of ``room`` learns the secret their page
        joins with from now on, and the co-host secret; nobody else learns either."""
        keys = room.keys
        if keys is None:
            return
        for person in people:
            if room.get(person.id) is not person or not person.is_moderator:
                continue
            own = keys.host if person.role == "host" else keys.cohost
            if own is None or keys.cohost is None:
                # Brought back from the store, which keeps digests only: the page keeps the
                # secrets it holds (they still work: none was replaced since they were known).
                continue
            self.send_to_one(person, HostSecrets(secret=own, cohost_secret=keys.cohost))

    def ice_servers(self) -> tuple[IceServer, ...]:
        """Fresh TURN credentials of this participant's (or viewer's) own, for ``joined`` and
        ``watching`` only: every join, admission, resume and watch gets new ones, and no other
        message ever carries them."""
        if self._turn is None:
            return ()
        entry = self._turn.ice_server(self._wall_clock())
        return (IceServer(urls=entry.urls, username=entry.username, credential=entry.credential),)

    def is_current(self, seat: Seat, connection: Connection) -> bool:
        """Whether this socket still speaks for the seat (not left, not replaced)."""
        return (
            self._connections.get(seat.participant.id) is connection
            and seat.room.get(seat.participant.id) is seat.participant
        )

    def disconnected(self, seat: Seat, connection: Connection) -> None:
        """The socket is gone without ``leave``: the grace period starts, media keeps running."""
        if self._connections.get(seat.participant.id) is not connection:
            return
        del self._connections[seat.participant.id]
        if seat.room.get(seat.participant.id) is seat.participant:
            self._registry.detach(seat.participant, self._clock())
            self.council.line_lost(seat.room, seat.participant)

    async def leave(self, seat: Seat) -> None:
        await self.remove(seat.room, seat.participant)

    async def expire_detached(self) -> int:
        """Remove everyone whose grace period is over; returns how many."""
        self._registry.expire_reservations(self._clock())
        self.breakouts.tick()
        expired = self._registry.expired(self._clock())
        for room, participant in expired:
            await self.remove(room, participant)
        return len(expired)

    async def remove(
        self, room: Room, participant: Participant, farewell: ServerMessage | None = None
    ) -> None:
        """Take a participant out. ``farewell`` (from a host) is their last message and the
        reason their socket closes with ``CLOSE_ENDED``; without it, they left."""
        if self._registry.remove(room, participant.id) is None:
            return
        self._publish_layers.forget(participant.id)
        connection = self._connections.pop(participant.id, None)
        if connection is not None:
            if farewell is None:
                connection.close(CLOSE_NORMAL, "left")
            else:
                connection.send(farewell)
                connection.close(CLOSE_ENDED, farewell.TYPE)
        remaining = list(room)
        for stream in participant.stream_infos():
            self.send_to(remaining, StreamRemoved(stream.id))
        participant.streams.clear()
        self.send_to(remaining, ParticipantLeft(participant.id))
        self.broadcasting.left(room, participant.id)
        self.council.left(room, participant)
        self.breakouts.left(room, participant.id)
        self.polls.left(room, participant)
        await self._release_media(room, participant.id)

    async def close_participant_media(self, room: Room, participant: Participant) -> None:
        """Close someone's media without taking them out (held outside a council item):
        their streams end for everyone, and they publish and subscribe anew when let back."""
        self.end_streams(room, participant)
        try:
            await self._media.remove_participant(room.id, participant.id)
        except Exception as error:
            logger.warning(
                "The SFU could not close a participant's media: %s", type(error).__name__
            )
            logger.debug("SFU close failure", exc_info=True)

    def end_streams(self, room: Room, participant: Participant) -> None:
        """Everyone hears that the participant's streams ended (their media connections are
        gone or going); the participant stays in the room."""
        self._publish_layers.forget(participant.id)
        was_sharing = participant.screen
        for stream in participant.stream_infos():
            self.send_to(room, StreamRemoved(stream.id))
        participant.streams.clear()
        if was_sharing:
            self.announce_update(room, participant)

    def keep_task(self, task: asyncio.Task[None]) -> None:
        """Work nobody waits for, kept until done (the event loop holds tasks weakly)."""
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def connected_ids(self, room: Room) -> list[ParticipantId]:
        """Participants of ``room`` whose socket is attached now."""
        return [person.id for person in room if person.id in self._connections]

    async def _release_media(self, room: Room, participant: ParticipantId) -> None:
        try:
            await self._media.remove_participant(room.id, participant)
            if room.is_empty and self._registry.get(room.id) in (None, room):
                await self._media.close_room(room.id)
        except Exception as error:  # the participant is gone from signaling either way
            logger.warning("The SFU could not release a participant: %s", type(error).__name__)
            logger.debug("SFU release failure", exc_info=True)

    def end_meeting(self, room: Room, farewell: ServerMessage) -> list[Participant]:
        """Everyone in the room and its lobby gets ``farewell`` and is closed; the room is
        gone. Returns who was in it (the caller releases their media)."""
        return self.clear_room(room, farewell, CLOSE_ENDED, farewell.TYPE)

    def clear_room(
        self, room: Room, farewell: ServerMessage | None, code: int, reason: str
    ) -> list[Participant]:
        """Everyone in the room and its lobby gets ``farewell`` (if any) and is closed with
        ``code``; the room is gone from memory. Returns who was in it."""
        for person in room.lobby:
            ticket = self._tickets.pop(person.id, None)
            if ticket is not None:
                if farewell is not None:
                    ticket.connection.send(farewell)
                ticket.connection.close(code, reason)
        self.breakouts.cleared(room)
        participants = self._registry.close(room)
        self.broadcasting.room_ended(room, moved=code == CLOSE_MOVED)
        for participant in participants:
            self._publish_layers.forget(participant.id)
            connection = self._connections.pop(participant.id, None)
            if connection is not None:
                if farewell is not None:
                    connection.send(farewell)
                connection.close(code, reason)
        return participants

    # --- the lobby ----------------------------------------------------------------------------

    def _ring(self, connection: Connection, room: Room, name: str) -> LobbyTicket:
        if len(room.lobby) >= MAX_LOBBY_SIZE:
            raise UserError(ErrorCode.ROOM_FULL, "Too many people are waiting for this room.")
        person = WaitingPerson(self._registry.new_waiting_id(room), name)
        room.lobby.add(person)
        ticket = LobbyTicket(room, person, connection)
        self._tickets[person.id] = ticket
        connection.send(Waiting(v=PROTOCOL_VERSION, office_hours=room.settings.office_hours))
        self.lobby_changed(room)
        self.send_to(room.moderators(), LobbyRing(person.id))
        return ticket

    def ticket(self, room: Room, person: ParticipantId) -> LobbyTicket | None:
        """The ticket of someone waiting in this room's lobby."""
        ticket = self._tickets.get(person)
        return ticket if ticket is not None and ticket.room is room else None

    def admit(self, ticket: LobbyTicket) -> Seat:
        """Let someone in from the lobby: they get the normal ``joined``."""
        room = ticket.room
        participant = self._registry.enter(
            room, ticket.person.name, self._clock(), "guest", ticket.person.id
        )
        room.lobby.take(ticket.person.id)
        self._tickets.pop(ticket.person.id, None)
        ticket.seat = self._seat(ticket.connection, room, participant, resumed=False)
        self.lobby_changed(room)
        return ticket.seat

    def dismiss(self, ticket: LobbyTicket, farewell: ServerMessage | None) -> None:
        """Someone leaves the lobby without getting in: denied (with ``farewell``) or gone."""
        room = ticket.room
        if self._tickets.get(ticket.person.id) is not ticket:
            return
        del self._tickets[ticket.person.id]
        room.lobby.take(ticket.person.id)
        if farewell is None:
            ticket.connection.close(CLOSE_NORMAL, "left")
        else:
            ticket.connection.send(farewell)
            ticket.connection.close(CLOSE_ENDED, farewell.TYPE)
        self.lobby_changed(room)
        self._registry.forget_if_unused(room)

    def lobby_changed(self, room: Room) -> None:
        """Hosts see who waits; in office hours everyone waiting learns their place."""
        self.send_to(room.moderators(), LobbyChanged(room.lobby.entries()))
        if not room.settings.office_hours:
            return
        waiting = list(room.lobby)
        for place, person in enumerate(waiting, start=1):
            ticket = self._tickets.get(person.id)
            if ticket is not None:
                ticket.connection.send(QueuePosition(position=place, length=len(waiting)))

    def lobby_mode_changed(self, room: Room) -> None:
        """Office hours went on or off: everyone waiting hears which screen to show."""
        if not room.lobby:
            return
        notice = Waiting(v=PROTOCOL_VERSION, office_hours=room.settings.office_hours)
        for person in room.lobby:
            ticket = self._tickets.get(person.id)
            if ticket is not None:
                ticket.connection.send(notice)
        self.lobby_changed(room)

    def room_changed(self, room: Room) -> None:
        self.send_to(room, RoomUpdated(room.info()))

    # --- what a joined participant says -------------------------------------------------------

    def set_media_state(self, seat: Seat, audio: bool, video: bool) -> None:
        # Muted by a host means silent for everyone, whatever the client says.
        seat.participant.audio = audio and not seat.participant.muted_by_host
        seat.participant.video = video
        self.announce_update(seat.room, seat.participant)
        self.council.media_changed(seat.room, seat.participant)

    def set_hand(self, seat: Seat, raised: bool) -> None:
        seat.participant.hand = raised
        self.announce_update(seat.room, seat.participant)

    def set_music(self, seat: Seat, on: bool) -> None:
        if seat.participant.music != on:
            seat.participant.music = on
            self.announce_update(seat.room, seat.participant)

    def chat(self, seat: Seat, text: str) -> None:
        participant = seat.participant
        self.council.refuse_if_held(seat.room, participant)
        if not participant.is_moderator and not seat.room.settings.chat_allowed:
            raise UserError(ErrorCode.CHAT_NOT_ALLOWED, "A host has switched the chat off.")
        if not participant.chat_bucket.take(self._clock()):
            raise ProtocolError(ErrorCode.RATE_LIMITED, "Too many chat messages.")
        line = ChatLine(
            id=seat.room.next_chat_id(),
            sender=participant.id,
            name=participant.name,
            text=text,
            ts=int(self._wall_clock() * 1000),
        )
        self.send_to(self.council.inside(seat.room), line)

    def relay_e2ee(self, seat: Seat, message: E2eeTo) -> None:
        """Pass an opaque key message on to one joined participant of the same room, or to
        all others. The server cannot read it and never logs it."""
        room, participant = seat.room, seat.participant
        if message.to == participant.id:
            raise ProtocolError(ErrorCode.BAD_MESSAGE, "Not to yourself.")
        if message.to is not None and room.get(message.to) is None:
            raise ProtocolError(ErrorCode.UNKNOWN_PARTICIPANT, "Nobody with this id is here.")
        if not self._e2ee_messages.take(participant.id, self._clock()):
            raise ProtocolError(ErrorCode.RATE_LIMITED, "Too many key messages.")
        relayed = E2eeFrom(sender=participant.id, data=message.data)
        if message.to is None:
            self.send_to(room.others(participant.id), relayed)
        else:
            target = room.get(message.to)
            if target is not None:
                self.send_to_one(target, relayed)

    async def unmute(self, seat: Seat, connection: Connection) -> None:
        """A participant a host muted wants to be heard again."""
        room, participant = seat.room, seat.participant
        if not participant.muted_by_host:
            return
        allowed = room.settings.unmute_allowed or participant.may_unmute
        if not (allowed or participant.is_moderator):
            raise UserError(ErrorCode.UNMUTE_NOT_ALLOWED, "Raise your hand to ask a host.")
        microphone = participant.streams.get("microphone")
        if microphone is not None:
            await self.set_forwarding(room, microphone, True)
        if not self.is_current(seat, connection):
            return
        participant.muted_by_host = False
        participant.may_unmute = False
        self.announce_update(room, participant)

    async def set_forwarding(self, room: Room, stream_id: StreamId, enabled: bool) -> None:
        """Start or stop forwarding one stream to everyone (host mute, stopped video)."""
        try:
            await self._media.set_forwarding(room.id, stream_id, enabled)
        except Exception as error:
            raise media_unavailable(error, "switch forwarding") from None

    async def close_media(self, room: Room) -> None:
        try:
            await self._media.close_room(room.id)
        except Exception as error:
            logger.warning("The SFU could not close a room: %s", type(error).__name__)
            logger.debug("SFU close failure", exc_info=True)

    async def on_media_event(self, event: MediaEvent) -> None:
        await self._media_events.handle(event)

    # --- sending ------------------------------------------------------------------------------

    def send_to(self, participants: Iterable[Participant], message: ServerMessage) -> None:
        """To joined participants only: nobody waiting in a lobby hears room messages."""
        frame = encode_frame(message.to_dict())
        for participant in participants:
            connection = self._connections.get(participant.id)
            if connection is not None:
                connection.send_encoded(frame)

    def send_to_one(self, participant: Participant, message: ServerMessage) -> None:
        self.send_to((participant,), message)

    def announce_update(self, room: Room, participant: Participant) -> None:
        """``participant_updated`` to everyone; only the subject's own copy says ``you``."""
        self.send_to(room.others(participant.id), ParticipantUpdated(participant.info()))
        own = self._connections.get(participant.id)
        if own is not None:
            own.send(ParticipantUpdated(participant.info(participant.id)))

    def close_all(self) -> None:
        for connection in self._connections.values():
            connection.close(1001, "shutdown")
        self._connections.clear()
        for ticket in self._tickets.values():
            ticket.connection.close(1001, "shutdown")
        self._tickets.clear()
