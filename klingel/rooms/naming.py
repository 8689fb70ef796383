"""Room ids, room-name slugs and display names: what a person may type, and what we make.

A one-click room id is 26 characters of lower-case base32 (130 bits from ``secrets``): far too
many to guess. A typed room name becomes a slug, which is as guessable as the name itself.
"""

from __future__ import annotations

import re
import secrets
import unicodedata

from klingel.ids import RoomId
from klingel.protocol.errors import ErrorCode, ProtocolError, UserError

__all__ = [
    "MAX_DISPLAY_NAME_LENGTH",
    "MAX_SLUG_LENGTH",
    "ONE_CLICK_ALPHABET",
    "ONE_CLICK_LENGTH",
    "is_room_id",
    "new_room_id",
    "parse_denial_message",
    "parse_display_name",
    "parse_room_id",
    "slugify",
]

ONE_CLICK_ALPHABET = "abcdefghijklmnopqrstuvwxyz234567"
ONE_CLICK_LENGTH = 26
MAX_SLUG_LENGTH = 64
MAX_DISPLAY_NAME_LENGTH = 64

# A one-click id is itself a valid slug, so one pattern covers both kinds of room id.
_ROOM_ID = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?")
_GERMAN_LETTERS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})
_NOT_SLUG = re.compile(r"[^a-z0-9]+")
# Control, format (bidi overrides, zero-width), line/paragraph separators, and lone surrogates.
_FORBIDDEN_NAME_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs"})


def new_room_id() -> RoomId:
    """A fresh one-click room id: 26 characters, 5 random bits each."""
    return RoomId("".join(secrets.choice(ONE_CLICK_ALPHABET) for _ in range(ONE_CLICK_LENGTH)))


def is_room_id(text: str) -> bool:
    return _ROOM_ID.fullmatch(text) is not None


def parse_room_id(text: str) -> RoomId:
    if not is_room_id(text):
        raise UserError(ErrorCode.BAD_ROOM, "This room name is not allowed.")
    return RoomId(text)


def slugify(name: str) -> str:
    """The slug of a typed room name ("Musikschule Geige" -> "musikschule-geige").

    May be empty when the name holds no letter or digit; the caller refuses that. The same
    rules as ``slugify`` in ``klingel/static/js/slug.js``: the start page makes a slug of a
    typed name there, the server of a typed room path here (``tests/fixtures/slugs.json``).
    """
    lowered = name.lower().translate(_GERMAN_LETTERS)
    # Only ASCII letters and digits stay; "é" and friends become "-" like any other character.
    slug = _NOT_SLUG.sub("-", lowered).strip("-")
    return slug[:MAX_SLUG_LENGTH].rstrip("-")


def parse_display_name(text: str) -> str:
    """A display name as it will be shown (as plain text): trimmed, 1-64 characters."""
    name = text.strip()
    if not 1 <= len(name) <= MAX_DISPLAY_NAME_LENGTH:
        raise UserError(ErrorCode.BAD_NAME, "A name has 1 to 64 characters.")
    if any(unicodedata.category(char) in _FORBIDDEN_NAME_CATEGORIES for char in name):
        raise UserError(ErrorCode.BAD_NAME, "A name may not hold control characters.")
    return name


def parse_denial_message(text: str | None) -> str | None:
    """A host's short note to someone they did not let in: plain text, one paragraph."""
    if text is None or not (note := text.strip()):
        return None
    if any(unicodedata.category(char) in _FORBIDDEN_NAME_CATEGORIES for char in note):
        raise ProtocolError(ErrorCode.BAD_MESSAGE, "The message may not hold control characters.")
    return note
