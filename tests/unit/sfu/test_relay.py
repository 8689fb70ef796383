"""The programme relay between two workers' routers, over real Unix datagram sockets in one
process: the room's router sends its slots once to the other worker's router, whose viewers
receive them; keyframe requests and sender reports travel the relay too, and nothing from an
unknown relay or a malformed datagram reaches anyone."""

from __future__ import annotations

import asyncio
import os
import stat
from collections.abc import Callable
from pathlib import Path

from support.clock import ManualTimers
from support.router_room import (
    VP8_DELTA,
    VP8_KEY,
    FakeFactory,
    FakeTransport,
    Room,
    Stream,
    ssrc_lines,
    subscribe_offer,
)

from klingel.ids import ParticipantId
from klingel.sfu.api import PROGRAMME_SLOTS, Stage, Subscription
from klingel.sfu.counters import WorkerCounters
from klingel.sfu.relay import RelayMux, RelayPeer, socket_path
from klingel.sfu.router import RoomRouter
from klingel.sfu.rtcp import PictureLossIndication, SenderReport
from klingel.sfu.rtp import build_packet, parse_rtp

VIEWER = ParticipantId("w-elsewhere")
CAMERA, AUDIO = PROGRAMME_SLOTS[0].stream_id, PROGRAMME_SLOTS[2].stream_id


async def until(check: Callable[[], bool]) -> None:
    """Let the loop read the relay's datagrams until ``check`` holds (at most a second)."""
    for _ in range(100):
        if check():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the relay did not deliver")


class Relayed:
    """The room on worker 0 (Anna publishes, the programme is live), its programme relayed to
    worker 1, where a viewer receives the camera and first audio slot."""

    def __init__(self, directory: Path) -> None:
        self.home_mux = RelayMux(str(directory), 0)
        self.away_mux = RelayMux(str(directory), 1)
        self.home_mux.start()
        self.away_mux.start()
        self.room = Room()
        self.room.router.set_stage(Stage(live=True))
        self.room.router.relay_to(RelayPeer(self.home_mux, 7, 1))
        self.home_mux.attach(7, self.room.router)
        self.factory = FakeFactory()
        self.counters = WorkerCounters()
        timers = ManualTimers()
        self.away = RoomRouter(
            self.room.router._room,
            self.factory,
            lambda event: None,
            self.counters,
            clock=timers,
            scheduler=timers,
        )
        self.away.receive_relay(RelayPeer(self.away_mux, 7, 0))
        self.away_mux.attach(7, self.away)
        answer = self.away.subscribe(
            VIEWER, subscribe_offer(), [Subscription("0", AUDIO), Subscription("1", CAMERA)]
        )
        self.viewer: FakeTransport = self.factory.created[-1]
        self.viewer.set_state("connected")
        self.ssrcs = ssrc_lines(answer)
        self.mic = Stream(self.room.publisher, self.room.audio_ssrc, "audio", 100)
        self.cam = Stream(self.room.publisher, self.room.video_ssrc, "video", 900)

    def received(self, mid: str) -> list[bytes]:
        return [p for p in self.viewer.rtp if parse_rtp(p).ssrc == self.ssrcs[mid]]

    def close(self) -> None:
        self.away.close()
        self.room.router.close()
        self.home_mux.close()
        self.away_mux.close()


async def test_a_viewer_on_another_worker_receives_the_programme(tmp_path: Path) -> None:
    relayed = Relayed(tmp_path)
    try:
        now = relayed.room.timers.now()
        relayed.mic.send(now, payload=b"hallo-welt")
        await until(lambda: len(relayed.received("0")) == 1)
        assert relayed.received("0")[0].endswith(b"hallo-welt")
        assert parse_rtp(relayed.received("0")[0]).payload_type == 109
        # the viewer's worker asks the room's worker for a keyframe, which asks Anna
        await until(lambda: bool(relayed.room.publisher.rtcp_of(PictureLossIndication)))
        relayed.cam.send(now, VP8_DELTA)
        relayed.cam.send(now, VP8_KEY)
        relayed.cam.send(now, VP8_DELTA)
        await until(lambda: len(relayed.received("1")) == 2)
        first, second = (parse_rtp(p) for p in relayed.received("1"))
        assert second.sequence == (first.sequence + 1) & 0xFFFF
    finally:
        relayed.close()


async def test_sender_reports_follow_the_relay(tmp_path: Path) -> None:
    relayed = Relayed(tmp_path)
    try:
        room = relayed.room
        relayed.mic.send(room.timers.now())
        report = SenderReport(
            ssrc=room.audio_ssrc, ntp_timestamp=1 << 40, rtp_timestamp=101 * 960,
            packet_count=1, octet_count=10,
        )  # fmt: skip
        room.publisher.on_rtcp(bytes(report))
        room.timers.advance(1.1)  # the room's report tick: the relayed slot learns it
        programme = relayed.away._programme
        assert programme is not None
        layer = programme.layer(2, 0)
        assert layer is not None
        await until(lambda: layer.sender_report is not None)
        assert layer.sender_report is not None and layer.sender_report[0] == 1 << 40
    finally:
        relayed.close()


async def test_an_ended_relay_sends_nothing_more_and_strangers_are_ignored(
    tmp_path: Path,
) -> None:
    relayed = Relayed(tmp_path)
    try:
        now = relayed.room.timers.now()
        relayed.mic.send(now)
        await until(lambda: len(relayed.received("0")) == 1)
        relayed.room.router.end_relay(7)
        relayed.mic.send(now)
        await asyncio.sleep(0.05)
        assert len(relayed.received("0")) == 1
        # a datagram of an unknown relay, and one too short for a header
        stranger = RelayPeer(relayed.home_mux, 99, 1)
        packet = build_packet(payload_type=111, sequence=1, timestamp=1, ssrc=5, payload=b"x")
        stranger.rtp(2, 0, bytes(packet))
        relayed.home_mux.send(1, b"\x00")
        await until(lambda: relayed.away_mux.dropped == 2)
        assert len(relayed.received("0")) == 1
    finally:
        relayed.close()


def test_the_relay_sockets_are_for_the_servers_user_only(tmp_path: Path) -> None:
    directory = tmp_path / "relay"
    directory.mkdir(mode=0o700)
    mux = RelayMux(str(directory), 3)
    try:
        assert Path(socket_path(str(directory), 3)).exists()
        assert stat.S_IMODE(os.stat(directory).st_mode) == 0o700
    finally:
        mux.close()


async def test_a_burst_larger_than_a_datagram_queue_arrives_whole(tmp_path: Path) -> None:
    """A keyframe of three layers is dozens of packets at once: the relay takes them all
    (an unconnected Unix datagram socket would refuse after ``net.unix.max_dgram_qlen``)."""
    relayed = Relayed(tmp_path)
    try:
        now = relayed.room.timers.now()
        for _ in range(200):
            relayed.mic.send(now)
        await until(lambda: len(relayed.received("0")) == 200)
        assert relayed.home_mux.dropped == 0
    finally:
        relayed.close()


class _SentDatagrams:
    """Stands in for a worker's relay endpoint: keeps the header of each datagram sent."""

    def __init__(self) -> None:
        self.sent: list[tuple[int, int, int]] = []  # kind, slot, layer

    def send(self, worker: int, datagram: bytes, address: object = None) -> None:
        kind, slot, layer = datagram[0], datagram[1], datagram[2]
        self.sent.append((kind, slot, layer))


def test_a_picture_fed_to_two_layers_of_the_slot_is_relayed_once() -> None:
    room = Room()
    room.router.set_stage(Stage(live=True))
    sent = _SentDatagrams()
    room.router.relay_to(RelayPeer(sent, 7, 1))  # type: ignore[arg-type]
    camera = Stream(room.publisher, room.video_ssrc, "video", 900)
    now = room.timers.now()
    for payload in (VP8_KEY, VP8_DELTA, VP8_DELTA):
        camera.send(now, payload)
    camera_layers = {layer for kind, slot, layer in sent.sent if kind == 0 and slot == 0}
    # Anna sends one layer; the camera slot's three layers all carry it: only the lowest goes.
    assert camera_layers == {0}
    assert len([1 for kind, slot, _ in sent.sent if kind == 0 and slot == 0]) == 3
    room.router.close()
