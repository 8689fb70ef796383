"""The relay of end-to-end encryption key messages (docs/e2ee.md), in both directions.

The server never reads ``data``: it is an opaque base64 blob that only the participants can
make sense of (public keys signed with the room secret, media keys wrapped pairwise). It only
checks its shape and size and sets the sender it knows from the socket.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Annotated, ClassVar

from klingel.protocol.objects import ParticipantRef
from klingel.protocol.wire import Key, TextFormat, Wire, WireMessage

__all__ = ["MAX_E2EE_DATA_LENGTH", "E2eeFrom", "E2eeTo"]

MAX_E2EE_DATA_LENGTH = 4096
"""Characters of base64 in one key message: enough for a batch of wrapped keys."""

_BASE64 = re.compile(r"(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?")
KeyData = Annotated[str, Wire(4, MAX_E2EE_DATA_LENGTH, text_format=TextFormat(_BASE64, "base64"))]


@dataclass(frozen=True, slots=True)
class E2eeTo(WireMessage):
    """A key message for one participant (``to``) or for everyone else in the room (null)."""

    TYPE: ClassVar[str] = "e2ee"
    to: ParticipantRef | None
    data: KeyData = field(repr=False)


@dataclass(frozen=True, slots=True)
class E2eeFrom(WireMessage):
    """A key message as relayed: the sender is the one the server knows from the socket."""

    TYPE: ClassVar[str] = "e2ee"
    sender: Annotated[ParticipantRef, Key("from")]
    data: KeyData = field(repr=False)
