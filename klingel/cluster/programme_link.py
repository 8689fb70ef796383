"""The messages of a programme link: the socket from the node that holds a broadcasting room
to a node that serves some of its viewers (``klingel.web.programme_links`` and
``klingel.web.relayed_programmes``).

The holding node asks; the serving node answers each request by its ``id``. JSON text frames:

- ``{"id": 1, "op": "watch", "room": R, "viewer": V, "sdp": offer, "subscriptions": [[mid,
  stream], ...], "source": [host, port]}``: serve viewer V the programme of room R, which the
  room's worker at ``source`` sends. Answer: ``{"id": 1, "answer": sdp, "relay": n, "address":
  [host, port]}``: the holder relays the programme as relay ``n`` to the worker at ``address``.
- ``{"id": 2, "op": "leave", "room": R, "viewer": V}`` and ``{"id": 3, "op": "close", "room":
  R}``. Answer: ``{"id": 2}``.
- A refusal: ``{"id": 1, "error": code, "message": text}``.

Both ends share the town's key, but every message is checked all the same: a wrong one is
refused with ``bad_request`` and changes nothing.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from klingel.ids import ParticipantId, RoomId, StreamId
from klingel.rooms.naming import is_room_id
from klingel.sfu.api import PROGRAMME_SLOTS, Subscription

__all__ = [
    "LINK_PATH",
    "MAX_LINK_FRAME",
    "Close",
    "Leave",
    "LinkError",
    "Refused",
    "Request",
    "Watch",
    "WatchAnswer",
    "answer_frame",
    "encode",
    "parse_reply",
    "parse_request",
]

LINK_PATH = "/internal/programme-link"
MAX_LINK_FRAME = 256 * 1024
_MAX_SDP = 64 * 1024
_VIEWER = re.compile(r"w-[A-Za-z0-9_-]{1,40}")
_MID = re.compile(r"[A-Za-z0-9_-]{1,16}")
_HOST = re.compile(r"[A-Za-z0-9.:_-]{1,253}")
_SLOT_IDS = frozenset(slot.stream_id for slot in PROGRAMME_SLOTS)
Address = tuple[str, int]


class LinkError(Exception):
    """A frame of the link that is no valid message."""


@dataclass(frozen=True, slots=True)
class Watch:
    id: int
    room: RoomId
    viewer: ParticipantId
    sdp: str
    subscriptions: tuple[Subscription, ...]
    source: Address


@dataclass(frozen=True, slots=True)
class Leave:
    id: int
    room: RoomId
    viewer: ParticipantId


@dataclass(frozen=True, slots=True)
class Close:
    id: int
    room: RoomId


Request = Watch | Leave | Close


@dataclass(frozen=True, slots=True)
class WatchAnswer:
    answer: str
    relay: int
    address: Address


@dataclass(frozen=True, slots=True)
class Refused:
    code: str
    message: str


def encode(message: Request) -> str:
    fields: dict[str, Any] = {"id": message.id, "room": str(message.room)}
    match message:
        case Watch():
            fields |= {
                "op": "watch",
                "viewer": str(message.viewer),
                "sdp": message.sdp,
                "subscriptions": [[s.mid, str(s.stream_id)] for s in message.subscriptions],
                "source": list(message.source),
            }
        case Leave():
            fields |= {"op": "leave", "viewer": str(message.viewer)}
        case Close():
            fields["op"] = "close"
    return json.dumps(fields)


def parse_request(frame: str | bytes) -> Request:
    data = _object(frame)
    request_id = _int(data.get("id"), 1, 2**53)
    room = data.get("room")
    if not isinstance(room, str) or not is_room_id(room):
        raise LinkError("no room")
    match data.get("op"):
        case "watch":
            return Watch(
                request_id,
                RoomId(room),
                _viewer(data.get("viewer")),
                _sdp(data.get("sdp")),
                _subscriptions(data.get("subscriptions")),
                _address(data.get("source")),
            )
        case "leave":
            return Leave(request_id, RoomId(room), _viewer(data.get("viewer")))
        case "close":
            return Close(request_id, RoomId(room))
    raise LinkError("unknown op")


def parse_reply(frame: str | bytes) -> tuple[int, WatchAnswer | Refused | None]:
    """A reply's request id and what it says (None: done, nothing to say)."""
    data = _object(frame)
    request_id = _int(data.get("id"), 1, 2**53)
    if "error" in data:
        code, message = data.get("error"), data.get("message", "")
        if not isinstance(code, str) or not isinstance(message, str):
            raise LinkError("bad refusal")
        return request_id, Refused(code[:64], message[:200])
    if "answer" not in data:
        return request_id, None
    relay = _int(data.get("relay"), 1, 2**32 - 1)
    return request_id, WatchAnswer(_sdp(data.get("answer")), relay, _address(data.get("address")))


def answer_frame(request_id: int, answer: WatchAnswer | Refused | None) -> str:
    fields: dict[str, Any] = {"id": request_id}
    if isinstance(answer, WatchAnswer):
        fields |= {"answer": answer.answer, "relay": answer.relay, "address": list(answer.address)}
    elif isinstance(answer, Refused):
        fields |= {"error": answer.code, "message": answer.message}
    return json.dumps(fields)


def _object(frame: str | bytes) -> dict[str, Any]:
    size = len(frame) if isinstance(frame, bytes) else len(frame.encode("utf-8", "replace"))
    if size > MAX_LINK_FRAME:
        raise LinkError("too large")
    try:
        data = json.loads(frame)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise LinkError("not JSON") from None
    if not isinstance(data, dict):
        raise LinkError("not an object")
    return data


def _int(value: object, low: int, high: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise LinkError("bad number")
    return value


def _viewer(value: object) -> ParticipantId:
    if not isinstance(value, str) or not _VIEWER.fullmatch(value):
        raise LinkError("bad viewer")
    return ParticipantId(value)


def _sdp(value: object) -> str:
    if not isinstance(value, str) or not value or len(value) > _MAX_SDP:
        raise LinkError("bad sdp")
    return value


def _subscriptions(value: object) -> tuple[Subscription, ...]:
    if not isinstance(value, list) or not 1 <= len(value) <= len(PROGRAMME_SLOTS):
        raise LinkError("bad subscriptions")
    result = []
    for item in value:
        if not isinstance(item, list) or len(item) != 2:
            raise LinkError("bad subscription")
        mid, stream = item
        if not isinstance(mid, str) or not _MID.fullmatch(mid):
            raise LinkError("bad subscription")
        if not isinstance(stream, str) or stream not in _SLOT_IDS:
            raise LinkError("bad subscription")
        result.append(Subscription(mid, StreamId(stream)))
    return tuple(result)


def _address(value: object) -> Address:
    if not isinstance(value, list) or len(value) != 2:
        raise LinkError("bad address")
    host, port = value
    if not isinstance(host, str) or not _HOST.fullmatch(host):
        raise LinkError("bad address")
    return host, _int(port, 1, 65535)
