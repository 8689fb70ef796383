"""Counting received streams: loss after retransmissions, layer switches, what arrives."""

from __future__ import annotations

import struct

from klingel.load.containers import Vp8Size
from klingel.load.packetize import ExtensionIds, RtpWriter, vp8_descriptor
from klingel.load.peer import LightPeer
from klingel.load.receiving import Reception, StreamStats
from klingel.load.remote_sdp import parse_remote_description
from klingel.sfu.dtls import DtlsIdentity


def feed(stats: StreamStats, sequences: list[int]) -> list[list[int]]:
    return [stats.on_packet(s, 100, float(i)) for i, s in enumerate(sequences)]


def test_a_gap_is_lost_until_its_retransmission_comes() -> None:
    stats = StreamStats("video")
    reported = feed(stats, [10, 11, 14, 15])
    assert reported[2] == [12, 13]
    snapshot = stats.snapshot()
    assert (snapshot.packets, snapshot.expected, snapshot.lost) == (4, 6, 2)
    feed(stats, [12])
    assert stats.snapshot().lost == 1
    feed(stats, [13, 13, 15])  # duplicates change nothing
    snapshot = stats.snapshot()
    assert (snapshot.lost, snapshot.expected) == (0, 6)
    assert snapshot.loss_fraction == 0.0


def test_sequence_numbers_wrap_without_loss() -> None:
    stats = StreamStats("audio")
    reported = feed(stats, [65533, 65534, 65535, 0, 1, 3])
    assert reported[-1] == [2]
    snapshot = stats.snapshot()
    assert (snapshot.expected, snapshot.lost, snapshot.bytes) == (7, 1, 600)


def test_a_huge_gap_counts_as_lost_without_listing_it() -> None:
    stats = StreamStats("video")
    feed(stats, [0])
    assert feed(stats, [5000]) == [[]]
    assert stats.snapshot().lost == 4999


def test_a_new_keyframe_size_is_a_layer_switch() -> None:
    stats = StreamStats("video")
    for size in (Vp8Size(320, 180), Vp8Size(320, 180), Vp8Size(1280, 720), Vp8Size(320, 180)):
        stats.on_keyframe(size, 1.0)
    stats.on_keyframe(None, 2.0)
    snapshot = stats.snapshot()
    assert (snapshot.keyframes, snapshot.layer_switches, snapshot.size) == (5, 2, (320, 180))
    assert snapshot.first_keyframe_at == 1.0


ANSWER = """v=0
o=- 1 2 IN IP4 0.0.0.0
s=-
t=0 0
a=ice-lite
a=group:BUNDLE 0 1
m=audio 50000 UDP/TLS/RTP/SAVPF 111
c=IN IP4 127.0.0.1
a=mid:0
a=sendonly
a=ice-ufrag:srvr
a=ice-pwd:bbbbbbbbbbbbbbbbbbbbbbbb
a=fingerprint:sha-256 {fp}
a=setup:passive
a=rtcp-mux
a=rtpmap:111 opus/48000/2
a=ssrc:1111 cname:klingel
m=video 50000 UDP/TLS/RTP/SAVPF 96
c=IN IP4 127.0.0.1
a=mid:1
a=sendonly
a=rtcp-mux
a=rtpmap:96 VP8/90000
a=rtcp-fb:96 nack
a=ssrc:2222 cname:klingel
""".format(fp=":".join(["CD"] * 32))


def keyframe_payload(width: int, height: int) -> bytes:
    return b"\x10\x02\x00\x9d\x01\x2a" + struct.pack("<HH", width, height) + b"k" * 40


async def test_reception_counts_each_ssrc_into_its_stream() -> None:
    peer = LightPeer(DtlsIdentity.generate())
    reception = Reception(peer)
    audio, video = StreamStats("audio"), StreamStats("video")
    reception.update(parse_remote_description(ANSWER), {"0": audio, "1": video})
    video_writer = RtpWriter(2222, 96, ExtensionIds(), mid="1")
    audio_writer = RtpWriter(1111, 111, ExtensionIds(), mid="0")
    for frame, (width, height) in enumerate([(320, 180), (320, 180), (640, 360)]):
        payload = vp8_descriptor(frame, True) + keyframe_payload(width, height)
        peer.on_rtp(video_writer.packet(payload, frame * 3000, marker=True), 1.0 + frame)
        peer.on_rtp(
            video_writer.packet(vp8_descriptor(frame, True) + b"\x31\x00\x00p", 0, marker=True), 1.5
        )
    for _ in range(5):
        peer.on_rtp(audio_writer.packet(b"\xfc" + b"a" * 30, 0, marker=False), 2.0)
    peer.on_rtp(RtpWriter(3333, 96, ExtensionIds(), mid="9").packet(b"x", 0, marker=False), 3.0)
    video_snapshot, audio_snapshot = video.snapshot(), audio.snapshot()
    assert (video_snapshot.packets, video_snapshot.keyframes, video_snapshot.layer_switches) == (
        6,
        3,
        1,
    )
    assert video_snapshot.size == (640, 360)
    assert (audio_snapshot.packets, audio_snapshot.keyframes) == (5, 0)
    assert reception.unknown_packets == 1
    await reception.close()
    await peer.close()
