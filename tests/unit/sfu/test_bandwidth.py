"""The downlink estimator on synthetic feedback and on feedback a real Chromium subscriber
sent through a 500 kbit/s link."""

from __future__ import annotations

import base64
import itertools
import json
import statistics
from collections.abc import Callable
from pathlib import Path

from klingel.sfu.bandwidth import (
    INITIAL_BITRATE,
    MINIMUM_BITRATE,
    TICK,
    BandwidthUsage,
    DownlinkEstimator,
    FeedbackReport,
    SentPacket,
)
from klingel.sfu.twcc import SendHistory

TRACE = Path(__file__).parents[2] / "fixtures" / "twcc" / "chromium_shaped_500kbit.json"
LINK = 500_000  # bits/s: what the link of the recorded trace carried
PACKET = 1200  # bytes
FEEDBACK_INTERVAL = 0.1


def report(packets: list[tuple[float, int, float | None]]) -> FeedbackReport:
    """A feedback on ``packets`` (send time, size, arrival or None if lost), in the form the
    send history makes of a real one: arrivals in 250 us ticks."""
    sent: list[SentPacket] = []
    deltas: list[int] = []
    received = [(send, size, arrival) for send, size, arrival in packets if arrival is not None]
    reference = round(received[0][2] / TICK) if received else 0
    previous = reference
    for number, (send, size, arrival) in enumerate(received):
        ticks = round(arrival / TICK)
        sent.append((number, send, size))
        deltas.append(ticks - previous)
        previous = ticks
    return sent, reference, deltas, len(packets) - len(received)


def run(
    estimator: DownlinkEstimator,
    *,
    seconds: float,
    rate: int,
    start: float = 0.0,
    delay: Callable[[float], float] = lambda t: 0.02,
    lost: Callable[[int], bool] = lambda n: False,
    link: int | None = None,
) -> list[int]:
    """Send ``rate`` bit/s in 1200-byte packets for ``seconds``; each arrives after
    ``delay(send time)`` (and, with a ``link`` rate, after the packets queued before it), unless
    ``lost(packet number)``; feedback every 100 ms. Returns the estimate after each feedback."""
    gap = PACKET * 8 / rate
    estimates = []
    results: list[tuple[float, int, float | None]] = []
    number = 0
    t = start
    next_feedback = start + FEEDBACK_INTERVAL
    queue_free = start
    while t < start + seconds:
        arrival: float | None = t + delay(t)
        if link is not None:
            queue_free = max(queue_free, t) + PACKET * 8 / link
            arrival = queue_free + delay(t)
        if lost(number):
            arrival = None
        results.append((t, PACKET, arrival))
        number += 1
        t += gap
        if t >= next_feedback:
            estimates.append(estimator.on_feedback(report(results), t))
            results = []
            next_feedback += FEEDBACK_INTERVAL
    return estimates


def test_the_start_value_is_generous() -> None:
    assert DownlinkEstimator().estimate == INITIAL_BITRATE


def test_a_steady_delay_lets_the_estimate_grow() -> None:
    estimator = DownlinkEstimator(initial=500_000)
    estimates = run(estimator, seconds=10, rate=900_000)
    assert estimator.usage is BandwidthUsage.NORMAL
    assert estimates[-1] > 600_000
    assert estimates == sorted(estimates)  # never down


def test_a_growing_delay_makes_it_drop_to_below_what_arrived() -> None:
    estimator = DownlinkEstimator()
    run(estimator, seconds=3, rate=1_000_000)
    before = estimator.estimate
    # a queue that grows by 50 ms every second: the link carries less than is sent
    estimates = run(
        estimator, seconds=3, rate=1_000_000, start=3.0, delay=lambda t: 0.02 + 0.05 * (t - 3)
    )
    assert min(estimates) < 0.85 * 1_000_000 < before
    assert estimates[-1] >= MINIMUM_BITRATE


def test_twenty_percent_loss_makes_it_drop() -> None:
    estimator = DownlinkEstimator()
    run(estimator, seconds=2, rate=1_000_000)
    before = estimator.estimate
    estimates = run(estimator, seconds=3, rate=1_000_000, start=2.0, lost=lambda n: n % 5 == 0)
    assert estimates[-1] < 0.5 * before


def test_three_percent_loss_holds_it() -> None:
    estimator = DownlinkEstimator(initial=800_000)
    estimates = run(estimator, seconds=5, rate=700_000, lost=lambda n: n % 33 == 0)
    assert max(estimates) <= 800_000  # never increased
    assert estimates[-1] == 800_000


def test_a_short_link_brings_it_down_to_the_link_rate() -> None:
    estimator = DownlinkEstimator()
    estimates = run(estimator, seconds=3, rate=2_000_000, link=500_000)
    assert 300_000 < estimates[-1] < 500_000


def test_recovery_is_slower_than_the_fall() -> None:
    estimator = DownlinkEstimator()
    run(estimator, seconds=2, rate=2_000_000)
    high = estimator.estimate
    fall = run(estimator, seconds=3, rate=2_000_000, start=2.0, link=500_000)
    low = min(fall)
    fell_in = (fall.index(low) + 1) * FEEDBACK_INTERVAL
    # then the link is good again, and the sender sends what the estimate allows (as the
    # allocator would: 80 % of it)
    rise: list[int] = []
    t = 6.0
    while t < 60 and (not rise or rise[-1] < (high + low) / 2):
        rise += run(estimator, seconds=1, rate=int(estimator.estimate * 0.8), start=t)
        t += 1
    risen_in = len(rise) * FEEDBACK_INTERVAL
    assert low < high / 2
    assert rise[-1] >= (high + low) / 2  # it does come back
    assert risen_in > 3 * fell_in


def test_remb_caps_the_estimate() -> None:
    estimator = DownlinkEstimator()
    estimator.on_remb(700_000)
    run(estimator, seconds=3, rate=500_000)
    assert estimator.estimate == 700_000


def test_the_estimate_stays_within_its_bounds() -> None:
    estimator = DownlinkEstimator(initial=300_000, minimum=150_000)
    run(estimator, seconds=3, rate=300_000, lost=lambda n: n % 2 == 0)
    assert estimator.estimate == 150_000


# --- recorded feedback --------------------------------------------------------------------


def replay(path: Path) -> list[tuple[float, int, int]]:
    """Feed a recorded trace to a fresh estimator: (time, estimate, packets lost so far)."""
    trace = json.loads(path.read_text())
    history = SendHistory()
    estimator = DownlinkEstimator()
    sends: list[tuple[int, float, int]] = []
    elapsed_us = 0
    for index, (gap, size) in enumerate(zip(trace["send_gaps_us"], trace["sizes"], strict=True)):
        elapsed_us += gap
        sends.append(((trace["first_sequence"] + index) & 0xFFFF, elapsed_us / 1e6, size))
    points = []
    lost = 0
    sent = 0
    for at_us, fci in trace["feedback"]:
        now = at_us / 1e6
        while sent < len(sends) and sends[sent][1] <= now:
            history.record(*sends[sent])
            sent += 1
        feedback = history.report(base64.b64decode(fci))
        lost += feedback[3]
        points.append((now, estimator.on_feedback(feedback, now), lost))
    return points


def test_recorded_feedback_of_a_500_kbit_link_brings_the_estimate_down_to_it() -> None:
    points = replay(TRACE)
    assert len(points) > 500
    # The subscriber first gets more than the link carries; the queue overflows.
    congested = next(t for t, estimate, _ in points if estimate < INITIAL_BITRATE)
    below = next(t for t, estimate, _ in points if estimate < 600_000)
    assert below - congested < 2.0  # the fall is quick
    settled = [estimate for t, estimate, _ in points if t > below]
    # Each time the queue grows again, the estimate falls to 0.85 times the link's capacity as
    # measured when it overflowed, not below it step by step.
    falls = [
        estimate
        for (_, before, _), (_, estimate, _) in itertools.pairwise(points)
        if estimate < before - 50_000
    ]
    assert len(falls) >= 3
    assert all(0.8 * LINK < estimate < 0.9 * LINK for estimate in falls)
    assert min(settled) > 0.8 * LINK
    # In between it rises above the link's rate: the SFU sends no probes, and a higher
    # estimate is what lets the allocator try a larger layer. The recorded SFU sent no more
    # than the smallest layer whatever the estimate, so nothing but the ceiling (doubling in
    # no less than 20 s) holds the rise back here.
    assert statistics.median(settled) < 1.4 * LINK
    assert max(settled) < 2.2 * LINK


def test_after_a_long_steady_call_a_growing_queue_still_shows() -> None:
    # thousands of groups: the trendline's running sums must neither drift nor lose precision
    estimator = DownlinkEstimator(initial=1_000_000)
    steady = run(estimator, seconds=600, rate=800_000, delay=lambda t: 0.02 + 0.002 * (t % 1))
    assert estimator.usage is not BandwidthUsage.OVERUSING
    assert min(steady[10:]) >= 1_000_000  # never lowered
    estimates = run(
        estimator, seconds=3, rate=800_000, start=600.0, delay=lambda t: 0.02 + 0.05 * (t - 600)
    )
    assert min(estimates) < 0.85 * 800_000


# --- the link's capacity, bursts and noise -------------------------------------------------


def overflowed(link: int = 500_000) -> DownlinkEstimator:
    """An estimator that has seen a 2 Mbit/s stream overflow a ``link`` for 3 s, and a
    sender that then kept to what the estimate allowed."""
    estimator = DownlinkEstimator()
    run(estimator, seconds=3, rate=2_000_000, link=link)
    # the queue drains (the sender pauses) before the sender keeps to the estimate
    run(estimator, seconds=2, rate=int(0.8 * estimator.estimate), start=8.0)
    return estimator


def test_repeated_overuse_does_not_compound_below_the_link() -> None:
    estimator = DownlinkEstimator()
    # a sender that does not slow down: the queue grows for ten seconds
    estimates = run(estimator, seconds=10, rate=1_000_000, link=500_000)
    fallen = estimates[estimates.index(min(estimates)) :]
    assert estimator.link_capacity is not None
    assert 0.9 * 500_000 < estimator.link_capacity < 1.1 * 500_000
    assert min(fallen) > 0.8 * 500_000


def test_heavy_loss_does_not_compound_below_the_link() -> None:
    estimator = DownlinkEstimator()
    # half of a 1 Mbit/s stream is lost for ten seconds: 500 kbit/s arrive
    estimates = run(estimator, seconds=10, rate=1_000_000, lost=lambda n: n % 2 == 0)
    assert estimates[-1] < 500_000
    assert min(estimates) > 0.8 * 500_000


def test_loss_lowers_the_estimate_at_most_once_per_response_time() -> None:
    estimator = DownlinkEstimator(initial=2_000_000)
    run(estimator, seconds=2, rate=2_000_000)
    # a third lost, reported every 100 ms
    estimates = run(estimator, seconds=5, rate=2_000_000, start=2.0, lost=lambda n: n % 3 == 0)
    lowered_at = [
        index
        for index, (before, after) in enumerate(itertools.pairwise(estimates))
        if after < before
    ]
    assert len(lowered_at) >= 2
    assert all(b - a >= 3 for a, b in itertools.pairwise(lowered_at))  # 300 ms apart


def test_a_growing_queue_during_a_keyframe_burst_lowers_nothing() -> None:
    estimator = DownlinkEstimator(initial=1_000_000)
    run(estimator, seconds=3, rate=800_000)
    before = estimator.estimate
    estimator.expect_burst(3.0)
    # the burst's packets queue up: their delay grows by 80 ms in 400 ms
    estimates = run(
        estimator, seconds=0.4, rate=800_000, start=3.0, delay=lambda t: 0.02 + 0.2 * (t - 3)
    )
    assert min(estimates) >= before
    # a queue that goes on growing after the burst does: the link carries less than is sent
    estimates = run(estimator, seconds=2, rate=800_000, start=3.4, link=600_000)
    assert min(estimates) < 0.85 * 800_000


def test_short_stalls_of_a_loaded_machine_are_no_overuse() -> None:
    estimator = DownlinkEstimator(initial=2_000_000)

    def stalled(t: float) -> float:
        # every 1.5 s the receiver stalls for 60 ms and then takes what came meanwhile
        into = t % 1.5
        return 0.02 + (0.06 - into if into < 0.06 else 0.0)

    estimates = run(estimator, seconds=30, rate=1_600_000, delay=stalled)
    assert min(estimates) == 2_000_000


def test_with_video_held_back_the_link_capacity_bounds_the_ceiling() -> None:
    estimator = overflowed()
    assert estimator.link_capacity is not None
    # only audio is sent now (80 kbit/s): the estimate still comes back to the link's rate,
    # not just to a little above the audio
    estimates = run(estimator, seconds=20, rate=80_000, start=10.0)
    assert estimates[-1] > 500_000
    assert estimator.link_capacity is not None  # still known: nothing carried more


def test_a_larger_layer_that_arrives_without_overuse_confirms_a_better_link() -> None:
    estimator = overflowed()
    capacity = estimator.link_capacity
    assert capacity is not None
    estimates = run(estimator, seconds=20, rate=80_000, start=10.0)
    # the link got better; the allocator tries more than the link carried when it overflowed
    estimates = run(estimator, seconds=5, rate=int(1.3 * capacity), start=30.0)
    assert estimator.link_capacity is None  # forgotten: it carried more
    rising = run(estimator, seconds=10, rate=int(1.3 * capacity), start=35.0)
    assert rising[-1] > 1.3 * estimates[-1]


def test_a_short_overflow_far_below_the_capacity_is_set_aside_a_lasting_one_believed() -> None:
    estimator = overflowed()
    capacity = estimator.link_capacity
    assert capacity is not None
    # a keyframe through the short queue while only audio and the smallest layer are sent
    # (200 kbit/s): for a moment the link carries 150 kbit/s of it
    run(estimator, seconds=1, rate=200_000, start=12.0, link=150_000, lost=lambda n: n % 3 == 0)
    assert estimator.estimate < 0.9 * capacity  # lowered
    assert estimator.link_capacity == capacity  # but to 0.85 times the capacity, set aside
    assert estimator.estimate > 0.8 * capacity
    run(estimator, seconds=2, rate=200_000, start=14.0)  # the link carries it again
    # the link gets worse for good: the overflow at that rate lasts
    run(estimator, seconds=3, rate=200_000, start=16.0, link=150_000, lost=lambda n: n % 3 == 0)
    assert estimator.link_capacity is not None
    assert estimator.link_capacity < 0.5 * capacity
    assert estimator.estimate < 0.5 * capacity


def test_a_feedback_spanning_more_than_the_acknowledged_window_is_measured() -> None:
    estimator = DownlinkEstimator()
    run(estimator, seconds=1, rate=500_000)
    # a receiver that stalled: one feedback covers 800 ms of arrivals
    packets: list[tuple[float, int, float | None]] = [
        (1.0 + i * 0.02, PACKET, 1.1 + i * 0.02) for i in range(41)
    ]
    estimator.on_feedback(report(packets), 2.0)
    rate = estimator.acknowledged_bitrate
    assert rate is not None
    assert 0.8 * 480_000 < rate < 1.2 * 480_000  # 1200 bytes every 20 ms
