"""Downlink adaptation in the room router: transport-wide sequence numbers on what is sent,
feedback into the subscriber's estimate, start small then step up, and which simulcast layers
are reported wanted to the publisher."""

from __future__ import annotations

import itertools
import struct

from support.clock import ManualTimers
from support.router_room import (
    ANNA,
    BEN,
    CAM,
    CEM,
    SUBSCRIPTIONS,
    TRACKS,
    VP8_DELTA,
    VP8_KEY,
    FakeFactory,
    Room,
    new_router,
    subscribe_offer,
    twcc_number,
)
from support.simulcast_room import LAYER_SSRCS, SimulcastRoom, simulcast_offer

from klingel.sfu.api import MediaEvent, PublisherLayers
from klingel.sfu.bandwidth import BURST_SECONDS
from klingel.sfu.counters import WorkerCounters
from klingel.sfu.published import UNWANTED_AFTER
from klingel.sfu.rtcp import PictureLossIndication, Remb, TransportFeedback
from klingel.sfu.rtp import find_extension, parse_rtp
from klingel.sfu.simulcast import HIGHEST_LAYER, LAYER_IDLE_SECONDS
from klingel.sfu.subscribed import ReceivedLayers
from klingel.sfu.twcc import FeedbackGenerator

LEVEL_ID = 9  # the subscriber's audio-level id in subscribe_offer()


def test_every_packet_to_a_subscriber_carries_its_own_continuous_number() -> None:
    room = Room()
    room.router.subscribe(CEM, subscribe_offer(), SUBSCRIPTIONS)
    cem = room.factory.created[-1]
    cem.set_state("connected")
    room.send_video(VP8_KEY)
    for _ in range(3):
        room.send_audio()
        room.send_video(VP8_DELTA)
    for transport in (room.subscriber, cem):
        numbers = [twcc_number(packet) for packet in transport.rtp]
        assert len(numbers) == 7  # audio and video: one sequence across both streams
        assert numbers == [(numbers[0] + i) & 0xFFFF for i in range(7)]
    room.router.close()


def test_audio_carries_its_level_next_to_the_number_in_one_padded_block() -> None:
    room = Room()
    room.send_audio(level=42)
    (packet,) = room.received(room.ssrcs["0"])
    header = parse_rtp(packet)
    assert header.extension_profile == 0xBEDE
    assert (header.extension_end - header.extension_start) % 4 == 0
    level = find_extension(packet, header, LEVEL_ID)
    assert level is not None and packet[level.start] == 0x80 | 42
    assert packet[header.payload_offset :] == b"opus-frame"
    room.router.close()


def feedback_for(packets: list[bytes], received: list[bool], spacing: float) -> bytes:
    """A transport-cc feedback (as the subscriber's browser would send it) for ``packets``,
    those not ``received`` missing, arrivals ``spacing`` seconds apart."""
    generator = FeedbackGenerator()
    arrival = 1.0
    for packet, arrived in zip(packets, received, strict=True):
        arrival += spacing
        if arrived:
            generator.record(twcc_number(packet), arrival)
    return b"".join(bytes(feedback) for feedback in generator.build(1, 2))


def test_feedback_of_heavy_loss_lowers_the_subscriber_estimate() -> None:
    room = Room()
    before = room.router.downlink_estimate(BEN)
    assert before is not None
    room.send_video(VP8_KEY)
    room.timers.advance(BURST_SECONDS)  # loss in the keyframe's burst would be forgiven
    for round_number in range(3):
        start = len(room.subscriber.rtp)
        for _ in range(40):
            room.send_video(VP8_DELTA)
        packets = room.subscriber.rtp[start:]
        received = [index % 2 == 0 for index in range(len(packets))]  # half of them lost
        room.subscriber.on_rtcp(feedback_for(packets, received, 0.001))
        room.timers.advance(0.31 if round_number < 2 else 0)  # decreases are paced
    assert room.router.downlink_estimate(BEN) < before / 2
    assert room.counters.dropped == 0
    room.router.close()


def test_loss_in_the_burst_after_a_keyframe_switch_lowers_nothing() -> None:
    room = Room()
    before = room.router.downlink_estimate(BEN)
    start = len(room.subscriber.rtp)
    room.send_video(VP8_KEY)  # the subscription starts here: a keyframe burst is expected
    for _ in range(40):
        room.send_video(VP8_DELTA)
    packets = room.subscriber.rtp[start:]
    received = [index % 2 == 0 for index in range(len(packets))]
    room.subscriber.on_rtcp(feedback_for(packets, received, 0.001))
    assert len(packets) > 40
    assert room.router.downlink_estimate(BEN) == before
    room.router.close()


def test_feedback_that_reports_only_lost_packets_lowers_the_estimate() -> None:
    room = Room()
    before = room.router.downlink_estimate(BEN)
    assert before is not None
    room.send_video(VP8_KEY)
    for round_number in range(3):
        start = len(room.subscriber.rtp)
        for _ in range(40):
            room.send_video(VP8_DELTA)
        first = twcc_number(room.subscriber.rtp[start])
        # one run-length chunk of 40 "not received", no deltas
        fci = struct.pack("!HHIH", first, 40, 0, 40) + bytes(2)
        room.subscriber.on_rtcp(bytes(TransportFeedback(1, 2, fci)))
        room.timers.advance(0.31 if round_number < 2 else 0)  # decreases are paced
    assert room.router.downlink_estimate(BEN) < before / 2
    assert room.counters.dropped == 0
    room.router.close()


def test_a_feedback_for_packets_never_sent_changes_nothing() -> None:
    room = Room()
    before = room.router.downlink_estimate(BEN)
    room.subscriber.on_rtcp(bytes(TransportFeedback(1, 2, bytes(8))))
    assert room.router.downlink_estimate(BEN) == before and room.counters.dropped == 0
    # nine packets announced, only two deltas follow
    garbage = bytes(TransportFeedback(1, 2, bytes([0, 1, 0, 9, 0, 0, 0, 0, 0x20, 0x09, 1, 1])))
    room.subscriber.on_rtcp(garbage)
    assert room.counters.dropped == 1
    room.router.close()


# --- start small, then step up ---------------------------------------------------------------


def test_a_new_subscription_starts_on_the_smallest_layer_and_steps_up() -> None:
    room = SimulcastRoom()  # Ben has stepped up already
    room.router.subscribe(CEM, subscribe_offer(), SUBSCRIPTIONS)
    cem = room.factory.created[-1]
    cem.set_state("connected")
    room.send_all(VP8_DELTA)
    plis = room.publisher.rtcp_of(PictureLossIndication)
    assert any(pli.media_ssrc == LAYER_SSRCS[0] for pli in plis)  # for Cem
    room.send_all(VP8_KEY)
    cem_video = [p for p in cem.rtp if parse_rtp(p).payload_type == 96]
    assert [packet[-1] for packet in cem_video] == [0]  # the smallest layer's keyframe
    assert room.router.received_layers(CEM, CAM) == ReceivedLayers(0, None, 0, HIGHEST_LAYER, 0)
    # a while later, with a good link: up to the request (the largest layer)
    room.step_up()
    assert room.router.received_layers(CEM, CAM) == ReceivedLayers(0, 2, 2, HIGHEST_LAYER, 2)
    room.send_all(VP8_DELTA)
    room.send_all(VP8_KEY, layers=(2,))
    cem_video = [p for p in cem.rtp if parse_rtp(p).payload_type == 96]
    assert [packet[-1] for packet in cem_video] == [0, 0, 2]
    assert room.counters.layer_switches >= 1
    room.router.close()


def test_a_short_link_holds_the_subscription_below_its_request() -> None:
    room = SimulcastRoom()
    ceiling = Remb.for_bitrate(1, 300_000, (room.ssrcs["0"], room.ssrcs["1"]))
    room.subscriber.on_rtcp(bytes(ceiling))  # the subscriber's own
    room.timers.advance(20)
    layers = room.router.received_layers(BEN, CAM)
    assert layers is not None and layers.allocated == 0 and layers.target == 0
    assert room.counters.held_below_request == 1
    room.router.close()
    assert room.counters.held_below_request == 0


# --- the layers a publisher is asked to send ------------------------------------------------


class LayeredRoom:
    """A simulcast publisher and Ben, recording every event."""

    def __init__(self) -> None:
        self.factory = FakeFactory()
        self.events: list[MediaEvent] = []
        self.timers = ManualTimers()
        self.router = new_router(self.factory, self.events.append, WorkerCounters(), self.timers)
        self.router.publish(ANNA, simulcast_offer(), TRACKS)

    def reported(self) -> list[tuple[bool, ...]]:
        return [e.wanted for e in self.events if isinstance(e, PublisherLayers)]


def test_the_layers_are_reported_wanted_when_known_then_only_those_someone_receives() -> None:
    room = LayeredRoom()
    assert room.reported() == [(True, True, True)]
    assert all(e.participant == ANNA and e.stream_id == CAM for e in room.events)
    room.timers.advance(UNWANTED_AFTER / 2)
    assert room.reported() == [(True, True, True)]  # not yet: 3 s without anyone
    room.timers.advance(UNWANTED_AFTER / 2 + 0.5)
    assert room.reported() == [(True, True, True), (True, False, False)]  # the smallest: always
    room.router.close()


def test_a_layer_becomes_wanted_at_once_and_unwanted_after_a_while() -> None:
    room = LayeredRoom()
    room.router.subscribe(BEN, subscribe_offer(), SUBSCRIPTIONS)
    ben = room.factory.created[-1]
    ben.set_state("connected")
    room.timers.advance(0.5)
    assert room.router.received_layers(BEN, CAM).target == 0  # type: ignore[union-attr]
    room.timers.advance(UNWANTED_AFTER)  # Ben stepped up to the largest, nobody took the middle
    assert room.router.received_layers(BEN, CAM).target == 2  # type: ignore[union-attr]
    assert room.reported()[-1] == (True, False, True)
    room.router.set_layer(BEN, CAM, 1)
    assert room.reported()[-1] == (True, True, True)  # at once
    room.timers.advance(UNWANTED_AFTER + 0.5)
    assert room.reported()[-1] == (True, True, False)
    room.router.set_layer(BEN, CAM, None)
    room.timers.advance(UNWANTED_AFTER + 0.5)
    assert room.reported()[-1] == (True, False, False)
    assert all(a != b for a, b in itertools.pairwise(room.reported()))  # only changes
    room.router.close()


def test_a_stopped_layer_allocated_to_someone_stays_wanted_and_is_taken_again() -> None:
    room = SimulcastRoom()  # Ben receives the largest layer
    room.send_all(VP8_KEY)
    for _ in range(round(2 * LAYER_IDLE_SECONDS / 0.1)):  # the publisher stopped the largest
        room.timers.advance(0.1)
        room.send_all(VP8_DELTA, layers=(0, 1))
    room.send(1, VP8_KEY)
    assert room.layers()[-1] == 1  # meanwhile the middle one
    for _ in range(round((UNWANTED_AFTER + 1) / 0.1)):
        room.timers.advance(0.1)
        room.send_all(VP8_DELTA, layers=(0, 1))
    # still wanted, so that the publisher turns it back on
    assert room.reported()[-1] == (True, True, True)
    assert all(wanted[2] for wanted in room.reported())
    room.send(2, VP8_DELTA)  # it is back
    room.timers.advance(0.3)
    room.send(2, VP8_KEY)
    assert room.layers()[-1] == 2
    room.router.close()


def test_a_single_layer_stream_is_never_reported() -> None:
    room = Room()
    room.timers.advance(10)
    assert not [e for e in room.events if isinstance(e, PublisherLayers)]
    room.router.close()
