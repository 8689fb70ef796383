"""Shapes that many messages share: nothing but a type, or a type and one participant id."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Self

from klingel.ids import ParticipantId
from klingel.protocol.fields import FieldReader
from klingel.protocol.objects import MAX_ID_LENGTH

__all__ = ["BareMessage", "ParticipantMessage", "field_names", "participant_id"]


def field_names(*names: str) -> frozenset[str]:
    return frozenset(names)


def participant_id(reader: FieldReader) -> ParticipantId:
    """The ``id`` field of a message that names a participant."""
    return ParticipantId(reader.string("id", 1, MAX_ID_LENGTH))


class BareMessage:
    """A message that is nothing but its type. Subclasses are frozen slotted dataclasses."""

    TYPE: ClassVar[str]
    __slots__ = ()

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> Self:
        FieldReader(data, cls.TYPE, field_names("type"))
        return cls()

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.TYPE}


class ParticipantMessage:
    """A message about one participant (or one person waiting), named by ``id``."""

    TYPE: ClassVar[str]
    __slots__ = ()
    id: ParticipantId

    if TYPE_CHECKING:  # each subclass is a dataclass that makes this

        def __init__(self, id: ParticipantId) -> None: ...

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> Self:
        return cls(id=participant_id(FieldReader(data, cls.TYPE, field_names("type", "id"))))

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.TYPE, "id": self.id}
