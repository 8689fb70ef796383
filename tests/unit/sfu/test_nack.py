from __future__ import annotations

from klingel.sfu.nack import LossTracker, RetransmissionBuffer
from klingel.sfu.rtp import build_packet, parse_rtp


def packet(sequence: int) -> bytes:
    return bytes(
        build_packet(payload_type=96, sequence=sequence, timestamp=0, ssrc=1, payload=b"x")
    )


def test_buffer_answers_recent_packets() -> None:
    buffer = RetransmissionBuffer(capacity=8, max_age=1.0)
    for sequence in range(65530, 65536):
        data = packet(sequence)
        buffer.store(data, parse_rtp(data), arrival=10.0)
    entry = buffer.get(65533, now=10.5)
    assert entry is not None and entry.packet == packet(65533)
    assert buffer.get(65529, now=10.5) is None  # never stored
    assert buffer.get(65533, now=11.5) is None  # too old


def test_buffer_is_bounded_by_its_slots() -> None:
    buffer = RetransmissionBuffer(capacity=8)
    for sequence in range(20):
        data = packet(sequence)
        buffer.store(data, parse_rtp(data), arrival=0.0)
    assert buffer.get(3, now=0.0) is None  # overwritten by 11 and 19
    assert buffer.get(19, now=0.0) is not None
    assert sum(buffer.get(s, now=0.0) is not None for s in range(20)) == 8


def test_tracker_nacks_gaps_with_bounded_retries() -> None:
    tracker = LossTracker(max_retries=2, retry_interval=0.1)
    for sequence in (1, 2, 5, 6):
        tracker.received(sequence, now=0.0)
    assert sorted(tracker.due(now=0.0)) == [3, 4]
    assert tracker.due(now=0.05) == []  # not yet time to ask again
    assert sorted(tracker.due(now=0.11)) == [3, 4]
    assert tracker.due(now=0.3) == []  # two tries used up
    assert tracker.missing_count == 0


def test_tracker_forgets_what_arrives_late() -> None:
    tracker = LossTracker()
    for sequence in (65534, 2):  # 65535, 0, 1 missing across the wrap
        tracker.received(sequence, now=0.0)
    tracker.received(0, now=0.01)
    assert sorted(tracker.due(now=0.02)) == [1, 65535]


def test_tracker_ignores_huge_jumps_and_expires_old_losses() -> None:
    tracker = LossTracker(max_gap=10, max_age=1.0)
    tracker.received(1, now=0.0)
    tracker.received(500, now=0.0)
    assert tracker.due(now=0.0) == []
    tracker.received(502, now=0.0)
    assert tracker.due(now=2.0) == []


def test_tracker_bounds_missing_entries() -> None:
    tracker = LossTracker(max_gap=100, max_missing=16)
    for sequence in range(0, 1000, 50):
        tracker.received(sequence, now=0.0)
    assert tracker.missing_count <= 16


def test_tracker_says_when_an_arrival_reveals_a_new_gap() -> None:
    tracker = LossTracker(max_gap=10)
    revealed = [tracker.received(sequence, now=0.0) for sequence in (65535, 0, 1, 4, 2, 4, 3)]
    assert revealed == [False, False, False, True, False, False, False]
    assert tracker.received(100, now=0.0) is False  # too far to NACK
    assert tracker.missing_count == 0
