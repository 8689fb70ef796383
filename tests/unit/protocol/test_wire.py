"""Reading and writing derived from the field declarations: every message type stays as strict
as the protocol says, with its stable error codes, and a declaration the wire cannot carry is
caught when the class is first used."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Annotated, Any, ClassVar

import pytest

from klingel.protocol import e2ee, layers, messages, moderation, objects
from klingel.protocol.codec import decode_frame, encode_frame
from klingel.protocol.errors import ErrorCode, KlingelError
from klingel.protocol.messages import (
    CLIENT_MESSAGES,
    SERVER_MESSAGES,
    parse_client_message,
    parse_server_message,
)
from klingel.protocol.wire import Key, Wire, WireMessage, WireObject, wire_names

FIXTURES = Path(__file__).parents[2] / "fixtures" / "protocol"
PARSERS: dict[str, Callable[[Mapping[str, object]], WireMessage]] = {
    "client": parse_client_message,
    "server": parse_server_message,
}
MESSAGE_TYPES = [
    *[("client", kind) for kind in sorted(CLIENT_MESSAGES)],
    *[("server", kind) for kind in sorted(SERVER_MESSAGES)],
]
CLASSES = {"client": CLIENT_MESSAGES, "server": SERVER_MESSAGES}
WITH_FIELDS = [(direction, kind) for direction, kind in MESSAGE_TYPES
               if wire_names(CLASSES[direction][kind])]  # fmt: skip
# Values of other JSON types than the one the fixture holds (a boolean is no number, and no
# number is a boolean).
WRONG_TYPES: dict[type, tuple[object, ...]] = {
    str: (7, True, ["x"]),
    bool: ("true", 1, 0),
    int: ("1", True, 1.5),
    list: ({"a": 1}, "x"),
    dict: ([1], "x"),
    type(None): (True, []),
}
Path_ = tuple[str | int, ...]


def fixture(direction: str, kind: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / direction / f"{kind}.json").read_text())
    return data


def refusal(direction: str, frame: str) -> KlingelError:
    """The error of decoding one frame as a server (client frames) or a client would."""
    with pytest.raises(KlingelError) as caught:
        PARSERS[direction](decode_frame(frame))
    return caught.value


def values_within(value: object, path: Path_ = ()) -> Iterator[tuple[Path_, object]]:
    """Every value inside an object, nested objects and the first item of arrays included."""
    if isinstance(value, dict):
        for key, item in value.items():
            if path or key != "type":
                yield (*path, key), item
                yield from values_within(item, (*path, key))
    elif isinstance(value, list) and value:
        yield (*path, 0), value[0]
        yield from values_within(value[0], (*path, 0))


def replaced(value: Any, path: Path_, new: object) -> Any:
    if not path:
        return new
    copy = dict(value) if isinstance(value, dict) else list(value)
    copy[path[0]] = replaced(value[path[0]], path[1:], new)  # type: ignore[index]
    return copy


def at(value: Any, path: Path_) -> Any:
    for step in path:
        value = value[step]
    return value


def objects_within(data: dict[str, Any]) -> list[Path_]:
    """The paths of the message and of every object inside it."""
    return [(), *(path for path, value in values_within(data) if isinstance(value, dict))]


@pytest.mark.parametrize(("direction", "kind"), MESSAGE_TYPES)
def test_an_unknown_field_is_refused_in_every_object(direction: str, kind: str) -> None:
    data = fixture(direction, kind)
    for path in objects_within(data):
        damaged = replaced(data, path, {**at(data, path), "admin": True})
        error = refusal(direction, encode_frame(damaged))
        assert (error.code, error.ref) == (ErrorCode.BAD_MESSAGE, kind), path


@pytest.mark.parametrize(("direction", "kind"), MESSAGE_TYPES)
def test_a_duplicate_key_is_refused_in_every_object(direction: str, kind: str) -> None:
    data = fixture(direction, kind)
    text = encode_frame(data)
    for path in objects_within(data):
        inner = at(data, path)
        for key in inner:
            # The same key again, even with the same value: two parsers must never disagree.
            again = f"{encode_frame(inner)[:-1]},{json.dumps(key)}:{json.dumps(inner[key])}}}"
            frame = text.replace(encode_frame(inner), again, 1)
            assert frame != text
            error = refusal(direction, frame)
            assert (error.code, error.ref) == (ErrorCode.DUPLICATE_KEY, None), (path, key)


@pytest.mark.parametrize(("direction", "kind"), WITH_FIELDS)
def test_a_value_of_the_wrong_type_is_refused(direction: str, kind: str) -> None:
    data = fixture(direction, kind)
    for path, value in values_within(data):
        for wrong in WRONG_TYPES[type(value)]:
            error = refusal(direction, encode_frame(replaced(data, path, wrong)))
            assert (error.code, error.ref) == (ErrorCode.BAD_MESSAGE, kind), (path, wrong)


@pytest.mark.parametrize(("direction", "kind"), MESSAGE_TYPES)
def test_a_message_is_written_in_the_order_it_declares(direction: str, kind: str) -> None:
    # The order of the keys is part of the frame's text: it must not change by accident.
    message = PARSERS[direction](fixture(direction, kind))
    written = list(message.to_dict())
    assert written[0] == "type"
    assert [key for key in wire_names(type(message)) if key in written] == written[1:]


def protocol_classes(*modules: ModuleType) -> set[type[WireObject]]:
    return {
        value
        for module in modules
        for value in vars(module).values()
        if isinstance(value, type)
        and issubclass(value, WireObject)
        and value not in (WireObject, WireMessage)
    }


def test_every_class_of_the_protocol_has_a_wire_form() -> None:
    classes = protocol_classes(e2ee, layers, messages, moderation, objects)
    assert set(CLIENT_MESSAGES.values()) | set(SERVER_MESSAGES.values()) <= classes
    for cls in classes:
        assert wire_names(cls) == tuple(dict.fromkeys(wire_names(cls)))


# --- declarations the wire cannot carry --------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Unbounded(WireObject):
    NAME: ClassVar[str] = "unbounded"
    count: int


@dataclass(frozen=True, slots=True)
class _OptionalButNotNone(WireObject):
    NAME: ClassVar[str] = "optional"
    flag: Annotated[bool, Key(null=False)]


@dataclass(frozen=True, slots=True)
class _NullSentButRequired(WireObject):
    NAME: ClassVar[str] = "null sent"
    text: Annotated[str | None, Wire(0, 8), Key(sent_as_null=True)]


@dataclass(frozen=True, slots=True)
class _TwiceOnTheWire(WireObject):
    NAME: ClassVar[str] = "twice"
    sender: Annotated[str, Wire(0, 8), Key("to")]
    to: Annotated[str, Wire(0, 8)]


@pytest.mark.parametrize(
    "cls", [_Unbounded, _OptionalButNotNone, _NullSentButRequired, _TwiceOnTheWire]
)
def test_a_declaration_the_wire_cannot_carry_is_refused(cls: type[WireObject]) -> None:
    with pytest.raises(TypeError):
        wire_names(cls)


def test_null_is_refused_where_none_only_means_left_out() -> None:
    # A room switch left out stays as it is; null is not a boolean.
    data = {"type": "room_settings", "lobby": None}
    assert refusal("client", encode_frame(data)).code is ErrorCode.BAD_MESSAGE
