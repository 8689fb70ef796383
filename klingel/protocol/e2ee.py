"""The relay of end-to-end encryption key messages (docs/e2ee.md), in both directions.

The server never reads ``data``: it is an opaque base64 blob that only the participants can
make sense of (public keys signed with the room secret, media keys wrapped pairwise). It only
checks its shape and size and sets the sender it knows from the socket.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Self

from klingel.ids import ParticipantId
from klingel.protocol.errors import ErrorCode, ProtocolError
from klingel.protocol.fields import FieldReader
from klingel.protocol.objects import MAX_ID_LENGTH

__all__ = ["MAX_E2EE_DATA_LENGTH", "E2eeFrom", "E2eeTo"]

MAX_E2EE_DATA_LENGTH = 4096
"""Characters of base64 in one key message: enough for a batch of wrapped keys."""

_BASE64 = re.compile(r"(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?")


def _data(reader: FieldReader) -> str:
    data = reader.string("data", 4, MAX_E2EE_DATA_LENGTH)
    if _BASE64.fullmatch(data) is None:
        raise ProtocolError(ErrorCode.BAD_MESSAGE, "data is not base64.")
    return data


@dataclass(frozen=True, slots=True)
class E2eeTo:
    """A key message for one participant (``to``) or for everyone else in the room (null)."""

    TYPE: ClassVar[str] = "e2ee"
    to: ParticipantId | None
    data: str = field(repr=False)

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> Self:
        reader = FieldReader(data, cls.TYPE, frozenset({"type", "to", "data"}))
        to = reader.optional_string("to", MAX_ID_LENGTH)
        if to == "":
            raise ProtocolError(ErrorCode.BAD_MESSAGE, "to is empty.")
        return cls(to=None if to is None else ParticipantId(to), data=_data(reader))

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.TYPE, "to": self.to, "data": self.data}


@dataclass(frozen=True, slots=True)
class E2eeFrom:
    """A key message as relayed: the sender is the one the server knows from the socket."""

    TYPE: ClassVar[str] = "e2ee"
    sender: ParticipantId
    data: str = field(repr=False)

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> Self:
        reader = FieldReader(data, cls.TYPE, frozenset({"type", "from", "data"}))
        return cls(
            sender=ParticipantId(reader.string("from", 1, MAX_ID_LENGTH)), data=_data(reader)
        )

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.TYPE, "from": self.sender, "data": self.data}
