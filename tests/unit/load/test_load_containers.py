"""IVF and Ogg Opus reading, on hand-made files and on what ffmpeg makes."""

from __future__ import annotations

import itertools
import struct
from pathlib import Path

import pytest

from klingel.load.containers import (
    ContainerError,
    Vp8Size,
    opus_packet_samples,
    parse_ivf,
    parse_ogg_opus,
    vp8_keyframe_size,
)
from klingel.load.media_files import SIMULCAST_LAYERS, ensure_media


def vp8_keyframe(width: int, height: int, body: bytes = b"\x00" * 20) -> bytes:
    # frame tag with P=0 (keyframe), then the start code and the two sizes
    return b"\x10\x02\x00\x9d\x01\x2a" + struct.pack("<HH", width, height) + body


def vp8_interframe(body: bytes = b"\x00" * 10) -> bytes:
    return b"\x31\x00\x00" + body


def ivf(frames: list[bytes], width: int = 320, height: int = 180, rate: int = 15) -> bytes:
    header = struct.pack(
        "<4sHH4sHHIII", b"DKIF", 0, 32, b"VP80", width, height, rate, 1, len(frames)
    )
    header += b"\x00" * 4
    body = b"".join(struct.pack("<IQ", len(f), i) + f for i, f in enumerate(frames))
    return header + body


def ogg_page(segments: list[bytes], granule: int, sequence: int, serial: int = 7) -> bytes:
    lacing = b""
    for segment in segments:
        lacing += b"\xff" * (len(segment) // 255) + bytes([len(segment) % 255])
    header = struct.pack("<4sBBqIIIB", b"OggS", 0, 0, granule, serial, sequence, 0, len(lacing))
    return header + lacing + b"".join(segments)


def test_vp8_keyframe_size_reads_the_keyframe_header() -> None:
    assert vp8_keyframe_size(vp8_keyframe(640, 360)) == Vp8Size(640, 360)
    assert vp8_keyframe_size(vp8_interframe()) is None
    assert vp8_keyframe_size(b"\x10\x02") is None


def test_ivf_frames_keep_their_order_times_and_keyframes() -> None:
    frames = [vp8_keyframe(320, 180), vp8_interframe(b"a" * 30), vp8_interframe(b"b" * 5)]
    size, parsed = parse_ivf(ivf(frames))
    assert size == Vp8Size(320, 180)
    assert [f.data for f in parsed] == frames
    assert [f.keyframe for f in parsed] == [True, False, False]
    assert [round(f.timestamp, 4) for f in parsed] == [0.0, round(1 / 15, 4), round(2 / 15, 4)]


def test_truncated_or_foreign_ivf_is_refused() -> None:
    data = ivf([vp8_keyframe(320, 180)])
    with pytest.raises(ContainerError):
        parse_ivf(data[:-3])
    with pytest.raises(ContainerError):
        parse_ivf(b"RIFF" + data[4:])


def test_ogg_opus_packets_span_pages_and_segments() -> None:
    head = b"OpusHead" + b"\x01\x02" + b"\x00" * 9
    tags = b"OpusTags" + b"\x00" * 8
    long_packet = bytes([0xFC]) + b"x" * 300  # CELT 20 ms, one frame, over 255 bytes
    short_packet = bytes([0xFC]) + b"y" * 40
    data = (
        ogg_page([head], 0, 0)
        + ogg_page([tags], 0, 1)
        + ogg_page([long_packet, short_packet], 1920, 2)
    )
    frames = parse_ogg_opus(data)
    assert [f.data for f in frames] == [long_packet, short_packet]
    assert [f.timestamp for f in frames] == [0.0, 0.02]


def test_ogg_without_opus_head_is_refused() -> None:
    with pytest.raises(ContainerError):
        parse_ogg_opus(
            ogg_page([b"vorbis"], 0, 0) + ogg_page([b"x"], 0, 1) + ogg_page([b"y"], 0, 2)
        )


def test_opus_durations_follow_the_toc_byte() -> None:
    assert opus_packet_samples(bytes([0xFC])) == 960  # CELT FB 20 ms
    assert opus_packet_samples(bytes([0x0B << 3])) == 2880  # SILK WB 60 ms
    assert opus_packet_samples(bytes([(0xFC) | 1])) == 1920  # two frames
    assert opus_packet_samples(bytes([0xFC | 3, 3])) == 2880  # code 3, three frames


@pytest.fixture(scope="module")
def made_media(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("load-media")
    ensure_media(directory)
    return directory


def test_made_video_layers_have_their_sizes_and_a_keyframe_each_second(made_media: Path) -> None:
    media = ensure_media(made_media)
    for layer, path in zip(SIMULCAST_LAYERS, media.video, strict=True):
        size, frames = parse_ivf(path.read_bytes())
        assert size == Vp8Size(layer.width, layer.height)
        keyframes = [f.timestamp for f in frames if f.keyframe]
        assert len(keyframes) >= 9
        assert max(b - a for a, b in itertools.pairwise(keyframes)) <= 1.01
        assert vp8_keyframe_size(frames[0].data) == size


def test_made_audio_is_opus_in_20_ms_packets(made_media: Path) -> None:
    frames = parse_ogg_opus(ensure_media(made_media).audio.read_bytes())
    assert len(frames) > 400
    assert {opus_packet_samples(f.data) for f in frames} == {960}


def test_existing_media_is_not_made_again(made_media: Path) -> None:
    media = ensure_media(made_media)
    before = [p.stat().st_mtime_ns for p in (*media.video, media.audio)]
    media = ensure_media(made_media)
    assert [p.stat().st_mtime_ns for p in (*media.video, media.audio)] == before
