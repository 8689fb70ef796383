from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from klingel.sfu.rewriter import StreamRewriter

A, B = 0xAAAA, 0xBBBB


def rewriter() -> StreamRewriter:
    return StreamRewriter(0x1234, 90000, initial_sequence=1000, initial_timestamp=50_000)


def test_first_packet_takes_the_initial_numbers_and_offsets_follow() -> None:
    r = rewriter()
    assert r.map(A, 7, 900, arrival=1.0) == (1000, 50_000)
    assert r.map(A, 8, 3900, arrival=1.033) == (1001, 53_000)
    assert r.source == A


def test_sequence_and_timestamp_wrap_around() -> None:
    r = StreamRewriter(1, 90000, initial_sequence=65534, initial_timestamp=0xFFFF_FF00)
    assert r.map(A, 10, 0, 0.0) == (65534, 0xFFFF_FF00)
    assert r.map(A, 11, 0x200, 0.01) == (65535, 0x100)
    assert r.map(A, 12, 0x300, 0.02) == (0, 0x200)


def test_source_wrap_around_keeps_continuity() -> None:
    r = rewriter()
    outs = [r.map(A, s, 0, 0.0) for s in (65534, 65535, 0, 1)]
    assert [o[0] for o in outs if o] == [1000, 1001, 1002, 1003]


def test_reordered_and_repeated_packets_keep_their_numbers() -> None:
    r = rewriter()
    r.map(A, 100, 0, 0.0)
    r.map(A, 102, 6000, 0.0)
    assert r.map(A, 101, 3000, 0.0) == (1001, 53_000)
    assert r.map(A, 102, 6000, 0.0) == (1002, 56_000)


def test_switching_source_continues_numbering_and_time() -> None:
    r = rewriter()
    r.map(A, 100, 9000, 1.0)
    r.map(A, 101, 12000, 1.1)
    # B's numbers are unrelated; 0.5 s passed since the last packet of A
    sequence, timestamp = r.map(B, 40000, 777, 1.6)  # type: ignore[misc]
    assert sequence == 1002
    assert timestamp == (50_000 + 3000 + 45000) & 0xFFFFFFFF
    assert r.map(B, 40001, 777 + 3000, 1.633) == (1003, timestamp + 3000)


def test_late_packets_of_the_previous_source_map_to_their_old_numbers() -> None:
    r = rewriter()
    for s in range(100, 110):
        r.map(A, s, s * 10, 0.0)
    r.map(B, 5, 0, 0.1)
    assert r.map(A, 105, 1050, 0.2) == (1005, 50_000 + 50)  # a retransmission from before
    assert r.map(A, 111, 1110, 0.2) is None  # A moved on, but it is no longer forwarded
    assert r.map(B, 3, 0, 0.2) is None  # from before B's segment began


def test_restart_closes_a_pause_without_a_gap() -> None:
    r = rewriter()
    r.map(A, 10, 0, 0.0)
    r.map(A, 11, 3000, 0.033)
    r.restart()
    sequence, timestamp = r.map(A, 500, 600_000, 10.0)  # type: ignore[misc]
    assert sequence == 1002
    assert timestamp > 53_000
    assert r.map(A, 11, 3000, 10.0) == (1001, 53_000)  # old segment still reachable


def test_source_of_inverts_the_mapping_for_nacks() -> None:
    r = rewriter()
    for s in range(65530, 65536):
        r.map(A, s, 0, 0.0)
    r.map(B, 9, 0, 0.1)
    r.map(B, 10, 0, 0.1)
    assert r.source_of(1000) == (A, 65530)
    assert r.source_of(1005) == (A, 65535)
    assert r.source_of(1006) == (B, 9)
    assert r.source_of(1007) == (B, 10)
    assert r.source_of(1008) is None
    assert r.source_of(999) is None


def test_map_timestamp_for_sender_reports() -> None:
    r = rewriter()
    assert r.map_timestamp(A, 0) is None
    r.map(A, 1, 1000, 0.0)
    assert r.map_timestamp(A, 91000) == 50_000 + 90000
    assert r.map_timestamp(B, 91000) is None


@given(
    st.integers(0, 0xFFFF),
    st.lists(st.integers(0, 40), min_size=1, max_size=60),
    st.integers(0, 0xFFFF),
)
def test_in_order_stream_with_one_switch_is_gapless(
    first: int, steps: list[int], switch_start: int
) -> None:
    r = StreamRewriter(1, 48000, initial_sequence=first)
    outs = []
    for index in range(len(steps)):
        mapped = r.map(A, (5000 + index) & 0xFFFF, index * 960, index * 0.02)
        assert mapped is not None
        outs.append(mapped[0])
    for index in range(3):
        mapped = r.map(B, (switch_start + index) & 0xFFFF, 0, 10.0 + index * 0.02)
        assert mapped is not None
        outs.append(mapped[0])
    assert outs == [(first + i) & 0xFFFF for i in range(len(outs))]


C = 0xCCCC


def test_switching_back_to_an_earlier_source_continues_after_a_restart() -> None:
    """Simulcast: q -> h -> q. Without the restart the packets of q would count as late
    packets of the segment before and be dropped."""
    r = rewriter()
    assert r.map(A, 100, 1000, 1.0) == (1000, 50_000)
    r.restart()
    assert r.map(B, 7000, 555, 1.5) == (1001, 50_000 + 45_000)  # half a second later
    r.restart()
    assert r.map(A, 130, 91_000, 2.0) == (1002, 50_000 + 90_000)
    assert r.map(A, 131, 94_000, 2.033) == (1003, 50_000 + 93_000)  # A's own pace again


@given(
    st.lists(
        st.tuples(
            st.sampled_from([A, B, C]),  # the layer switched to
            st.integers(1, 20),  # packets of that layer forwarded
            st.floats(0.001, 2.0),  # seconds since the last packet sent
        ),
        min_size=1,
        max_size=12,
    ),
    st.integers(0, 0xFFFF),
    st.integers(0, 0xFFFF_FFFF),
)
def test_layer_switches_have_no_gap_no_jump_back_and_keep_time(
    switches: list[tuple[int, int, float]], first_sequence: int, first_timestamp: int
) -> None:
    r = StreamRewriter(1, 90000, initial_sequence=first_sequence, initial_timestamp=first_timestamp)
    # each layer has its own numbering and timestamp base, as a browser's encodings do
    bases = {A: (100, 7), B: (40_000, 3_000_000_000), C: (65_530, 0xFFFF_FF00)}
    sent = {A: 0, B: 0, C: 0}
    now = 0.0
    last: tuple[int, int] | None = None
    for source, count, pause in switches:
        r.restart()
        for index in range(count):
            now += pause if index == 0 else 0.05
            sequence_base, timestamp_base = bases[source]
            sent[source] += 1
            mapped = r.map(
                source,
                (sequence_base + sent[source]) & 0xFFFF,
                (timestamp_base + int(now * 90000)) & 0xFFFF_FFFF,
                now,
            )
            assert mapped is not None
            if last is not None:
                assert mapped[0] == (last[0] + 1) & 0xFFFF  # no gap, no jump back
                step = (mapped[1] - last[1]) & 0xFFFF_FFFF
                elapsed = 0.05 if index else pause
                assert abs(step - elapsed * 90000) <= 2  # the time that passed, in ticks
            last = mapped
