from __future__ import annotations

import contextlib
import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from klingel.sfu.rtcp import TransportFeedback, parse_rtcp
from klingel.sfu.twcc import (
    FeedbackGenerator,
    RembEstimator,
    SendHistory,
    TwccError,
    encode_chunks,
    parse_feedback,
)


def arrivals_of(feedback: list[TransportFeedback]) -> dict[int, int]:
    """Sequence number -> arrival in 250 us ticks, decoded from the feedback packets."""
    result = {}
    for packet in feedback:
        summary = parse_feedback(packet.fci)
        ticks = summary.reference_time * 256
        for offset, delta in enumerate(summary.deltas):
            if delta is not None:
                ticks += delta
                result[(summary.base_sequence + offset) & 0xFFFF] = ticks
    return result


def test_run_length_and_vectors() -> None:
    assert encode_chunks([1] * 20) == (0x2000 | 20).to_bytes(2, "big")
    assert encode_chunks([0] * 3 + [1]) == (0x8000 | 0b00010000000000).to_bytes(2, "big")
    two_bit = encode_chunks([2, 1, 0])
    assert two_bit == (0xC000 | (2 << 12) | (1 << 10)).to_bytes(2, "big")


def test_feedback_reports_every_packet_with_its_arrival() -> None:
    generator = FeedbackGenerator()
    arrivals = {100: 1.000, 101: 1.001, 103: 1.0105, 104: 1.0102, 110: 1.5}
    for sequence, arrival in arrivals.items():
        generator.record(sequence, arrival)
    feedback = generator.build(sender_ssrc=1, media_ssrc=2)
    assert len(feedback) == 1
    summary = parse_feedback(feedback[0].fci)
    assert summary.base_sequence == 100
    assert len(summary.deltas) == 11
    assert [d is not None for d in summary.deltas] == [
        True,
        True,
        False,
        True,
        True,
        False,
        False,
        False,
        False,
        False,
        True,
    ]
    decoded = arrivals_of(feedback)
    assert decoded == {s: int(a * 1_000_000) // 250 for s, a in arrivals.items()}
    assert any(d is not None and d < 0 for d in summary.deltas)  # 104 arrived before 103


def test_feedback_packets_parse_as_rtcp_and_count_up() -> None:
    generator = FeedbackGenerator()
    counts = []
    for round_ in range(3):
        for sequence in range(round_ * 10, round_ * 10 + 10):
            generator.record(sequence, 2.0 + sequence / 1000)
        (packet,) = generator.build(1, 2)
        (parsed,) = parse_rtcp(bytes(packet))
        assert parsed == packet
        summary = parse_feedback(packet.fci)
        assert summary.base_sequence == round_ * 10
        counts.append(summary.feedback_count)
    assert counts == [0, 1, 2]
    assert generator.build(1, 2) == []


def test_base_continues_across_wrap_and_late_packets_are_left_out() -> None:
    generator = FeedbackGenerator()
    for sequence in (65533, 65534):
        generator.record(sequence, 1.0)
    generator.build(1, 2)
    generator.record(1, 1.05)
    generator.record(65532, 1.06)  # older than what was reported: left out
    (packet,) = generator.build(1, 2)
    summary = parse_feedback(packet.fci)
    assert summary.base_sequence == 65535
    assert [d is not None for d in summary.deltas] == [False, False, True]


def test_long_bursts_split_into_several_packets() -> None:
    generator = FeedbackGenerator(max_received=100)
    for sequence in range(250):
        generator.record(sequence, 3.0 + sequence * 0.0001)
    feedback = generator.build(1, 2)
    assert len(feedback) == 3
    assert sorted(arrivals_of(feedback)) == list(range(250))


def test_pending_is_bounded_without_builds() -> None:
    generator = FeedbackGenerator(max_pending=64)
    for sequence in range(1000):
        generator.record(sequence & 0xFFFF, sequence / 1000)
    assert generator.pending <= 64


@pytest.mark.parametrize("fci", [b"", b"\x00\x01\x00\x05\x00\x00\x00\x00", b"\x00" * 7])
def test_truncated_feedback_raises(fci: bytes) -> None:
    with pytest.raises(TwccError):
        parse_feedback(fci)


@given(
    st.lists(
        st.tuples(st.integers(0, 300), st.integers(0, 400_000)),
        min_size=1,
        max_size=120,
        unique_by=lambda item: item[0],
    )
)
def test_any_arrival_pattern_decodes_to_what_was_recorded(items: list[tuple[int, int]]) -> None:
    generator = FeedbackGenerator()
    base_time = 100.0
    for sequence, microseconds in items:
        generator.record(sequence, base_time + microseconds / 1_000_000)
    decoded = arrivals_of(generator.build(1, 2))
    expected = {s: int((base_time + us / 1_000_000) * 1_000_000) // 250 for s, us in items}
    assert decoded == expected


@given(st.binary(max_size=64))
def test_random_fci_raises_only_twcc_error(fci: bytes) -> None:
    with contextlib.suppress(TwccError):
        parse_feedback(fci)


def reported_arrivals(history: SendHistory, fci: bytes) -> tuple[dict[int, int], int]:
    """Sequence number -> arrival in ticks of the remembered packets a feedback reports as
    received, and how many it reports lost."""
    sent, ticks, deltas, lost = history.report(fci)
    arrivals = {}
    for (sequence, _, _), delta in zip(sent, deltas, strict=True):
        ticks += delta
        arrivals[sequence] = ticks
    return arrivals, lost


def remembered(first: int, count: int) -> SendHistory:
    history = SendHistory(size=256)
    for number in range(first, first + count):
        history.record(number & 0xFFFF, number / 1000, 1000 + number % 7)
    return history


@given(
    st.integers(0, 0xFFFF),
    st.lists(st.tuples(st.booleans(), st.integers(0, 70_000)), min_size=1, max_size=120),
)
def test_the_send_history_matches_feedback_to_what_it_sent(
    first: int, packets: list[tuple[bool, int]]
) -> None:
    history = remembered(first, len(packets))
    generator = FeedbackGenerator()
    expected = {}
    arrival_us = 5_000_000
    for offset, (arrived, gap_us) in enumerate(packets):
        arrival_us += gap_us
        if arrived or offset == 0:
            sequence = (first + offset) & 0xFFFF
            generator.record(sequence, arrival_us / 1_000_000)
            expected[sequence] = arrival_us // 250
    found: dict[int, int] = {}
    lost = 0
    for feedback in generator.build(1, 2):
        arrivals, lost_here = reported_arrivals(history, feedback.fci)
        found |= arrivals
        lost += lost_here
    assert found == expected
    last_received = max(
        offset for offset, (arrived, _) in enumerate(packets) if arrived or not offset
    )
    assert lost == last_received + 1 - len(expected)


def test_all_arrived_in_one_run_length_chunk() -> None:
    # as Chromium says it: one run-length chunk of small deltas, here across the wrap of the
    # sequence numbers and with a negative reference time
    history = remembered(65530, 12)
    reference = -3  # 64 ms units
    deltas = bytes(range(10, 22))
    fci = (
        struct.pack("!HHi", 65530, 12, (reference << 8) | 7)
        + (0x2000 | 12).to_bytes(2, "big")
        + deltas
        + b"\x00\x00"
    )
    arrivals, lost = reported_arrivals(history, fci)
    assert arrivals == {
        number & 0xFFFF: reference * 256 + sum(deltas[: number - 65530 + 1])
        for number in range(65530, 65542)
    }
    assert lost == 0
    with pytest.raises(TwccError):
        history.report(fci[:-6])  # some deltas cut off


def test_packets_no_longer_remembered_are_left_out() -> None:
    history = remembered(100, 10)
    for number in range(100 + 256, 100 + 256 + 5):  # the ring came round: 100-104 are gone
        history.record(number, number / 1000, 900)
    generator = FeedbackGenerator()
    for sequence in range(100, 110):
        generator.record(sequence, 2.0 + sequence / 1000)
    (feedback,) = generator.build(1, 2)
    arrivals, lost = reported_arrivals(history, feedback.fci)
    assert sorted(arrivals) == list(range(105, 110))
    # the arrival times of the forgotten ones still count towards the later ones
    assert arrivals[105] == int((2.0 + 105 / 1000) * 1_000_000) // 250
    assert lost == 0


def test_a_feedback_about_nothing_sent_reports_nothing() -> None:
    generator = FeedbackGenerator()
    for sequence in range(5):
        generator.record(sequence, 1.0 + sequence / 1000)
    (feedback,) = generator.build(1, 2)
    assert reported_arrivals(SendHistory(), feedback.fci) == ({}, 0)


def test_remb_grows_without_loss_and_backs_off_with_loss() -> None:
    estimator = RembEstimator(initial=300_000, maximum=2_000_000)
    estimator.update(0.0, 0.0)
    rates = []
    for second in range(1, 6):
        estimator.record(50_000)  # 400 kbit/s
        rates.append(estimator.update(float(second), 0.0))
    assert rates == sorted(rates) and rates[-1] > rates[0]
    estimator.record(50_000)
    high = estimator.estimate
    assert estimator.update(6.0, 0.3) < high
    for second in range(7, 40):
        estimator.record(10**6)
        estimator.update(float(second), 0.0)
    assert estimator.estimate == 2_000_000
