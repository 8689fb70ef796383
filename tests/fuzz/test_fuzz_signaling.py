"""Fuzzing the signaling protocol: nothing a client sends may knock the server over.

In-process, the strict codec and the message classes get well over 100,000 frames per run:
valid-shaped messages of every client type, hostile ones drawn by hypothesis, and many cheap
seeded mutations of each. Every frame is accepted or refused with its stable code; nothing else
escapes. Then the real server (web app, hub and SFU worker, on a loop of its own) takes
thousands of hostile frames over real WebSockets in several rooms, while a bystander in another
room keeps pinging: the server answers every refusal with a code, closes only as documented,
never stalls its loop, keeps answering the bystander, and rate-limits only the flooding socket.

Run inside the isolated namespace: ``scripts/netns-run .venv/bin/pytest tests/fuzz``.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import os
import random
import time
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from client_frames import (
    SDP_FIXTURES,
    STRATEGY_TYPES,
    FrameMutator,
    HostileFrame,
    hostile_frames,
    judge,
    valid_message_of,
    valid_messages,
)
from fuzz_settings import fuzzing
from hypothesis import given
from hypothesis import strategies as st
from threaded_server import ThreadedServer, running_server
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from klingel.cli import WS_MAX_SIZE
from klingel.protocol.codec import MAX_FRAME_BYTES, encode_frame
from klingel.protocol.errors import CLOSE_CODE, ErrorCode
from klingel.protocol.messages import (
    CLIENT_MESSAGES,
    Leave,
    parse_client_message,
    parse_server_message,
)
from klingel.protocol.moderation import DeleteRoom, EndMeeting

Message = dict[str, Any]
Frame = str | bytes

MUTATIONS_PER_MESSAGE = 50
BULK_EXAMPLES = 2_100
"""Examples of the bulk test; with 50 mutations and the message itself, over 100,000 frames."""
CODEC_CODES = frozenset(
    {
        ErrorCode.BAD_JSON,
        ErrorCode.DUPLICATE_KEY,
        ErrorCode.TOO_DEEP,
        ErrorCode.BAD_NUMBER,
        ErrorCode.UNKNOWN_TYPE,
    }
)
"""Codes only the codec and the message classes give: the hub never does."""


@dataclass
class FedCount:
    frames: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)

    def add(self, outcome: ErrorCode | None) -> None:
        self.frames += 1
        self.outcomes[str(outcome) if outcome is not None else "accepted"] += 1


@pytest.fixture(scope="module")
def fed() -> FedCount:
    """Counts every frame fed in-process in this module."""
    return FedCount()


# --- in-process: the decode and validate path ------------------------------------------------


def check(frame: HostileFrame, fed: FedCount) -> None:
    verdict = judge(frame.frame)  # anything but a KlingelError escaping fails the test here
    fed.add(verdict.code)
    assert frame.allows(verdict.code), (
        f"{frame.what}: got {verdict.code}, allowed {sorted(map(str, frame.outcomes))}; "
        f"frame {str(frame.frame)[:300]!r}"
    )


@fuzzing(600)
@given(
    st.sampled_from(sorted(STRATEGY_TYPES)).flatmap(
        lambda kind: st.tuples(st.just(kind), valid_message_of(kind))
    )
)
def test_every_valid_shaped_message_is_accepted(fed: FedCount, drawn: tuple[str, Message]) -> None:
    kind, message = drawn
    verdict = judge(encode_frame(message))
    fed.add(verdict.code)
    assert verdict.message is not None, (verdict.code, message)
    assert kind == type(verdict.message).TYPE
    # What the server reads, written back and read again, is the same message.
    again = parse_client_message(json.loads(encode_frame(verdict.message.to_dict())))
    assert again == verdict.message


def test_strategies_cover_every_client_message_type() -> None:
    assert set(CLIENT_MESSAGES) == STRATEGY_TYPES


@fuzzing(2_500)
@given(hostile_frames())
def test_hostile_frames_get_their_code(fed: FedCount, frame: HostileFrame) -> None:
    check(frame, fed)


@fuzzing(BULK_EXAMPLES)
@given(valid_messages, st.randoms(use_true_random=False))
def test_many_mutations_of_every_message_get_a_code(
    fed: FedCount, message: Message, rng: random.Random
) -> None:
    check(HostileFrame(encode_frame(message), frozenset(), "valid"), fed)
    for frame in FrameMutator(rng).frames(message, MUTATIONS_PER_MESSAGE):
        check(frame, fed)


@fuzzing(1_000)
@given(st.one_of(st.text(max_size=300), st.binary(max_size=300)))
def test_raw_random_frames_get_a_code(fed: FedCount, frame: Frame) -> None:
    check(HostileFrame(frame, frozenset(), "raw"), fed)


def test_at_least_100000_frames_were_fed(fed: FedCount, capsys: pytest.CaptureFixture[str]) -> None:
    """Runs after the property tests of this module (pytest keeps the file's order)."""
    with capsys.disabled():
        print(f"\nsignaling fuzz: {fed.frames} frames fed in-process: {dict(fed.outcomes)}")
    assert fed.frames >= 100_000, fed.frames
    refused = sum(n for outcome, n in fed.outcomes.items() if outcome != "accepted")
    assert fed.outcomes["accepted"] > 1_000 and refused > 50_000, fed.outcomes
    assert str(ErrorCode.INTERNAL) not in fed.outcomes


# --- over real sockets: the running server ----------------------------------------------------

PACED_SOCKETS = 8
ROOMS = 4
LIVES = 2
FRAMES_PER_LIFE = 200
PACE_SECONDS = 1 / 20  # well under the 30 messages/s every socket may send
FLOOD_FRAMES = 2_000
BYSTANDER_PING_SECONDS = 0.05
TIMEOUT = 20.0
DOCUMENTED_CLOSES = {1000, 1009, 1013, CLOSE_CODE}


def _require_netns() -> None:
    if os.environ.get("KLINGEL_NETNS") != "1":
        pytest.fail("run inside scripts/netns-run: the SFU workers bind UDP", pytrace=False)


def _seed_messages() -> list[Message]:
    """The protocol document's examples of every client message, plus offers a browser made."""
    fixtures = Path(__file__).parent.parent / "fixtures" / "protocol" / "client"
    seeds: list[Message] = [
        json.loads(path.read_text()) for path in sorted(fixtures.glob("*.json"))
    ]
    publish = (SDP_FIXTURES / "chromium_publish_audio_video.sdp").read_text()
    subscribe = (SDP_FIXTURES / "chromium_subscribe_4.sdp").read_text()
    seeds.append(
        {
            "type": "publish",
            "sdp": publish,
            "tracks": [
                {"mid": "0", "kind": "audio", "source": "microphone"},
                {"mid": "1", "kind": "video", "source": "camera"},
            ],
        }
    )
    seeds.append(
        {"type": "subscribe", "sdp": subscribe, "streams": [{"mid": "0", "stream": "s-x"}]}
    )
    return seeds


def _closes(frame: Frame) -> bool:
    """Whether a joined socket may be closed by this frame: the codec decides, or it is leave,
    or a host ends the meeting (and maybe deletes the room)."""
    verdict = judge(frame)
    if verdict.code is not None:
        return verdict.code.closes
    return isinstance(verdict.message, Leave | EndMeeting | DeleteRoom)


@dataclass(frozen=True, slots=True)
class PlannedFrames:
    frames: list[Frame]
    codec_codes: Counter[ErrorCode]  # what the codec alone must answer, code by code


def plan_frames(rng: random.Random, count: int) -> PlannedFrames:
    """``count`` hostile frames that do not close a joined socket, and their codec codes."""
    seeds = _seed_messages()
    mutator = FrameMutator(rng)
    frames: list[Frame] = []
    codes: Counter[ErrorCode] = Counter()
    while len(frames) < count:
        message = rng.choice(seeds)
        candidates = [encode_frame(message), *(h.frame for h in mutator.frames(message, 4))]
        for frame in candidates[: count - len(frames)]:
            if _closes(frame):
                continue
            frames.append(frame)
            code = judge(frame).code
            if code in CODEC_CODES:
                codes[code] += 1
    return PlannedFrames(frames, codes)


# How each life of a socket ends, and the close it must get.
TOO_LARGE_CHAT = json.dumps({"type": "chat", "text": "x" * MAX_FRAME_BYTES})
OTHER_VERSION_JOIN = json.dumps({"type": "join", "v": 2, "room": "r", "name": "n"})
ENDINGS: list[tuple[str, Frame, ErrorCode | None, int]] = [
    ("too_large", TOO_LARGE_CHAT, ErrorCode.TOO_LARGE, CLOSE_CODE),
    ("version", OTHER_VERSION_JOIN, ErrorCode.UNSUPPORTED_VERSION, CLOSE_CODE),
    ("beyond the WebSocket limit", "x" * (WS_MAX_SIZE + 1), None, 1009),
    ("leave", '{"type":"leave"}', None, 1000),
]


@dataclass
class Socket:
    """One client socket: everything it received, and how it was closed."""

    connection: ClientConnection
    received: list[Message] = field(default_factory=list)
    reader: asyncio.Task[None] | None = None

    @classmethod
    async def open(cls, url: str) -> Socket:
        connection = await connect(url.replace("http", "ws") + "/ws", max_size=None)
        socket = cls(connection)
        socket.reader = asyncio.create_task(socket._read())
        return socket

    async def _read(self) -> None:
        with contextlib.suppress(ConnectionClosed):
            async for frame in self.connection:
                message = json.loads(frame)
                parse_server_message(message)  # everything the server sends is valid protocol
                self.received.append(message)

    def errors(self) -> list[Message]:
        return [message for message in self.received if message["type"] == "error"]

    async def wait_for(self, kind: str, after: int = 0) -> Message:
        async with asyncio.timeout(TIMEOUT):
            while True:
                for message in self.received[after:]:
                    if message["type"] == kind:
                        return message
                if self.reader is not None and self.reader.done():
                    raise AssertionError(f"closed while waiting for {kind}: {self.closed()}")
                await asyncio.sleep(0.01)

    async def join(self, room: str, name: str, host_secret: str | None = None) -> None:
        join: Message = {"type": "join", "v": 1, "room": room, "name": name}
        if host_secret is not None:
            join["hostSecret"] = host_secret
        while True:
            before = len(self.received)
            await self.connection.send(encode_frame(join))
            answer = await self._answer_to_join(before)
            if answer["type"] == "joined":
                return
            assert answer["code"] == "rate_limited", answer  # joins per address: try again
            await asyncio.sleep(0.5)

    async def _answer_to_join(self, before: int) -> Message:
        async with asyncio.timeout(TIMEOUT):
            while True:
                for message in self.received[before:]:
                    if message["type"] in {"joined", "error"}:
                        return message
                await asyncio.sleep(0.01)

    async def until_closed(self) -> tuple[int | None, str | None]:
        assert self.reader is not None
        await asyncio.wait_for(self.reader, TIMEOUT)
        return self.closed()

    def closed(self) -> tuple[int | None, str | None]:
        return self.connection.close_code, self.connection.close_reason

    async def close(self) -> None:
        await self.connection.close()
        if self.reader is not None:
            await self.reader


@dataclass
class SocketReport:
    sent: int = 0
    received: list[Message] = field(default_factory=list)
    expected_codec_codes: Counter[ErrorCode] = field(default_factory=Counter)


async def created_room(server: ThreadedServer) -> tuple[str, str]:
    """A room made with ``POST /api/rooms``: its id and its host secret."""
    async with httpx.AsyncClient(base_url=server.url) as client:
        answer = (await client.post("/api/rooms", json={})).json()
    return answer["room"], answer["hostSecret"]


async def paced_socket(server: ThreadedServer, index: int, report: SocketReport) -> None:
    """Fuzzes as a guest in a shared room; the first socket as the host of a room of its own,
    so that host commands get past the role check."""
    rng = random.Random(1000 + index)
    room, secret = (
        await created_room(server) if index == 0 else (f"fuzz-room-{index % ROOMS}", None)
    )
    for life in range(LIVES):
        plan = plan_frames(rng, FRAMES_PER_LIFE)
        socket = await Socket.open(server.url)
        await socket.join(room, f"Fuzz {index}.{life}", secret)
        for frame in plan.frames:
            await socket.connection.send(frame)
            report.sent += 1
            await asyncio.sleep(PACE_SECONDS)
        # Still alive after all that: a ping is answered.
        before = len(socket.received)
        await socket.connection.send('{"type":"ping"}')
        await socket.wait_for("pong", after=before)
        name, ending, error, close_code = ENDINGS[(index + life) % len(ENDINGS)]
        await socket.connection.send(ending)
        report.sent += 2
        code, reason = await socket.until_closed()
        assert code == close_code, (name, code, reason)
        if error is not None:
            assert reason == str(error) and socket.errors()[-1]["code"] == str(error), name
        report.received.extend(socket.received)
        report.expected_codec_codes.update(plan.codec_codes)
        # A renew_secrets among the frames replaced the host's secret: the page keeps the new.
        renewed = [m["secret"] for m in socket.received if m["type"] == "host_secrets"]
        secret = renewed[-1] if renewed else secret


async def flooding_socket(server: ThreadedServer, report: SocketReport) -> None:
    plan = plan_frames(random.Random(7), FLOOD_FRAMES)
    socket = await Socket.open(server.url)
    await socket.join("fuzz-flood", "Flut")
    for frame in plan.frames:
        await socket.connection.send(frame)  # as fast as the socket takes them
        report.sent += 1
    before = len(socket.received)
    await asyncio.sleep(2.5)  # the bucket refills: the socket is not punished for ever
    if socket.reader is not None and socket.reader.done():
        # A flood refused for long enough is closed, as documented; only a slow machine
        # makes this one last that long.
        assert socket.closed() == (1008, "rate_limited"), socket.closed()
    else:
        await socket.connection.send('{"type":"ping"}')
        await socket.wait_for("pong", after=before)
        await socket.close()
    report.received.extend(socket.received)


@dataclass
class Bystander:
    pongs: list[float] = field(default_factory=list)
    errors: list[Message] = field(default_factory=list)


async def bystander_pings(socket: Socket, done: asyncio.Event, seen: Bystander) -> None:
    answered = 0
    while not done.is_set():
        await socket.connection.send('{"type":"ping"}')
        await asyncio.sleep(BYSTANDER_PING_SECONDS)
        pongs = [m for m in socket.received if m["type"] == "pong"]
        seen.pongs.extend(time.monotonic() for _ in pongs[answered:])
        answered = len(pongs)
    seen.errors.extend(socket.errors())


@pytest_asyncio.fixture
async def server() -> AsyncIterator[ThreadedServer]:
    _require_netns()
    # The test process holds far more objects than a server does (hypothesis, aiortc, the
    # in-process fuzzing): frozen, a full collection in the server's thread does not walk them.
    gc.collect()
    gc.freeze()
    try:
        with running_server() as running:
            yield running
    finally:
        gc.unfreeze()


async def test_hostile_sockets_do_not_knock_the_server_over(
    server: ThreadedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    bystander_socket = await Socket.open(server.url)
    await bystander_socket.join("fuzz-bystander", "Zuschauerin")
    done = asyncio.Event()
    bystander = Bystander()
    pinging = asyncio.create_task(bystander_pings(bystander_socket, done, bystander))
    server.lag.reset()
    paced = [SocketReport() for _ in range(PACED_SOCKETS)]
    flood = SocketReport()
    started = time.monotonic()
    await asyncio.gather(
        *(paced_socket(server, index, report) for index, report in enumerate(paced)),
        flooding_socket(server, flood),
    )
    finished = time.monotonic()
    done.set()
    await pinging
    await bystander_socket.close()
    sent = sum(report.sent for report in paced) + flood.sent
    every = [m for report in [*paced, flood] for m in report.received]
    answers = Counter(m.get("code", m["type"]) for m in every)
    lag = server.lag
    with capsys.disabled():
        print(
            f"\nsignaling fuzz over sockets: {sent} frames in {finished - started:.1f} s; "
            f"answers {dict(answers)}; "
            f"server loop: {lag.ticks} ticks, worst lateness {lag.worst_wall * 1000:.0f} ms, "
            f"worst busy stretch {lag.worst_busy * 1000:.0f} ms; "
            f"bystander pongs {len(bystander.pongs)}"
        )
    assert sent >= 5_000

    # Every refusal has a stable code, none is an unexpected fault, every ref is a client type.
    for error in (m for m in every if m["type"] == "error"):
        assert error["code"] in set(map(str, ErrorCode)) and error["code"] != "internal", error
        assert error.get("ref") is None or error["ref"] in CLIENT_MESSAGES, error
    # The paced sockets got exactly the codec's answers, and only chat hit a rate limit.
    for report in paced:
        codes = Counter(ErrorCode(m["code"]) for m in report.received if m["type"] == "error")
        assert {code: codes[code] for code in CODEC_CODES} == {
            code: report.expected_codec_codes[code] for code in CODEC_CODES
        }
        limited = [m for m in report.received if m.get("code") == "rate_limited"]
        assert all(m.get("ref") == "chat" for m in limited), limited[:3]
    # The flood was rate-limited; the bystander never was, and was answered throughout.
    flood_codes = Counter(m.get("code") for m in flood.received if m["type"] == "error")
    assert flood_codes["rate_limited"] > FLOOD_FRAMES // 2, flood_codes
    assert bystander.errors == []
    quarter = (finished - started) / 4
    for part in range(4):
        begin = started + part * quarter
        assert any(begin <= t < begin + quarter for t in bystander.pongs), f"no pong in {part}"

    # The server's loop never stalled: no piece of its work held it 100 ms.
    assert lag.ticks > 0 and lag.worst_busy < 0.100, lag
    assert server.alive
    (stats,) = await server.worker_stats()
    assert stats.rooms >= 1
