"""The council mode's refusals: one exception with a stable, machine-readable code.

Kept apart from the signaling protocol's ``ErrorCode`` because those codes are bound to
docs/protocol.md; the hub maps these to protocol errors when it wires the mode to sockets.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["CouncilCode", "CouncilError", "refuse_beyond"]


class CouncilCode(StrEnum):
    BAD_TEXT = "bad_text"
    BAD_ROSTER = "bad_roster"
    BAD_VALUE = "bad_value"
    TOO_MANY = "too_many"
    UNKNOWN_MEMBER = "unknown_member"
    UNKNOWN_ITEM = "unknown_item"
    UNKNOWN_MOTION = "unknown_motion"
    NO_CURRENT_ITEM = "no_current_item"
    NOT_OPEN = "session_not_open"
    CLOSED = "session_closed"
    PAUSED = "session_paused"
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
    # The clerk's access to a kept body (klingel.rooms.council_bodies)
    FORBIDDEN = "forbidden"
    """No such body, or not its clerk's secret: the two are not told apart."""
    CONFLICT = "conflict"
    """The body changed since the clerk read it (another page of theirs, say)."""
    UNKNOWN_MINUTES = "unknown_minutes"
    UNREADABLE = "body_unreadable"
    """The stored document is not one this version reads: changed from outside."""


class CouncilError(Exception):
    """A refused council action; ``code`` is stable, ``message`` is for people."""

    def __init__(self, code: CouncilCode, message: str) -> None:
        super().__init__(message)
        self.code: str = code
        self.message = message


def refuse_beyond(count: int, limit: int, what: str) -> None:
    """Refuses to grow a collection that already holds ``limit`` entries, so hostile input
    cannot grow memory without end."""
    if count >= limit:
        raise CouncilError(CouncilCode.TOO_MANY, f"At most {limit} {what}.")
