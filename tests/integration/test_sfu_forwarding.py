"""Media through the real SFU: worker pool, transports and room router, with aiortc peers.

One aiortc publisher sends a generated video track (VP8) and audio (Opus); aiortc subscribers
receive them through the SFU and decode. Run inside the isolated namespace:
``scripts/netns-run .venv/bin/pytest tests/integration/test_sfu_forwarding.py``.
"""

from __future__ import annotations

import asyncio
import fractions
import os
import re
import time
from collections.abc import AsyncIterator, Callable

import pytest
import pytest_asyncio
from aiortc import (
    MediaStreamTrack,
    RTCConfiguration,
    RTCPeerConnection,
    RTCRtpSender,
    RTCSessionDescription,
)
from aiortc.mediastreams import AudioStreamTrack, VideoStreamTrack
from av import VideoFrame

from klingel.ids import ParticipantId, RoomId, StreamId
from klingel.sfu.api import MediaEvent, SfuSettings, Subscription, TrackSpec, WorkerStats
from klingel.sfu.pool import WorkerPool

PORT_MIN = 40200
ROOM = RoomId("forwarding")
MIC, CAM = StreamId("s-mic"), StreamId("s-cam")


@pytest.fixture(autouse=True)
def _inside_netns() -> None:
    if os.environ.get("KLINGEL_NETNS") != "1":
        pytest.fail("run inside scripts/netns-run: this test sends media", pytrace=False)


class MovingPattern(VideoStreamTrack):
    """Small frames with a moving bar, so the encoder has something to send."""

    def __init__(self) -> None:
        super().__init__()
        self._count = 0

    async def recv(self) -> VideoFrame:
        pts, time_base = await self.next_timestamp()
        frame = VideoFrame(160, 120, "yuv420p")
        luma, *chroma = frame.planes
        column = (self._count * 4) % 152
        row = bytearray(luma.line_size)
        row[column : column + 8] = b"\xff" * 8
        luma.update(bytes(row) * (luma.buffer_size // luma.line_size))
        for plane in chroma:
            plane.update(b"\x80" * plane.buffer_size)
        self._count += 1
        frame.pts = pts
        frame.time_base = time_base or fractions.Fraction(1, 90000)
        return frame


class Counter:
    """Counts what arrives on each track a subscriber receives."""

    def __init__(self) -> None:
        self.video_frames = 0
        self.audio_frames = 0
        self.tasks: list[asyncio.Task[None]] = []

    def follow(self, track: MediaStreamTrack) -> None:
        self.tasks.append(asyncio.create_task(self._drain(track)))

    async def _drain(self, track: MediaStreamTrack) -> None:
        while True:
            try:
                await track.recv()
            except Exception:  # the track ended
                return
            if track.kind == "video":
                self.video_frames += 1
            else:
                self.audio_frames += 1


def new_peer() -> RTCPeerConnection:
    return RTCPeerConnection(RTCConfiguration(iceServers=[]))


async def offer_of(pc: RTCPeerConnection) -> str:
    await pc.setLocalDescription(await pc.createOffer())
    return pc.localDescription.sdp


def mids_by_kind(sdp: str) -> dict[str, str]:
    """kind -> mid of the offer's m-sections (one of each kind here)."""
    result = {}
    for section in sdp.split("\nm=")[1:]:
        mid = re.search(r"a=mid:(\S+)", section)
        assert mid
        result[section.split(" ", 1)[0]] = mid.group(1)
    return result


async def publish(pool: WorkerPool, participant: ParticipantId) -> RTCPeerConnection:
    pc = new_peer()
    pc.addTransceiver(AudioStreamTrack(), direction="sendonly")
    video = pc.addTransceiver(MovingPattern(), direction="sendonly")
    vp8 = [c for c in RTCRtpSender.getCapabilities("video").codecs if c.mimeType == "video/VP8"]
    video.setCodecPreferences(vp8)
    offer = await offer_of(pc)
    mids = mids_by_kind(offer)
    tracks = [
        TrackSpec(mids["audio"], "audio", "microphone", MIC),
        TrackSpec(mids["video"], "video", "camera", CAM),
    ]
    answer = await pool.publish(ROOM, participant, offer, tracks)
    await pc.setRemoteDescription(RTCSessionDescription(answer, "answer"))
    return pc


async def subscribe(
    pool: WorkerPool, participant: ParticipantId
) -> tuple[RTCPeerConnection, Counter]:
    pc = new_peer()
    counter = Counter()
    pc.on("track", counter.follow)
    pc.addTransceiver("audio", direction="recvonly")
    pc.addTransceiver("video", direction="recvonly")
    offer = await offer_of(pc)
    mids = mids_by_kind(offer)
    subscriptions = [Subscription(mids["audio"], MIC), Subscription(mids["video"], CAM)]
    answer = await pool.subscribe(ROOM, participant, offer, subscriptions)
    await pc.setRemoteDescription(RTCSessionDescription(answer, "answer"))
    return pc, counter


async def until(condition: Callable[[], bool], what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        await asyncio.sleep(0.1)


async def grows(counter: Counter) -> None:
    """Video frames and audio frames both keep arriving."""
    video, audio = counter.video_frames, counter.audio_frames
    await until(
        lambda: counter.video_frames > video + 5 and counter.audio_frames > audio + 10,
        "video and audio to keep arriving",
    )


@pytest_asyncio.fixture
async def pool() -> AsyncIterator[WorkerPool]:
    events: list[MediaEvent] = []

    async def collect(event: MediaEvent) -> None:
        events.append(event)

    workers = WorkerPool(SfuSettings(workers=1, port_min=PORT_MIN, port_max=PORT_MIN + 9))
    workers.on_event(collect)
    await workers.start()
    try:
        yield workers
    finally:
        await workers.stop()


async def test_publisher_reaches_two_subscribers_and_a_late_one(pool: WorkerPool) -> None:
    peers: list[RTCPeerConnection] = []
    counters: list[Counter] = []
    try:
        peers.append(await publish(pool, ParticipantId("p-anna")))
        for name in ("p-ben", "p-cem"):
            pc, counter = await subscribe(pool, ParticipantId(name))
            peers.append(pc)
            counters.append(counter)
        for counter in counters[:2]:
            await until(lambda c=counter: c.video_frames > 0, "first decoded frame")  # type: ignore[misc]
            await grows(counter)

        late_pc, late = await subscribe(pool, ParticipantId("p-dora"))
        peers.append(late_pc)
        counters.append(late)
        await until(lambda: late.video_frames > 0, "the late subscriber's first frame")
        await grows(late)
        await grows(counters[0])

        (stats,) = await pool.stats()
        assert isinstance(stats, WorkerStats)
        assert stats.rtp_forwarded > stats.rtp_received > 0
        assert stats.transports == 4
    finally:
        for counter in counters:
            for task in counter.tasks:
                task.cancel()
        for pc in peers:
            await pc.close()
