"""How the objects and messages of the protocol are read from JSON and written back.

Each one is a frozen slotted dataclass that declares every field once: its annotation says what
the field holds, and ``Annotated[..., Wire(...)]`` adds what a type cannot say (bounds, a
format), ``Key(...)`` where its key is not the usual one (another name than the camelCase of
the attribute, null refused, null sent). Reading (strict: a field the object does not define, a
missing field, a wrong type or a value out of bounds is ``bad_message``), writing and the test
that binds docs/protocol.md to the code are all derived from that one declaration. Rules that
span fields live in the class's ``check``.

On the wire, a field whose type allows None is null when None, and may be left out when its
default is None (then it is also left out when written, unless ``Key(sent_as_null=True)``).
"""

from __future__ import annotations

import re
import types
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from enum import StrEnum
from typing import (
    Annotated,
    Any,
    ClassVar,
    Literal,
    NewType,
    NoReturn,
    Self,
    TypeVar,
    Union,
    get_args,
    get_origin,
    get_type_hints,
)

from klingel.protocol.errors import ErrorCode, ProtocolError

__all__ = ["Key", "TextFormat", "Wire", "WireMessage", "WireObject", "read_wire", "wire_names"]

_O = TypeVar("_O", bound="WireObject")


@dataclass(frozen=True, slots=True)
class TextFormat:
    """A pattern a string must match in full, and what it is called in an error message."""

    pattern: re.Pattern[str]
    description: str


@dataclass(frozen=True, slots=True)
class Wire:
    """What a field's type does not say about its value: ``low``/``high`` bound a string's
    length, an integer's value or an array's size (``high`` is required for integers and
    arrays); a string may have to match a ``text_format``."""

    low: int = 0
    high: int | None = None
    text_format: TextFormat | None = None


@dataclass(frozen=True, slots=True)
class Key:
    """How a field appears as a key of its object, where that is not the usual.

    ``name``: the key when it is not the camelCase of the attribute. ``null=False``: None only
    stands for the key being left out, JSON null is refused. ``sent_as_null``: a field that may
    be left out is still written, as null, when None.
    """

    name: str | None = None
    null: bool = True
    sent_as_null: bool = False


class WireObject:
    """An object of the protocol; subclasses are frozen slotted dataclasses that name
    themselves with ``NAME`` in error messages."""

    NAME: ClassVar[str]
    _wire_schema: ClassVar[_Schema]
    __slots__ = ()

    @classmethod
    def from_dict(cls, data: object) -> Self:
        """Read one decoded JSON object, or raise ``ProtocolError``."""
        return read_wire(cls, data)

    def to_dict(self) -> dict[str, Any]:
        return _schema(type(self)).write(self)

    def check(self) -> None:
        """Rules that span fields, run after reading; raise ``ProtocolError`` to refuse."""


class WireMessage(WireObject):
    """A message of the protocol: an object with a ``type``, which names it in errors."""

    TYPE: ClassVar[str]
    __slots__ = ()


def read_wire(cls: type[_O], data: object) -> _O:
    """``cls.from_dict`` without the class's own additions (for a class that overrides it)."""
    message: _O = _schema(cls).read(data)
    message.check()
    return message


def wire_names(cls: type[WireObject]) -> tuple[str, ...]:
    """The fields of ``cls`` as named on the wire, ``type`` not included."""
    return tuple(field.key for field in _schema(cls).fields)


# --- the derived schema -----------------------------------------------------------------------

_Read = Callable[[object], object]
_Write = Callable[[Any], object]
_ABSENT = object()


@dataclass(frozen=True, slots=True)
class _Field:
    attribute: str
    key: str
    read: _Read
    write: _Write | None
    null: bool
    omittable: bool
    sent_as_null: bool


class _Schema:
    __slots__ = ("_allowed", "_cls", "_reads", "_required", "_type", "_what", "_writes", "fields")

    def __init__(self, cls: type[WireObject]) -> None:
        self._cls = cls
        self._type = cls.TYPE if issubclass(cls, WireMessage) else None
        self._what = cls.NAME if self._type is None else self._type
        hints = get_type_hints(cls, include_extras=True)
        self.fields = tuple(
            _field(cls, self._what, spec, hints[spec.name])
            for spec in fields(cls)  # type: ignore[arg-type]
        )
        keys = [field.key for field in self.fields]
        if len(set(keys)) != len(keys) or "type" in keys:
            raise TypeError(f"{cls.__name__} names a field twice on the wire.")
        fixed = set() if self._type is None else {"type"}
        self._required = frozenset(
            fixed | {field.key for field in self.fields if not field.omittable}
        )
        self._allowed = frozenset(fixed | set(keys))
        self._reads = tuple((field.key, field.null, field.read) for field in self.fields)
        self._writes = tuple(
            (field.attribute, field.key, field.write, field.omittable and not field.sent_as_null)
            for field in self.fields
        )

    def read(self, data: object) -> Any:
        if not isinstance(data, Mapping):
            _bad(f"{self._what} must be an object.")
        keys = data.keys()
        if not self._required <= keys:
            missing = ", ".join(sorted(self._required - keys))
            _bad(f"{self._what} lacks {missing}.")
        if not keys <= self._allowed:
            _bad(f"{self._what} has a field it does not define.")
        values: list[object] = []
        for key, null, read in self._reads:
            value = data.get(key, _ABSENT)
            if value is _ABSENT or (value is None and null):
                values.append(None)  # only a field whose type allows None gets here
            else:
                values.append(read(value))
        return self._cls(*values)

    def write(self, message: WireObject) -> dict[str, Any]:
        result: dict[str, Any] = {} if self._type is None else {"type": self._type}
        for attribute, key, write, left_out_when_none in self._writes:
            value = getattr(message, attribute)
            if value is None:
                if not left_out_when_none:
                    result[key] = None
            else:
                result[key] = value if write is None else write(value)
        return result


def _schema(cls: type[WireObject]) -> _Schema:
    # Made on first use, when every class the annotations name exists.
    schema = cls.__dict__.get("_wire_schema")
    if schema is None:
        schema = _Schema(cls)
        cls._wire_schema = schema
    return schema


def _field(cls: type, what: str, spec: Any, hint: Any) -> _Field:
    wire, key_spec, nullable, kind = _unpack(hint)
    key = key_spec.name or re.sub(r"_([a-z0-9])", lambda part: part.group(1).upper(), spec.name)
    omittable = spec.default is None
    about_null = omittable or key_spec.sent_as_null or not key_spec.null
    if about_null and not nullable:
        raise TypeError(f"{cls.__name__}.{spec.name} may be left out or null but not None.")
    if key_spec.sent_as_null and not omittable:
        raise TypeError(f"{cls.__name__}.{spec.name} is always sent.")
    read, write = _codec(kind, wire, f"{what}.{key}", f"{cls.__name__}.{spec.name}")
    return _Field(
        spec.name, key, read, write, nullable and key_spec.null, omittable, key_spec.sent_as_null
    )


def _unpack(hint: Any) -> tuple[Wire, Key, bool, Any]:
    """The ``Wire`` and ``Key`` of an annotation, whether it allows None, and the type it holds.

    Nested ``Annotated`` flatten to one with the outer metadata last: the outer one wins.
    """
    wire, key, nullable = Wire(), Key(), False
    while True:
        if get_origin(hint) is Annotated:
            for item in hint.__metadata__:
                wire = item if isinstance(item, Wire) else wire
                key = item if isinstance(item, Key) else key
            hint = hint.__origin__
        elif get_origin(hint) in (Union, types.UnionType) and type(None) in get_args(hint):
            nullable = True
            (hint,) = [arg for arg in get_args(hint) if arg is not type(None)]
        elif isinstance(hint, NewType):
            hint = hint.__supertype__
        else:
            return wire, key, nullable, hint


def _codec(kind: Any, wire: Wire, place: str, declared: str) -> tuple[_Read, _Write | None]:
    """How one value of ``kind`` is read (``place`` names it in errors) and written."""
    if kind is bool:
        return _boolean(place), None
    if kind is int:
        if wire.high is None:
            raise TypeError(f"{declared}: an integer needs Wire(low, high).")
        return _integer(place, wire.low, wire.high), None
    if kind is str:
        return _text(place, wire.low, wire.high, wire.text_format), None
    if get_origin(kind) is Literal:
        return _choice(place, tuple(get_args(kind)), None), None
    if isinstance(kind, type) and issubclass(kind, StrEnum):
        return _choice(place, tuple(kind), kind), _enum_value
    if isinstance(kind, type) and issubclass(kind, WireObject):
        return kind.from_dict, _object_dict
    if get_origin(kind) is tuple and get_args(kind)[1:] == (Ellipsis,):
        if wire.high is None:
            raise TypeError(f"{declared}: an array needs Wire(low, high).")
        # An item may carry its own bounds: ``tuple[Annotated[int, Wire(0, 9)], ...]``.
        item_wire, _, _, item_kind = _unpack(get_args(kind)[0])
        item_read, item_write = _codec(item_kind, item_wire, f"{place}[]", declared)
        return _array(place, wire.low, wire.high, item_read), _list_writer(item_write)
    raise TypeError(f"{declared}: no wire form for {kind!r}.")


def _bad(message: str) -> NoReturn:
    raise ProtocolError(ErrorCode.BAD_MESSAGE, message)


def _boolean(place: str) -> _Read:
    def read(value: object) -> bool:
        if not isinstance(value, bool):
            _bad(f"{place} must be true or false.")
        return value

    return read


def _integer(place: str, low: int, high: int) -> _Read:
    def read(value: object) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            _bad(f"{place} must be an integer.")
        if not low <= value <= high:
            _bad(f"{place} must be between {low} and {high}.")
        return value

    return read


def _text(place: str, low: int, high: int | None, form: TextFormat | None) -> _Read:
    limit = f"{low}-{high}" if high is not None else f">={low}"

    def read(value: object) -> str:
        if not isinstance(value, str):
            _bad(f"{place} must be a string.")
        if len(value) < low or (high is not None and len(value) > high):
            _bad(f"{place} must be a string of {limit} characters.")
        if form is not None and not form.pattern.fullmatch(value):
            _bad(f"{place} must be {form.description}.")
        return value

    return read


def _choice(place: str, allowed: tuple[str, ...], enum: type[StrEnum] | None) -> _Read:
    options = frozenset(allowed)
    expected = " or ".join(repr(str(option)) for option in allowed)

    def read(value: object) -> object:
        if not isinstance(value, str) or value not in options:
            _bad(f"{place} must be {expected}.")
        return value if enum is None else enum(value)

    return read


def _array(place: str, low: int, high: int, read_item: _Read) -> _Read:
    def read(value: object) -> tuple[object, ...]:
        if not isinstance(value, list):
            _bad(f"{place} must be an array.")
        if not low <= len(value) <= high:
            _bad(f"{place} must be an array of {low}-{high} items.")
        return tuple([read_item(item) for item in value])

    return read


def _enum_value(value: StrEnum) -> str:
    return value.value


def _object_dict(value: WireObject) -> dict[str, Any]:
    return value.to_dict()


def _list_writer(write_item: _Write | None) -> _Write:
    if write_item is None:
        return list
    return lambda items: [write_item(item) for item in items]
