"""The messages of a programme link between two nodes: every request and reply comes back from
its frame as it was sent, and a frame that is no valid message is refused with ``LinkError``."""

from __future__ import annotations

import json
from typing import Any

import pytest

from klingel.cluster.programme_link import (
    MAX_LINK_FRAME,
    Close,
    Leave,
    LinkError,
    Refused,
    Watch,
    WatchAnswer,
    answer_frame,
    encode,
    parse_reply,
    parse_request,
)
from klingel.ids import ParticipantId, RoomId
from klingel.rooms.identifiers import new_viewer_id
from klingel.rooms.naming import new_room_id
from klingel.sfu.api import PROGRAMME_SLOTS, Subscription

ROOM = RoomId("musikschule-geige")
VIEWER = ParticipantId("w-abcdefghijklmnop")
OFFER = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
SUBSCRIPTIONS = tuple(
    Subscription(str(n), slot.stream_id) for n, slot in enumerate(PROGRAMME_SLOTS)
)
WATCH = Watch(7, ROOM, VIEWER, OFFER, SUBSCRIPTIONS, ("2001:db8::7", 40000))
MAX_SDP = 64 * 1024


def watch_fields(**changes: Any) -> dict[str, Any]:
    """A valid watch request as JSON fields, with ``changes`` (None: the field left out)."""
    fields: dict[str, Any] = json.loads(encode(WATCH))
    for name, value in changes.items():
        if value is None:
            fields.pop(name, None)
        else:
            fields[name] = value
    return fields


@pytest.mark.parametrize(
    "request_",
    [
        WATCH,
        Watch(1, new_room_id(), new_viewer_id(), "x", SUBSCRIPTIONS[:1], ("192.0.2.4", 1)),
        Watch(2**53, ROOM, VIEWER, "s" * MAX_SDP, SUBSCRIPTIONS[2:], ("node-b.example", 65535)),
        Leave(8, ROOM, VIEWER),
        Leave(9, new_room_id(), new_viewer_id()),
        Close(10, ROOM),
        Close(11, RoomId("a")),
    ],
    ids=[
        "watch",
        "watch-fresh-ids",
        "watch-at-limits",
        "leave",
        "leave-fresh-ids",
        "close",
        "close-short-room",
    ],
)
def test_a_request_comes_back_from_its_frame_as_it_was(request_: Watch | Leave | Close) -> None:
    frame = encode(request_)
    assert parse_request(frame) == request_
    assert parse_request(frame.encode()) == request_


def test_a_watch_frame_says_what_the_link_documents() -> None:
    assert json.loads(encode(WATCH)) == {
        "id": 7,
        "op": "watch",
        "room": "musikschule-geige",
        "viewer": "w-abcdefghijklmnop",
        "sdp": OFFER,
        "subscriptions": [[str(n), slot.stream_id] for n, slot in enumerate(PROGRAMME_SLOTS)],
        "source": ["2001:db8::7", 40000],
    }
    assert json.loads(encode(Leave(2, ROOM, VIEWER))) == {
        "id": 2,
        "op": "leave",
        "room": "musikschule-geige",
        "viewer": "w-abcdefghijklmnop",
    }
    assert json.loads(encode(Close(3, ROOM))) == {"id": 3, "op": "close", "room": ROOM}


@pytest.mark.parametrize(
    "answer",
    [
        WatchAnswer("v=0\r\ns=answer\r\n", 1, ("192.0.2.9", 50000)),
        WatchAnswer("a" * MAX_SDP, 2**32 - 1, ("2001:db8::9", 1)),
        Refused("bad_request", "no such room"),
        Refused("busy", ""),
        None,
    ],
    ids=["answer", "answer-at-limits", "refused", "refused-without-message", "done"],
)
def test_a_reply_comes_back_from_its_frame_as_it_was(answer: WatchAnswer | Refused | None) -> None:
    frame = answer_frame(42, answer)
    assert parse_reply(frame) == (42, answer)
    assert parse_reply(frame.encode()) == (42, answer)


def test_a_done_reply_is_only_its_id() -> None:
    assert json.loads(answer_frame(5, None)) == {"id": 5}
    assert parse_reply('{"id": 5, "something": "else"}') == (5, None)


def test_a_refusal_without_a_message_has_an_empty_one() -> None:
    assert parse_reply('{"id": 3, "error": "busy"}') == (3, Refused("busy", ""))


def test_a_long_refusal_is_cut_short() -> None:
    frame = json.dumps({"id": 3, "error": "c" * 100, "message": "m" * 1000})
    assert parse_reply(frame) == (3, Refused("c" * 64, "m" * 200))


REFUSED_REQUESTS: dict[str, str | bytes] = {
    "empty": "",
    "not-json": "{",
    "not-utf-8": b'{"id": 1, "op": "close", "room": "\xff"}',
    "nan-id": '{"id": NaN, "op": "close", "room": "abc"}',
    "array": json.dumps([encode(Close(1, ROOM))]),
    "string": json.dumps("close"),
    "number": "1",
    "null": "null",
    "id-missing": json.dumps(watch_fields(id=None)),
    "id-true": json.dumps(watch_fields(id=True)),
    "id-false": json.dumps(watch_fields(id=False)),
    "id-zero": json.dumps(watch_fields(id=0)),
    "id-negative": json.dumps(watch_fields(id=-1)),
    "id-float": json.dumps(watch_fields(id=1.0)),
    "id-string": json.dumps(watch_fields(id="1")),
    "id-too-large": json.dumps(watch_fields(id=2**53 + 1)),
    "op-missing": json.dumps(watch_fields(op=None)),
    "op-unknown": json.dumps(watch_fields(op="subscribe")),
    "op-upper-case": json.dumps(watch_fields(op="WATCH")),
    "op-number": json.dumps(watch_fields(op=1)),
    "room-missing": json.dumps(watch_fields(room=None)),
    "room-empty": json.dumps(watch_fields(room="")),
    "room-upper-case": json.dumps(watch_fields(room="Musikschule")),
    "room-leading-dash": json.dumps(watch_fields(room="-geige")),
    "room-trailing-dash": json.dumps(watch_fields(room="geige-")),
    "room-space": json.dumps(watch_fields(room="musik schule")),
    "room-umlaut": json.dumps(watch_fields(room="bühne")),
    "room-too-long": json.dumps(watch_fields(room="a" * 65)),
    "room-path": json.dumps(watch_fields(room="../etc")),
    "room-number": json.dumps(watch_fields(room=5)),
    "viewer-missing": json.dumps(watch_fields(viewer=None)),
    "viewer-participant": json.dumps(watch_fields(viewer="p-abcdefghijklmnop")),
    "viewer-bare-prefix": json.dumps(watch_fields(viewer="w-")),
    "viewer-too-long": json.dumps(watch_fields(viewer="w-" + "a" * 41)),
    "viewer-space": json.dumps(watch_fields(viewer="w-a b")),
    "viewer-newline": json.dumps(watch_fields(viewer="w-abc\n")),
    "viewer-number": json.dumps(watch_fields(viewer=1)),
    "leave-viewer-missing": json.dumps({"id": 1, "op": "leave", "room": ROOM}),
    "leave-viewer-bad": json.dumps({"id": 1, "op": "leave", "room": ROOM, "viewer": "x"}),
    "sdp-missing": json.dumps(watch_fields(sdp=None)),
    "sdp-empty": json.dumps(watch_fields(sdp="")),
    "sdp-too-long": json.dumps(watch_fields(sdp="s" * (MAX_SDP + 1))),
    "sdp-number": json.dumps(watch_fields(sdp=1)),
    "subscriptions-missing": json.dumps(watch_fields(subscriptions=None)),
    "subscriptions-empty": json.dumps(watch_fields(subscriptions=[])),
    "subscriptions-object": json.dumps(watch_fields(subscriptions={"0": "programme-camera"})),
    "subscriptions-too-many": json.dumps(
        watch_fields(subscriptions=[[str(n), PROGRAMME_SLOTS[0].stream_id] for n in range(6)])
    ),
    "subscription-no-slot": json.dumps(watch_fields(subscriptions=[["0", "s-abcdefghijklmnop"]])),
    "subscription-stream-number": json.dumps(watch_fields(subscriptions=[["0", 1]])),
    "subscription-stream-null": json.dumps(watch_fields(subscriptions=[["0", None]])),
    "subscription-short": json.dumps(watch_fields(subscriptions=[["0"]])),
    "subscription-long": json.dumps(watch_fields(subscriptions=[["0", "programme-camera", 1]])),
    "subscription-string": json.dumps(watch_fields(subscriptions=["programme-camera"])),
    "mid-empty": json.dumps(watch_fields(subscriptions=[["", "programme-camera"]])),
    "mid-too-long": json.dumps(watch_fields(subscriptions=[["m" * 17, "programme-camera"]])),
    "mid-space": json.dumps(watch_fields(subscriptions=[["a b", "programme-camera"]])),
    "mid-number": json.dumps(watch_fields(subscriptions=[[0, "programme-camera"]])),
    "source-missing": json.dumps(watch_fields(source=None)),
    "source-string": json.dumps(watch_fields(source="192.0.2.4:40000")),
    "source-short": json.dumps(watch_fields(source=["192.0.2.4"])),
    "source-long": json.dumps(watch_fields(source=["192.0.2.4", 40000, 1])),
    "source-host-empty": json.dumps(watch_fields(source=["", 40000])),
    "source-host-space": json.dumps(watch_fields(source=["node b", 40000])),
    "source-host-slash": json.dumps(watch_fields(source=["node/b", 40000])),
    "source-host-too-long": json.dumps(watch_fields(source=["h" * 254, 40000])),
    "source-host-number": json.dumps(watch_fields(source=[1, 40000])),
    "source-port-zero": json.dumps(watch_fields(source=["192.0.2.4", 0])),
    "source-port-70000": json.dumps(watch_fields(source=["192.0.2.4", 70000])),
    "source-port-string": json.dumps(watch_fields(source=["192.0.2.4", "40000"])),
    "source-port-true": json.dumps(watch_fields(source=["192.0.2.4", True])),
    "source-port-float": json.dumps(watch_fields(source=["192.0.2.4", 40000.0])),
    "too-long": encode(WATCH) + " " * MAX_LINK_FRAME,
    "too-long-bytes": (encode(WATCH) + " " * MAX_LINK_FRAME).encode(),
}


@pytest.mark.parametrize("frame", REFUSED_REQUESTS.values(), ids=REFUSED_REQUESTS.keys())
def test_a_frame_that_is_no_valid_request_is_refused(frame: str | bytes) -> None:
    with pytest.raises(LinkError):
        parse_request(frame)


def test_a_frame_of_the_greatest_length_is_taken() -> None:
    frame = encode(WATCH)
    frame += " " * (MAX_LINK_FRAME - len(frame))
    assert parse_request(frame) == WATCH


def test_only_the_programme_slots_may_be_subscribed() -> None:
    for slot in PROGRAMME_SLOTS:
        frame = json.dumps(watch_fields(subscriptions=[["m", slot.stream_id]]))
        request = parse_request(frame)
        assert isinstance(request, Watch)
        assert request.subscriptions == (Subscription("m", slot.stream_id),)


REFUSED_REPLIES: dict[str, str | bytes] = {
    "not-json": "{",
    "not-an-object": "[]",
    "id-missing": json.dumps({"answer": "v=0", "relay": 1, "address": ["h", 1]}),
    "id-true": json.dumps({"id": True}),
    "id-negative": json.dumps({"id": -3}),
    "error-number": json.dumps({"id": 1, "error": 500, "message": "no"}),
    "error-null": json.dumps({"id": 1, "error": None}),
    "message-number": json.dumps({"id": 1, "error": "busy", "message": 1}),
    "answer-empty": answer_frame(1, WatchAnswer("", 1, ("h", 1))),
    "answer-too-long": answer_frame(1, WatchAnswer("a" * (MAX_SDP + 1), 1, ("h", 1))),
    "answer-null": json.dumps({"id": 1, "answer": None, "relay": 1, "address": ["h", 1]}),
    "relay-missing": json.dumps({"id": 1, "answer": "v=0", "address": ["h", 1]}),
    "relay-zero": answer_frame(1, WatchAnswer("v=0", 0, ("h", 1))),
    "relay-too-large": answer_frame(1, WatchAnswer("v=0", 2**32, ("h", 1))),
    "address-missing": json.dumps({"id": 1, "answer": "v=0", "relay": 1}),
    "address-bad-host": answer_frame(1, WatchAnswer("v=0", 1, ("h h", 1))),
    "address-port-zero": answer_frame(1, WatchAnswer("v=0", 1, ("h", 0))),
    "address-port-70000": answer_frame(1, WatchAnswer("v=0", 1, ("h", 70000))),
    "too-long": answer_frame(1, None) + " " * MAX_LINK_FRAME,
}


@pytest.mark.parametrize("frame", REFUSED_REPLIES.values(), ids=REFUSED_REPLIES.keys())
def test_a_frame_that_is_no_valid_reply_is_refused(frame: str | bytes) -> None:
    with pytest.raises(LinkError):
        parse_reply(frame)


@pytest.mark.parametrize("stream", [["programme-camera"], {"id": "programme-camera"}])
def test_a_subscription_to_a_list_or_object_is_refused(stream: object) -> None:
    with pytest.raises(LinkError):
        parse_request(json.dumps(watch_fields(subscriptions=[["0", stream]])))


def test_a_deeply_nested_frame_is_refused() -> None:
    with pytest.raises(LinkError):
        parse_request("[" * 100_000)


def test_a_frame_is_measured_in_bytes_not_characters() -> None:
    padded = watch_fields(pad="ä" * (MAX_LINK_FRAME // 2))  # unknown fields are ignored
    frame = json.dumps(padded, ensure_ascii=False)
    assert len(frame) < MAX_LINK_FRAME < len(frame.encode())
    with pytest.raises(LinkError):
        parse_request(frame)
    assert parse_request(json.dumps(watch_fields(pad="ä" * 1000), ensure_ascii=False)) == WATCH
