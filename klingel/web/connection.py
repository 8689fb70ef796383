"""The sending side of one signaling socket.

Messages are queued and written by the socket's own writer, so a participant who does not read
(or reads slowly) never holds up messages to anyone else. Whoever overflows the queue is
disconnected and may resume.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from dataclasses import dataclass

from starlette.websockets import WebSocket

from klingel.protocol.codec import encode_frame
from klingel.protocol.messages import ServerMessage

__all__ = [
    "CLOSE_ENDED",
    "CLOSE_MOVED",
    "CLOSE_NORMAL",
    "CLOSE_REPLACED",
    "CLOSE_TOO_SLOW",
    "Connection",
]

logger = logging.getLogger(__name__)

CLOSE_NORMAL = 1000
CLOSE_GOING_AWAY = 1001
CLOSE_MOVED = 1012  # the room moved to another node: the client joins again and is placed there
CLOSE_TOO_SLOW = 1013  # "try again later": the client reconnects and resumes
CLOSE_REPLACED = 4001  # the participant resumed on another socket
CLOSE_ENDED = 4002  # a host ended this socket's stay (reason: the message that said why)
MAX_QUEUED_FRAMES = 512


@dataclass(frozen=True, slots=True)
class _Close:
    code: int
    reason: str


class Connection:
    __slots__ = ("_closing", "_queue", "_wakeup")

    def __init__(self) -> None:
        self._queue: deque[str | _Close] = deque()
        self._wakeup = asyncio.Event()
        self._closing = False

    @property
    def closing(self) -> bool:
        return self._closing

    def send(self, message: ServerMessage) -> None:
        self.send_encoded(encode_frame(message.to_dict()))

    def send_encoded(self, frame: str) -> None:
        """Queue an already encoded frame (one encoding for a whole room)."""
        if self._closing:
            return
        if len(self._queue) >= MAX_QUEUED_FRAMES:
            logger.info("Disconnecting a client that does not read its messages")
            self._queue.clear()
            self.close(CLOSE_TOO_SLOW, "too_slow")
            return
        self._queue.append(frame)
        self._wakeup.set()

    def close(self, code: int = CLOSE_NORMAL, reason: str = "") -> None:
        """Close after the frames queued so far have been written."""
        if self._closing:
            return
        self._closing = True
        self._queue.append(_Close(code, reason))
        self._wakeup.set()

    async def write_to(self, websocket: WebSocket) -> None:
        """Write queued frames until the connection is closed; then close the socket."""
        while True:
            await self._wakeup.wait()
            self._wakeup.clear()
            while self._queue:
                item = self._queue.popleft()
                if isinstance(item, _Close):
                    await websocket.close(item.code, item.reason)
                    return
                await websocket.send_text(item)
