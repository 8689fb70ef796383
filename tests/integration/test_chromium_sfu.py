"""Real Chromium peers against the real SFU (``WorkerPool`` with its worker process), below
the signaling layer: the test carries each offer to ``publish``/``subscribe`` and each answer
back to the page itself.

Run inside the isolated namespace:
``scripts/netns-run .venv/bin/pytest tests/integration/test_chromium_sfu.py -x``.
Add ``-s`` to see the measurements (first-frame time, publisher bitrate, worker CPU per
forwarded packet); they are printed, not asserted.
"""

from __future__ import annotations

import asyncio
import re
import statistics
import time
import uuid
from collections.abc import AsyncIterator, Iterator

import pytest
import pytest_asyncio
from chromium_support import (
    BlankPageServer,
    ChromiumPeer,
    InboundRtp,
    grown_inbound,
    wait_inbound_growing,
)
from playwright.async_api import async_playwright
from support.chromium_sfu import (
    SIMULCAST_FIELD_TRIALS,
    PeerOpener,
    Sfu,
    new_subscriber,
    publish,
    require_netns,
    subscribe,
)

from klingel.ids import ParticipantId, RoomId
from klingel.sfu.api import (
    ActiveSpeaker,
    SfuSettings,
    Subscription,
    TransportStateChanged,
)
from klingel.sfu.pool import WorkerPool
from klingel_bots.browser import PageOpener, launch_chromium, wait_until
from klingel_bots.server_process import free_udp_port_range

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="session")]


@pytest.fixture(scope="module")
def page_server() -> Iterator[BlankPageServer]:
    require_netns()
    with BlankPageServer() as server:
        yield server


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def sfu() -> AsyncIterator[Sfu]:
    require_netns()
    port_min, port_max = free_udp_port_range(1)
    pool = WorkerPool(SfuSettings(workers=1, port_min=port_min, port_max=port_max))
    sfu = Sfu(pool)
    pool.on_event(sfu.record)
    await pool.start()
    try:
        yield sfu
    finally:
        await pool.stop()


@pytest_asyncio.fixture(loop_scope="session")
async def room(sfu: Sfu) -> AsyncIterator[RoomId]:
    """A fresh room, closed afterwards so that its timer does not weigh on later tests."""
    room = RoomId(f"chromium-{uuid.uuid4().hex[:12]}")
    try:
        yield room
    finally:
        await sfu.pool.close_room(room)


@pytest_asyncio.fixture(loop_scope="session")
async def open_peer(open_page: PageOpener, page_server: BlankPageServer) -> PeerOpener:
    async def open_peer() -> ChromiumPeer:
        probed = await open_page()
        return await ChromiumPeer.open(probed.page, page_server.url)

    return open_peer


def ice_ufrag(sdp: str) -> str:
    found = re.search(r"^a=ice-ufrag:(\S+)", sdp, re.MULTILINE)
    assert found, "no ICE username fragment in the SDP"
    return found.group(1)


async def wait_outbound_video_growing(peer: ChromiumPeer, timeout: float = 30.0) -> None:
    async def grows() -> bool:
        before = (await peer.stats()).outbound_of("video").bytes_sent
        await asyncio.sleep(2.0)
        return (await peer.stats()).outbound_of("video").bytes_sent > before

    await wait_until(grows, timeout=timeout, message="publisher's video bytesSent grows")


# --- behaviour ------------------------------------------------------------------------------


async def test_subscribers_decode_the_camera_and_receive_the_microphone(
    sfu: Sfu, room: RoomId, open_peer: PeerOpener
) -> None:
    sender = await open_peer()
    anna = await publish(sfu, room, "anna", sender)
    ben, ben_mids = await new_subscriber(sfu, room, "ben", open_peer, [anna])
    cem, cem_mids = await new_subscriber(sfu, room, "cem", open_peer, [anna])

    for subscriber, mids in ((ben, ben_mids), (cem, cem_mids)):
        assert await wait_inbound_growing(subscriber.peer, mids) >= mids
        stats = await subscriber.peer.stats()
        assert {entry.kind for entry in stats.inbound.values()} == {"audio", "video"}
        assert stats.connection_state == "connected"
    await wait_outbound_video_growing(sender)
    assert (await sfu.worker_stats()).rtp_forwarded > 0


async def test_a_publisher_that_offers_only_h264_reaches_subscribers(
    sfu: Sfu, room: RoomId, open_peer: PeerOpener
) -> None:
    sender = await open_peer()
    anna = await publish(sfu, room, "anna", sender, video_codec="H264")
    ben, ben_mids = await new_subscriber(sfu, room, "ben", open_peer, [anna])
    assert await wait_inbound_growing(ben.peer, ben_mids) >= ben_mids
    assert "H264/90000" in ben.answers[-1]


async def test_late_subscriber_gets_a_keyframe(
    sfu: Sfu, room: RoomId, open_peer: PeerOpener
) -> None:
    sender = await open_peer()
    anna = await publish(sfu, room, "anna", sender)
    await wait_outbound_video_growing(sender)
    await asyncio.sleep(4.0)  # well past the publisher's first keyframe
    keyframes_before = (await sender.stats()).outbound_of("video").key_frames_encoded

    ben, mids = await new_subscriber(sfu, room, "ben", open_peer, [anna])

    assert await wait_inbound_growing(ben.peer, mids) >= mids
    video = next(e for e in (await ben.peer.stats()).inbound.values() if e.kind == "video")
    assert video.key_frames_decoded >= 1
    assert (await sender.stats()).outbound_of("video").key_frames_encoded > keyframes_before


async def test_two_publishers_reach_three_subscribers(
    sfu: Sfu, room: RoomId, open_peer: PeerOpener
) -> None:
    anna = await publish(sfu, room, "anna", await open_peer())
    ben = await publish(sfu, room, "ben", await open_peer())
    subscribers = [
        await new_subscriber(sfu, room, name, open_peer, [anna, ben])
        for name in ("cem", "dana", "emil")
    ]

    for receiving, mids in subscribers:
        assert len(mids) == 4
        assert await wait_inbound_growing(receiving.peer, mids, timeout=45.0) >= mids


async def test_subscriber_adds_a_stream_by_renegotiating(
    sfu: Sfu, room: RoomId, open_peer: PeerOpener
) -> None:
    anna = await publish(sfu, room, "anna", await open_peer())
    ben = await publish(sfu, room, "ben", await open_peer())
    cem, first_mids = await new_subscriber(sfu, room, "cem", open_peer, [anna])
    assert await wait_inbound_growing(cem.peer, first_mids) >= first_mids

    later_mids = await subscribe(sfu, room, cem, [ben])

    assert later_mids.isdisjoint(first_mids)
    everything = first_mids | later_mids
    assert await wait_inbound_growing(cem.peer, everything) >= everything


async def test_ice_restart_keeps_frames_flowing(
    sfu: Sfu, room: RoomId, open_peer: PeerOpener
) -> None:
    anna = await publish(sfu, room, "anna", await open_peer())
    ben, mids = await new_subscriber(sfu, room, "ben", open_peer, [anna])
    assert await wait_inbound_growing(ben.peer, mids) >= mids

    offer = await ben.peer.ice_restart_offer()
    answer = await sfu.pool.subscribe(room, ben.participant, offer.sdp, ben.subscriptions())
    await ben.peer.accept(answer)

    assert ice_ufrag(offer.sdp) != ice_ufrag(ben.offers[0])
    assert ice_ufrag(answer) != ice_ufrag(ben.answers[0])
    assert await wait_inbound_growing(ben.peer, mids) >= mids
    assert (await ben.peer.stats()).connection_state == "connected"
    states = [e.state for e in sfu.events_of(room) if isinstance(e, TransportStateChanged)]
    assert "failed" not in states


async def test_audio_level_makes_the_publisher_active_speaker(
    sfu: Sfu, room: RoomId, open_peer: PeerOpener
) -> None:
    anna = await publish(sfu, room, "anna", await open_peer(), tone=True)

    def anna_speaks() -> bool:
        return ActiveSpeaker(room, anna.participant) in sfu.events

    await wait_until(anna_speaks, timeout=30.0, message="anna becomes the active speaker")

    await sfu.pool.remove_participant(room, anna.participant)

    def nobody_speaks() -> bool:
        return sfu.events_of(room)[-1:] == [ActiveSpeaker(room, None)]

    await wait_until(nobody_speaks, timeout=30.0, message="nobody is the active speaker")


async def test_removing_the_publisher_stops_the_subscribers_frames(
    sfu: Sfu, room: RoomId, open_peer: PeerOpener
) -> None:
    anna = await publish(sfu, room, "anna", await open_peer())
    ben, mids = await new_subscriber(sfu, room, "ben", open_peer, [anna])
    assert await wait_inbound_growing(ben.peer, mids) >= mids

    await sfu.pool.remove_participant(room, anna.participant)

    async def stopped() -> bool:
        before = await ben.peer.stats()
        await asyncio.sleep(2.0)
        return not grown_inbound(before, await ben.peer.stats())

    await wait_until(stopped, timeout=20.0, message="the subscriber's media stops")


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def open_simulcast_peer(page_server: BlankPageServer) -> AsyncIterator[PeerOpener]:
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


async def test_simulcast_subscriber_gets_the_layer_it_asks_for_or_none(
    sfu: Sfu, room: RoomId, open_simulcast_peer: PeerOpener
) -> None:
    open_peer = open_simulcast_peer
    sender = await open_peer()
    anna = await publish(sfu, room, "anna", sender, simulcast=True)
    ben, mids = await new_subscriber(sfu, room, "ben", open_peer, [anna])
    video_mid = next(m for m, s in ben.streams.items() if s == anna.streams["video"])
    audio_mid = next(m for m, s in ben.streams.items() if s == anna.streams["audio"])
    assert await wait_inbound_growing(ben.peer, mids, timeout=45.0) >= mids
    camera = anna.streams["video"]
    report: list[str] = []

    async def video() -> InboundRtp:
        return (await ben.peer.stats()).inbound[video_mid]

    async def note(step: str) -> None:
        inbound = await video()
        layers = sorted(
            f"{o.rid}:{o.frame_height}p"
            for o in (await sender.stats()).outbound.values()
            if o.kind == "video"
        )
        report.append(
            f"  {step}: frameHeight {inbound.frame_height}, framesDecoded "
            f"{inbound.frames_decoded}, framesDropped {inbound.frames_dropped}, freezeCount "
            f"{inbound.freeze_count}, keyFramesDecoded {inbound.key_frames_decoded}; "
            f"publisher sends {', '.join(layers)}"
        )

    async def shows(height: int) -> bool:
        return (await video()).frame_height == height

    # By default the highest layer there is, once the publisher's bandwidth allows it.
    await wait_until(lambda: shows(480), timeout=60.0, message="the full layer (480p) arrives")
    await note("default")
    for layer, height in ((0, 120), (2, 480), (1, 240)):
        await sfu.pool.set_layer(room, ben.participant, camera, layer)
        await wait_until(lambda h=height: shows(h), timeout=30.0, message=f"{height}p arrives")
        assert await wait_inbound_growing(ben.peer, mids) >= mids
        await note(f"layer {layer}")

    await sfu.pool.set_layer(room, ben.participant, camera, None)

    async def paused() -> bool:
        before = await ben.peer.stats()
        await asyncio.sleep(2.0)
        return grown_inbound(before, await ben.peer.stats()) == {audio_mid}

    await wait_until(paused, timeout=20.0, message="video stops while audio flows")
    await note("paused")

    await sfu.pool.set_layer(room, ben.participant, camera, 0)
    assert await wait_inbound_growing(ben.peer, mids) >= mids
    await wait_until(lambda: shows(120), timeout=30.0, message="120p after resuming")
    await note("resumed at layer 0")
    print("\nsimulcast subscriber, step by step:\n" + "\n".join(report))


# --- measurements (printed; asserted only in that media flowed) -----------------------------

FIRST_FRAME_RUNS = 10
LOAD_SECONDS = 20.0
IDLE_SECONDS = 5.0


@pytest.mark.parametrize(
    "pause",
    [1.0, 0.0],
    ids=["joins-a-second-apart", "joins-back-to-back"],
)
async def test_measure_time_to_first_frame(
    sfu: Sfu, room: RoomId, open_peer: PeerOpener, pause: float
) -> None:
    """Back to back, each join comes soon after the last keyframe request, which Chromium's
    encoder may ignore (it honours one per 300 ms)."""
    sender = await open_peer()
    anna = await publish(sfu, room, "anna", sender)
    await wait_outbound_video_growing(sender)
    peer = await open_peer()

    times: list[float] = []
    for run in range(FIRST_FRAME_RUNS):
        participant = ParticipantId(f"viewer-{run}")
        offer = await peer.receive_offer(["audio", "video"])
        subscriptions = [Subscription(mid, anna.streams[kind]) for mid, kind in offer.mids]
        answer = await sfu.pool.subscribe(room, participant, offer.sdp, subscriptions)
        elapsed = await peer.accept_and_time_first_frame(answer)
        assert elapsed is not None, f"run {run}: no frame decoded"
        times.append(elapsed)
        await peer.close_connection()
        await sfu.pool.remove_participant(room, participant)
        await asyncio.sleep(pause)

    print(
        f"\nsetRemoteDescription(answer) to first decoded frame, {len(times)} joins "
        f"{pause:.0f} s apart: median {statistics.median(times) * 1000:.0f} ms, "
        f"min {min(times) * 1000:.0f} ms, max {max(times) * 1000:.0f} ms"
    )


async def test_measure_bitrate_and_worker_cpu_per_forwarded_packet(
    sfu: Sfu, room: RoomId, open_peer: PeerOpener
) -> None:
    idle = await sfu.worker_stats()
    await asyncio.sleep(IDLE_SECONDS)
    idle_cpu_per_second = ((await sfu.worker_stats()).cpu_seconds - idle.cpu_seconds) / IDLE_SECONDS
    sender = await open_peer()
    started = time.monotonic()
    anna = await publish(sfu, room, "anna", sender)
    subscribers = [
        await new_subscriber(sfu, room, name, open_peer, [anna]) for name in ("ben", "cem", "dana")
    ]
    for receiving, mids in subscribers:
        assert await wait_inbound_growing(receiving.peer, mids) >= mids

    first = await sfu.worker_stats()
    first_at = time.monotonic()
    bitrate_report: list[str] = []
    while time.monotonic() - first_at < LOAD_SECONDS:
        await asyncio.sleep(5.0)
        stats = await sender.stats()
        video = stats.outbound_of("video")
        available = stats.available_outgoing_bitrate
        bitrate_report.append(
            f"  {time.monotonic() - started:5.1f} s after publish: targetBitrate "
            f"{video.target_bitrate / 1000:.0f} kbit/s, availableOutgoingBitrate "
            f"{'-' if available is None else f'{available / 1000:.0f} kbit/s'}, "
            f"limited by {video.quality_limitation_reason or '-'}"
        )
    last = await sfu.worker_stats()
    last_at = time.monotonic()

    forwarded = last.rtp_forwarded - first.rtp_forwarded
    received = last.rtp_received - first.rtp_received
    cpu = last.cpu_seconds - first.cpu_seconds
    media_cpu = cpu - idle_cpu_per_second * (last_at - first_at)
    assert forwarded > 0
    print("\npublisher's video send rate as Chromium reports it:")
    print("\n".join(bitrate_report))
    print(
        f"worker over {last_at - first_at:.1f} s, 1 publisher to 3 subscribers: "
        f"{received} RTP received, {forwarded} forwarded, "
        f"{last.rtcp_received - first.rtcp_received} RTCP received, "
        f"{last.rtcp_sent - first.rtcp_sent} RTCP sent, "
        f"{last.retransmitted - first.retransmitted} retransmitted, "
        f"{last.dropped - first.dropped} dropped; CPU {cpu:.2f} s "
        f"({cpu / (last_at - first_at) * 100:.1f} % of a core), "
        f"{cpu / forwarded * 1e6:.1f} µs per forwarded packet; without the idle worker's "
        f"{idle_cpu_per_second * 100:.2f} % of a core: {media_cpu / forwarded * 1e6:.1f} µs"
    )
