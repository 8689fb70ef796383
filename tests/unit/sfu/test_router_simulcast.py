"""Simulcast in the room router: layers learnt from the RID extension, one layer per
subscription, switches only at keyframes with continuous numbering, pause and resume."""

from __future__ import annotations

import itertools

import pytest
from support.router_room import (
    BEN,
    CAM,
    CEM,
    MIC,
    VP8_DELTA,
    VP8_KEY,
    subscribe_offer,
)
from support.simulcast_room import (
    LAYER_SSRCS,
    MID_ID,
    RID_ID,
    RIDS,
    Out,
    SimulcastRoom,
)

from klingel.sfu.api import MediaError, Subscription
from klingel.sfu.publishers import NACK_DELAY
from klingel.sfu.router import REPORT_TICKS, SPEAKER_TICKS, TICK_SECONDS
from klingel.sfu.rtcp import GenericNack, PictureLossIndication, ReceiverReport, ReportBlock
from klingel.sfu.rtp import build_packet, parse_rtp
from klingel.sfu.simulcast import LAYER_IDLE_SECONDS

REPORT_SECONDS = REPORT_TICKS * TICK_SECONDS
LAYER_TURN = SPEAKER_TICKS * TICK_SECONDS  # how often layers coming and going are followed


def assert_continuous(out: list[Out]) -> None:
    """No gap and no jump back in sequence numbers; timestamps never go back."""
    for before, after in itertools.pairwise(out):
        assert after.sequence == (before.sequence + 1) & 0xFFFF
        assert 0 < (after.timestamp - before.timestamp) & 0xFFFF_FFFF < 0x8000_0000


def video_report_blocks(room: SimulcastRoom) -> list[ReportBlock]:
    """The blocks of the last receiver report to the publisher, but the audio's."""
    (*_, report) = room.publisher.rtcp_of(ReceiverReport)
    return [block for block in report.reports if block.ssrc != room.audio_ssrc]


# --- learning the layers --------------------------------------------------------------------


def test_publish_answer_receives_the_three_layers() -> None:
    room = SimulcastRoom()
    assert "a=simulcast:recv q;h;f" in room.publish_answer
    assert all(f"a=rid:{rid} recv" in room.publish_answer for rid in RIDS)
    room.router.close()


def test_each_layer_ssrc_is_learnt_from_its_rid() -> None:
    room = SimulcastRoom()
    room.send_all(VP8_DELTA)
    # once known, an SSRC needs no extension (Chromium stops sending them)
    for layer in range(3):
        room.send(layer, VP8_DELTA, rid=False)
    assert room.counters.dropped == 0
    room.timers.advance(REPORT_SECONDS)
    blocks = video_report_blocks(room)
    assert [block.ssrc for block in blocks] == list(LAYER_SSRCS)
    assert [block.highest_sequence & 0xFFFF for block in blocks] == room.sequences
    room.router.close()


def test_unknown_or_missing_rid_is_dropped() -> None:
    room = SimulcastRoom()
    unknown = build_packet(
        payload_type=96,
        sequence=1,
        timestamp=1,
        ssrc=0x4444,
        payload=VP8_KEY,
        extensions=[(MID_ID, b"1"), (RID_ID, b"x")],
    )
    room.publisher.on_rtp(bytes(unknown), room.timers.now())
    room.send(0, VP8_KEY, rid=False)  # a simulcast SSRC without its RID
    assert room.counters.dropped == 2
    room.timers.advance(REPORT_SECONDS)
    assert video_report_blocks(room) == []  # no layer learnt an SSRC
    assert not room.publisher.rtcp_of(PictureLossIndication)
    room.router.close()


def test_receive_stats_and_nacks_are_kept_per_layer() -> None:
    room = SimulcastRoom()
    room.send_all(VP8_KEY)
    room.send(1, VP8_DELTA, sequence=room.sequences[1] + 3)  # two of layer h lost
    room.sequences[1] += 3
    room.send_all(VP8_DELTA)

    room.timers.advance(NACK_DELAY)
    (nack,) = room.publisher.rtcp_of(GenericNack)
    assert nack.media_ssrc == LAYER_SSRCS[1]
    assert sorted(nack.lost_sequences()) == [30002, 30003]
    room.timers.advance(REPORT_SECONDS)
    lost = {block.ssrc: block.packets_lost for block in video_report_blocks(room)}
    assert lost == {LAYER_SSRCS[0]: 0, LAYER_SSRCS[1]: 2, LAYER_SSRCS[2]: 0}
    room.router.close()


# --- which layer a subscription gets ---------------------------------------------------------


def test_a_new_subscription_gets_the_highest_layer() -> None:
    room = SimulcastRoom()
    room.send_all(VP8_DELTA)
    # asked for as soon as the layer's SSRC is known
    assert room.plis_for(2) == 1 and room.plis_for(0) == 0
    room.send_all(VP8_KEY)
    room.send_all(VP8_DELTA)
    assert room.layers() == [2, 2]
    assert room.video()[0].keyframe
    room.router.close()


def test_switch_waits_for_a_keyframe_of_the_new_layer_and_keeps_the_old_until_then() -> None:
    room = SimulcastRoom()
    room.send_all(VP8_KEY)
    room.send_all(VP8_DELTA)
    room.router.set_layer(BEN, CAM, 0)
    assert room.plis_for(0) == 1  # asked for at once, of the new layer only
    room.send_all(VP8_DELTA)
    room.send_all(VP8_DELTA)
    assert room.layers() == [2, 2, 2, 2]  # still the old layer: no keyframe of q yet
    room.send(1, VP8_KEY)  # a keyframe of another layer changes nothing
    room.send(0, VP8_KEY)
    room.send_all(VP8_DELTA)
    assert room.layers() == [2, 2, 2, 2, 0, 0]
    assert room.video()[4].keyframe
    assert_continuous(room.video())
    room.router.close()


def test_timestamps_advance_by_the_time_between_the_layers_packets() -> None:
    room = SimulcastRoom()
    start = room.timers.now()
    room.send(0, VP8_DELTA, arrival=start)  # q is published too, but not forwarded
    room.send(2, VP8_KEY, arrival=start)
    room.send(2, VP8_DELTA, arrival=start + 0.05)
    room.router.set_layer(BEN, CAM, 0)
    room.send(0, VP8_KEY, arrival=start + 0.25)  # 0.2 s after the last packet sent
    room.send(0, VP8_DELTA, arrival=start + 0.30)
    first, second, switched, after = room.video()
    assert [o.layer for o in (first, second, switched, after)] == [2, 2, 0, 0]
    assert (switched.timestamp - second.timestamp) & 0xFFFF_FFFF == pytest.approx(18_000, abs=1)
    assert (after.timestamp - switched.timestamp) & 0xFFFF_FFFF == pytest.approx(4_500, abs=1)
    assert_continuous(room.video())
    room.router.close()


def test_switching_up_down_and_back_keeps_numbering_continuous() -> None:
    room = SimulcastRoom()
    room.send_all(VP8_KEY)
    for target in (0, 1, 2, 0, 2, 1):
        room.router.set_layer(BEN, CAM, target)
        room.send_all(VP8_DELTA)
        room.send_all(VP8_KEY, layers=(target,))
        room.send_all(VP8_DELTA)
        assert room.layers()[-1] == target
    assert_continuous(room.video())
    # each time: the old layer until the new one's keyframe, then the new one
    assert room.layers() == [2, 2, 0, 0, 0, 1, 1, 1, 2, 2, 2, 0, 0, 0, 2, 2, 2, 1, 1]
    keyframes = [index for index, out in enumerate(room.video()) if out.keyframe]
    assert keyframes == [0, 2, 5, 8, 11, 14, 17]
    room.router.close()


def test_a_layer_that_is_not_published_falls_back_to_the_nearest_lower_one() -> None:
    room = SimulcastRoom()
    room.send_all(VP8_KEY, layers=(0, 1))  # f never comes (a narrow uplink)
    room.router.set_layer(BEN, CAM, 2)  # the same as the default: nothing to do
    room.timers.advance(LAYER_TURN)
    room.send_all(VP8_KEY, layers=(0, 1))
    assert room.layers() == [1]
    room.router.set_layer(BEN, CAM, 7)
    room.send_all(VP8_DELTA, layers=(0, 1))
    assert room.layers() == [1, 1]
    room.router.close()


def test_layers_that_come_and_go_move_the_subscription() -> None:
    room = SimulcastRoom()
    room.send_all(VP8_KEY, layers=(0,))  # at first only q comes
    room.timers.advance(LAYER_TURN)
    room.send_all(VP8_KEY, layers=(0,))
    assert room.layers() == [0]
    room.send_all(VP8_DELTA)  # then all three
    room.timers.advance(LAYER_TURN)
    assert room.plis_for(2) >= 1
    room.send_all(VP8_DELTA)
    room.send_all(VP8_KEY, layers=(2,))
    assert room.layers()[-1] == 2
    # f stops (its encoder was dropped): back to h at h's next keyframe
    for _ in range(round(2 * LAYER_IDLE_SECONDS / 0.1)):
        room.timers.advance(0.1)
        room.send_all(VP8_DELTA, layers=(0, 1))
    assert room.layers()[-1] == 2  # f's last frame still shows until h's keyframe
    room.send(1, VP8_KEY)
    room.send(1, VP8_DELTA)
    assert room.layers()[-2:] == [1, 1]
    assert_continuous(room.video())
    room.router.close()


# --- pause and resume -------------------------------------------------------------------------


def test_pause_stops_video_but_never_audio() -> None:
    room = SimulcastRoom()
    room.send_all(VP8_KEY)
    room.send_audio(2)
    room.router.set_layer(BEN, CAM, None)
    room.router.set_layer(BEN, MIC, None)  # audio is never paused
    before = room.layers()
    room.send_all(VP8_KEY)
    room.send_all(VP8_DELTA)
    room.send_audio(3)
    assert room.layers() == before == [2]
    assert room.audio_count() == 5
    room.timers.advance(LAYER_TURN)  # following layers does not resume it
    room.send_all(VP8_KEY)
    assert room.layers() == [2]
    room.router.close()


def test_resume_waits_for_a_keyframe_and_continues_the_numbering() -> None:
    room = SimulcastRoom()
    room.send_all(VP8_KEY)
    room.send_all(VP8_DELTA)
    room.router.set_layer(BEN, CAM, None)
    room.send_all(VP8_DELTA)
    plis = room.plis_for(1)
    room.router.set_layer(BEN, CAM, 1)
    assert room.plis_for(1) == plis + 1
    room.send_all(VP8_DELTA)
    assert room.layers() == [2, 2]
    room.send_all(VP8_KEY, layers=(1,))
    room.send_all(VP8_DELTA)
    assert room.layers() == [2, 2, 1, 1]
    assert_continuous(room.video())
    room.router.close()


def test_pause_and_resume_of_a_stream_without_simulcast() -> None:
    from support.router_room import Room

    room = Room()
    room.send_video(VP8_KEY)
    room.router.set_layer(BEN, CAM, None)
    room.send_video(VP8_KEY)
    assert len(room.received(room.ssrcs["1"])) == 1
    room.router.set_layer(BEN, CAM, 2)  # only layer 0 exists: that one
    room.send_video(VP8_DELTA)
    room.send_video(VP8_KEY)
    room.send_video(VP8_DELTA)
    sequences = [parse_rtp(p).sequence for p in room.received(room.ssrcs["1"])]
    assert sequences == [(sequences[0] + i) & 0xFFFF for i in range(3)]
    room.router.close()


# --- requests ---------------------------------------------------------------------------------


def test_a_request_before_the_subscription_applies_to_it() -> None:
    room = SimulcastRoom()
    room.router.set_layer(CEM, CAM, 0)
    room.router.subscribe(CEM, subscribe_offer(), [Subscription("1", CAM)])
    cem = room.factory.created[-1]
    cem.set_state("connected")
    room.step_up()
    room.send_all(VP8_KEY)
    assert [parse_rtp(p).ssrc for p in cem.rtp] and len(cem.rtp) == 1
    assert cem.rtp[0][-1] == 0
    assert room.layers() == [2]  # Ben still has the default
    room.router.close()


def test_bad_requests() -> None:
    room = SimulcastRoom()
    with pytest.raises(MediaError) as error:
        room.router.set_layer(BEN, CAM.__class__("s-none"), 0)
    assert error.value.code == "unknown_stream"
    with pytest.raises(ValueError):
        room.router.set_layer(BEN, CAM, -1)
    room.router.close()


def test_subscriber_pli_and_nack_go_to_the_layer_it_receives() -> None:
    room = SimulcastRoom()
    room.send_all(VP8_KEY)
    room.send_all(VP8_DELTA)
    room.router.set_layer(BEN, CAM, 0)
    room.send_all(VP8_KEY, layers=(0,))
    room.send_all(VP8_DELTA)
    out = room.video()
    assert [o.layer for o in out] == [2, 2, 0, 0]
    room.timers.advance(0.4)  # past the keyframe pacing
    before = (room.plis_for(0), room.plis_for(2))
    room.subscriber.on_rtcp(bytes(PictureLossIndication(1, room.ssrcs["1"])))
    assert (room.plis_for(0), room.plis_for(2)) == (before[0] + 1, before[1])
    # a NACK for a packet of the old layer and one of the new: each from its own buffer
    sent = len(room.subscriber.rtp)
    nack = GenericNack.for_sequences(1, room.ssrcs["1"], [out[1].sequence, out[3].sequence])
    room.subscriber.on_rtcp(bytes(nack))
    again = room.video()[len(out) :]
    assert len(room.subscriber.rtp) == sent + 2
    assert [(o.sequence, o.layer) for o in again] == [
        (out[1].sequence, 2),
        (out[3].sequence, 0),
    ]
    room.router.close()
