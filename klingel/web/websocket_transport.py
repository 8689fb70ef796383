"""The WebSocket protocol of the web process: uvicorn's, with bounds on what a client can make
the server hold.

uvicorn answers every PING at once, whether or not the client reads: a client that sends pings
and never reads makes the server queue the PONGs without end (3 sockets of 263 MB of pings took
the process from 43 to 782 MB), before ``join`` as well as after. Here:

- control frames are counted: ``PING_LIMIT`` per socket; a flood gets close 1008 and the
  connection is dropped shortly after;
- a watchdog drops a connection whose unsent output passes ``MAX_UNSENT_BYTES``, or that stays
  unsent for ``STUCK_SECONDS`` once the connection is closing (closing waits for the client
  to read, which a hostile client never does).

Messages of the application are not affected: their writes wait for the transport to drain
(``pause_writing``), and ``klingel.web.connection`` bounds what queues behind them.

It also ends a handshake that the application refused with an HTTP answer (429, 400) without
uvicorn's "returned without completing handshake" error line, so refusals cost no log.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

from klingel.rooms.ratelimit import RateLimit, TokenBucket

__all__ = [
    "MAX_UNSENT_BYTES",
    "PING_LIMIT",
    "STUCK_SECONDS",
    "SignalingWebSocketProtocol",
]

logger = logging.getLogger(__name__)

PING_LIMIT = RateLimit(rate=1.0, burst=20.0)
"""PING frames per socket: browsers send none (the client pings in JSON every 10 s); a few
from tools and proxies are fine."""
MAX_UNSENT_BYTES = 1024 * 1024
"""Output waiting for the client, at most: the application's writes wait while more than the
transport's high-water mark (64 KiB) waits, so only its largest frame (256 KiB) comes on top."""
STUCK_SECONDS = 10.0
"""How long a closing connection may keep unsent output before it is dropped."""
WATCH_SECONDS = 2.0
CLOSE_POLICY = 1008
FLOOD_DROP_SECONDS = 1.0


class SignalingWebSocketProtocol(WebSocketsSansIOProtocol):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._pings = TokenBucket(PING_LIMIT, self.loop.time())
        self._closing_since: float | None = None
        self._watchdog: asyncio.TimerHandle | None = None
        self._flooded = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        self._watchdog = self.loop.call_later(WATCH_SECONDS, self._watch)

    def connection_lost(self, exc: Exception | None) -> None:
        if self._watchdog is not None:
            self._watchdog.cancel()
            self._watchdog = None
        super().connection_lost(exc)

    def handle_ping(self) -> None:
        if self._flooded:
            self.conn.data_to_send()  # the queued PONG is never written
            return
        if not self._pings.take(self.loop.time()):
            self._refuse_flood()
            return
        super().handle_ping()
        self._check_unsent()

    def _refuse_flood(self) -> None:
        """Say why in a close frame, stop reading, and drop the connection soon after."""
        self._flooded = True
        logger.info("Closing a signaling socket that floods control frames")
        self.conn.data_to_send()
        if not self.close_sent and not self.transport.is_closing():
            self.queue.put_nowait({"type": "websocket.disconnect", "code": CLOSE_POLICY})
            self.conn.send_close(CLOSE_POLICY, "rate_limited")
            self.transport.write(b"".join(self.conn.data_to_send()))
            self.close_sent = True
        self.transport.pause_reading()
        self.loop.call_later(FLOOD_DROP_SECONDS, self._drop)

    def _check_unsent(self) -> None:
        if self.transport.get_write_buffer_size() > MAX_UNSENT_BYTES:
            logger.info("Dropping a signaling socket whose client does not read")
            self._drop()

    def _drop(self) -> None:
        if not self.transport.is_closing() or self.transport.get_write_buffer_size() > 0:
            self.transport.abort()

    def _watch(self) -> None:
        self._watchdog = None
        if self.disconnected:
            return
        now = self.loop.time()
        unsent = self.transport.get_write_buffer_size()
        closing = self.close_sent or self.transport.is_closing()
        if closing and unsent > 0:
            if self._closing_since is None:
                self._closing_since = now
            elif now - self._closing_since >= STUCK_SECONDS:
                self.transport.abort()
                return
        else:
            self._closing_since = None
        self._check_unsent()
        if not self.transport.is_closing() or unsent > 0:
            self._watchdog = self.loop.call_later(WATCH_SECONDS, self._watch)

    async def send(self, message: Any) -> None:
        await super().send(message)
        if message["type"] == "websocket.http.response.body" and not message.get("more_body"):
            # An HTTP answer instead of the handshake is a completed handshake too.
            self.handshake_complete = True
