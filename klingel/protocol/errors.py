"""The stable error codes of the signaling protocol (docs/protocol.md, section Errors).

Two kinds, as the document defines them: a protocol error means the client is broken, a user
error is to be shown to the person. Some codes also close the socket.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = [
    "CLOSE_CODE",
    "COUNCIL_ERRORS",
    "ErrorCode",
    "KlingelError",
    "ProtocolError",
    "UserError",
    "error_for",
]

CLOSE_CODE = 4000
"""WebSocket close code used when an error closes the socket; the reason is the error code."""


class ErrorCode(StrEnum):
    BAD_JSON = "bad_json"
    DUPLICATE_KEY = "duplicate_key"
    TOO_LARGE = "too_large"
    TOO_DEEP = "too_deep"
    BAD_NUMBER = "bad_number"
    UNKNOWN_TYPE = "unknown_type"
    BAD_MESSAGE = "bad_message"
    NOT_JOINED = "not_joined"
    ALREADY_JOINED = "already_joined"
    UNSUPPORTED_VERSION = "unsupported_version"
    BAD_SDP = "bad_sdp"
    TOO_MANY_CANDIDATES = "too_many_candidates"
    UNKNOWN_STREAM = "unknown_stream"
    RATE_LIMITED = "rate_limited"
    BAD_ROOM = "bad_room"
    BAD_NAME = "bad_name"
    ROOM_FULL = "room_full"
    SERVER_FULL = "server_full"
    MEDIA_UNAVAILABLE = "media_unavailable"
    INTERNAL = "internal"
    IN_LOBBY = "in_lobby"
    UNKNOWN_PARTICIPANT = "unknown_participant"
    NOT_HOST = "not_host"
    NOT_WAITING = "not_waiting"
    NOT_ALLOWED = "not_allowed"
    PASSWORD_REQUIRED = "password_required"
    WRONG_PASSWORD = "wrong_password"
    PASSWORD_TOO_SHORT = "password_too_short"
    ROOM_LOCKED = "room_locked"
    REMOVED = "removed"
    SCREEN_SHARE_NOT_ALLOWED = "screen_share_not_allowed"
    CHAT_NOT_ALLOWED = "chat_not_allowed"
    UNMUTE_NOT_ALLOWED = "unmute_not_allowed"
    STORE_UNAVAILABLE = "store_unavailable"
    NOT_SAVED = "not_saved"
    ROOM_RESERVED = "room_reserved"
    UNKNOWN_BROADCAST = "unknown_broadcast"
    # Polls (docs/protocol.md, Polls).
    BAD_POLL = "bad_poll"
    POLL_RUNNING = "poll_running"
    NO_POLL = "no_poll"
    POLL_CLOSED = "poll_closed"
    POLL_IN_COUNCIL = "poll_in_council"
    # Breakout rooms (docs/breakouts.md).
    BREAKOUT_OVER = "breakout_over"
    NOT_YOUR_GROUP = "not_your_group"
    BREAKOUTS_RUNNING = "breakouts_running"
    NO_BREAKOUTS = "no_breakouts"
    BREAKOUTS_NOT_HERE = "breakouts_not_here"
    # The council mode (docs/council.md): each is the council domain's code of the same name.
    MEMBER_LINK_INVALID = "member_link_invalid"
    NOT_MEMBER = "not_member"
    NOT_CHAIR = "not_chair"
    NO_COUNCIL = "no_council"
    HELD = "held"
    UNKNOWN_MEMBER = "unknown_member"
    UNKNOWN_ITEM = "unknown_item"
    UNKNOWN_MOTION = "unknown_motion"
    NO_CURRENT_ITEM = "no_current_item"
    SESSION_NOT_OPEN = "session_not_open"
    SESSION_CLOSED = "session_closed"
    SESSION_PAUSED = "session_paused"
    NO_QUORUM = "no_quorum"
    VOTE_RUNNING = "vote_running"
    NO_VOTE = "no_vote"
    VOTE_CLOSED = "vote_closed"
    NOT_ELIGIBLE = "not_eligible"
    BIASED = "biased"
    SECRET_WITH_REMOTE = "secret_with_remote"
    SECRET_BALLOT = "secret_ballot"
    HALL_COUNTS = "hall_counts"
    ALREADY_LISTED = "already_listed"
    NOT_LISTED = "not_listed"
    NO_SPEAKER = "no_speaker"

    @property
    def is_user_error(self) -> bool:
        return self in _USER_ERRORS

    @property
    def closes(self) -> bool:
        return self in _CLOSING_ERRORS


COUNCIL_ERRORS = frozenset(
    code
    for code in ErrorCode
    if list(ErrorCode).index(code) >= list(ErrorCode).index(ErrorCode.MEMBER_LINK_INVALID)
)
"""The council mode's codes: all of them are to be shown to the person."""

_USER_ERRORS = frozenset(
    {
        ErrorCode.BAD_ROOM,
        ErrorCode.BAD_NAME,
        ErrorCode.ROOM_FULL,
        ErrorCode.SERVER_FULL,
        ErrorCode.MEDIA_UNAVAILABLE,
        ErrorCode.INTERNAL,
        ErrorCode.NOT_HOST,
        ErrorCode.NOT_WAITING,
        ErrorCode.NOT_ALLOWED,
        ErrorCode.PASSWORD_REQUIRED,
        ErrorCode.WRONG_PASSWORD,
        ErrorCode.PASSWORD_TOO_SHORT,
        ErrorCode.ROOM_LOCKED,
        ErrorCode.REMOVED,
        ErrorCode.SCREEN_SHARE_NOT_ALLOWED,
        ErrorCode.CHAT_NOT_ALLOWED,
        ErrorCode.UNMUTE_NOT_ALLOWED,
        ErrorCode.STORE_UNAVAILABLE,
        ErrorCode.NOT_SAVED,
        ErrorCode.ROOM_RESERVED,
        ErrorCode.UNKNOWN_BROADCAST,
        ErrorCode.BAD_POLL,
        ErrorCode.POLL_RUNNING,
        ErrorCode.NO_POLL,
        ErrorCode.POLL_CLOSED,
        ErrorCode.POLL_IN_COUNCIL,
        ErrorCode.BREAKOUT_OVER,
        ErrorCode.NOT_YOUR_GROUP,
        ErrorCode.BREAKOUTS_RUNNING,
        ErrorCode.NO_BREAKOUTS,
        ErrorCode.BREAKOUTS_NOT_HERE,
        *COUNCIL_ERRORS,
    }
)

_CLOSING_ERRORS = frozenset(
    {
        ErrorCode.TOO_LARGE,
        ErrorCode.UNSUPPORTED_VERSION,
        ErrorCode.BAD_ROOM,
        ErrorCode.BAD_NAME,
        ErrorCode.ROOM_FULL,
        ErrorCode.SERVER_FULL,
        ErrorCode.PASSWORD_REQUIRED,
        ErrorCode.WRONG_PASSWORD,
        ErrorCode.ROOM_LOCKED,
        ErrorCode.REMOVED,
        ErrorCode.STORE_UNAVAILABLE,
        ErrorCode.ROOM_RESERVED,
        ErrorCode.UNKNOWN_BROADCAST,
        ErrorCode.BREAKOUT_OVER,
        ErrorCode.NOT_YOUR_GROUP,
        ErrorCode.MEMBER_LINK_INVALID,
    }
)


class KlingelError(Exception):
    """A refused message. ``ref`` is the refused message's type when it could be read."""

    def __init__(self, code: ErrorCode, message: str, ref: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.ref = ref

    @property
    def closes(self) -> bool:
        return self.code.closes

    def with_ref(self, ref: str | None) -> KlingelError:
        """The same error naming the refused message's type, unless it already names one."""
        if self.ref is not None or ref is None:
            return self
        return error_for(self.code, self.message, ref)


class ProtocolError(KlingelError):
    """The client is broken: it sent something the protocol does not allow."""


class UserError(KlingelError):
    """Something to show to the person (a bad name, a full room, ...)."""


def error_for(code: ErrorCode, message: str, ref: str | None = None) -> KlingelError:
    """The error of the right kind for ``code``."""
    kind = UserError if code.is_user_error else ProtocolError
    return kind(code, message, ref)
