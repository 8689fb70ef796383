"""The programme of a public broadcast through the real server and SFU workers: a host
publishes and opens the room to the public, a synthetic viewer (aiortc) receives and decodes
the programme by the viewer key; pausing stops its media, resuming brings it back, and a host
who keeps out of the broadcast is no longer seen or heard there."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest_asyncio
from websockets.asyncio.client import connect
from websockets.typing import Origin

from klingel.protocol.broadcast import (
    BroadcastCommand,
    BroadcastLive,
    BroadcastState,
    OnStage,
    PublicConsent,
)
from klingel.protocol.messages import ChatLine
from klingel.sfu.api import PROGRAMME_SLOTS
from klingel_bots.browser import wait_until
from klingel_bots.client import ProtocolClient, ReceivedCounts
from klingel_bots.metrics import parse_metrics
from klingel_bots.viewer import ProgrammeViewer

CAMERA, AUDIO = PROGRAMME_SLOTS[0].stream_id, PROGRAMME_SLOTS[2].stream_id
QUIET_SECONDS = 1.5  # longer than any packet's way through a paused programme


@pytest_asyncio.fixture
async def broadcast(
    server: str, room_name: str, test_media: Path
) -> AsyncIterator[tuple[ProtocolClient, ProgrammeViewer]]:
    """A public room's publishing host, and a viewer watching it (subscribed, not yet
    receiving)."""
    host, key = await public_host(server, room_name, test_media)
    viewer = ProgrammeViewer(server, key)
    try:
        watching = await viewer.watch()
        assert watching.live
        yield host, viewer
    finally:
        await viewer.close()
        await host.close()


async def public_host(server: str, name: str, test_media: Path) -> tuple[ProtocolClient, str]:
    """A host in a new room, publishing camera and microphone, the room made public."""
    async with httpx.AsyncClient(base_url=server) as http:
        created = (await http.post("/api/rooms", json={"name": name})).json()
    host = ProtocolClient(server, created["room"], "Bürgermeisterin Koch")
    await host.join(host_secret=created["hostSecret"])
    await host.publish_file(test_media)
    await host.send(BroadcastCommand("start"))
    state = await host.wait_for(BroadcastState, lambda s: s.viewer_key is not None)
    assert state.viewer_key is not None
    return host, state.viewer_key


async def still(viewer: ProgrammeViewer) -> dict[str, ReceivedCounts]:
    """The counts once nothing more arrives for ``QUIET_SECONDS`` (packets on their way
    when it stopped may still come); fails if media keeps flowing."""
    counts = await viewer.received()
    for _ in range(5):
        await asyncio.sleep(QUIET_SECONDS)
        later = await viewer.received()
        if later == counts:
            return dict(later)
        counts = later
    raise AssertionError(f"media kept flowing: {counts}")


async def test_a_viewer_decodes_the_programme_and_a_pause_stops_it(
    broadcast: tuple[ProtocolClient, ProgrammeViewer],
) -> None:
    host, viewer = broadcast
    first = await viewer.wait_receiving([CAMERA, AUDIO])
    # counts that keep growing
    later = await viewer.wait_receiving({slot: first[slot] for slot in (CAMERA, AUDIO)})
    assert later[CAMERA].frames > first[CAMERA].frames
    stage = await viewer.wait_for(OnStage, lambda s: s.camera is not None)
    assert stage.camera == "Bürgermeisterin Koch"
    assert stage.screen is None

    await host.send(BroadcastCommand("pause"))
    await viewer.wait_for(BroadcastLive, lambda m: not m.live)
    paused = await still(viewer)
    await asyncio.sleep(QUIET_SECONDS)
    assert await viewer.received() == paused, "nothing flows while paused"

    await host.send(BroadcastCommand("resume"))
    await viewer.wait_for(BroadcastLive, lambda m: m.live)
    await viewer.wait_receiving({slot: paused[slot] for slot in (CAMERA, AUDIO)})


async def test_a_host_who_keeps_out_is_neither_seen_nor_heard(
    broadcast: tuple[ProtocolClient, ProgrammeViewer],
) -> None:
    host, viewer = broadcast
    await viewer.wait_receiving([CAMERA, AUDIO])
    await host.send(PublicConsent(shown=False))
    await viewer.wait_for(OnStage, lambda s: s.camera is None)
    hidden = await still(viewer)
    await asyncio.sleep(QUIET_SECONDS)
    assert await viewer.received() == hidden
    # the meeting itself goes on: the host still publishes
    assert host.publish_state == "connected"


async def forwarded_by_worker(server: str) -> dict[str, float]:
    async with httpx.AsyncClient(base_url=server) as http:
        text = (await http.get("/metrics")).text
    return {
        sample.labels["worker"]: sample.value
        for sample in parse_metrics(text)
        if sample.name == "klingel_sfu_rtp_forwarded_total"
    }


async def test_viewers_are_spread_over_the_workers_and_the_programme_relayed(
    server: str, broadcast: tuple[ProtocolClient, ProgrammeViewer]
) -> None:
    """The session's server has two SFU workers: of three viewers, one at least sits on the
    worker that does not hold the room, and gets the programme over the relay."""
    host, first = broadcast
    others = [ProgrammeViewer(server, first.key) for _ in range(2)]
    try:
        for viewer in others:
            await viewer.watch()
        before = await forwarded_by_worker(server)
        assert len(before) == 2
        for viewer in (first, *others):
            counts = await viewer.wait_receiving([CAMERA, AUDIO])
            await viewer.wait_receiving({slot: counts[slot] for slot in (CAMERA, AUDIO)})
        after = await forwarded_by_worker(server)
        assert all(after[worker] > before[worker] for worker in before), (before, after)
    finally:
        for viewer in others:
            await viewer.close()
    # the last viewer gone from the other worker, the relay ends; the others still watch
    counts = await first.wait_receiving([CAMERA])
    await first.wait_receiving({CAMERA: counts[CAMERA]})
    assert host.publish_state == "connected"


async def test_a_flood_of_viewers_and_questions_leaves_the_meeting_unharmed(
    server: str, room_name: str, test_media: Path, broadcast: tuple[ProtocolClient, ProgrammeViewer]
) -> None:
    """Forty sockets from eight addresses watch, ask, send junk and come and go at once; the
    meeting's own media, chat and the programme of a real viewer go on meanwhile."""
    host, programme_viewer = broadcast
    await host.change_settings(lobby=False)
    guest = ProtocolClient(server, host.room, "Gast")
    await guest.join()
    try:
        await wait_until(lambda: len(guest.others_streams()) == 2, message="the host's streams")
        streams = list(guest.others_streams())
        before = await guest.wait_receiving(streams)
        watched = await programme_viewer.wait_receiving([CAMERA, AUDIO])

        async def flood(index: int) -> None:
            for _ in range(2):  # watch, ask, misbehave, drop; then once more
                # from addresses of their own: the meeting's people are not to share
                # their per-address limits with a crowd
                socket = await connect(
                    server.replace("http", "ws") + "/ws",
                    origin=Origin(server),
                    local_addr=(f"127.0.0.{20 + index % 8}", 0),
                )
                try:
                    await socket.send(
                        json.dumps({"type": "watch", "v": 1, "key": programme_viewer.key})
                    )
                    await socket.send(
                        json.dumps({"type": "question", "text": f"Frage {index} " * 40})
                    )
                    await socket.send(json.dumps({"type": "question", "text": "noch eine"}))
                    await socket.send(json.dumps({"type": "chat", "text": "hallo"}))
                    await socket.send("{not json")
                finally:
                    await socket.close()

        await asyncio.gather(*(flood(index) for index in range(40)))
        after = await guest.wait_receiving({sid: before[sid] for sid in streams})
        assert all(after[sid].frames > before[sid].frames for sid in streams)
        await programme_viewer.wait_receiving({slot: watched[slot] for slot in (CAMERA, AUDIO)})
        since = len(guest.messages)
        await host.chat("Wir machen weiter.")
        line = await guest.wait_for(ChatLine, since=since)
        assert line.text == "Wir machen weiter."
        assert host.publish_state == "connected" and guest.subscribe_state == "connected"
    finally:
        await guest.close()
