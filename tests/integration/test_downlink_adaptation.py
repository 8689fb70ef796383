"""Downlink adaptation with real Chromium through the real SFU: two subscribers ask for the
largest layer of a simulcast camera; one has its downlink shaped to 250 kbit/s with ``tc``.
The shaped one ends on the smallest layer while its audio keeps flowing; the other stays on
the largest.

Run inside the isolated namespace (``tc`` then shapes only that namespace's loopback):
``scripts/netns-run .venv/bin/pytest tests/integration/test_downlink_adaptation.py``.

With ``KLINGEL_RECORD_TWCC=FILE`` set, the SFU also records what it sent to the shaped
subscriber and the transport-wide feedback it got back, and writes it to FILE as JSON when the
room closes (``tests/fixtures/twcc/`` holds such a trace for the estimator's unit test).
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import pytest
import pytest_asyncio
from chromium_support import BlankPageServer, ChromiumPeer, grown_inbound
from playwright.async_api import async_playwright
from support.chromium_sfu import (
    SIMULCAST_FIELD_TRIALS,
    Receiving,
    Sfu,
    new_subscriber,
    publish,
    require_netns,
)

from klingel.ids import ParticipantId, RoomId
from klingel.sfu.api import MediaEvent, SfuSettings
from klingel.sfu.counters import WorkerCounters
from klingel.sfu.pool import WorkerPool
from klingel.sfu.router import RoomRouter
from klingel.sfu.rtcp import TransportFeedback
from klingel.sfu.transport import TransportFactory
from klingel.sfu.worker import RouterFactory, room_router
from klingel_bots.browser import PageOpener, launch_chromium, wait_until
from klingel_bots.server_process import free_udp_port_range
from klingel_bots.shaping import LoopbackShaper

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="session")]

PeerOpener = Callable[[], Awaitable[ChromiumPeer]]

SHAPED_RATE = "250kbit"
"""Below what the middle layer and the audio take on the wire (about 260 kbit/s with the fake
camera's simple picture), above what the smallest layer and the audio take (about 190)."""
SHAPED = ParticipantId("shaped")
SMALLEST, LARGEST = 120, 480  # frame heights of the camera's layers (q and f)
RECORD_ENV = "KLINGEL_RECORD_TWCC"


# --- recording a feedback trace (only with KLINGEL_RECORD_TWCC) ------------------------------


class TraceRecordingRouter(RoomRouter):
    """The product's router, noting for the shaped subscriber every transport-cc feedback and
    the sent packets it reports on."""

    def __init__(
        self,
        room: RoomId,
        transports: TransportFactory,
        emit: Callable[[MediaEvent], None],
        counters: WorkerCounters,
    ) -> None:
        super().__init__(room, transports, emit, counters)
        self._sent: dict[int, tuple[float, int]] = {}
        self._feedback: list[tuple[float, bytes]] = []

    def _take_feedback(self, subscriber, packet: TransportFeedback, now: float) -> None:  # type: ignore[no-untyped-def]
        history = subscriber.outgoing.history
        if subscriber.participant == SHAPED and history is not None:
            self._feedback.append((now, packet.fci))
            for sequence, send_time, size in history.sent():
                self._sent.setdefault(sequence, (send_time, size))
        super()._take_feedback(subscriber, packet, now)

    def close(self) -> None:
        super().close()
        path = os.environ.get(RECORD_ENV)
        if path and self._feedback:
            write_trace(Path(path), self._sent, self._feedback)


def recording_router(
    room: RoomId,
    transports: TransportFactory,
    emit: Callable[[MediaEvent], None],
    counters: WorkerCounters,
) -> RoomRouter:
    return TraceRecordingRouter(room, transports, emit, counters)


def write_trace(
    path: Path, sent: dict[int, tuple[float, int]], feedback: list[tuple[float, bytes]]
) -> None:
    """Compact JSON: the packets in the order sent (consecutive transport-wide sequence
    numbers from ``first_sequence``), each one's send time as microseconds after the one
    before and its size; every feedback as the microseconds since the first packet when it
    arrived and its FCI in base64."""
    ordered = sorted(sent.items(), key=lambda item: item[1][0])
    start = ordered[0][1][0]
    times = [round((t - start) * 1e6) for _, (t, _) in ordered]
    trace = {
        "description": f"a Chromium subscriber whose downlink is shaped to {SHAPED_RATE}/s",
        "first_sequence": ordered[0][0],
        "send_gaps_us": [b - a for a, b in zip([0, *times], times, strict=False)],
        "sizes": [size for _, (_, size) in ordered],
        "feedback": [
            [round((t - start) * 1e6), base64.b64encode(fci).decode()] for t, fci in feedback
        ],
    }
    path.write_text(json.dumps(trace, separators=(",", ":")) + "\n")


# --- fixtures -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def page_server() -> Iterator[BlankPageServer]:
    require_netns()
    with BlankPageServer() as server:
        yield server


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def sfu() -> AsyncIterator[Sfu]:
    require_netns()
    port_min, port_max = free_udp_port_range(1)
    factory: RouterFactory = recording_router if os.environ.get(RECORD_ENV) else room_router
    pool = WorkerPool(
        SfuSettings(workers=1, port_min=port_min, port_max=port_max), router_factory=factory
    )
    sfu = Sfu(pool)
    pool.on_event(sfu.record)
    await pool.start()
    try:
        yield sfu
    finally:
        await pool.stop()


@pytest_asyncio.fixture(loop_scope="session")
async def room(sfu: Sfu) -> AsyncIterator[RoomId]:
    room = RoomId(f"downlink-{uuid.uuid4().hex[:12]}")
    try:
        yield room
    finally:
        await sfu.pool.close_room(room)


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def open_peer(page_server: BlankPageServer) -> AsyncIterator[PeerOpener]:
    """Pages of a Chromium that sends all three simulcast layers."""
    require_netns()
    async with async_playwright() as playwright:
        browser = await launch_chromium(playwright, SIMULCAST_FIELD_TRIALS)
        opener = PageOpener(browser)

        async def open_peer() -> ChromiumPeer:
            probed = await opener()
            return await ChromiumPeer.open(probed.page, page_server.url)

        try:
            yield open_peer
        finally:
            await opener.close_all()
            await browser.close()


@pytest.fixture
def shaper() -> Iterator[LoopbackShaper]:
    require_netns()  # never shape the machine's own loopback
    with LoopbackShaper() as shaper:
        yield shaper


# --- the test -------------------------------------------------------------------------------


async def frame_height(receiving: Receiving, video_mid: str) -> int:
    return (await receiving.peer.stats()).inbound[video_mid].frame_height


async def test_a_short_downlink_gets_the_smallest_layer_and_keeps_its_audio(
    sfu: Sfu, room: RoomId, open_peer: PeerOpener, shaper: LoopbackShaper
) -> None:
    sender = await open_peer()
    anna = await publish(sfu, room, "anna", sender, simulcast=True)
    shaped, shaped_mids = await new_subscriber(sfu, room, SHAPED, open_peer, [anna])
    free, free_mids = await new_subscriber(sfu, room, "free", open_peer, [anna])
    video_mid = next(m for m, s in shaped.streams.items() if s == anna.streams["video"])
    audio_mid = next(m for m, s in shaped.streams.items() if s == anna.streams["audio"])
    free_video_mid = next(m for m, s in free.streams.items() if s == anna.streams["video"])

    async def flowing(receiving: Receiving, mids: set[str]) -> bool:
        before = await receiving.peer.stats()
        await asyncio.sleep(2.0)
        return mids <= grown_inbound(before, await receiving.peer.stats())

    await wait_until(lambda: flowing(shaped, shaped_mids), timeout=45.0, message="shaped flows")
    await wait_until(lambda: flowing(free, free_mids), timeout=45.0, message="free flows")
    port = (await shaped.peer.stats()).local_port
    assert port is not None, "no selected candidate pair on the shaped subscriber"
    shaper.shape(port, SHAPED_RATE)

    async def shows(receiving: Receiving, mid: str, height: int) -> bool:
        return await frame_height(receiving, mid) == height

    # Both ask for the largest layer (the default); the free one gets it once the publisher's
    # uplink allows, the shaped one ends on the smallest.
    await wait_until(
        lambda: shows(free, free_video_mid, LARGEST), timeout=90.0, message="free shows 480p"
    )
    await wait_until(
        lambda: shows(shaped, video_mid, SMALLEST), timeout=90.0, message="shaped shows 120p"
    )

    async def audio_grows() -> bool:
        before = (await shaped.peer.stats()).inbound[audio_mid].packets_received
        await asyncio.sleep(2.0)
        return (await shaped.peer.stats()).inbound[audio_mid].packets_received > before

    await wait_until(audio_grows, timeout=30.0, message="the shaped subscriber's audio grows")
    await wait_until(
        lambda: flowing(shaped, {video_mid}), timeout=30.0, message="shaped video still decodes"
    )
    # A while later, still: the shaped one small, the free one large.
    await asyncio.sleep(10.0)
    await wait_until(
        lambda: shows(shaped, video_mid, SMALLEST), timeout=30.0, message="shaped stays at 120p"
    )
    await wait_until(
        lambda: shows(free, free_video_mid, LARGEST), timeout=30.0, message="free stays at 480p"
    )
    stats = await sfu.worker_stats()
    print(
        f"\nworker: {stats.layer_switches} layer switches, "
        f"{stats.held_below_request} subscriptions held below their request"
    )
