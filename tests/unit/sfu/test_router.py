from __future__ import annotations

import re

import pytest
from support.clock import ManualTimers
from support.router_room import (
    ANNA,
    BEN,
    CAM,
    CEM,
    MIC,
    ROOM,
    SUBSCRIPTIONS,
    TRACKS,
    VP8_DELTA,
    VP8_KEY,
    FakeFactory,
    FakeTransport,
    Room,
    fixture,
    new_router,
    ssrc_lines,
    subscribe_offer,
    twcc_number,
)

from klingel.ids import StreamId
from klingel.sfu.api import (
    ActiveSpeaker,
    MediaError,
    Subscription,
    TrackSpec,
    TransportStateChanged,
)
from klingel.sfu.counters import WorkerCounters
from klingel.sfu.keyframes import KEYFRAME_REQUEST_INTERVAL
from klingel.sfu.published import KEPT_KEYFRAME_AGE
from klingel.sfu.publishers import NACK_DELAY
from klingel.sfu.router import KEPT_KEYFRAME_DELAY, REPORT_TICKS, TICK_SECONDS
from klingel.sfu.rtcp import (
    GenericNack,
    PictureLossIndication,
    ReceiverReport,
    SenderReport,
    TransportFeedback,
)
from klingel.sfu.rtp import RtpHeader, build_packet, find_extension, parse_rtp
from klingel.sfu.twcc import parse_feedback


def test_audio_is_rewritten_for_the_subscriber() -> None:
    room = Room()
    room.send_audio(count=5)
    out = room.received(room.ssrcs["0"])
    assert len(out) == 5
    headers = [parse_rtp(p) for p in out]
    assert all(h.payload_type == 109 for h in headers)
    sequences = [h.sequence for h in headers]
    assert sequences == [(sequences[0] + i) & 0xFFFF for i in range(5)]
    assert headers[1].timestamp - headers[0].timestamp == 960
    level = find_extension(out[0], headers[0], 9)
    assert level is not None and out[0][level.start] == 0x80 | 30
    # transport-cc is hop by hop: the SFU numbers the packets it sends to Ben itself
    numbers = [twcc_number(p) for p in out]
    assert numbers == [(numbers[0] + i) & 0xFFFF for i in range(5)]
    assert out[0][headers[0].payload_offset :] == b"opus-frame"
    assert room.counters.rtp_forwarded == 5
    room.router.close()


def test_video_waits_for_a_keyframe_and_asks_for_one() -> None:
    room = Room()
    plis = room.publisher.rtcp_of(PictureLossIndication)
    assert plis and plis[-1].media_ssrc == room.video_ssrc
    room.send_video(VP8_DELTA)
    room.send_video(VP8_DELTA)
    assert room.received(room.ssrcs["1"]) == []
    room.send_video(VP8_KEY)
    room.send_video(VP8_DELTA)
    out = [parse_rtp(p) for p in room.received(room.ssrcs["1"])]
    assert len(out) == 2
    assert out[1].sequence == (out[0].sequence + 1) & 0xFFFF
    assert all(h.payload_type == 96 for h in out)
    room.router.close()


def test_keyframe_requests_repeat_paced_while_waiting() -> None:
    room = Room()
    first = len(room.publisher.rtcp_of(PictureLossIndication))
    room.send_video(VP8_DELTA)
    room.timers.advance(KEYFRAME_REQUEST_INTERVAL * 0.9)
    assert len(room.publisher.rtcp_of(PictureLossIndication)) == first
    room.timers.advance(KEYFRAME_REQUEST_INTERVAL * 0.2)
    assert len(room.publisher.rtcp_of(PictureLossIndication)) == first + 1
    room.timers.advance(KEYFRAME_REQUEST_INTERVAL * 0.7)
    assert len(room.publisher.rtcp_of(PictureLossIndication)) == first + 1
    room.router.close()


def video_of(transport: FakeTransport) -> list[RtpHeader]:
    return [h for h in map(parse_rtp, transport.rtp) if h.payload_type == 96]


def subscribing_cem(room: Room) -> FakeTransport:
    """Cem subscribes once Ben's keyframe requests are long past; his path is not up."""
    room.timers.advance(2 * KEYFRAME_REQUEST_INTERVAL)
    room.router.subscribe(CEM, subscribe_offer(), SUBSCRIPTIONS)
    return room.factory.created[-1]


def test_keyframe_is_asked_for_at_subscribe_and_kept_until_the_path_is_up() -> None:
    room = Room()
    room.send_video(VP8_KEY)  # Ben has his keyframe: nobody waits
    plis = room.publisher.rtcp_of
    room.timers.advance(2 * KEYFRAME_REQUEST_INTERVAL)
    before = len(plis(PictureLossIndication))
    room.router.subscribe(CEM, subscribe_offer(), SUBSCRIPTIONS)
    cem = room.factory.created[-1]
    assert len(plis(PictureLossIndication)) == before + 1
    room.timers.advance(0.05)
    room.send_video(VP8_KEY)
    room.send_video(VP8_DELTA)
    assert not video_of(cem)  # its path is not up: nothing can reach it yet
    room.timers.advance(0.05)
    cem.set_state("connected")
    # Chromium drops what comes with the handshake's last flight: a moment later, the
    # keyframe and what followed it, at once, numbered without a gap
    assert not video_of(cem)
    room.timers.advance(KEPT_KEYFRAME_DELAY)
    out = video_of(cem)
    assert len(out) == 2
    assert out[1].sequence == (out[0].sequence + 1) & 0xFFFF
    assert out[1].timestamp - out[0].timestamp == 3000
    room.send_video(VP8_DELTA)
    assert len(video_of(cem)) == 3
    # and no other keyframe is asked for: nobody waits
    room.timers.advance(3 * KEYFRAME_REQUEST_INTERVAL)
    assert len(plis(PictureLossIndication)) == before + 1
    room.router.close()


def test_a_kept_keyframe_too_old_is_not_sent() -> None:
    room = Room()
    room.send_video(VP8_KEY)
    cem = subscribing_cem(room)
    room.send_video(VP8_KEY)
    room.timers.advance(KEPT_KEYFRAME_AGE * 1.5)
    before = len(room.publisher.rtcp_of(PictureLossIndication))
    cem.set_state("connected")
    room.timers.advance(KEPT_KEYFRAME_DELAY)
    # the picture would start too far behind its sound: a fresh keyframe is asked for
    assert not video_of(cem)
    assert len(room.publisher.rtcp_of(PictureLossIndication)) == before + 1
    room.send_video(VP8_KEY)
    assert len(video_of(cem)) == 1
    room.router.close()


def test_a_gap_in_the_kept_frames_is_left_for_the_subscriber_to_nack() -> None:
    room = Room()
    cem = subscribing_cem(room)
    room.send_video(VP8_KEY)
    room.video_sequence += 1  # one packet lost on the way in
    room.send_video(VP8_DELTA)
    cem.set_state("connected")
    room.timers.advance(KEPT_KEYFRAME_DELAY)
    out = video_of(cem)
    assert [(h.sequence - out[0].sequence) & 0xFFFF for h in out] == [0, 2]
    room.router.close()


def test_a_subscriber_that_lost_the_kept_keyframe_is_sent_it_again() -> None:
    room = Room()
    cem = subscribing_cem(room)
    room.send_video(VP8_KEY)
    cem.set_state("connected")
    room.timers.advance(KEPT_KEYFRAME_DELAY)
    room.send_video(VP8_DELTA)
    first = video_of(cem)
    assert len(first) == 2
    plis = len(room.publisher.rtcp_of(PictureLossIndication))
    # Its browser dropped them all the same, and asks for a picture
    pli = PictureLossIndication(0x1234, first[0].ssrc)
    cem.on_rtcp(bytes(pli))
    again = video_of(cem)[2:]
    assert [h.sequence for h in again] == [h.sequence for h in first]
    assert len(room.publisher.rtcp_of(PictureLossIndication)) == plis
    # once: a second loss so soon is the encoder's to repair
    room.timers.advance(KEYFRAME_REQUEST_INTERVAL)
    cem.on_rtcp(bytes(pli))
    assert len(video_of(cem)) == 4
    assert len(room.publisher.rtcp_of(PictureLossIndication)) == plis + 1
    room.router.close()


def test_no_keyframe_is_asked_of_a_publisher_whose_path_is_not_up() -> None:
    factory, timers = FakeFactory(), ManualTimers()
    router = new_router(factory, lambda _event: None, WorkerCounters(), timers)
    router.publish(ANNA, fixture("publish_audio_video"), TRACKS)
    anna = factory.created[0]
    router.subscribe(BEN, subscribe_offer(), SUBSCRIPTIONS)
    ben = factory.created[1]
    ben.set_state("connected")
    # a request now would be lost and hold the next one back by the pacing interval
    assert not anna.rtcp_of(PictureLossIndication)
    anna.set_state("connected")
    timers.advance(1.1 * KEYFRAME_REQUEST_INTERVAL)
    assert len(anna.rtcp_of(PictureLossIndication)) == 1
    router.close()


def test_requests_stop_once_a_keyframe_arrived() -> None:
    room = Room()
    first = len(room.publisher.rtcp_of(PictureLossIndication))
    room.timers.advance(1.5 * KEYFRAME_REQUEST_INTERVAL)
    assert len(room.publisher.rtcp_of(PictureLossIndication)) == first + 1
    room.send_video(VP8_KEY)
    room.timers.advance(5 * KEYFRAME_REQUEST_INTERVAL)
    assert len(room.publisher.rtcp_of(PictureLossIndication)) == first + 1
    room.router.close()


def test_one_keyframe_releases_every_waiting_subscriber() -> None:
    room = Room()
    room.router.subscribe(CEM, subscribe_offer(), SUBSCRIPTIONS)
    cem = room.factory.created[-1]
    cem.set_state("connected")
    room.send_video(VP8_DELTA)
    assert room.received(room.ssrcs["1"]) == [] and not cem.rtp
    room.send_video(VP8_KEY)
    assert len(room.received(room.ssrcs["1"])) == 1
    assert len([p for p in cem.rtp if parse_rtp(p).payload_type == 96]) == 1
    room.router.close()


def test_subscriber_nack_is_answered_from_the_buffer() -> None:
    room = Room()
    room.send_video(VP8_KEY)
    for _ in range(5):
        room.send_video(VP8_DELTA)
    sent = room.received(room.ssrcs["1"])
    wanted = parse_rtp(sent[2]).sequence
    nack = GenericNack.for_sequences(1, room.ssrcs["1"], [wanted, (wanted + 40) & 0xFFFF])
    room.subscriber.on_rtcp(bytes(nack))
    again = room.received(room.ssrcs["1"])
    assert len(again) == len(sent) + 1
    resent, original = parse_rtp(again[-1]), parse_rtp(sent[2])
    assert resent[:6] == original[:6]  # first byte, marker, payload type, numbers, SSRC
    assert again[-1][resent.payload_offset :] == sent[2][original.payload_offset :]
    # a retransmission is a new packet on the transport: it gets the next transport number
    assert twcc_number(again[-1]) == (twcc_number(again[-2]) + 1) & 0xFFFF
    assert room.counters.retransmitted == 1
    room.router.close()


def test_subscriber_pli_is_relayed_paced() -> None:
    room = Room()
    room.send_video(VP8_KEY)
    room.timers.advance(2 * KEYFRAME_REQUEST_INTERVAL)
    before = len(room.publisher.rtcp_of(PictureLossIndication))
    pli = bytes(PictureLossIndication(1, room.ssrcs["1"]))
    room.subscriber.on_rtcp(pli)
    room.subscriber.on_rtcp(pli)
    plis = room.publisher.rtcp_of(PictureLossIndication)
    assert len(plis) == before + 1
    assert plis[-1].media_ssrc == room.video_ssrc
    room.router.close()


def test_publisher_gaps_are_nacked() -> None:
    room = Room()
    room.send_video(VP8_KEY, sequence=100)
    room.send_video(VP8_DELTA, sequence=101)
    room.send_video(VP8_DELTA, sequence=104)
    assert not room.publisher.rtcp_of(GenericNack)  # they may only have been reordered
    room.timers.advance(NACK_DELAY)
    (nack, *_) = room.publisher.rtcp_of(GenericNack)
    assert nack.media_ssrc == room.video_ssrc
    assert sorted(nack.lost_sequences()) == [102, 103]
    room.router.close()


def test_transport_cc_feedback_reports_publisher_packets() -> None:
    room = Room()
    room.send_audio(count=10)
    room.timers.advance(TICK_SECONDS)
    reported = 0
    for feedback in room.publisher.rtcp_of(TransportFeedback):
        reported += sum(d is not None for d in parse_feedback(feedback.fci).deltas)
    assert reported == 10
    room.router.close()


def test_sender_reports_are_translated_for_the_subscriber() -> None:
    room = Room()
    room.send_video(VP8_KEY)
    source = parse_rtp(room.received(room.ssrcs["1"])[0])
    room.publisher.on_rtcp(
        bytes(SenderReport(room.video_ssrc, 0x0102030400000000, (5001 * 3000) + 9000, 1, 1))
    )
    room.timers.advance(REPORT_TICKS * TICK_SECONDS + TICK_SECONDS / 2)  # the second's reports
    (report,) = room.subscriber.rtcp_of(SenderReport)
    assert report.ssrc == room.ssrcs["1"]
    # 9000 ticks after the forwarded packet's timestamp, plus the second the report waited
    advance = (report.rtp_timestamp - source.timestamp) & 0xFFFFFFFF
    assert advance == pytest.approx(9000 + 90000, abs=1)
    assert report.ntp_timestamp == pytest.approx(0x0102030400000000 + 2**32, abs=2**32 // 1000)
    receiver_reports = room.publisher.rtcp_of(ReceiverReport)
    assert any(block.ssrc == room.video_ssrc for r in receiver_reports for block in r.reports)
    room.router.close()


def test_set_forwarding_stops_and_resumes_without_a_gap() -> None:
    room = Room()
    room.send_audio(count=3)
    room.router.set_forwarding(MIC, False)
    room.send_audio(count=3)
    assert len(room.received(room.ssrcs["0"])) == 3
    room.router.set_forwarding(MIC, True)
    room.send_audio(count=2)
    out = [parse_rtp(p).sequence for p in room.received(room.ssrcs["0"])]
    assert len(out) == 5
    assert out == [(out[0] + i) & 0xFFFF for i in range(5)]
    room.router.close()


def test_loud_microphone_becomes_active_speaker() -> None:
    room = Room()

    def speakers() -> list[ActiveSpeaker]:
        return [e for e in room.events if isinstance(e, ActiveSpeaker)]

    for _ in range(20):
        room.send_audio(level=15, count=5)
        room.timers.advance(0.1)
    assert speakers() == [ActiveSpeaker(ROOM, ANNA)]
    room.router.close()


def test_an_emptied_room_still_says_that_nobody_speaks() -> None:
    room = Room()

    def speakers() -> list[ActiveSpeaker]:
        return [e for e in room.events if isinstance(e, ActiveSpeaker)]

    for _ in range(20):
        room.send_audio(level=15, count=5)
        room.timers.advance(0.1)
    assert speakers() == [ActiveSpeaker(ROOM, ANNA)]
    room.router.remove_participant(ANNA)
    room.router.remove_participant(BEN)
    room.timers.advance(5)
    assert speakers()[-1] == ActiveSpeaker(ROOM, None)
    assert room.timers.pending == 0  # and then the empty room's timer stops
    room.router.close()


def test_transport_states_are_reported() -> None:
    room = Room()
    states = [e for e in room.events if isinstance(e, TransportStateChanged)]
    assert TransportStateChanged(ROOM, ANNA, "publish", "connected") in states
    assert TransportStateChanged(ROOM, BEN, "subscribe", "connected") in states
    room.router.close()


def test_malformed_input_is_counted_not_raised() -> None:
    room = Room()
    room.publisher.on_rtp(b"\x80\x60garbage", room.timers.now())
    room.publisher.on_rtcp(b"\x80\xc9\x00\x09")
    room.subscriber.on_rtcp(b"\x00")
    unknown = build_packet(payload_type=96, sequence=1, timestamp=1, ssrc=77, payload=b"x")
    room.publisher.on_rtp(bytes(unknown), room.timers.now())
    assert room.counters.dropped == 4
    room.send_audio()
    assert len(room.received(room.ssrcs["0"])) == 1
    room.router.close()


def test_unknown_stream_and_bad_offer_change_nothing() -> None:
    room = Room()
    with pytest.raises(MediaError) as error:
        room.router.subscribe(CEM, subscribe_offer(), [Subscription("0", StreamId("s-none"))])
    assert error.value.code == "unknown_stream"
    with pytest.raises(MediaError) as error:
        room.router.publish(CEM, "v=0\r\nnonsense", TRACKS)
    assert error.value.code == "bad_sdp"
    assert room.router.transport_count == 2
    room.router.close()


def test_late_subscriber_gets_keyframe_then_frames() -> None:
    room = Room()
    room.send_video(VP8_KEY)
    room.send_video(VP8_DELTA)
    room.router.subscribe(CEM, subscribe_offer(), SUBSCRIPTIONS)
    cem = room.factory.created[-1]
    cem.set_state("connected")
    plis_before = len(room.publisher.rtcp_of(PictureLossIndication))
    room.send_video(VP8_DELTA)
    assert not [p for p in cem.rtp if parse_rtp(p).payload_type == 96]
    room.send_video(VP8_KEY)
    room.send_video(VP8_DELTA)
    assert len([p for p in cem.rtp if parse_rtp(p).payload_type == 96]) == 2
    assert plis_before >= 1
    room.router.close()


def test_ssrc_is_learnt_from_the_mid_extension() -> None:
    factory, timers = FakeFactory(), ManualTimers()
    router = new_router(factory, lambda event: None, WorkerCounters(), timers)
    # a video offer without a=ssrc lines, as a simulcast offer whose simulcast is declined
    offer = fixture("publish_simulcast").replace("a=simulcast:send q;h;f\r\n", "")
    router.publish(ANNA, offer, [TrackSpec("0", "video", "camera", CAM)])
    router.subscribe(BEN, subscribe_offer(), [Subscription("1", CAM)])
    publisher, subscriber = factory.created
    publisher.set_state("connected")
    subscriber.set_state("connected")
    mid_id = int(re.search(r"a=extmap:(\d+) urn:ietf:params:rtp-hdrext:sdes:mid", offer).group(1))  # type: ignore[union-attr]
    packet = build_packet(
        payload_type=96,
        sequence=1,
        timestamp=1,
        ssrc=4242,
        payload=VP8_KEY,
        extensions=[(mid_id, b"0")],
    )
    publisher.on_rtp(bytes(packet), timers.now())
    assert len(subscriber.rtp) == 1
    router.close()


def test_renegotiation_and_removal() -> None:
    room = Room()
    answer = room.router.subscribe(BEN, subscribe_offer(), [Subscription("1", CAM)])
    assert "a=ssrc" in answer and ssrc_lines(answer) == {"1": room.ssrcs["1"]}
    room.send_audio()
    assert room.received(room.ssrcs["0"]) == []
    restarted = subscribe_offer().replace("a=ice-ufrag:gy/E", "a=ice-ufrag:NEW1")
    answer = room.router.subscribe(BEN, restarted, [Subscription("1", CAM)])
    assert room.subscriber.restarts == 1 and "a=ice-ufrag:uf1r1" in answer
    room.router.publish(ANNA, fixture("publish_audio_video"), TRACKS[1:])
    with pytest.raises(MediaError):
        room.router.subscribe(BEN, subscribe_offer(), SUBSCRIPTIONS)
    room.router.remove_participant(ANNA)
    assert room.publisher.state == "closed"
    assert room.router.transport_count == 1
    room.router.close()
    assert room.subscriber.state == "closed"
    assert room.router.transport_count == 0
