"""Identifiers shared across packages.

They are plain strings on the wire; the ``NewType`` wrappers keep a room id from being passed
where a participant id is expected.
"""

from typing import NewType

__all__ = ["ParticipantId", "RoomId", "StreamId"]

RoomId = NewType("RoomId", str)
"""A room's id: 26 characters of base32 for one-click rooms, or a slug of a typed name."""

ParticipantId = NewType("ParticipantId", str)
"""Server-assigned, random, unique within the server's lifetime."""

StreamId = NewType("StreamId", str)
"""Server-assigned id of one published track (camera video, microphone audio, screen video)."""
