"""The signaling WebSocket (``/ws``): one task reads a socket, frame by frame, in order.

Every frame goes through the strict codec and the message classes; anything refused gets an
``error`` with its stable code, and the codes that close do close (4000, reason = the code).
Before ``joined`` only ``join`` is accepted, and only once. A socket waiting in a lobby may only
``ping`` and ``leave`` until a host lets it in.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from urllib.parse import urlsplit

from starlette.websockets import WebSocket

from klingel.protocol.codec import decode_frame
from klingel.protocol.errors import CLOSE_CODE, ErrorCode, KlingelError, ProtocolError, error_for
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
    Ping,
    Pong,
    Publish,
    Subscribe,
    client_message_type,
    parse_client_message,
)
from klingel.protocol.moderation import Unmute
from klingel.rooms.ratelimit import KeyedRateLimiter, RateLimit, TokenBucket
from klingel.web.connection import Connection
from klingel.web.hub import LobbyTicket, Seat, SignalingHub
from klingel.web.moderation import HostCommands

__all__ = ["MESSAGE_LIMIT", "SignalingEndpoint", "SignalingSession"]

logger = logging.getLogger(__name__)

MESSAGE_LIMIT = RateLimit(rate=30.0, burst=60.0)
"""All messages of one socket."""
CLOSE_POLICY = 1008
WRITER_DRAIN_SECONDS = 5.0
IDLE_TIMEOUT_SECONDS = 45.0
"""Clients ping every 10 s; a joined socket silent this long is dead (its seat may resume)."""


class SignalingSession:
    """The protocol state of one socket: waiting for ``join``, then speaking for a seat."""

    def __init__(
        self,
        hub: SignalingHub,
        connection: Connection,
        join_allowed: Callable[[], bool],
        clock: Callable[[], float] = time.monotonic,
        address: str = "",
    ) -> None:
        self._hub = hub
        self._host_commands = HostCommands(hub)
        self._connection = connection
        self._join_allowed = join_allowed
        self._clock = clock
        self._address = address
        self._bucket = TokenBucket(MESSAGE_LIMIT, clock())
        self._seat: Seat | None = None
        self._ticket: LobbyTicket | None = None

    @property
    def seat(self) -> Seat | None:
        """The seat this socket speaks for, once joined (also after waiting in a lobby)."""
        if self._seat is None and self._ticket is not None and self._ticket.seat is not None:
            self._seat, self._ticket = self._ticket.seat, None
        return self._seat

    @property
    def has_joined(self) -> bool:
        """Joined or waiting in a lobby: the idle timeout applies, not the join timeout."""
        return self.seat is not None or self._ticket is not None

    async def handle_frame(self, frame: str | bytes) -> None:
        """Handle one frame completely (answer, relay or refuse) before the next one."""
        ref: str | None = None
        try:
            if not self._bucket.take(self._clock()):
                raise ProtocolError(ErrorCode.RATE_LIMITED, "Too many messages.")
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

    async def _dispatch(self, message: ClientMessage) -> None:
        seat = self.seat
        if isinstance(message, Join):
            if self.has_joined:
                raise ProtocolError(ErrorCode.ALREADY_JOINED, "This socket has joined already.")
            if not self._join_allowed():
                raise ProtocolError(ErrorCode.RATE_LIMITED, "Too many joins; try again soon.")
            place = self._hub.join(self._connection, message, self._address)
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
                await self._hub.publish(seat, self._connection, message)
            case Subscribe():
                await self._hub.subscribe(seat, self._connection, message)
            case SetLayers():
                await self._hub.set_layers(seat, self._connection, message)
            case MediaState(audio=audio, video=video):
                self._hub.set_media_state(seat, audio, video)
            case Chat(text=text):
                self._hub.chat(seat, text)
            case Hand(raised=raised):
                self._hub.set_hand(seat, raised)
            case Ping():
                self._connection.send(Pong())
            case Leave():
                await self._hub.leave(seat)
            case Unmute():
                await self._hub.unmute(seat, self._connection)
            case _ if isinstance(message, HOST_COMMANDS):
                await self._host_commands.handle(seat, message)

    async def _while_waiting(self, ticket: LobbyTicket, message: ClientMessage) -> None:
        """In the lobby: no room state, no media, no chat; only staying alive or going."""
        match message:
            case Ping():
                self._connection.send(Pong())
            case Leave():
                self._hub.dismiss(ticket, None)
            case _:
                raise ProtocolError(ErrorCode.IN_LOBBY, "Wait until a host lets you in.")

    def socket_lost(self) -> None:
        seat = self.seat
        if seat is not None:
            self._hub.disconnected(seat, self._connection)
        elif self._ticket is not None:
            self._hub.dismiss(self._ticket, None)


def _same_origin(websocket: WebSocket) -> bool:
    """Browsers always send Origin; a page of another site may not drive our sockets."""
    origin = websocket.headers.get("origin")
    if origin is None:
        return True  # not a browser
    host = websocket.headers.get("host", "")
    return urlsplit(origin).netloc.lower() == host.lower()


class SignalingEndpoint:
    """The endpoint of ``/ws``: ``serve`` runs for the lifetime of one socket."""

    def __init__(
        self, hub: SignalingHub, joins_per_address: KeyedRateLimiter, join_timeout: float
    ) -> None:
        self._hub = hub
        self._joins = joins_per_address
        self._join_timeout = join_timeout  # slow or silent clients cannot hold sockets

    async def serve(self, websocket: WebSocket) -> None:
        if not _same_origin(websocket):
            await websocket.close(CLOSE_POLICY)  # before accept: an HTTP 403
            return
        await websocket.accept()
        address = websocket.client.host if websocket.client else ""
        connection = Connection()
        session = SignalingSession(
            self._hub,
            connection,
            lambda: self._joins.take(address, time.monotonic()),
            address=address,
        )
        writer = asyncio.create_task(connection.write_to(websocket))
        try:
            await self._read(websocket, session, connection, writer)
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
    ) -> None:
        while not connection.closing:
            receive = asyncio.ensure_future(websocket.receive())
            # Also wake when the writer ends (it closed the socket, or the socket failed).
            timeout = IDLE_TIMEOUT_SECONDS if session.has_joined else self._join_timeout
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
