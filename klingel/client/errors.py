"""How a signaling exchange fails, seen from the client."""

from __future__ import annotations

from klingel.protocol.errors import ErrorCode
from klingel.protocol.messages import Error
from klingel.protocol.moderation import ConversationEnded, Denied, MeetingEnded, Removed

__all__ = ["ENDINGS", "Disconnected", "Ended", "Ending", "Refused", "SignalingError"]

Ending = Denied | Removed | ConversationEnded | MeetingEnded
ENDINGS = (Denied, Removed, ConversationEnded, MeetingEnded)
"""The messages with which a host ends someone's part; the server closes the socket after them."""


class SignalingError(Exception):
    """A request got no answer: the server refused it, ended our part or the socket is gone."""


class Refused(SignalingError):
    """The server answered with ``error``; ``code`` is its stable error code."""

    def __init__(self, error: Error) -> None:
        super().__init__(f"{error.code}: {error.message}")
        self.error = error

    @property
    def code(self) -> ErrorCode:
        return self.error.code

    @property
    def ref(self) -> str | None:
        """The refused message's type, when the server could read it."""
        return self.error.ref


class Ended(SignalingError):
    """A host ended our part (denied at the door, removed, ...); the socket closes."""

    def __init__(self, ending: Ending) -> None:
        super().__init__(ending.TYPE)
        self.ending = ending


class Disconnected(SignalingError):
    """The socket closed (``code`` and ``reason`` of the close, when one came) or the server
    sent a frame that is not valid protocol."""

    def __init__(self, why: str, code: int | None = None, reason: str = "") -> None:
        super().__init__(why)
        self.code = code
        self.reason = reason
