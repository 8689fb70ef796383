"""One ``RoomRouter`` on fake transports and a hand-moved clock, and the tracks,
subscriptions, VP8 payloads and helpers that the router tests share."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from support.clock import ManualTimers

from klingel.ids import ParticipantId, RoomId, StreamId
from klingel.sfu.api import (
    MediaEvent,
    Subscription,
    TrackSpec,
    TransportState,
)
from klingel.sfu.counters import WorkerCounters
from klingel.sfu.router import RoomRouter
from klingel.sfu.rtcp import (
    parse_rtcp,
)
from klingel.sfu.rtp import build_packet, find_extension, parse_rtp
from klingel.sfu.transport import (
    Candidate,
    Fingerprint,
    LocalParameters,
    RemoteParameters,
)

FIXTURES = Path(__file__).parents[1] / "fixtures" / "sdp"
ROOM = RoomId("musikschule")
ANNA, BEN, CEM = ParticipantId("p-anna"), ParticipantId("p-ben"), ParticipantId("p-cem")
MIC, CAM = StreamId("s-mic"), StreamId("s-cam")
TRACKS = [TrackSpec("0", "audio", "microphone", MIC), TrackSpec("1", "video", "camera", CAM)]
SUBSCRIPTIONS = [Subscription("0", MIC), Subscription("1", CAM)]
VP8_KEY = bytes([0x90, 0x80, 0x81, 0x00, 0x10, 0x02, 0x00, 0x9D, 0x01, 0x2A])
VP8_DELTA = bytes([0x90, 0x80, 0x81, 0x01, 0x31, 0x02, 0x00])


def fixture(name: str) -> str:
    return (FIXTURES / f"chromium_{name}.sdp").read_bytes().decode()


def subscribe_offer() -> str:
    """A real recvonly offer, renumbered so the subscriber's payload type and audio-level id
    differ from the publisher's."""
    text = fixture("subscribe_4")
    text = text.replace("SAVPF 111 ", "SAVPF 109 ").replace(":111 ", ":109 ")
    return text.replace(
        "a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level",
        "a=extmap:9 urn:ietf:params:rtp-hdrext:ssrc-audio-level",
    )


class FakeTransport:
    def __init__(self, index: int) -> None:
        self.on_rtp: Callable[[bytes, float], None] = lambda packet, arrival: None
        self.on_rtcp: Callable[[bytes], None] = lambda packet: None
        self.on_state: Callable[[TransportState], None] = lambda state: None
        self.index = index
        self.ufrag = f"uf{index}a"
        self._state: TransportState = "new"
        self.remote: RemoteParameters | None = None
        self.restarts = 0
        self.rtp: list[bytes] = []
        self.rtcp: list[bytes] = []

    @property
    def local_parameters(self) -> LocalParameters:
        fingerprint = Fingerprint("sha-256", ":".join(["0A"] * 32))
        return LocalParameters(self.ufrag, "x" * 24, fingerprint, (Candidate("127.0.0.2", 40000),))

    @property
    def state(self) -> TransportState:
        return self._state

    def set_remote(self, remote: RemoteParameters) -> None:
        self.remote = remote

    def restart_ice(self) -> None:
        self.restarts += 1
        self.ufrag = f"uf{self.index}r{self.restarts}"

    def send_rtp(self, packet: bytes | bytearray) -> None:
        self.rtp.append(bytes(packet))

    def send_rtcp(self, packet: bytes) -> None:
        self.rtcp.append(packet)

    def close(self) -> None:
        self.set_state("closed")

    def set_state(self, state: TransportState) -> None:
        self._state = state
        self.on_state(state)

    def rtcp_of(self, kind: type) -> list:  # type: ignore[type-arg]
        return [p for data in self.rtcp for p in parse_rtcp(data) if isinstance(p, kind)]


class FakeFactory:
    def __init__(self) -> None:
        self.created: list[FakeTransport] = []

    def create_transport(self) -> FakeTransport:
        transport = FakeTransport(len(self.created))
        self.created.append(transport)
        return transport


def ssrc_lines(sdp: str) -> dict[str, int]:
    """mid -> the a=ssrc of each sendonly m-section of a subscribe answer."""
    result = {}
    for section in sdp.split("m=")[1:]:
        mid = re.search(r"a=mid:(\S+)", section)
        ssrc = re.search(r"a=ssrc:(\d+) cname:klingel", section)
        if mid and ssrc:
            result[mid.group(1)] = int(ssrc.group(1))
    return result


class Room:
    """A router with Anna publishing camera and microphone and Ben subscribed to both."""

    def __init__(self) -> None:
        self.factory = FakeFactory()
        self.events: list[MediaEvent] = []
        self.counters = WorkerCounters()
        self.timers = ManualTimers()
        self.router = new_router(self.factory, self.events.append, self.counters, self.timers)
        offer = fixture("publish_audio_video")
        self.audio_ssrc = int(re.findall(r"a=ssrc:(\d+) cname", offer)[0])
        self.video_ssrc = int(re.findall(r"a=ssrc:(\d+) cname", offer)[1])
        self.router.publish(ANNA, offer, TRACKS)
        self.publisher = self.factory.created[0]
        answer = self.router.subscribe(BEN, subscribe_offer(), SUBSCRIPTIONS)
        self.subscriber = self.factory.created[1]
        self.ssrcs = ssrc_lines(answer)
        self.publisher.set_state("connected")
        self.subscriber.set_state("connected")
        self.audio_sequence = 1000
        self.video_sequence = 5000
        self.twcc_sequence = 0

    def twcc(self) -> bytes:
        self.twcc_sequence += 1
        return self.twcc_sequence.to_bytes(2, "big")

    def send_audio(self, level: int = 30, count: int = 1) -> None:
        for _ in range(count):
            self.audio_sequence += 1
            packet = build_packet(
                payload_type=111,
                sequence=self.audio_sequence & 0xFFFF,
                timestamp=self.audio_sequence * 960 & 0xFFFFFFFF,
                ssrc=self.audio_ssrc,
                payload=b"opus-frame",
                extensions=[(1, bytes([0x80 | level])), (3, self.twcc())],
            )
            self.publisher.on_rtp(bytes(packet), self.timers.now())

    def send_video(self, payload: bytes, *, sequence: int | None = None) -> bytes:
        if sequence is None:
            self.video_sequence += 1
            sequence = self.video_sequence
        packet = bytes(
            build_packet(
                payload_type=96,
                sequence=sequence & 0xFFFF,
                timestamp=sequence * 3000,
                ssrc=self.video_ssrc,
                payload=payload,
                marker=True,
                extensions=[(3, self.twcc())],
            )
        )
        self.publisher.on_rtp(packet, self.timers.now())
        return packet

    def received(self, ssrc: int) -> list[bytes]:
        return [p for p in self.subscriber.rtp if parse_rtp(p).ssrc == ssrc]


def twcc_number(packet: bytes, extension_id: int = 3) -> int:
    """The transport-wide sequence number of a packet the SFU sent (id 3 in the offers)."""
    element = find_extension(packet, parse_rtp(packet), extension_id)
    assert element is not None and element.length == 2
    return int.from_bytes(packet[element.start : element.start + 2], "big")


def new_router(
    factory: FakeFactory,
    emit: Callable[[MediaEvent], None],
    counters: WorkerCounters,
    timers: ManualTimers,
) -> RoomRouter:
    return RoomRouter(ROOM, factory, emit, counters, clock=timers, scheduler=timers)


SILENT = 127


class Stream:
    """Packets of one publisher's stream, numbered as its browser would."""

    def __init__(self, transport: FakeTransport, ssrc: int, kind: str, start: int) -> None:
        self.transport = transport
        self.ssrc = ssrc
        self.kind = kind
        self.sequence = start

    def send(self, now: float, payload: bytes = b"opus-frame", level: int = SILENT) -> None:
        self.sequence += 1
        audio = self.kind == "audio"
        packet = build_packet(
            payload_type=111 if audio else 96,
            sequence=self.sequence & 0xFFFF,
            timestamp=self.sequence * (960 if audio else 3000) & 0xFFFFFFFF,
            ssrc=self.ssrc,
            payload=payload,
            marker=not audio,
            extensions=[(1, bytes([0x80 | level]))] if audio else [],
        )
        self.transport.on_rtp(bytes(packet), now)
