"""The signaling WebSocket (``/ws``): one task reads a socket, frame by frame, in order.

Every frame goes through the strict codec and the message classes; anything refused gets an
``error`` with its stable code, and the codes that close do close (4000, reason = the code).
Before ``joined`` only ``join`` is accepted, and only once. A socket waiting in a lobby may only
``ping`` and ``leave`` until a host lets it in.

Abuse is bounded per socket and per client address (``klingel.rooms.abuse``): open sockets,
joins, messages and chat lines; per socket also the bytes of its frames, since a frame may be
as large as a full room's subscribe offer. A socket whose messages keep being refused as
``rate_limited`` is closed (1008, reason ``rate_limited``); one that does not join in time or
falls silent is closed too (1008, reason ``timeout``). Nobody else notices any of it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from starlette.responses import JSONResponse
from starlette.websockets import WebSocket

from klingel.cluster.seal import FORWARDED_HEADER
from klingel.ids import RoomId
from klingel.protocol.broadcast import Ask, PublicConsent, Watch
from klingel.protocol.codec import MAX_FRAME_BYTES, decode_frame
from klingel.protocol.council import CouncilCommand
from klingel.protocol.e2ee import E2eeTo
from klingel.protocol.errors import (
    CLOSE_CODE,
    ErrorCode,
    KlingelError,
    ProtocolError,
    UserError,
    error_for,
)
from klingel.protocol.layers import SetLayers
from klingel.protocol.messages import (
    HOST_COMMANDS,
    Chat,
    ClientMessage,
    Error,
    Hand,
    Join,
    Leave,
    MediaState,
    Music,
    Ping,
    Pong,
    Publish,
    Subscribe,
    client_message_type,
    parse_client_message,
)
from klingel.protocol.moderation import Unmute
from klingel.protocol.polls import PollClose, PollRemove, PollStart, PollVote
from klingel.protocol.reactions import React
from klingel.rooms.abuse import AddressLimits, SustainedRefusals, address_key
from klingel.rooms.ratelimit import RateLimit, TokenBucket
from klingel.rooms.sdp_work import (
    MAX_PUBLISH_SECTIONS,
    media_sections,
    subscribe_sections_allowed,
)
from klingel.sfu.api import PROGRAMME_SLOTS
from klingel.web.broadcasting import Viewer
from klingel.web.connection import CLOSE_NORMAL, Connection
from klingel.web.forwarding import CLOSE_TRY_AGAIN, forward_socket
from klingel.web.hosts import OriginVerdict, ServedHosts
from klingel.web.hub import LobbyTicket, Seat, SignalingHub
from klingel.web.moderation import HostCommands
from klingel.web.node_routing import NodeRouting, Routed, Upstream, joining_room
from klingel.web.throttled_log import ThrottledLog

__all__ = [
    "BYTE_LIMIT",
    "MESSAGE_LIMIT",
    "ByteBudget",
    "SignalingEndpoint",
    "SignalingSession",
    "SocketPolicy",
]

logger = logging.getLogger(__name__)

MESSAGE_LIMIT = RateLimit(rate=30.0, burst=60.0)
"""All messages of one socket."""
BYTE_LIMIT = RateLimit(rate=512.0 * 1024, burst=2.0 * MAX_FRAME_BYTES)
"""Received frame bytes of one socket: two full-size offers at once, then four a second, far
more than a browser renegotiates. It bounds the JSON (and SDP) a socket makes the server parse
to a quarter of what 30 messages/s of the old 64 KiB frames allowed."""
CLOSE_POLICY = 1008
WRITER_DRAIN_SECONDS = 5.0


@dataclass(frozen=True, slots=True)
class SocketPolicy:
    """How long a socket may take, and how long it may keep being refused."""

    join_seconds: float = 10.0
    """From the handshake to ``join``, whatever the socket sends or half-sends meanwhile."""
    idle_seconds: float = 45.0
    """A joined socket silent this long is dead (clients ping every 10 s; its seat may
    resume)."""
    rate_limited_close_seconds: float = 10.0
    """Refusals as ``rate_limited`` that go on this long close the socket."""


def frame_size(frame: str | bytes) -> int:
    """The frame's size on the wire (UTF-8); measured without encoding when it is ASCII."""
    if isinstance(frame, bytes) or frame.isascii():
        return len(frame)
    return len(frame.encode("utf-8", "surrogatepass"))


class ByteBudget:
    """A token bucket of bytes: ``limit.rate`` bytes per second refill ``limit.burst``."""

    __slots__ = ("_available", "_limit", "_updated")

    def __init__(self, limit: RateLimit, now: float) -> None:
        self._limit = limit
        self._available = limit.burst
        self._updated = now

    def spend(self, size: int, now: float) -> bool:
        """Spend ``size`` bytes if that many are left; a refused frame spends nothing."""
        elapsed = max(0.0, now - self._updated)
        self._available = min(self._limit.burst, self._available + elapsed * self._limit.rate)
        self._updated = now
        if size > self._available:
            return False
        self._available -= size
        return True


class SignalingSession:
    """The protocol state of one socket: waiting for ``join``, then speaking for a seat."""

    def __init__(
        self,
        hub: SignalingHub,
        connection: Connection,
        limits: AddressLimits,
        policy: SocketPolicy = SocketPolicy(),
        clock: Callable[[], float] = time.monotonic,
        address: str = "",
        via: str = "",
    ) -> None:
        self._hub = hub
        self._via = via  # the node that passed this socket on ("" if none did)
        self._host_commands = HostCommands(hub)
        self._connection = connection
        self._limits = limits
        self._clock = clock
        self._address = address
        self._bucket = TokenBucket(MESSAGE_LIMIT, clock())
        self._bytes = ByteBudget(BYTE_LIMIT, clock())
        self._refusals = SustainedRefusals(policy.rate_limited_close_seconds)
        self._seat: Seat | None = None
        self._ticket: LobbyTicket | None = None
        self._viewer: Viewer | None = None

    @property
    def seat(self) -> Seat | None:
        """The seat this socket speaks for, once joined (also after waiting in a lobby)."""
        if self._seat is None and self._ticket is not None and self._ticket.seat is not None:
            self._seat, self._ticket = self._ticket.seat, None
        return self._seat

    @property
    def has_joined(self) -> bool:
        """Joined or waiting in a lobby: the idle timeout applies, not the join timeout."""
        return self.seat is not None or self._ticket is not None or self._viewer is not None

    async def handle_frame(self, frame: str | bytes) -> None:
        """Handle one frame completely (answer, relay or refuse) before the next one."""
        ref: str | None = None
        try:
            now = self._clock()
            # The socket's own bucket first: one flooding socket must not drain its address's.
            if not self._bucket.take(now) or not self._limits.messages.take(self._address, now):
                raise ProtocolError(ErrorCode.RATE_LIMITED, "Too many messages.")
            if not self._bytes.spend(frame_size(frame), now):
                raise ProtocolError(ErrorCode.RATE_LIMITED, "Too many bytes.")
            data = decode_frame(frame)
            ref = client_message_type(data)
            await self._dispatch(parse_client_message(data))
        except KlingelError as error:
            self._refuse(error.with_ref(ref))
        except Exception as error:
            logger.error("Unexpected fault handling a %s message: %s", ref, type(error).__name__)
            logger.debug("Fault details", exc_info=True)
            self._refuse(error_for(ErrorCode.INTERNAL, "Something went wrong.", ref))

    def _refuse(self, error: KlingelError) -> None:
        self._connection.send(Error.of(error))
        if error.closes:
            self._connection.close(CLOSE_CODE, str(error.code))
        elif error.code is ErrorCode.RATE_LIMITED and self._refusals.refused(self._clock()):
            logger.info("Closing a signaling socket that kept exceeding its rate limits")
            self._connection.close(CLOSE_POLICY, str(ErrorCode.RATE_LIMITED))

    async def _dispatch(self, message: ClientMessage) -> None:
        seat = self.seat
        if isinstance(message, Watch):
            if self.has_joined:
                raise ProtocolError(ErrorCode.ALREADY_JOINED, "This socket has joined already.")
            if not self._limits.joins.take(self._address, self._clock()):
                raise ProtocolError(ErrorCode.RATE_LIMITED, "Too many joins; try again soon.")
            self._viewer = self._hub.broadcasting.watch(
                self._connection, message, self._address, via=self._via
            )
            return
        if self._viewer is not None:
            await self._while_watching(self._viewer, message)
            return
        if isinstance(message, Join):
            if self.has_joined:
                raise ProtocolError(ErrorCode.ALREADY_JOINED, "This socket has joined already.")
            if not self._limits.joins.take(self._address, self._clock()):
                raise ProtocolError(ErrorCode.RATE_LIMITED, "Too many joins; try again soon.")
            place = await self._hub.join(self._connection, message, self._address)
            if isinstance(place, Seat):
                self._seat = place
            else:
                self._ticket = place
            return
        if seat is None and self._ticket is not None:
            await self._while_waiting(self._ticket, message)
            return
        if seat is None:
            raise ProtocolError(ErrorCode.NOT_JOINED, "Send join first.")
        if not self._hub.is_current(seat, self._connection):
            return  # replaced by a resumed socket or removed: this one is closing
        match message:
            case Publish():
                await self._spend_sdp_work(message.sdp, MAX_PUBLISH_SECTIONS)
                await self._hub.offers.publish(seat, self._connection, message)
            case Subscribe():
                allowed = subscribe_sections_allowed(len(message.streams))
                await self._spend_sdp_work(message.sdp, allowed)
                await self._hub.offers.subscribe(seat, self._connection, message)
            case SetLayers():
                await self._hub.offers.set_layers(seat, self._connection, message)
            case MediaState(audio=audio, video=video):
                self._hub.set_media_state(seat, audio, video)
            case Chat(text=text):
                self._check_address_chat_rate(seat)
                self._hub.chat(seat, text)
            case Hand(raised=raised):
                self._hub.set_hand(seat, raised)
            case Music(on=on):
                self._hub.set_music(seat, on)
            case React(reaction=reaction):
                self._hub.reactions.react(seat, reaction)
            case Ping():
                self._connection.send(Pong())
            case Leave():
                await self._hub.leave(seat)
            case Unmute():
                await self._hub.unmute(seat, self._connection)
            case E2eeTo():
                self._hub.relay_e2ee(seat, message)
            case PublicConsent(shown=shown):
                self._hub.broadcasting.consent(seat.room, seat.participant, shown)
            case CouncilCommand():
                await self._hub.council.command(seat, message)
            case PollStart() | PollClose() | PollRemove() | PollVote():
                await self._hub.polls.handle(seat, message)
            case _ if isinstance(message, HOST_COMMANDS):
                await self._host_commands.handle(seat, message)

    async def _spend_sdp_work(self, sdp: str, sections_allowed: int) -> None:
        """An offer costs the room's SFU worker in proportion to its size: no more sections
        than the request can use, and the address's offers share a budget (waiting a little
        when it is spent, refused when the wait would be long)."""
        if media_sections(sdp) > sections_allowed:
            raise ProtocolError(
                ErrorCode.BAD_SDP, "The offer has more media sections than its request can use."
            )
        wait = self._limits.sdp.reserve(self._address, frame_size(sdp), self._clock())
        if wait is None:
            raise ProtocolError(ErrorCode.RATE_LIMITED, "Too many offers; try again soon.")
        if wait > 0:
            await asyncio.sleep(wait)

    def _check_address_chat_rate(self, seat: Seat) -> None:
        """The address's chat bucket is spent only by lines the participant's own limit lets
        through: one flooding pupil must not silence a whole class behind the same NAT."""
        now = self._clock()
        if seat.participant.chat_bucket.has_token(now) and not self._limits.chats.take(
            self._address, now
        ):
            raise ProtocolError(ErrorCode.RATE_LIMITED, "Too many chat messages.")

    async def _while_waiting(self, ticket: LobbyTicket, message: ClientMessage) -> None:
        """In the lobby: no room state, no media, no chat; only staying alive or going."""
        match message:
            case Ping():
                self._connection.send(Pong())
            case Leave():
                self._hub.dismiss(ticket, None)
            case _:
                raise ProtocolError(ErrorCode.IN_LOBBY, "Wait until a host lets you in.")

    async def _while_watching(self, viewer: Viewer, message: ClientMessage) -> None:
        """A viewer socket only watches: it subscribes to the programme, pings and leaves."""
        match message:
            case Subscribe():
                await self._spend_sdp_work(message.sdp, len(PROGRAMME_SLOTS))
                await self._hub.broadcasting.subscribe(viewer, message)
            case Ask():
                self._hub.broadcasting.ask(viewer, message)
            case Ping():
                self._connection.send(Pong())
            case Leave():
                self._connection.close(CLOSE_NORMAL, "left")
            case _:
                raise UserError(
                    ErrorCode.NOT_ALLOWED, "Viewers watch; they are not in the meeting."
                )

    def socket_lost(self) -> None:
        if self._viewer is not None:
            self._hub.broadcasting.viewer_gone(self._viewer)
            return
        seat = self.seat
        if seat is not None:
            self._hub.disconnected(seat, self._connection)
        elif self._ticket is not None:
            self._hub.dismiss(self._ticket, None)


class SignalingEndpoint:
    """The endpoint of ``/ws``: ``serve`` runs for the lifetime of one socket."""

    def __init__(
        self,
        hub: SignalingHub,
        limits: AddressLimits,
        policy: SocketPolicy,
        served: ServedHosts | None = None,
        routing: NodeRouting | None = None,
    ) -> None:
        self._hub = hub
        self._routing = routing
        self._limits = limits
        self._policy = policy
        self._served = served or ServedHosts()
        self._malformed = ThrottledLog(
            logger, "Refused %d signaling handshakes with a malformed Origin header"
        )

    async def serve(self, websocket: WebSocket) -> None:
        # Browsers always send Origin; only pages of the hosts we serve may drive our sockets
        # (a client without Origin is no browser, and no page can make it connect).
        origin = websocket.headers.get("origin")
        verdict = OriginVerdict.SERVED if origin is None else self._served.judge(origin)
        if verdict is OriginVerdict.MALFORMED:
            self._malformed.event()
            refusal = JSONResponse({"error": "bad_origin"}, status_code=400)
            await websocket.send_denial_response(refusal)
            return
        if verdict is OriginVerdict.FOREIGN:
            await websocket.close(CLOSE_POLICY)  # before accept: an HTTP 403
            return
        client = websocket.client.host if websocket.client else ""
        via = ""  # the node that passed the socket on, if one did
        sealed = websocket.headers.get(FORWARDED_HEADER)
        if sealed is not None:
            # Another node passed the socket on: the citizen's address is in its seal.
            opened = self._routing.seal.open(sealed) if self._routing is not None else None
            if opened is None:
                await websocket.close(CLOSE_POLICY)
                return
            client, via = opened.address, opened.node
        address = address_key(client)
        if not self._limits.connections.acquire(address):
            # Before accept: refusing costs no socket, and the answer names the reason.
            refusal = JSONResponse({"error": "too_many_connections"}, status_code=429)
            await websocket.send_denial_response(refusal)
            return
        try:
            await websocket.accept()
            join_deadline = time.monotonic() + self._policy.join_seconds
            if self._routing is None:
                await self._serve_here(websocket, address, join_deadline, None)
            else:
                forwarded = sealed is not None
                await self._route(websocket, address, join_deadline, client, forwarded, via)
        finally:
            self._limits.connections.release(address)

    async def _route(
        self,
        websocket: WebSocket,
        address: str,
        join_deadline: float,
        client: str,
        forwarded: bool,
        via: str,
    ) -> None:
        """With several nodes: the first frame names the room; its node serves the socket."""
        assert self._routing is not None
        first = await _first_frame(websocket, join_deadline)
        if first is None:
            with contextlib.suppress(RuntimeError, OSError):
                await websocket.close(CLOSE_POLICY, "timeout")
            return
        target = joining_room(first)
        # Asking Redis costs it a write: only within the address's joins, which the session
        # here (or the room's node) then spends; a refused one is refused by the session here.
        allowed = target is not None and self._limits.joins.allows(address, time.monotonic())
        room = await self._routing.room_of(target) if allowed and target is not None else None
        if room is None:
            await self._serve_here(websocket, address, join_deadline, first, via)
            return
        origin = websocket.headers.get("origin")
        routed = await self._routing.route(room, forwarded, client, origin)
        if isinstance(routed, Upstream):
            self._limits.joins.take(address, time.monotonic())
            await forward_socket(websocket, routed.connection, first)
        elif routed is Routed.HERE and isinstance(target, Watch) and not self._is_held(room):
            # The room's broadcast is coming here with the room, whose node was lost or moved
            # it; until its first participant brings it back, the viewer tries again.
            with contextlib.suppress(RuntimeError, OSError):
                await websocket.close(CLOSE_TRY_AGAIN, "try_again")
        elif routed is Routed.HERE:
            with self._routing.node.joining(room):
                await self._serve_here(websocket, address, join_deadline, first, via)
        else:
            with contextlib.suppress(RuntimeError, OSError):
                await websocket.close(CLOSE_TRY_AGAIN, "try_again")

    def _is_held(self, room_id: RoomId) -> bool:
        """Someone is in the room here (a room only reserved for its creator is not held)."""
        room = self._hub.registry.get(room_id)
        return room is not None and (len(room) > 0 or room.broadcast is not None)

    async def _serve_here(
        self,
        websocket: WebSocket,
        address: str,
        join_deadline: float,
        first: str | bytes | None,
        via: str = "",
    ) -> None:
        connection = Connection()
        session = SignalingSession(
            self._hub, connection, self._limits, self._policy, address=address, via=via
        )
        writer = asyncio.create_task(connection.write_to(websocket))
        try:
            if first is not None:
                await session.handle_frame(first)
            await self._read(websocket, session, connection, writer, join_deadline)
        finally:
            session.socket_lost()
            connection.close()
            try:
                await asyncio.wait_for(writer, timeout=WRITER_DRAIN_SECONDS)
            except Exception as error:  # the peer is gone or stuck: nothing left to tell it
                logger.debug("Signaling socket ended: %s", type(error).__name__)

    async def _read(
        self,
        websocket: WebSocket,
        session: SignalingSession,
        connection: Connection,
        writer: asyncio.Task[None],
        join_deadline: float,
    ) -> None:
        while not connection.closing:
            receive = asyncio.ensure_future(websocket.receive())
            # Until joined, one deadline for the whole socket: frames that are not ``join``
            # (or never complete) do not buy time. Once joined, any frame shows it is alive.
            if session.has_joined:
                timeout = self._policy.idle_seconds
            else:
                timeout = max(0.0, join_deadline - time.monotonic())
            # Also wake when the writer ends (it closed the socket, or the socket failed).
            await asyncio.wait(
                {receive, writer}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED
            )
            if not receive.done():
                receive.cancel()
                if not writer.done():
                    connection.close(CLOSE_POLICY, "timeout")
                return
            event = receive.result()
            if event["type"] == "websocket.disconnect":
                return
            text, data = event.get("text"), event.get("bytes")
            await session.handle_frame(text if text is not None else (data or b""))


async def _first_frame(websocket: WebSocket, join_deadline: float) -> str | bytes | None:
    """The socket's first frame, or None if it ends or says nothing before the deadline."""
    try:
        async with asyncio.timeout(max(0.0, join_deadline - time.monotonic())):
            event = await websocket.receive()
    except TimeoutError:
        return None
    if event["type"] == "websocket.disconnect":
        return None
    text, data = event.get("text"), event.get("bytes")
    return text if text is not None else (data or b"")
