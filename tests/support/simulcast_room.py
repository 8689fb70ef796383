"""A router whose publisher sends three simulcast layers (q, h, f), for the tests of layer
learning, switching and bandwidth."""

from __future__ import annotations

import re
from typing import NamedTuple

from support.clock import ManualTimers
from support.router_room import (
    ANNA,
    BEN,
    SUBSCRIPTIONS,
    TRACKS,
    VP8_KEY,
    FakeFactory,
    fixture,
    new_router,
    ssrc_lines,
    subscribe_offer,
)

from klingel.sfu.api import MediaEvent, PublisherLayers
from klingel.sfu.counters import WorkerCounters
from klingel.sfu.rtcp import PictureLossIndication
from klingel.sfu.rtp import build_packet, parse_rtp

RIDS = ("q", "h", "f")
LAYER_SSRCS = (0x1111_0000, 0x2222_0000, 0x3333_0000)
MID_ID, RID_ID, TWCC_ID, LEVEL_ID = 4, 10, 3, 1  # as the offer numbers them
STEP_UP_SECONDS = 3.0  # the allocation steps up after 2 s of a good estimate


def simulcast_offer() -> str:
    """Chromium's audio + video offer with its video sent as three RID layers (SSRCs not
    announced), as Chromium offers ``sendEncodings`` with rids."""
    audio, video = fixture("publish_audio_video").split("m=video")
    lines = [line for line in video.split("\r\n") if line and not line.startswith("a=ssrc")]
    lines += [f"a=rid:{rid} send" for rid in RIDS] + ["a=simulcast:send q;h;f"]
    return audio + "m=video" + "\r\n".join(lines) + "\r\n"


class Out(NamedTuple):
    """One forwarded video packet as the subscriber sees it, and the layer it came from."""

    sequence: int
    timestamp: int
    layer: int
    keyframe: bool


class SimulcastRoom:
    """Anna publishes her microphone and a three-layer camera; Ben subscribes to both."""

    def __init__(self) -> None:
        self.factory = FakeFactory()
        self.counters = WorkerCounters()
        self.events: list[MediaEvent] = []
        self.timers = ManualTimers()
        self.router = new_router(self.factory, self.events.append, self.counters, self.timers)
        offer = simulcast_offer()
        self.audio_ssrc = int(re.findall(r"a=ssrc:(\d+) cname", offer)[0])
        self.publish_answer = self.router.publish(ANNA, offer, TRACKS)
        self.publisher = self.factory.created[0]
        answer = self.router.subscribe(BEN, subscribe_offer(), SUBSCRIPTIONS)
        self.subscriber = self.factory.created[1]
        self.ssrcs = ssrc_lines(answer)
        self.publisher.set_state("connected")
        self.subscriber.set_state("connected")
        # Ben's link is good: let the allocation step up from the smallest layer, where every
        # subscription starts, to his request.
        self.step_up()
        self.sequences = [1000, 30000, 65500]  # each layer numbers its own packets
        self.timestamp_bases = [7, 2_000_000_000, 0xFFFF_0000]
        self.last_arrival = 0.0
        self.audio_sequence = 0
        self.twcc_sequence = 0
        self.arrivals: dict[tuple[int, int], float] = {}  # (layer, sequence) -> arrival

    def send(
        self,
        layer: int,
        payload: bytes,
        *,
        arrival: float | None = None,
        rid: bool = True,
        sequence: int | None = None,
    ) -> None:
        if arrival is None:
            # Strictly later than the last packet, so timestamps (90 kHz) always advance even
            # when two packets are sent within the same 11 µs.
            arrival = max(self.timers.now(), self.last_arrival + 0.0001)
        self.last_arrival = max(self.last_arrival, arrival)
        if sequence is None:
            self.sequences[layer] += 1
            sequence = self.sequences[layer]
        self.twcc_sequence += 1
        extensions = [(TWCC_ID, self.twcc_sequence.to_bytes(2, "big"))]
        if rid:
            extensions += [(MID_ID, b"1"), (RID_ID, RIDS[layer].encode())]
        packet = build_packet(
            payload_type=96,
            sequence=sequence & 0xFFFF,
            timestamp=(self.timestamp_bases[layer] + int(arrival * 90000)) & 0xFFFF_FFFF,
            ssrc=LAYER_SSRCS[layer],
            payload=payload + bytes([layer]),  # the last byte tells the layer apart
            marker=True,
            extensions=extensions,
        )
        self.arrivals[(layer, sequence & 0xFFFF)] = arrival
        self.publisher.on_rtp(bytes(packet), arrival)

    def send_all(self, payload: bytes, *, layers: tuple[int, ...] = (0, 1, 2)) -> None:
        for layer in layers:
            self.send(layer, payload)

    def send_audio(self, count: int = 1) -> None:
        for _ in range(count):
            self.audio_sequence += 1
            packet = build_packet(
                payload_type=111,
                sequence=self.audio_sequence,
                timestamp=self.audio_sequence * 960,
                ssrc=self.audio_ssrc,
                payload=b"opus",
                extensions=[(LEVEL_ID, b"\x9e")],
            )
            self.publisher.on_rtp(bytes(packet), self.timers.now())

    def video(self) -> list[Out]:
        out = []
        for data in self.subscriber.rtp:
            header = parse_rtp(data)
            if header.ssrc == self.ssrcs["1"]:
                payload = data[header.payload_offset :]
                out.append(
                    Out(header.sequence, header.timestamp, payload[-1], payload[:-1] == VP8_KEY)
                )
        return out

    def audio_count(self) -> int:
        return sum(parse_rtp(p).ssrc == self.ssrcs["0"] for p in self.subscriber.rtp)

    def plis_for(self, layer: int) -> int:
        plis = self.publisher.rtcp_of(PictureLossIndication)
        return sum(pli.media_ssrc == LAYER_SSRCS[layer] for pli in plis)

    def step_up(self) -> None:
        """Let time pass with the subscribers' estimates high: long enough for the allocation
        to step up to every request."""
        self.timers.advance(STEP_UP_SECONDS)

    def reported(self) -> list[tuple[bool, ...]]:
        """The layers the publisher was told are wanted, each time it changed."""
        return [e.wanted for e in self.events if isinstance(e, PublisherLayers)]

    def layers(self) -> list[int]:
        """The layer of each forwarded video packet, in order."""
        return [out.layer for out in self.video()]
