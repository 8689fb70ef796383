"""The per-socket byte budget: large frames (a full room's subscribe offer) are allowed, a socket
that keeps sending them is refused as ``rate_limited``, as one that sends too many messages."""

from __future__ import annotations

import json
from typing import cast

from support.clock import Clock
from support.connection import RecordingConnection

from klingel.protocol.codec import MAX_FRAME_BYTES
from klingel.rooms.abuse import AddressLimits
from klingel.rooms.ratelimit import RateLimit
from klingel.rooms.registry import Registry
from klingel.rooms.standing import StandingRooms
from klingel.sfu.api import MediaBackend
from klingel.web.hub import SignalingHub
from klingel.web.signaling import BYTE_LIMIT, ByteBudget, SignalingSession, frame_size


def test_the_budget_is_spent_by_size_and_refills_over_time() -> None:
    budget = ByteBudget(RateLimit(rate=100.0, burst=300.0), now=0.0)
    assert budget.spend(200, 0.0)
    assert budget.spend(100, 0.0)
    assert not budget.spend(1, 0.0)
    assert budget.spend(50, 0.5)  # half a second brought 50 bytes back
    assert not budget.spend(1, 0.5)
    assert budget.spend(300, 100.0)  # never more than the burst
    assert not budget.spend(1, 100.0)


def test_a_refused_frame_spends_nothing() -> None:
    budget = ByteBudget(RateLimit(rate=100.0, burst=300.0), now=0.0)
    assert budget.spend(250, 0.0)
    assert not budget.spend(100, 0.0)
    assert budget.spend(50, 0.0)


def test_the_burst_holds_two_frames_of_the_largest_size() -> None:
    budget = ByteBudget(BYTE_LIMIT, now=0.0)
    assert budget.spend(MAX_FRAME_BYTES, 0.0)
    assert budget.spend(MAX_FRAME_BYTES, 0.0)
    assert not budget.spend(1, 0.0)


def test_frame_size_is_utf8_bytes() -> None:
    assert frame_size('{"a":"x"}') == 9
    assert frame_size('{"a":"ä"}') == 10
    assert frame_size('{"a":"😀"}') == 12
    assert frame_size(b"\x00\x01") == 2


def _large_frame() -> str:
    # valid JSON just under the frame limit; refused as a message, but only after the budget
    padding = MAX_FRAME_BYTES - 64
    return json.dumps({"type": "ping", "pad": "a" * padding})


def _session(clock: Clock) -> tuple[SignalingSession, RecordingConnection]:
    # Nothing here reaches the media or the store: no frame gets past ``join``.
    hub = SignalingHub(
        Registry(capacity=5),
        cast(MediaBackend, object()),
        cast(StandingRooms, object()),
        clock=clock,
    )
    connection = RecordingConnection()
    return SignalingSession(hub, connection, AddressLimits(10), clock=clock), connection


async def test_a_socket_that_sends_too_many_bytes_is_rate_limited() -> None:
    clock = Clock(1000.0)
    session, connection = _session(clock)
    frame = _large_frame()
    assert frame_size(frame) <= MAX_FRAME_BYTES
    for _ in range(3):
        await session.handle_frame(frame)
    clock.now += 0.5  # a quarter MiB comes back
    await session.handle_frame(frame)
    await session.handle_frame(frame)
    codes = [str(message["code"]) for message in connection.frames]
    assert len(codes) == 5
    assert [code == "rate_limited" for code in codes] == [False, False, True, False, True]


async def test_small_messages_never_meet_the_byte_budget() -> None:
    clock = Clock(1000.0)
    session, connection = _session(clock)
    for _ in range(30):
        clock.now += 1 / 30
        await session.handle_frame('{"type":"ping"}')
    assert [message["code"] for message in connection.frames] == ["not_joined"] * 30
