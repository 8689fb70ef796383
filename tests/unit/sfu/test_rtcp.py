from __future__ import annotations

import contextlib

import pytest
from aiortc import rtp as aiortc_rtp
from hypothesis import given
from hypothesis import strategies as st

from klingel.sfu.rtcp import (
    Bye,
    FullIntraRequest,
    GenericNack,
    PictureLossIndication,
    ReceiverReport,
    ReceptionStats,
    Remb,
    ReportBlock,
    RtcpError,
    RtcpPacket,
    SdesChunk,
    SenderReport,
    SourceDescription,
    TransportFeedback,
    UnknownRtcp,
    middle_ntp,
    ntp_from_unix,
    parse_rtcp,
    serialize_compound,
)

BLOCK = ReportBlock(0x01020304, 25, -3, 70000, 12, 0xAABBCCDD, 65536)

SAMPLES: list[RtcpPacket] = [
    SenderReport(1, 0x1122334455667788, 90000, 10, 1200, (BLOCK,)),
    SenderReport(2, 1, 2, 3, 4),
    ReceiverReport(3, (BLOCK, ReportBlock(5, 0, 0, 1, 0, 0, 0))),
    ReceiverReport(4),
    SourceDescription((SdesChunk(5, ((1, b"klingel"),)), SdesChunk(6, ((1, b"abc"), (6, b"x"))))),
    Bye((7, 8), b"gone"),
    Bye((9,)),
    GenericNack(10, 11, ((100, 0), (200, 0b1010))),
    TransportFeedback(12, 13, bytes(range(12))),
    PictureLossIndication(14, 15),
    FullIntraRequest(16, ((17, 3),)),
    Remb(18, 5, 0x2FFFF, (19, 20)),
    UnknownRtcp(204, 1, b"nameDATA"),
]


@pytest.mark.parametrize("packet", SAMPLES, ids=lambda p: type(p).__name__)
def test_each_packet_round_trips(packet: RtcpPacket) -> None:
    data = bytes(packet)
    assert parse_rtcp(data) == [packet]
    assert bytes(parse_rtcp(data)[0]) == data


def test_compound_round_trips() -> None:
    data = serialize_compound(SAMPLES)
    parsed = parse_rtcp(data)
    assert parsed == SAMPLES
    assert serialize_compound(parsed) == data


def test_reads_what_aiortc_writes() -> None:
    sender_info = aiortc_rtp.RtcpSenderInfo(
        ntp_timestamp=0x0102030405060708, rtp_timestamp=5, packet_count=6, octet_count=7
    )
    report = aiortc_rtp.RtcpReceiverInfo(
        ssrc=9, fraction_lost=1, packets_lost=2, highest_sequence=3, jitter=4, lsr=5, dlsr=6
    )
    aiortc_sr = aiortc_rtp.RtcpSrPacket(ssrc=1, sender_info=sender_info, reports=[report])
    (sr,) = parse_rtcp(bytes(aiortc_sr))
    assert sr == SenderReport(1, 0x0102030405060708, 5, 6, 7, (ReportBlock(9, 1, 2, 3, 4, 5, 6),))
    aiortc_nack = aiortc_rtp.RtcpRtpfbPacket(fmt=1, ssrc=1, media_ssrc=2, lost=[5, 6, 30])
    (nack,) = parse_rtcp(bytes(aiortc_nack))
    assert isinstance(nack, GenericNack) and nack.lost_sequences() == [5, 6, 30]
    aiortc_remb = aiortc_rtp.RtcpPsfbPacket(
        fmt=15, ssrc=1, media_ssrc=0, fci=aiortc_rtp.pack_remb_fci(1_500_000, [4, 5])
    )
    (remb,) = parse_rtcp(bytes(aiortc_remb))
    assert isinstance(remb, Remb) and remb.ssrcs == (4, 5)
    assert abs(remb.bitrate - 1_500_000) < 1_500_000 / 2**17


def test_aiortc_reads_what_we_write() -> None:
    data = bytes(PictureLossIndication(1, 2)) + bytes(
        GenericNack.for_sequences(1, 2, [5, 6, 9, 40])
    )
    pli, nack = aiortc_rtp.RtcpPacket.parse(data)
    assert (pli.fmt, pli.media_ssrc) == (1, 2)
    assert sorted(nack.lost) == [5, 6, 9, 40]


def test_nack_items_cover_sequences_across_wrap() -> None:
    lost = [65530, 65535, 0, 9, 200]
    nack = GenericNack.for_sequences(1, 2, lost)
    assert sorted(nack.lost_sequences()) == sorted(lost)
    assert len(nack.items) == 2


def test_remb_for_bitrate_is_close_from_below() -> None:
    for bitrate in (0, 1, 300_000, 2_500_000, 10**9):
        remb = Remb.for_bitrate(1, bitrate, (2,))
        assert remb.bitrate <= bitrate
        assert bitrate - remb.bitrate <= max(1, bitrate >> 17)
        assert parse_rtcp(bytes(remb)) == [remb]


def test_padded_packet_is_read_without_its_padding() -> None:
    data = bytearray(bytes(PictureLossIndication(1, 2)) + b"\x00\x00\x00\x04")
    data[0] |= 0x20
    data[3] += 1
    assert parse_rtcp(bytes(data)) == [PictureLossIndication(1, 2)]


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\x80\xc8",
        b"\x40\xc9\x00\x01\x00\x00\x00\x01",  # version 1
        b"\x80\xc9\x00\x05\x00\x00\x00\x01",  # length past the end
        b"\x81\xc9\x00\x01\x00\x00\x00\x01",  # one report block announced, none there
        b"\x80\xc8\x00\x01\x00\x00\x00\x01",  # truncated sender info
        b"\x81\xcd\x00\x02\x00\x00\x00\x01\x00\x00\x00\x02\x00",  # wrong length field
        b"\x81\xce\x00\x03\x00\x00\x00\x01\x00\x00\x00\x02\x00\x00\x00\x03",  # PLI with FCI
        b"\x81\xca\x00\x01\x00\x00\x00\x01",  # SDES chunk without terminator
        bytes(PictureLossIndication(1, 2)) + b"\x80",  # trailing garbage
    ],
)
def test_malformed_compounds_raise_rtcp_error(data: bytes) -> None:
    with pytest.raises(RtcpError):
        parse_rtcp(data)


@given(st.binary(max_size=120))
def test_random_bytes_raise_only_rtcp_error(data: bytes) -> None:
    try:
        packets = parse_rtcp(data)
    except RtcpError:
        return
    for packet in packets:
        bytes(packet)


@given(st.lists(st.sampled_from(SAMPLES), min_size=1, max_size=6), st.binary(max_size=40))
def test_corrupted_compounds_raise_only_rtcp_error(packets: list[RtcpPacket], noise: bytes) -> None:
    data = bytearray(serialize_compound(packets))
    for index, byte in enumerate(noise):
        data[(index * 7) % len(data)] ^= byte
    with contextlib.suppress(RtcpError):
        parse_rtcp(bytes(data))


def test_ntp_helpers() -> None:
    ntp = ntp_from_unix(0.5)
    assert ntp >> 32 == 2_208_988_800
    assert ntp & 0xFFFFFFFF == 1 << 31
    assert middle_ntp(0x1122334455667788) == 0x33445566


def test_reception_stats_report_loss_and_wrap() -> None:
    stats = ReceptionStats(clock_rate=90000)
    for sequence in [65533, 65534, 65535, 1, 2, 3]:  # 0 is lost
        stats.update(sequence, sequence * 3000 & 0xFFFFFFFF, 10.0 + sequence / 1000)
    block = stats.report_block(99, now=11.0)
    assert block.ssrc == 99
    assert block.highest_sequence == 0x10000 + 3
    assert block.packets_lost == 1
    assert block.fraction_lost == 256 // 7
    again = stats.report_block(99, now=12.0)
    assert again.fraction_lost == 0 and again.packets_lost == 1


def test_reception_stats_delay_since_sender_report() -> None:
    stats = ReceptionStats(clock_rate=48000)
    stats.update(1, 960, 5.0)
    stats.sender_report(0x1122334455667788, arrival=5.0)
    block = stats.report_block(1, now=5.5)
    assert block.last_sr == 0x33445566
    assert block.delay_since_last_sr == 32768
