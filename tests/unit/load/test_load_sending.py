"""Pacing pre-encoded frames, jumping to a keyframe on request, answering NACKs."""

from __future__ import annotations

import itertools
import time
from typing import Any, cast

import pytest

from klingel.load import sending
from klingel.load.containers import EncodedFrame
from klingel.load.packetize import ExtensionIds, RtpWriter
from klingel.load.sending import PreparedTrack, Publication, TrackPlayer
from klingel.sfu import vp8
from klingel.sfu.rtp import parse_rtp


class Collector:
    def __init__(self) -> None:
        self.sent: list[bytes] = []

    def send_rtp(self, packet: bytes) -> None:
        self.sent.append(packet)


def video_track(frames: int = 30, fps: int = 10, keyframe_every: int = 10) -> PreparedTrack:
    encoded = tuple(
        EncodedFrame(
            i / fps,
            (
                b"\x10\x02\x00\x9d\x01\x2a\x40\x01\xb4\x00"
                if i % keyframe_every == 0
                else b"\x31\x00\x00"
            )
            + bytes([i]) * 1500,
            i % keyframe_every == 0,
        )
        for i in range(frames)
    )
    return PreparedTrack.from_frames("video", encoded)


def player(track: PreparedTrack, now: float) -> TrackPlayer:
    return TrackPlayer(track, RtpWriter(42, 96, ExtensionIds(transport_cc=3), mid="1"), now)


def frames_of(packets: list[bytes]) -> list[tuple[int, bool]]:
    """(RTP timestamp, keyframe) of each frame start."""
    starts = []
    for packet in packets:
        header = parse_rtp(packet)
        payload = packet[header.payload_offset :]
        if vp8.parse_descriptor(payload).start_of_partition:
            starts.append((header.timestamp, vp8.is_keyframe(payload)))
    return starts


def test_frames_go_out_at_their_time_with_growing_timestamps() -> None:
    track = video_track()
    assert track.duration == 3.0
    played = player(track, 100.0)
    peer = Collector()
    counter = [0]
    played.pump(100.0, cast(Any, peer), counter)
    assert len(frames_of(peer.sent)) == 1
    played.pump(100.45, cast(Any, peer), counter)
    frames = frames_of(peer.sent)
    assert len(frames) == 5
    steps = {(b[0] - a[0]) & 0xFFFFFFFF for a, b in itertools.pairwise(frames)}
    assert steps == {9000}
    assert counter[0] == len(peer.sent)  # one transport-wide number per packet
    played.pump(103.5, cast(Any, peer), counter)  # past the end: the file loops, no burst
    assert len(frames_of(peer.sent)) < 5 + 35


def test_a_keyframe_request_makes_the_next_keyframe_due_at_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sending.random, "randrange", lambda *_args: 3)  # start at frame 3
    played = player(video_track(), 10.0)
    peer = Collector()
    counter = [0]
    played.pump(10.05, cast(Any, peer), counter)
    assert frames_of(peer.sent)[-1][1] is False
    played.jump_to_keyframe(10.06)
    played.pump(10.06, cast(Any, peer), counter)
    frames = frames_of(peer.sent)
    assert len(frames) == 2 and frames[-1][1]
    assert (frames[1][0] - frames[0][0]) & 0xFFFFFFFF == 7 * 9000  # frame 3 to frame 10
    played.pump(10.17, cast(Any, peer), counter)  # and on from there at the normal pace
    assert len(frames_of(peer.sent)) == 3


def test_a_nacked_packet_is_sent_again_unchanged() -> None:
    played = player(video_track(), 0.0)
    peer = Collector()
    played.pump(0.0, cast(Any, peer), [0])
    first = peer.sent[0]
    played.retransmit(parse_rtp(first).sequence, cast(Any, peer))
    played.retransmit((parse_rtp(first).sequence + 1000) & 0xFFFF, cast(Any, peer))
    assert peer.sent[-1] == first and len(peer.sent) == 3


def test_unwanted_layers_stop_and_resume_at_a_keyframe() -> None:
    publication = Publication(cast(Any, Collector()))
    layers = [
        publication.add(video_track(), ssrc, 96, ExtensionIds(), mid="1", rid=rid)
        for ssrc, rid in ((1, "q"), (2, "h"), (3, "f"))
    ]
    publication.set_wanted_layers("1", [True, False, True])
    assert [p.active for p in layers] == [True, False, True]
    publication.set_wanted_layers("1", [False, False, False])  # the smallest is always sent
    assert [p.active for p in layers] == [True, False, False]
    publication.set_wanted_layers("1", [True, True, True])
    assert all(p.active for p in layers)
    peer = Collector()
    layers[1].pump(time.monotonic(), cast(Any, peer), [0])
    assert frames_of(peer.sent)[0][1]  # a resumed layer starts with a keyframe
