"""One signaling socket from the client's side: typed messages out, typed messages in.

Every frame the server sends is read by the protocol's own parser (``klingel.protocol``), so a
client sees exactly the messages the server's tests vouch for, and a server that sends anything
else is caught at once. Requests that have an answer (``join``, ``publish``, ``subscribe``,
``ping``) return it, or raise ``Refused`` with the server's error code.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping, Sequence

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Origin

from klingel.client.errors import Disconnected, Ended, Refused, SignalingError
from klingel.client.pairing import PendingRequests
from klingel.client.url import SignalingAddress
from klingel.protocol.broadcast import Watch, Watching
from klingel.protocol.codec import decode_frame, encode_frame
from klingel.protocol.errors import KlingelError
from klingel.protocol.messages import (
    PROTOCOL_VERSION,
    ClientMessage,
    Join,
    Joined,
    Leave,
    Ping,
    Pong,
    Publish,
    PublishAnswer,
    ServerMessage,
    Subscribe,
    SubscribeAnswer,
    parse_server_message,
)
from klingel.protocol.moderation import Waiting
from klingel.protocol.objects import StreamRequest, TrackInfo

__all__ = [
    "Disconnected",
    "Ended",
    "MessageHandler",
    "Refused",
    "SignalingClient",
    "SignalingError",
    "decode_server_frame",
]

logger = logging.getLogger(__name__)

MessageHandler = Callable[[ServerMessage], None]

PING_SECONDS = 10.0
"""As the browser client: the server closes a joined socket that is silent for 45 s, and 30 s
later the participant is gone, media connections and all."""
MAX_RECEIVED_FRAME = 2**20
"""Larger than any frame the protocol allows: an oversized frame reaches the parser and is
reported as such, instead of closing the socket with 1009."""


def decode_server_frame(frame: str | bytes) -> ServerMessage:
    """One frame the server sent, as its typed message; ``ProtocolError`` if it is not one."""
    return parse_server_message(decode_frame(frame))


class SignalingClient:
    """One open signaling socket. Open it with ``connect``, end it with ``leave`` or ``close``.

    Every message the server sends goes to ``on_message``, in order, and before a request it
    answers returns: the handler's view of the room is up to date when the answer is used.
    A ``ping`` goes out every ``ping_every`` seconds (its ``pong`` reaches the handler), so a
    participant who only watches stays in the room; None leaves pinging to the caller.
    """

    def __init__(
        self,
        socket: ClientConnection,
        on_message: MessageHandler,
        *,
        request_timeout: float,
        ping_every: float | None = PING_SECONDS,
    ) -> None:
        self.request_timeout = request_timeout
        self._socket = socket
        self._on_message = on_message
        self._pending = PendingRequests()
        loop = asyncio.get_running_loop()
        self._ended: asyncio.Future[SignalingError] = loop.create_future()
        self._reader = loop.create_task(self._read(), name="signaling-reader")
        self._keepalive = (
            loop.create_task(self._keep_alive(ping_every), name="signaling-ping")
            if ping_every is not None
            else None
        )

    @classmethod
    async def connect(
        cls,
        base_url: str,
        on_message: MessageHandler,
        *,
        request_timeout: float = 15.0,
        ping_every: float | None = PING_SECONDS,
        additional_headers: Mapping[str, str] | None = None,
    ) -> SignalingClient:
        """Open the socket of the server at ``base_url`` (``https://klingel.example``)."""
        address = SignalingAddress.of(base_url)
        socket = await connect(
            address.url,
            origin=Origin(address.origin),
            open_timeout=request_timeout,
            max_size=MAX_RECEIVED_FRAME,
            additional_headers=additional_headers,
        )
        return cls(socket, on_message, request_timeout=request_timeout, ping_every=ping_every)

    @property
    def is_open(self) -> bool:
        return not self._ended.done()

    async def send(self, message: ClientMessage) -> None:
        """Send a message without waiting for anything."""
        try:
            await self._socket.send(encode_frame(message.to_dict()))
        except ConnectionClosed as closed:
            raise _disconnected(self._socket) from closed

    async def join(
        self,
        room: str,
        name: str,
        *,
        resume: str | None = None,
        host_secret: str | None = None,
        password: str | None = None,
        member: str | None = None,
    ) -> Joined | Waiting:
        """``join`` in this protocol's version: ``joined``, or ``waiting`` in a lobby.
        ``member``: a council member's personal link secret."""
        join = Join(PROTOCOL_VERSION, room, name, resume, host_secret, password, member=member)
        answer = await self._request(join)
        assert isinstance(answer, Joined | Waiting)
        return answer

    async def watch(self, key: str) -> Watching:
        """``watch`` a public broadcast by its viewer key: ``watching``."""
        answer = await self._request(Watch(PROTOCOL_VERSION, key))
        assert isinstance(answer, Watching)
        return answer

    async def publish(self, sdp: str, tracks: Sequence[TrackInfo]) -> PublishAnswer:
        answer = await self._request(Publish(sdp, tuple(tracks)))
        assert isinstance(answer, PublishAnswer)
        return answer

    async def subscribe(self, sdp: str, streams: Sequence[StreamRequest]) -> SubscribeAnswer:
        answer = await self._request(Subscribe(sdp, tuple(streams)))
        assert isinstance(answer, SubscribeAnswer)
        return answer

    async def ping(self) -> Pong:
        answer = await self._request(Ping())
        assert isinstance(answer, Pong)
        return answer

    async def _request(self, message: ClientMessage) -> ServerMessage:
        if self._ended.done():
            raise self._ended.result()
        reply = self._pending.expect(message.TYPE)
        try:
            await self.send(message)
            async with asyncio.timeout(self.request_timeout):
                return await reply
        finally:
            reply.cancel()

    async def closed(self) -> SignalingError:
        """Wait until the socket is gone; why it went."""
        return await asyncio.shield(self._ended)

    async def leave(self) -> None:
        """Say ``leave`` and wait (at most ``request_timeout``) for the server to close."""
        with contextlib.suppress(SignalingError, TimeoutError):
            await self.send(Leave())
            async with asyncio.timeout(self.request_timeout):
                await self.closed()
        await self.close()

    def abort(self) -> None:
        """Lose the socket as a failing network would: no close frame, no ``leave``."""
        self._socket.transport.abort()

    async def close(self) -> None:
        """Close the socket (without ``leave``: the server keeps the seat for a resume)."""
        await self._socket.close()
        await self._reader

    async def _keep_alive(self, interval: float) -> None:
        with contextlib.suppress(SignalingError):
            while True:
                await asyncio.sleep(interval)
                await self.send(Ping())

    async def _read(self) -> None:
        ended: SignalingError = Disconnected("the signaling socket closed")
        try:
            async for frame in self._socket:
                message = decode_server_frame(frame)
                self._on_message(message)
                self._pending.settle(message)
            ended = _disconnected(self._socket)
        except ConnectionClosed:
            ended = _disconnected(self._socket)
        except KlingelError as error:
            logger.warning("The server sent a frame that is not valid protocol: %s", error)
            ended = Disconnected(f"the server sent a frame that is not valid protocol: {error}")
            await self._socket.close()
        except Exception as error:
            logger.exception("Handling a signaling message failed")
            ended = Disconnected(f"handling a message failed: {error!r}")
            await self._socket.close()
        finally:
            if self._keepalive is not None:
                self._keepalive.cancel()
            self._pending.fail_all(ended)
            if not self._ended.done():
                self._ended.set_result(ended)


def _disconnected(socket: ClientConnection) -> Disconnected:
    code, reason = socket.close_code, socket.close_reason or ""
    if code is None:
        return Disconnected("the signaling socket was lost without a close frame")
    why = f"the signaling socket closed with {code}" + (f" ({reason})" if reason else "")
    return Disconnected(why, code, reason)
