"""Server-made identifiers and secrets: participant, stream and chat ids, resume tokens."""

from __future__ import annotations

import secrets

from klingel.ids import ParticipantId, StreamId

__all__ = ["new_participant_id", "new_resume_token", "new_stream_id", "new_viewer_id"]

_ALPHABET = "abcdefghijklmnopqrstuvwxyz234567"
_ID_LENGTH = 16  # 80 random bits: unique for the server's lifetime without bookkeeping


def _random_suffix() -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(_ID_LENGTH))


def new_participant_id() -> ParticipantId:
    return ParticipantId(f"p-{_random_suffix()}")


def new_stream_id() -> StreamId:
    return StreamId(f"s-{_random_suffix()}")


def new_resume_token() -> str:
    """A bearer secret that lets a dropped socket come back as the same participant."""
    return secrets.token_urlsafe(32)


def new_viewer_id() -> ParticipantId:
    """A viewer's name towards the SFU; the ``w-`` keeps it apart from every participant's."""
    return ParticipantId(f"w-{_random_suffix()}")
