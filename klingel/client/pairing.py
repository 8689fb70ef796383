"""Which server message answers which request.

The protocol has no request ids: an answer is known by its type (``joined`` or ``waiting`` for
``join``, ``publish_answer`` for ``publish``, ...), a refusal by the ``ref`` of its ``error``
(the refused message's type). An ``error`` without ``ref`` (the server refuses a frame before
reading it, e.g. ``rate_limited``) belongs to the oldest request waiting. Requests of one type
are answered in the order they were sent, as the server handles one frame after the other.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass

from klingel.client.errors import ENDINGS, Ended, Refused
from klingel.protocol.broadcast import Watch, Watching
from klingel.protocol.messages import (
    Error,
    Join,
    Joined,
    Ping,
    Pong,
    Publish,
    PublishAnswer,
    ServerMessage,
    Subscribe,
    SubscribeAnswer,
)
from klingel.protocol.moderation import Waiting

__all__ = ["ANSWERS", "PendingRequests"]

ANSWERS: Mapping[str, tuple[type[ServerMessage], ...]] = {
    Join.TYPE: (Joined, Waiting),
    Publish.TYPE: (PublishAnswer,),
    Subscribe.TYPE: (SubscribeAnswer,),
    Ping.TYPE: (Pong,),
    Watch.TYPE: (Watching,),
}
"""The requests that have an answer, by type, and the message types that answer them."""


@dataclass(frozen=True, slots=True)
class _Request:
    kind: str
    reply: asyncio.Future[ServerMessage]


class PendingRequests:
    """The requests sent and not answered yet, oldest first."""

    __slots__ = ("_waiting",)

    def __init__(self) -> None:
        self._waiting: list[_Request] = []

    def __len__(self) -> int:
        return sum(not request.reply.done() for request in self._waiting)

    def expect(self, kind: str) -> asyncio.Future[ServerMessage]:
        """Register a request of type ``kind`` before sending it; the future gets its answer,
        or ``Refused`` or ``Ended``. Cancel it to give up waiting."""
        if kind not in ANSWERS:
            raise ValueError(f"{kind} has no answer")
        reply: asyncio.Future[ServerMessage] = asyncio.get_running_loop().create_future()
        self._waiting.append(_Request(kind, reply))
        return reply

    def settle(self, message: ServerMessage) -> bool:
        """Hand ``message`` to the request it answers, if any; True if it did."""
        self._waiting = [request for request in self._waiting if not request.reply.done()]
        if isinstance(message, ENDINGS):
            ended = bool(self._waiting)
            self.fail_all(Ended(message))
            return ended
        request = next((r for r in self._waiting if _answers(message, r.kind)), None)
        if request is None:
            return False
        self._waiting.remove(request)
        if isinstance(message, Error):
            request.reply.set_exception(Refused(message))
        else:
            request.reply.set_result(message)
        return True

    def fail_all(self, error: Exception) -> None:
        """No answer will come any more (the socket closed): every request fails with ``error``."""
        waiting, self._waiting = self._waiting, []
        for request in waiting:
            if not request.reply.done():
                request.reply.set_exception(error)


def _answers(message: ServerMessage, kind: str) -> bool:
    if isinstance(message, Error):
        return message.ref is None or message.ref == kind
    return isinstance(message, ANSWERS[kind])
